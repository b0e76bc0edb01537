package analytics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// server serves the fixture's reports the way the API server mounts them;
// the stand-in auth puts the team named by X-Team in the context.
func (f *fixture) server(now time.Time) *httptest.Server {
	f.svc.now = func() time.Time { return now }
	mux := http.NewServeMux()
	f.svc.Register(mux, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id := r.Header.Get("X-Team"); id != "" {
				r = r.WithContext(teams.WithTeam(r.Context(), team(id, "Asia/Taipei")))
			}
			next.ServeHTTP(w, r)
		})
	})
	srv := httptest.NewServer(mux)
	f.t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, teamID, path string, into any) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if teamID != "" {
		req.Header.Set("X-Team", teamID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: content type %q", path, ct)
	}
	if res.StatusCode != http.StatusOK {
		var e map[string]string
		json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, e
	}
	if into != nil {
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatalf("%s: decode: %v", path, err)
		}
	}
	return res.StatusCode, nil
}

func TestHTTP(t *testing.T) {
	f := newFixture(t)
	f.load(newWorld(), nil)
	tm := team("t1", "Asia/Taipei")
	odd := "o'neil\\x\ny"
	f.events(E{Team: "t1", Ch: "line", ChID: "oa1", Contact: "Q1", Type: "tag.added", Tag: odd, TS: at(tm, "2024-01-20 10:00")})
	// Now is Feb 10 2024, 07:00 in Taipei.
	srv := f.server(at(tm, "2024-02-10 07:00"))

	var tags TagReport
	if code, e := get(t, srv, "t1", "/v1/reports/tags?from=2024-01-01&to=2024-01-31&tag=vip&tag=sale", &tags); code != 200 {
		t.Fatalf("tags: %d %v", code, e)
	}
	same(t, "January tags", tags.Totals, TagCounts{4, 3})
	if tags.Period.From.String() != "2024-01-01" || tags.Period.TimeZone != "Asia/Taipei" || len(tags.Daily) != 31 {
		t.Errorf("period %+v, %d days", tags.Period, len(tags.Daily))
	}
	tags = TagReport{}
	if code, e := get(t, srv, "t1", "/v1/reports/tags?preset=last_month&source=bot&source=journey", &tags); code != 200 {
		t.Fatalf("tags: %d %v", code, e)
	}
	same(t, "last month from bot and journey", tags.Totals, TagCounts{2, 2})
	tags = TagReport{}
	if code, e := get(t, srv, "t1", "/v1/reports/tags?"+url.Values{"tag": {odd}, "from": {"2024-01-01"}, "to": {"2024-01-31"}}.Encode(), &tags); code != 200 {
		t.Fatalf("tags: %d %v", code, e)
	}
	if len(tags.Tags) != 1 || tags.Tags[0].Tag != odd || tags.Tags[0].TagCount != 1 {
		t.Errorf("a tag with quotes, a backslash and a line break: %+v", tags.Tags)
	}
	// The default range is the last 30 days, today included: Jan 12 – Feb 10.
	tags = TagReport{}
	if code, e := get(t, srv, "t1", "/v1/reports/tags", &tags); code != 200 {
		t.Fatalf("tags: %d %v", code, e)
	}
	if tags.Period.From.String() != "2024-01-12" || tags.Period.To.String() != "2024-02-10" {
		t.Errorf("default period: %+v", tags.Period)
	}

	var ct ContactTagReport
	if code, e := get(t, srv, "t1", "/v1/reports/contacts/line/oa1/UA/tags?from=2024-01-01&to=2024-01-31", &ct); code != 200 {
		t.Fatalf("contact tags: %d %v", code, e)
	}
	same(t, "UA's tags", ct.Tags, []ContactTag{{Tag: "vip", Count: 1, LastTagged: at(tm, "2024-01-09 10:00")}})

	var ol OmniLinkReport
	if code, e := get(t, srv, "t1", "/v1/reports/omnilink/c1?from=2024-03-01&to=2024-03-31&limit=1", &ol); code != 200 {
		t.Fatalf("omnilink: %d %v", code, e)
	}
	if ol.Participants != 7 || len(ol.SuccessList.Rows) != 1 || !ol.SuccessList.Truncated {
		t.Errorf("omnilink: %+v", ol)
	}
	var contacts ContactsReport
	if code, e := get(t, srv, "t1", "/v1/reports/contacts?preset=this_month&contact=Amy&user=pixel", &contacts); code != 200 {
		t.Fatalf("contacts: %d %v", code, e)
	}
	same(t, "this month's merges of Amy by pixel", contacts.Totals, ContactCounts{Merged: 1})
	var customers CustomersReport
	if code, e := get(t, srv, "t1", "/v1/reports/customers?from=2024-01-01&to=2024-02-29&unit=week&channel=line:oa1&channel=facebook", &customers); code != 200 {
		t.Fatalf("customers: %d %v", code, e)
	}
	if customers.Unit != Week || len(customers.Channels) != 2 || len(customers.Channels[0].Points) != 9 {
		t.Errorf("customers: unit %s, %d channels", customers.Unit, len(customers.Channels))
	}
	var kw KeywordReport
	if code, e := get(t, srv, "t1", "/v1/reports/keywords?from=2024-03-01&to=2024-03-31&group=g1", &kw); code != 200 {
		t.Fatalf("keywords: %d %v", code, e)
	}
	if len(kw.Groups) != 1 || kw.Groups[0].Group != "g1" {
		t.Errorf("keywords: %+v", kw)
	}
	var rm RichMenuReport
	if code, e := get(t, srv, "t1", "/v1/reports/richmenus?from=2024-03-01&to=2024-03-31&menu=rm1", &rm); code != 200 {
		t.Fatalf("rich menus: %d %v", code, e)
	}
	if rm.Clicks == 0 {
		t.Errorf("rich menus: %+v", rm)
	}
	var cart CartReport
	if code, e := get(t, srv, "t1", "/v1/reports/cart?from=2024-03-01&to=2024-03-31&channel=whatsapp", &cart); code != 200 {
		t.Fatalf("cart: %d %v", code, e)
	}
	if cart.Totals.Orders != 2 || cart.AttributionWindowDays != 30 {
		t.Errorf("cart: %+v", cart)
	}

	for _, c := range []struct {
		path  string
		code  int
		param string
	}{
		{"/v1/reports/tags?from=2024-13-01&to=2024-12-31", 400, "from"},
		{"/v1/reports/tags?from=2024-01-01", 400, "to"},
		{"/v1/reports/tags?to=2024-01-01", 400, "from"},
		{"/v1/reports/tags?from=2024-02-01&to=2024-01-01", 400, "to"},
		{"/v1/reports/tags?from=2000-01-01&to=2024-01-01", 400, "to"},
		{"/v1/reports/tags?from=1999-12-31&to=2000-01-01", 400, "from"},
		{"/v1/reports/tags?from=2024-01-01&from=2024-01-02&to=2024-01-03", 400, "from"},
		{"/v1/reports/tags?preset=last_year", 400, "preset"},
		{"/v1/reports/tags?preset=today&from=2024-01-01&to=2024-01-02", 400, "preset"},
		{"/v1/reports/tags?form=2024-01-01", 400, "form"},
		{"/v1/reports/tags?limit=0", 400, "limit"},
		{"/v1/reports/tags?limit=10001", 400, "limit"},
		{"/v1/reports/tags?tag=", 400, "tag"},
		{"/v1/reports/tags?channel=telegram", 400, "channel"},
		{"/v1/reports/tags?source=" + strings.Repeat("x", 129), 400, "source"},
		{"/v1/reports/contacts/telegram/x/y/tags", 400, "channel_type"},
		{"/v1/reports/contacts/line/oa1/UA/tags?limit=5", 400, "limit"},
		{"/v1/reports/omnilink/nope", 404, ""},
		{"/v1/reports/omnilink/c1?unit=week", 400, "unit"},
		{"/v1/reports/contacts?user=", 400, "user"},
		{"/v1/reports/contacts?contact=a&contact=b", 400, "contact"},
		{"/v1/reports/customers?unit=day", 400, "unit"},
		{"/v1/reports/customers?channel=line&channel=facebook&channel=instagram&channel=whatsapp&channel=web&channel=wechat", 400, "channel"},
		{"/v1/reports/keywords?menu=x", 400, "menu"},
		{"/v1/reports/richmenus?group=x", 400, "group"},
		{"/v1/reports/cart?tag=x", 400, "tag"},
	} {
		code, e := get(t, srv, "t1", c.path, nil)
		if code != c.code || e["parameter"] != c.param || e["error"] == "" {
			t.Errorf("%s: got %d %v, want %d naming %q", c.path, code, e, c.code, c.param)
		}
	}
	if code, _ := get(t, srv, "", "/v1/reports/tags", nil); code != http.StatusUnauthorized {
		t.Errorf("no team: %d", code)
	}
	// Another team sees none of t1's data.
	tags = TagReport{}
	if code, _ := get(t, srv, "t2", "/v1/reports/tags?from=2024-01-01&to=2024-01-31", &tags); code != 200 || tags.Totals != (TagCounts{1, 1}) {
		t.Errorf("team t2: %d %+v", code, tags.Totals)
	}
	if code, _ := get(t, srv, "t2", "/v1/reports/omnilink/c1", nil); code != http.StatusNotFound {
		t.Errorf("team t2 reads t1's campaign: %d", code)
	}
}

