package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/queries/openapi"
)

// teamIDs are the values that fill a team's path parameters.
func teamIDs(d *teamData) (byName map[string]string, byPrefix map[string]string) {
	byName = map[string]string{
		"campaign": d.campaign, "channel_type": d.contact[0], "channel_id": d.contact[1], "user_id": d.contact[2],
		"customer_id": d.customer, "kind": "events", "run": "no-such-run", "id": "no-such-id",
	}
	byPrefix = map[string]string{
		"/v1/reports/broadcasts/": d.broadcast, "/v1/reports/journeys/": d.journey, "/v1/audiences/": d.audience,
		"/v1/audience-syncs/": d.sync, "/v1/exports/": d.export,
	}
	return byName, byPrefix
}

var pathParamRe = regexp.MustCompile(`\{([^}]+)\}`)

// fill puts a team's ids into a documented path.
func fill(docPath string, d *teamData) string {
	byName, byPrefix := teamIDs(d)
	return pathParamRe.ReplaceAllStringFunc(docPath, func(m string) string {
		name := m[1 : len(m)-1]
		if name == "id" {
			for prefix, v := range byPrefix {
				if strings.HasPrefix(docPath, prefix) {
					return url.PathEscape(v)
				}
			}
		}
		return url.PathEscape(byName[name])
	})
}

