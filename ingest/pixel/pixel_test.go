package pixel

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

const (
	siteKey   = "pk_live_shop1"
	shop      = "https://shop.test"
	browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type sites map[string]Site

func (s sites) PixelSite(_ context.Context, key string) (Site, error) {
	if key == "broken" {
		return Site{}, errors.New("store down")
	}
	site, ok := s[key]
	if !ok {
		return Site{}, ErrNotFound
	}
	return site, nil
}

var testSites = sites{siteKey: {TeamID: "team-1", SiteID: "site-1", AllowedOrigins: []string{shop, "https://*.shop.test"}}}

type recorder struct {
	mu     sync.Mutex
	events []event.Event
	err    error
}

func (r *recorder) Publish(_ context.Context, team string, events []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	for _, e := range events {
		if e.TeamID != team {
			return errors.New("team mismatch")
		}
	}
	r.events = append(r.events, events...)
	return nil
}

func newHandler(t testing.TB, rec *recorder) *Handler {
	t.Helper()
	h, err := New(DefaultConfig(), Deps{Sites: testSites, Publisher: rec, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type req struct {
	method, site, origin, ua, contentType, body string
}

func do(h http.Handler, q req) *httptest.ResponseRecorder {
	if q.method == "" {
		q.method = http.MethodPost
	}
	path := "/v1/pixel"
	if q.site != "" {
		path += "?site=" + q.site
	}
	r := httptest.NewRequest(q.method, path, strings.NewReader(q.body))
	if q.origin != "" {
		r.Header.Set("Origin", q.origin)
	}
	r.Header.Set("User-Agent", q.ua)
	if q.contentType != "" {
		r.Header.Set("Content-Type", q.contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func beacon(body string) req {
	return req{site: siteKey, origin: shop, ua: browserUA, contentType: "text/plain;charset=UTF-8", body: body}
}

const pageview = `{"type":"pageview","visitor_id":"3f2b8c1e-9d4a-4c1b-8e2f-7a6b5c4d3e2f","event_id":"0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a","url":"https://shop.test/p/42?color=red","referrer":"https://www.google.com/","title":"Red shoes","member_id":"M-1001"}`
const order = `{"type":"order","visitor_id":"3f2b8c1e-9d4a-4c1b-8e2f-7a6b5c4d3e2f","event_id":"aa9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a","order_id":20261121001,"amount":"1280.50","currency":"twd","member_id":"M-1001","url":"https://shop.test/thanks"}`

func TestPageviewAndOrder(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec)
	for _, body := range []string{pageview, order} {
		w := do(h, beacon(body))
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if w.Header().Get("Access-Control-Allow-Origin") != shop || !strings.Contains(w.Header().Get("Vary"), "Origin") {
			t.Fatalf("CORS headers missing: %v", w.Header())
		}
	}
	if len(rec.events) != 2 {
		t.Fatalf("%d events", len(rec.events))
	}
	var got []string
	for i := range rec.events {
		e := &rec.events[i]
		if err := e.Validate(testNow); err != nil {
			t.Fatal(err)
		}
		b, _ := event.AppendJSON(nil, e)
		got = append(got, string(b))
	}
	want := []string{
		`{"event_id":"` + rec.events[0].EventID + `","team_id":"team-1","type":"pixel.pageview","ts":"2026-11-21T12:00:00.000Z","channel":{"type":"web","id":"site-1"},"contact":{"channel_user_id":"3f2b8c1e-9d4a-4c1b-8e2f-7a6b5c4d3e2f"},"source":{"kind":"pixel"},"props":{"url":"https://shop.test/p/42?color=red","member_id":"M-1001","referrer":"https://www.google.com/","title":"Red shoes"}}`,
		`{"event_id":"` + rec.events[1].EventID + `","team_id":"team-1","type":"order.placed","ts":"2026-11-21T12:00:00.000Z","channel":{"type":"web","id":"site-1"},"contact":{"channel_user_id":"3f2b8c1e-9d4a-4c1b-8e2f-7a6b5c4d3e2f"},"source":{"kind":"pixel"},"props":{"order_id":"20261121001","amount":1280.5,"currency":"TWD","member_id":"M-1001","url":"https://shop.test/thanks"}}`,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	e := rec.events[1]
	if e.Fields.Amount != 12805000 || e.Fields.MemberID != "M-1001" || e.Fields.OrderID != "20261121001" {
		t.Fatalf("order fields: %+v", e.Fields)
	}
	// The same order reported again, and the same beacon resent, keep their ids.
	do(h, beacon(strings.Replace(order, "aa9e8f7a", "bb9e8f7a", 1)))
	do(h, beacon(pageview))
	if rec.events[2].EventID != rec.events[1].EventID || rec.events[3].EventID != rec.events[0].EventID {
		t.Fatal("repeated order or resent beacon got a new event id")
	}
}

func TestRefusals(t *testing.T) {
	mod := func(f func(*req)) req { q := beacon(pageview); f(&q); return q }
	tests := []struct {
		name  string
		q     req
		code  int
		field string
	}{
		{"bot", mod(func(q *req) { q.ua = "Googlebot/2.1 (+http://www.google.com/bot.html)" }), 400, "User-Agent"},
		{"headless", mod(func(q *req) { q.ua = "Mozilla/5.0 HeadlessChrome/120.0" }), 400, "User-Agent"},
		{"no user agent", mod(func(q *req) { q.ua = "" }), 400, "User-Agent"},
		{"no site", mod(func(q *req) { q.site = "" }), 400, "site"},
		{"unknown site", mod(func(q *req) { q.site = "pk_nope" }), 400, "site"},
		{"site lookup down", mod(func(q *req) { q.site = "broken" }), 503, ""},
		{"foreign origin", mod(func(q *req) { q.origin = "https://evil.test" }), 403, "Origin"},
		{"look-alike origin", mod(func(q *req) { q.origin = "https://shop.test.evil.test" }), 403, "Origin"},
		{"scheme differs", mod(func(q *req) { q.origin = "http://shop.test" }), 403, "Origin"},
		{"no origin", mod(func(q *req) { q.origin = "" }), 403, "Origin"},
		{"form post", mod(func(q *req) { q.contentType = "application/x-www-form-urlencoded" }), 415, "Content-Type"},
		{"not json", mod(func(q *req) { q.body = "hello" }), 400, ""},
		{"array", mod(func(q *req) { q.body = "[1]" }), 400, ""},
		{"visitor wrong type", mod(func(q *req) { q.body = `{"type":"pageview","visitor_id":42,"url":"https://shop.test/"}` }), 400, "visitor_id"},
		{"no visitor", mod(func(q *req) { q.body = `{"type":"pageview","url":"https://shop.test/"}` }), 400, "visitor_id"},
		{"odd visitor", mod(func(q *req) {
			q.body = `{"type":"pageview","visitor_id":"<script>x</script>","url":"https://shop.test/"}`
		}), 400, "visitor_id"},
		{"no type", mod(func(q *req) { q.body = `{"visitor_id":"abcdefgh12","url":"https://shop.test/"}` }), 400, "type"},
		{"unknown type", mod(func(q *req) { q.body = `{"type":"purchase","visitor_id":"abcdefgh12","url":"https://shop.test/"}` }), 400, "type"},
		{"javascript url", mod(func(q *req) { q.body = `{"type":"pageview","visitor_id":"abcdefgh12","url":"javascript:alert(1)"}` }), 400, "url"},
		{"pageview without url", mod(func(q *req) { q.body = `{"type":"pageview","visitor_id":"abcdefgh12"}` }), 400, "url"},
		{"order without id", mod(func(q *req) { q.body = `{"type":"order","visitor_id":"abcdefgh12","amount":1,"currency":"TWD"}` }), 400, "order_id"},
		{"order amount", mod(func(q *req) {
			q.body = `{"type":"order","visitor_id":"abcdefgh12","order_id":"o1","amount":"12.34567","currency":"TWD"}`
		}), 400, "amount"},
		{"order negative", mod(func(q *req) {
			q.body = `{"type":"order","visitor_id":"abcdefgh12","order_id":"o1","amount":-3,"currency":"TWD"}`
		}), 400, "amount"},
		{"order currency", mod(func(q *req) {
			q.body = `{"type":"order","visitor_id":"abcdefgh12","order_id":"o1","amount":3,"currency":"NT$"}`
		}), 400, "currency"},
		{"order no amount", mod(func(q *req) { q.body = `{"type":"order","visitor_id":"abcdefgh12","order_id":"o1","currency":"TWD"}` }), 400, "amount"},
		{"member object", mod(func(q *req) {
			q.body = `{"type":"pageview","visitor_id":"abcdefgh12","url":"https://shop.test/","member_id":{"id":1}}`
		}), 400, "member_id"},
		{"other site in body", mod(func(q *req) {
			q.body = `{"site":"pk_other","type":"pageview","visitor_id":"abcdefgh12","url":"https://shop.test/"}`
		}), 400, "site"},
		{"too large", mod(func(q *req) {
			q.body = `{"type":"pageview","visitor_id":"abcdefgh12","url":"https://shop.test/","title":"` + strings.Repeat("x", 17<<10) + `"}`
		}), 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			w := do(newHandler(t, rec), tc.q)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			var resp struct{ Error, Field string }
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Error == "" {
				t.Fatalf("error body %q is not a JSON message", w.Body)
			}
			if resp.Field != tc.field {
				t.Fatalf("field %q, want %q (%s)", resp.Field, tc.field, resp.Error)
			}
			if tc.code == http.StatusForbidden && w.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Fatal("refused origin got CORS headers")
			}
			if len(rec.events) != 0 {
				t.Fatal("refused report published")
			}
		})
	}
}

func TestPublishFailure(t *testing.T) {
	w := do(newHandler(t, &recorder{err: errors.New("kafka down")}), beacon(pageview))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, want 503 with Retry-After", w.Code)
	}
}

func TestPreflight(t *testing.T) {
	h := newHandler(t, &recorder{})
	for _, tc := range []struct {
		origin string
		want   int
	}{{shop, 204}, {"https://www.shop.test", 204}, {"https://a.b.shop.test", 204}, {"https://evil.test", 403}, {"https://shopxshop.test", 403}} {
		w := do(h, req{method: http.MethodOptions, site: siteKey, origin: tc.origin})
		if w.Code != tc.want {
			t.Fatalf("%s: %d, want %d", tc.origin, w.Code, tc.want)
		}
		acao := w.Header().Get("Access-Control-Allow-Origin")
		if (tc.want == 204) != (acao == tc.origin) {
			t.Fatalf("%s: Access-Control-Allow-Origin %q", tc.origin, acao)
		}
		if tc.want == 204 && (w.Header().Get("Access-Control-Allow-Methods") != "POST" || w.Header().Get("Access-Control-Allow-Headers") != "Content-Type") {
			t.Fatalf("preflight headers: %v", w.Header())
		}
	}
}

func TestOriginAllowed(t *testing.T) {
	allowed := []string{"https://shop.test", "https://*.brand.test", "http://localhost:8080"}
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://shop.test", true}, {"https://SHOP.test", true}, {"https://shop.test:443", true},
		{"https://shop.test:8443", false}, {"http://shop.test", false}, {"https://www.shop.test", false},
		{"https://m.brand.test", true}, {"https://brand.test", false}, {"https://evilbrand.test", false},
		{"http://localhost:8080", true}, {"http://localhost", false}, {"null", false}, {"", false},
	} {
		if got := originAllowed(tc.origin, allowed); got != tc.ok {
			t.Errorf("originAllowed(%q) = %v, want %v", tc.origin, got, tc.ok)
		}
	}
	if err := ValidateOrigins([]string{"https://shop.test", "https://*.brand.test"}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateOrigins([]string{"shop.test", "https://shop.test/path", "ftp://x", "https://a.*.test"}); err == nil || strings.Count(err.Error(), "\n") != 3 {
		t.Fatalf("bad origins not all reported: %v", err)
	}
}

func TestScript(t *testing.T) {
	h := newHandler(t, &recorder{})
	r := httptest.NewRequest(http.MethodGet, "/pixel.js", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{"sendBeacon", "keepalive: true", "order: function", "/v1/pixel"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("script lacks %q", want)
		}
	}
	r.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified {
		t.Fatalf("conditional GET: %d", w.Code)
	}
}

// TestScriptInNode runs pixel.js under Node with a minimal browser stand-in,
// captures what it sends, and replays it to the handler as a browser would.
func TestScriptInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run pixel.js (make chdb installs through npm, so it is on every machine that runs make test): %v", err)
	}
	harness := filepath.Join(t.TempDir(), "harness.js")
	if err := os.WriteFile(harness, []byte(nodeHarness), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, beaconOK := range []bool{true, false} {
		arg := "beacon"
		if !beaconOK {
			arg = "fetch"
		}
		out, err := exec.Command(node, harness, "pixel.js", arg).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		var sent []struct {
			Via, URL, Body string
			Keepalive      bool
		}
		if err := json.Unmarshal(out, &sent); err != nil {
			t.Fatalf("harness output %s: %v", out, err)
		}
		if len(sent) != 2 {
			t.Fatalf("%s: %d reports sent, want a page view and an order", arg, len(sent))
		}
		rec := &recorder{}
		h := newHandler(t, rec)
		for _, s := range sent {
			if s.Via != arg || (arg == "fetch" && !s.Keepalive) {
				t.Fatalf("sent via %s keepalive=%v, want %s", s.Via, s.Keepalive, arg)
			}
			if s.URL != "https://px.omnistream.test/v1/pixel?site=pk_live_shop1" {
				t.Fatalf("endpoint %q", s.URL)
			}
			w := do(h, req{site: siteKey, origin: shop, ua: browserUA, contentType: "text/plain;charset=UTF-8", body: s.Body})
			if w.Code != http.StatusNoContent {
				t.Fatalf("replayed report refused: %d %s\n%s", w.Code, w.Body, s.Body)
			}
		}
		if rec.events[0].Type != event.PixelPageview || rec.events[0].Fields.MemberID != "M-7" ||
			rec.events[1].Type != event.OrderPlaced || rec.events[1].Fields.Amount != 990*event.AmountScale ||
			rec.events[0].Contact != rec.events[1].Contact {
			t.Fatalf("events from the script: %+v", rec.events)
		}
	}
}

const nodeHarness = `
const fs = require("fs");
const src = fs.readFileSync(process.argv[2], "utf8");
const mode = process.argv[3];
const sent = [];
const store = {};
const window = {
  location: { href: "https://shop.test/thanks?o=1" },
  localStorage: { getItem: k => store[k] || null, setItem: (k, v) => { store[k] = v; } },
  crypto: require("crypto").webcrypto,
  navigator: mode === "beacon" ? { sendBeacon: (url, body) => { sent.push({ via: "beacon", url, body }); return true; } } : {},
  fetch: (url, init) => { sent.push({ via: "fetch", url, body: init.body, keepalive: init.keepalive }); return Promise.resolve(); },
  omnistream: { q: [["order", { order_id: "A-100", amount: 990, currency: "TWD" }], ["identify", "M-7"]] },
};
const document = {
  currentScript: { src: "https://px.omnistream.test/pixel.js", getAttribute: n => n === "data-site" ? "pk_live_shop1" : null },
  referrer: "", title: "Thanks",
  querySelectorAll: () => [],
};
new Function("window", "document", "URL", src)(window, document, URL);
process.stdout.write(JSON.stringify(sent));
`
