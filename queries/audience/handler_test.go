package audience

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// asTeam is an auth middleware that authenticates every request as the
// team named in the X-Test-Team header.
func asTeam(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Test-Team")
		if id == "" {
			http.Error(w, "no team", http.StatusUnauthorized)
			return
		}
		t := teams.New(id, id, "TW")
		next.ServeHTTP(w, r.WithContext(teams.WithTeam(r.Context(), &t)))
	})
}

type client struct {
	t   *testing.T
	url string
}

func (c client) do(team, method, path, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Test-Team", team)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func TestHandler(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"u1", "u2"} {
		w := where{"t1", "line", "C1", id}
		f.profile(prof{where: w, name: id, subscribed: 1, overQuota: -1, ts: tp("2022-01-01 10:00:00")})
		f.event(ev{where: w, typ: "tag.added", tag: "vip", ts: tp("2022-01-01 10:00:00")})
	}
	f.flush()
	used := usedBy{}
	s := f.store(tp("2023-01-05 18:00:00"), used)
	mux := http.NewServeMux()
	NewHandler(s, nil).Register(mux, asTeam)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := client{t, srv.URL}

	body := `{"name":"VIP","channel":{"type":"line","id":"C1"},"conditions":[{"field":"tags","op":"has_any","values":["vip"]}]}`
	var a Audience
	if code := c.do("t1", "POST", "/v1/audiences", body, &a); code != http.StatusCreated || a.ID == "" {
		t.Fatalf("create: %d %+v", code, a)
	}
	var page Page
	if code := c.do("t1", "POST", "/v1/audiences/"+a.ID+"/preview?limit=1", "", &page); code != 200 || page.Size != 2 || len(page.Members) != 1 || page.Next == "" {
		t.Fatalf("preview: %d %+v", code, page)
	}
	var page2 Page
	if code := c.do("t1", "POST", "/v1/audiences/"+a.ID+"/preview?limit=1&cursor="+page.Next, "", &page2); code != 200 || len(page2.Members) != 1 || page2.Next != "" ||
		page2.Members[0].ContactID == page.Members[0].ContactID {
		t.Fatalf("preview page 2: %d %+v", code, page2)
	}
	var unsaved Page
	if code := c.do("t1", "POST", "/v1/audiences/preview", `{"channel":{"type":"line","id":"C1"},"conditions":[{"field":"name","op":"eq","value":"u2"}]}`, &unsaved); code != 200 || unsaved.Size != 1 {
		t.Fatalf("preview unsaved: %d %+v", code, unsaved)
	}
	if code := c.do("t2", "GET", "/v1/audiences/"+a.ID, "", nil); code != http.StatusNotFound {
		t.Errorf("another team's audience: %d", code)
	}
	if code := c.do("t2", "POST", "/v1/audiences/"+a.ID+"/preview", "", nil); code != http.StatusNotFound {
		t.Errorf("another team previews the audience: %d", code)
	}

	var bad struct {
		Error  string       `json:"error"`
		Fields []FieldError `json:"fields"`
	}
	if code := c.do("t1", "POST", "/v1/audiences", `{"name":"x","channel":{"type":"line","id":"C1"},"conditions":[{"field":"tags","op":"like"},{"field":"name","op":"eq"}]}`, &bad); code != 400 || len(bad.Fields) != 2 {
		t.Errorf("invalid create: %d %+v", code, bad)
	}
	if code := c.do("t1", "POST", "/v1/audiences", `not json`, &bad); code != 400 {
		t.Errorf("not json: %d", code)
	}

	var edited Audience
	edit := `{"name":"VIP 2","channel":{"type":"line","id":"C1"},"conditions":[{"field":"tags","op":"has_any","values":["vip"]}],"version":` +
		jsonNumber(a.Version) + `}`
	if code := c.do("t1", "PUT", "/v1/audiences/"+a.ID, edit, &edited); code != 200 || edited.Name != "VIP 2" {
		t.Fatalf("edit: %d %+v", code, edited)
	}
	if code := c.do("t1", "PUT", "/v1/audiences/"+a.ID, edit, nil); code != http.StatusConflict {
		t.Errorf("edit from a stale version: %d", code)
	}

	used[a.ID] = "sync schedule s1"
	if code := c.do("t1", "POST", "/v1/audiences/"+a.ID+"/archive", "", &bad); code != http.StatusConflict || !strings.Contains(bad.Error, "sync schedule s1") {
		t.Errorf("archive in use: %d %+v", code, bad)
	}
	delete(used, a.ID)
	var cp Audience
	if code := c.do("t1", "POST", "/v1/audiences/"+a.ID+"/copy", "", &cp); code != http.StatusCreated || cp.Name != "VIP 2 (copy)" {
		t.Fatalf("copy: %d %+v", code, cp)
	}
	if code := c.do("t1", "POST", "/v1/audiences/"+a.ID+"/archive", "", nil); code != 200 {
		t.Errorf("archive: %d", code)
	}
	var listed struct{ Audiences []Audience }
	if code := c.do("t1", "GET", "/v1/audiences", "", &listed); code != 200 || len(listed.Audiences) != 1 || listed.Audiences[0].ID != cp.ID {
		t.Errorf("list: %d %+v", code, listed)
	}
	if code := c.do("t1", "GET", "/v1/audiences?archived=true", "", &listed); code != 200 || len(listed.Audiences) != 1 || listed.Audiences[0].ID != a.ID {
		t.Errorf("list archived: %d %+v", code, listed)
	}
	if code := c.do("t2", "GET", "/v1/audiences", "", &listed); code != 200 || len(listed.Audiences) != 0 {
		t.Errorf("another team's list: %d %+v", code, listed)
	}
	if code := c.do("", "GET", "/v1/audiences", "", nil); code != http.StatusUnauthorized {
		t.Errorf("unauthenticated: %d", code)
	}
}

func jsonNumber(v uint64) string { b, _ := json.Marshal(v); return string(b) }