// teamOperations lists the documented operations that act on the caller's
// team ("METHOD path"), i.e. those secured by a team key.
func teamOperations(t *testing.T, doc openapi.Doc) []string {
	t.Helper()
	var out []string
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			sec, _ := op.(map[string]any)["security"].([]any)
			for _, s := range sec {
				if _, ok := s.(map[string]any)[openapi.TeamKey]; ok {
					out = append(out, strings.ToUpper(m)+" "+path)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// rangeQuery gives a report route its date range, and a recipient list
// its state.
func rangeQuery(doc openapi.Doc, method, docPath string, d *teamData) url.Values {
	q := url.Values{}
	op := doc.Operation(method, docPath)
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p := p.(map[string]any)
		if p["in"] != "query" {
			continue
		}
		switch p["name"] {
		case "from":
			q.Set("from", d.from)
		case "to":
			q.Set("to", d.to)
		case "state":
			q.Set("state", "delivered")
		}
	}
	return q
}

// TestTeamIsolation loads two teams and checks, for every team-scoped
// endpoint, that no request made with team B's key reaches team A's rows:
//
//   - differential: every GET answer of B is the same byte for byte before
//     and after A's data is loaded (so no count, list or series mixes in
//     another team's rows, even where the ids look alike: both teams use
//     the same channel account ids);
//   - cross-team ids: B's key on every team route (every method) filled
//     with A's ids (broadcast, journey, campaign, contact, customer,
//     audience, sync schedule, export, tag, keyword group, rich menu) gets
//     404 or an answer without A's data, and A's objects are unchanged
//     afterwards;
//   - tricks: team_id in the query and in bodies, headers, encoded and
//     injected path values, another team's records posted to ingest.
func TestTeamIsolation(t *testing.T) {
	e := newEnv(t)
	e.cfg.AdminToken = "isolation-admin-token"
	a := e.start(t)
	defer a.Close()
	doc := fetchDoc(t, a.HTTPURL)
	ops := teamOperations(t, doc)
	if len(ops) < 30 {
		t.Fatalf("only %d team operations documented", len(ops))
	}

	b := loadTeam(t, a, "beta")
	waitExport(t, a.HTTPURL, b.key, b.export)
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, op := range ops {
			method, docPath, _ := strings.Cut(op, " ")
			if method != http.MethodGet {
				continue
			}
			u := fill(docPath, b)
			if q := rangeQuery(doc, method, docPath, b); len(q) > 0 {
				u += "?" + q.Encode()
			}
			code, body := do(t, a.HTTPURL, b.key, method, u, "")
			out[u] = fmt.Sprintf("%d %s", code, body)
		}
		return out
	}
	before := snapshot()
	for u, answer := range before {
		if !strings.HasPrefix(answer, "200 ") {
			t.Errorf("GET %s with B's own ids: %s (the comparison needs real answers)", u, trim([]byte(answer)))
		}
	}

	alpha := loadTeam(t, a, "alpha")
	waitExport(t, a.HTTPURL, alpha.key, alpha.export)
	// A's own data answers A (the probes below would prove nothing otherwise).
	for _, p := range []string{"/v1/reports/broadcasts/" + alpha.broadcast, "/v1/reports/journeys/" + alpha.journey,
		"/v1/reports/omnilink/" + alpha.campaign, "/v1/customers/" + alpha.customer, "/v1/audiences/" + alpha.audience,
		"/v1/audience-syncs/" + alpha.sync, "/v1/exports/" + alpha.export} {
		if code, body := do(t, a.HTTPURL, alpha.key, http.MethodGet, p, ""); code != http.StatusOK {
			t.Fatalf("team A's own %s: %d %s", p, code, body)
		}
	}

	// Differential: B's answers did not change.
	after := snapshot()
	for u, was := range before {
		if after[u] != was {
			t.Errorf("GET %s with B's key changed once A's data arrived:\nbefore %s\nafter  %s", u, trim([]byte(was)), trim([]byte(after[u])))
		}
	}
	t.Logf("%d GET answers of team B unchanged by team A's data", len(before))

	// A's data must never appear in an answer to B. Every generated value of
	// A contains "alpha0"; its customer, audience, sync and export ids are
	// listed too.
	secrets := []string{alpha.team, alpha.customer, alpha.audience, alpha.sync, alpha.export}
	leaks := func(what string, body []byte, echoed ...string) {
		t.Helper()
		s := string(body)
		// An answer may repeat the values the request gave (a 404 naming the
		// id, a report echoing its campaign): drop them before looking.
		for _, e := range echoed {
			if e != "" {
				s = strings.ReplaceAll(s, e, "")
				s = strings.ReplaceAll(s, strings.ReplaceAll(e, "'", `\u0027`), "")
			}
		}
		for _, x := range secrets {
			if x != "" && strings.Contains(s, x) {
				t.Errorf("%s: the answer to team B holds team A's %q: %s", what, x, trim(body))
				return
			}
		}
	}

	audBefore := string(call(t, a.HTTPURL, alpha.key, http.MethodGet, "/v1/audiences/"+alpha.audience, "", http.StatusOK, nil))

	// Cross-team ids: every team route, every method, A's ids, B's key.
	bodies := map[string]string{
		"POST /v1/events":                                `{"event_id":"iso-1","team_id":"` + alpha.team + `","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"line-oa-1"},"contact":{"channel_user_id":"` + alpha.contact[2] + `"},"props":{"tag":"stolen"}}`,
		"POST /v1/audiences":                             `{"team_id":"` + alpha.team + `","name":"probe","channel":{"type":"line","id":"line-oa-1"},"conditions":[{"field":"tags","op":"has_any","values":["` + alpha.tag + `","vip"]}]}`,
		"POST /v1/audiences/preview":                     `{"team_id":"` + alpha.team + `","channel":{"type":"line","id":"line-oa-1"},"conditions":[{"field":"tags","op":"has_any","values":["` + alpha.tag + `","vip"]}]}`,
		"PUT /v1/audiences/{id}":                         `{"name":"taken","channel":{"type":"line","id":"line-oa-1"},"conditions":[{"field":"tags","op":"has_any","values":["x"]}],"version":1}`,
		"POST /v1/audience-syncs":                        `{"audience_id":"` + alpha.audience + `","name":"x","target":{"platform":"meta_custom_audience","account":"act_1","audience_id":"6001"},"kind":"once","start_at":"2099-01-01T00:00:00Z"}`,
		"POST /v1/audience-syncs/{id}/skip":              `{"at":"2099-01-01T00:00:00Z"}`,
		"POST /v1/exports":                               `{"kind":"omnilink","id":"` + alpha.campaign + `","from":"` + alpha.from + `","to":"` + addDays(alpha.from, 80) + `"}`,
		"PUT /v1/settings":                               `{"team_id":"` + alpha.team + `","name":"taken"}`,
		"POST /v1/audience-syncs/{id}/runs/{run}/cancel": ``,
	}
	probes := 0
	for _, op := range ops {
		method, docPath, _ := strings.Cut(op, " ")
		u := fill(docPath, alpha)
		q := rangeQuery(doc, method, docPath, alpha)
		// Name A's objects in the filters too.
		switch docPath {
		case "/v1/reports/tags", "/v1/reports/contacts/{channel_type}/{channel_id}/{user_id}/tags":
			q.Set("tag", alpha.tag)
		case "/v1/reports/keywords":
			q.Set("group", alpha.keyword)
		case "/v1/reports/richmenus":
			q.Set("menu", alpha.menu)
		case "/v1/reports/contacts":
			q.Set("contact", alpha.contact[2])
		case "/v1/audience-syncs":
			q.Set("audience_id", alpha.audience)
		case "/v1/exports/{kind}/stream":
			q.Set("id", alpha.campaign)
		}
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		code, body := do(t, a.HTTPURL, b.key, method, u, bodies[op])
		probes++
		what := fmt.Sprintf("%s %s (B's key, A's ids)", method, u)
		if code >= 500 {
			t.Errorf("%s: status %d: %s", what, code, trim(body))
		}
		if strings.Contains(docPath, "{") && code >= 200 && code < 300 && !okWithForeignID(op) {
			t.Errorf("%s: status %d, want 404 for another team's id: %s", what, code, trim(body))
		}
		leaks(what, body, alpha.broadcast, alpha.journey, alpha.campaign, alpha.contact[2], alpha.customer, alpha.audience, alpha.sync, alpha.export, alpha.tag, alpha.keyword, alpha.menu, `\"`+alpha.team+`\"`)
	}
	t.Logf("%d cross-team probes", probes)

	// Parameter and path tricks.
	injected := `x' OR team_id = '` + alpha.team + `' OR '1'='1`
	tricks := []struct{ method, path, body string }{
		{"GET", "/v1/reports/broadcasts?team_id=" + alpha.team, ""},
		{"GET", "/v1/reports/broadcasts/" + alpha.broadcast + "?team_id=" + alpha.team, ""},
		{"GET", "/v1/reports/tags?team=" + alpha.team + "&tag=" + alpha.tag, ""},
		{"GET", "/v1/audiences?team_id=" + alpha.team + "&q=VIP", ""},
		{"GET", "/v1/audience-syncs?team_id=" + alpha.team, ""},
		{"GET", "/v1/customers/" + url.PathEscape(alpha.customer) + "?team_id=" + alpha.team, ""},
		{"GET", "/v1/reports/broadcasts/" + url.PathEscape(b.broadcast+"/../"+alpha.broadcast), ""},
		{"GET", "/v1/reports/broadcasts/..%2F" + alpha.broadcast, ""},
		{"GET", "/v1/reports/broadcasts/" + url.PathEscape(alpha.broadcast+"\x00"), ""},
		{"GET", "/v1/reports/broadcasts/" + url.PathEscape(injected), ""},
		{"GET", "/v1/reports/omnilink/" + url.PathEscape(`x' OR 1=1 --`), ""},
		{"GET", "/v1/reports/broadcasts/" + url.PathEscape(alpha.broadcast) + "/recipients?state=delivered&team_id=" + alpha.team, ""},
		{"GET", "/v1/contacts/line/line-oa-1/" + url.PathEscape(`' OR '1'='1`), ""},
		{"GET", "/v1/reports/contacts/line/line-oa-1/" + url.PathEscape(`x' OR '1'='1`) + "/tags", ""},
		{"GET", "/v1/exports/events/stream?team_id=" + alpha.team + "&from=" + alpha.from + "&to=" + alpha.to, ""},
		{"POST", "/v1/events", `[{"event_id":"iso-2","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"line-oa-1"},"contact":{"channel_user_id":"u"},"props":{"tag":"t"}},{"event_id":"iso-3","team_id":"` + alpha.team + `","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"line-oa-1"},"contact":{"channel_user_id":"u"},"props":{"tag":"t"}}]`},
	}
	for _, tr := range tricks {
		code, body := do(t, a.HTTPURL, b.key, tr.method, tr.path, tr.body)
		what := fmt.Sprintf("%s %s (B's key)", tr.method, tr.path)
		if code >= 500 {
			t.Errorf("%s: status %d: %s", what, code, trim(body))
		}
		if strings.Contains(tr.path, alpha.broadcast) && code == http.StatusOK {
			t.Errorf("%s: status 200 for another team's broadcast: %s", what, trim(body))
		}
		leaks(what, body, alpha.broadcast, alpha.campaign, alpha.customer, alpha.tag, injected, `\"`+alpha.team+`\"`)
	}
	// A forged X-Team header or a second key does not switch teams.
	req, _ := http.NewRequest(http.MethodGet, a.HTTPURL+"/v1/reports/broadcasts/"+alpha.broadcast, nil)
	req.Header.Add("Authorization", "Bearer "+b.key)
	req.Header.Add("Authorization", "Bearer "+alpha.key)
	req.Header.Set("X-Team", alpha.team)
	req.Header.Set("X-Team-ID", alpha.team)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("two Authorization headers (B's first) and X-Team: %v %v, want 404", res.Status, err)
	} else {
		res.Body.Close()
	}

	// A's objects are as A left them; the probes did not touch A's rows.
	if now := string(call(t, a.HTTPURL, alpha.key, http.MethodGet, "/v1/audiences/"+alpha.audience, "", http.StatusOK, nil)); now != audBefore {
		t.Errorf("team A's audience changed:\nbefore %s\nafter  %s", audBefore, now)
	}
	var sc struct{ Status string }
	call(t, a.HTTPURL, alpha.key, http.MethodGet, "/v1/audience-syncs/"+alpha.sync, "", http.StatusOK, &sc)
	if sc.Status != "active" {
		t.Errorf("team A's sync schedule is %q, want active", sc.Status)
	}
	var st struct{ Name string }
	call(t, a.HTTPURL, alpha.key, http.MethodGet, "/v1/settings", "", http.StatusOK, &st)
	if st.Name != alpha.team {
		t.Errorf("team A's settings changed: name %q", st.Name)
	}
	var auds struct{ Audiences []struct{ Name string } }
	call(t, a.HTTPURL, alpha.key, http.MethodGet, "/v1/audiences", "", http.StatusOK, &auds)
	if len(auds.Audiences) != 1 {
		t.Errorf("team A has %d audiences, want its one: %+v", len(auds.Audiences), auds.Audiences)
	}
	if got := eventCount(t, a, alpha.team); got != uint64(alpha.events) {
		t.Errorf("team A has %d events, want %d: B's posts reached A", got, alpha.events)
	}
}

// okWithForeignID lists the routes whose path ids are not another team's
// objects (a contact's tag frequency answers an empty report for any
// contact: it is a filter, not a lookup; a stream's kind is a report name).
func okWithForeignID(op string) bool {
	switch op {
	case "GET /v1/reports/contacts/{channel_type}/{channel_id}/{user_id}/tags", "GET /v1/exports/{kind}/stream":
		return true
	}
	return false
}

func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