// TestConcurrentRequests: requests of one team share its cached *Team, as
// teams.Store hands out; reports must not race on it (run with -race).
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	f.load(newWorld(), nil)
	shared := team("t1", "Asia/Taipei")
	mux := http.NewServeMux()
	f.svc.Register(mux, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(teams.WithTeam(r.Context(), shared)))
		})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	paths := []string{
		"/v1/reports/tags?from=2024-01-01&to=2024-01-31", "/v1/reports/contacts/line/oa1/UA/tags?from=2024-01-01&to=2024-01-31",
		"/v1/reports/omnilink/c1", "/v1/reports/contacts?from=2024-01-30&to=2024-02-02",
		"/v1/reports/customers?from=2024-01-01&to=2024-02-29", "/v1/reports/keywords?from=2024-03-01&to=2024-03-31",
		"/v1/reports/richmenus?from=2024-03-01&to=2024-03-31", "/v1/reports/cart?from=2024-03-01&to=2024-03-31",
	}
	errs := make(chan error, len(paths))
	for _, p := range paths {
		go func() {
			res, err := http.Get(srv.URL + p)
			if err == nil {
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					err = fmt.Errorf("%s: %s", p, res.Status)
				}
			}
			errs <- err
		}()
	}
	for range paths {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}

	// The same through the Go API, without the HTTP server's own
	// synchronization between requests.
	fresh := team("t1", "Asia/Taipei")
	r := span(team("t1", "Asia/Taipei"), "2024-01-01", "2024-03-31")
	calls := []func() error{
		func() error { _, err := f.svc.Tags(f.ctx, fresh, TagQuery{Range: r}); return err },
		func() error { _, err := f.svc.OmniLink(f.ctx, fresh, "c1", OmniLinkQuery{Range: r}); return err },
		func() error { _, err := f.svc.Contacts(f.ctx, fresh, ContactsQuery{Range: r}); return err },
		func() error { _, err := f.svc.Cart(f.ctx, fresh, CounterQuery{Range: r}); return err },
	}
	for _, c := range calls {
		go func() { errs <- c() }()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
