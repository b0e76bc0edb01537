package redirect

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

var (
	keyNew  = Key("new-key-0123456789abcdef0123456789abcdef")
	keyOld  = Key("old-key-0123456789abcdef0123456789abcdef")
	keyGone = Key("gone-key-0123456789abcdef0123456789abcdef")
	t0      = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
)

const browserUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.21.0"

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

func (r *recorder) got() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newHandler(t testing.TB, rec *recorder, c *clock) *Handler {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Keys = []Key{keyNew, keyOld}
	h, err := New(cfg, Deps{Publisher: rec, Logger: slog.New(slog.DiscardHandler), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sampleLink() Link {
	return Link{
		TeamID: "team-1", SourceKind: "broadcast", SourceID: "b-42", MessageID: "msg-7", SendID: "send-9",
		ChannelType: event.ChannelLINE, ChannelID: "1234567890", ContactID: "U4af4980629",
		ButtonID: "btn-buy", ButtonKind: event.ButtonURL, Target: "https://shop.test/p/42?color=red",
		Expires: t0.Add(30 * 24 * time.Hour),
	}
}

func get(h http.Handler, path, ua string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("User-Agent", ua)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func mustSign(t testing.TB, k Key, l Link) string {
	t.Helper()
	tok, err := Sign(k, l)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs an arbitrary link with a real key, bypassing Sign's checks, as
// an attacker holding a leaked key (or a bug in a sender) would.
func forge(k Key, l Link) string {
	p := encode(&l)
	return base64.RawURLEncoding.EncodeToString(append(p, tag(k, p)...))
}

func TestSignVerifyRoundTrip(t *testing.T) {
	l := sampleLink()
	l.NodeID = "node-3"
	tok := mustSign(t, keyNew, l)
	if strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token is not URL-safe: %s", tok)
	}
	got, err := Verify([]Key{keyNew}, tok, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got != l {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, l)
	}
	if _, err := Verify([]Key{keyNew}, tok, l.Expires); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
	l.Expires = time.Time{}
	if got, err := Verify([]Key{keyNew}, mustSign(t, keyNew, l), t0.Add(10*365*24*time.Hour)); err != nil || !got.Expires.IsZero() {
		t.Fatalf("link without expiry: %v %v", got.Expires, err)
	}
}

func TestSignRefuses(t *testing.T) {
	mod := func(f func(*Link)) Link { l := sampleLink(); f(&l); return l }
	tests := []struct {
		name string
		key  Key
		link Link
	}{
		{"short key", Key("short"), sampleLink()},
		{"no team", keyNew, mod(func(l *Link) { l.TeamID = "" })},
		{"no contact", keyNew, mod(func(l *Link) { l.ContactID = "" })},
		{"broadcast without id", keyNew, mod(func(l *Link) { l.SourceID = "" })},
		{"unknown channel", keyNew, mod(func(l *Link) { l.ChannelType = "fax" })},
		{"unknown button kind", keyNew, mod(func(l *Link) { l.ButtonKind = "laser" })},
		{"javascript target", keyNew, mod(func(l *Link) { l.Target = "javascript:alert(1)" })},
		{"scheme-relative target", keyNew, mod(func(l *Link) { l.Target = "//evil.test/x" })},
		{"relative target", keyNew, mod(func(l *Link) { l.Target = "/account" })},
		{"user info", keyNew, mod(func(l *Link) { l.Target = "https://shop.test@evil.test/" })},
		{"no host", keyNew, mod(func(l *Link) { l.Target = "https:///path" })},
		{"data URL", keyNew, mod(func(l *Link) { l.Target = "data:text/html,<script>alert(1)</script>" })},
		{"backslash", keyNew, mod(func(l *Link) { l.Target = `https://shop.test\@evil.test` })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := Sign(tc.key, tc.link); err == nil {
				t.Fatalf("signed %q", tok)
			}
		})
	}
}

func TestRedirectAddsUTM(t *testing.T) {
	tests := []struct {
		name, target, want string
	}{
		{"keeps query", "https://shop.test/p/42?color=red",
			"https://shop.test/p/42?color=red&utm_source=line&utm_medium=broadcast&utm_campaign=b-42"},
		{"no query", "https://shop.test/p/42",
			"https://shop.test/p/42?utm_source=line&utm_medium=broadcast&utm_campaign=b-42"},
		{"existing utm kept, encoding kept, fragment last", "https://shop.test/p?utm_source=newsletter&q=a%20b&q=c#reviews",
			"https://shop.test/p?utm_source=newsletter&q=a%20b&q=c&utm_medium=broadcast&utm_campaign=b-42#reviews"},
		{"all utm present", "http://shop.test/?utm_source=a&utm_medium=b&utm_campaign=c",
			"http://shop.test/?utm_source=a&utm_medium=b&utm_campaign=c"},
		{"empty query", "https://shop.test/?", "https://shop.test/?utm_source=line&utm_medium=broadcast&utm_campaign=b-42"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := sampleLink()
			l.Target = tc.target
			w := get(newHandler(t, &recorder{}, &clock{t0}), "/r/"+mustSign(t, keyNew, l), browserUA)
			if w.Code != http.StatusFound || w.Header().Get("Location") != tc.want {
				t.Fatalf("%d Location %q\nwant %q", w.Code, w.Header().Get("Location"), tc.want)
			}
			if w.Header().Get("Cache-Control") != "no-store, private" {
				t.Fatal("redirect must not be cached")
			}
		})
	}
}

func TestClickEvent(t *testing.T) {
	rec := &recorder{}
	l := sampleLink()
	l.NodeID = "n-1"
	get(newHandler(t, rec, &clock{t0}), "/r/"+mustSign(t, keyNew, l), browserUA)
	events := rec.got()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	e := events[0]
	if err := e.Validate(t0); err != nil {
		t.Fatal(err)
	}
	want := `{"event_id":"` + e.EventID + `","team_id":"team-1","type":"button.clicked","ts":"2026-11-21T12:00:00.000Z",` +
		`"channel":{"type":"line","id":"1234567890"},"contact":{"channel_user_id":"U4af4980629"},` +
		`"source":{"kind":"broadcast","id":"b-42","node_id":"n-1"},"message_id":"msg-7","send_id":"send-9",` +
		`"props":{"button_kind":"url","button_id":"btn-buy","url":"https://shop.test/p/42?color=red"}}`
	got, _ := event.AppendJSON(nil, &e)
	if string(got) != want {
		t.Fatalf("event\n got %s\nwant %s", got, want)
	}
	back, err := event.Decode(got)
	if err != nil || back.Validate(t0) != nil {
		t.Fatalf("wire form does not decode and validate: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	l := sampleLink()
	h := newHandler(t, &recorder{}, &clock{t0})
	for _, tc := range []struct {
		key  Key
		want int
	}{{keyNew, http.StatusFound}, {keyOld, http.StatusFound}, {keyGone, http.StatusNotFound}} {
		if w := get(h, "/r/"+mustSign(t, tc.key, l), browserUA); w.Code != tc.want {
			t.Fatalf("token signed with %s: %d, want %d", tc.key, w.Code, tc.want)
		}
	}
	if tok, _ := h.Sign(l); tok != mustSign(t, keyNew, l) {
		t.Fatal("handler must sign with the first key")
	}
}

func TestRefusals(t *testing.T) {
	good := mustSign(t, keyNew, sampleLink())
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	expired := sampleLink()
	expired.Expires = t0.Add(-time.Second)
	evil := func(target string) string { l := sampleLink(); l.Target = target; return forge(keyNew, l) }
	tests := []struct{ name, path string }{
		{"tampered payload", "/r/" + flip(10)},
		{"tampered target byte", "/r/" + flip(len(raw)-tagLen-3)},
		{"tampered tag", "/r/" + flip(len(raw)-1)},
		{"truncated", "/r/" + good[:len(good)-4]},
		{"not base64", "/r/!!!" + good},
		{"empty", "/r/"},
		{"garbage", "/r/aGVsbG8"},
		{"expired", "/r/" + mustSign(t, keyNew, expired)},
		{"unknown key", "/r/" + mustSign(t, keyGone, sampleLink())},
		{"too long", "/r/" + strings.Repeat("A", 5000)},
		{"path escape", "/r//evil.test"},
		{"extra segment", "/r/" + good + "/evil.test"},
		{"javascript: target", "/r/" + evil("javascript:alert(document.cookie)")},
		{"scheme-relative target", "/r/" + evil("//evil.test")},
		{"user info target", "/r/" + evil("https://shop.test@evil.test/")},
		{"data target", "/r/" + evil("data:text/html;base64,PHNjcmlwdD4=")},
		{"backslash target", "/r/" + evil(`https:\\evil.test`)},
		{"javascript as path", "/r/javascript:alert(1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			w := get(newHandler(t, rec, &clock{t0}), tc.path, browserUA)
			if w.Code != http.StatusNotFound {
				t.Fatalf("status %d (Location %q), want 404", w.Code, w.Header().Get("Location"))
			}
			if len(rec.got()) != 0 {
				t.Fatal("refused link emitted a click")
			}
		})
	}
}

// TestTargetNeverFromRequest: whatever the request carries, the Location is
// the signed target.
func TestTargetNeverFromRequest(t *testing.T) {
	tok := mustSign(t, keyNew, sampleLink())
	h := newHandler(t, &recorder{}, &clock{t0})
	for _, q := range []string{"?url=https://evil.test", "?target=//evil.test&next=javascript:alert(1)", "?redirect=https%3A%2F%2Fevil.test"} {
		w := get(h, "/r/"+tok+q, browserUA)
		if loc := w.Header().Get("Location"); w.Code != http.StatusFound || !strings.HasPrefix(loc, "https://shop.test/p/42?color=red&") {
			t.Fatalf("query %s: %d %q", q, w.Code, loc)
		}
	}
}

func TestDoubleLoadCountsOnce(t *testing.T) {
	rec := &recorder{}
	c := &clock{t0.Add(900 * time.Millisecond)}
	h := newHandler(t, rec, c)
	path := "/r/" + mustSign(t, keyNew, sampleLink())
	get(h, path, browserUA)                // prefetch at .900
	c.t = c.t.Add(200 * time.Millisecond)  // 1.100: next second, same click
	get(h, path, browserUA)                // the real load
	c.t = c.t.Add(1500 * time.Millisecond) // 2.600: a second click
	get(h, path, browserUA)
	events := rec.got()
	if len(events) != 2 || events[0].EventID == events[1].EventID {
		t.Fatalf("got %d events, want 2 distinct clicks", len(events))
	}
	// Another instance seeing a double load within one window bucket
	// produces the same id, so the pipeline deduplicates across instances.
	rec2, rec3 := &recorder{}, &recorder{}
	get(newHandler(t, rec2, &clock{t0.Add(100 * time.Millisecond)}), path, browserUA)
	get(newHandler(t, rec3, &clock{t0.Add(700 * time.Millisecond)}), path, browserUA)
	if rec2.got()[0].EventID != rec3.got()[0].EventID {
		t.Fatal("same-bucket clicks on two instances got different ids")
	}
}

func TestBotsAndHeadDoNotCount(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, &clock{t0})
	path := "/r/" + mustSign(t, keyNew, sampleLink())
	for _, ua := range []string{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "WhatsApp/2.23.20.0 A", ""} {
		if w := get(h, path, ua); w.Code != http.StatusFound {
			t.Fatalf("bot %q: %d, want a redirect", ua, w.Code)
		}
	}
	r := httptest.NewRequest(http.MethodHead, path, nil)
	r.Header.Set("User-Agent", browserUA)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusFound {
		t.Fatalf("HEAD: %d", w.Code)
	}
	if n := len(rec.got()); n != 0 {
		t.Fatalf("%d clicks counted for bots and HEAD", n)
	}
	r = httptest.NewRequest(http.MethodPost, path, nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
}

func TestPublishFailureStillRedirects(t *testing.T) {
	var logged bytes.Buffer
	cfg := DefaultConfig()
	cfg.Keys = []Key{keyNew}
	h, err := New(cfg, Deps{Publisher: &recorder{err: errors.New("kafka down")}, Logger: slog.New(slog.NewTextHandler(&logged, nil)), Now: (&clock{t0}).now})
	if err != nil {
		t.Fatal(err)
	}
	if w := get(h, "/r/"+mustSign(t, keyNew, sampleLink()), browserUA); w.Code != http.StatusFound {
		t.Fatalf("status %d", w.Code)
	}
	if !strings.Contains(logged.String(), "kafka down") {
		t.Fatal("publish failure not logged")
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err == nil || !strings.Contains(err.Error(), "key") {
		t.Fatalf("config without keys accepted: %v", err)
	}
	cfg := DefaultConfig()
	cfg.Keys = []Key{Key("short")}
	cfg.UTM = append(cfg.UTM, Param{Name: "a&b"})
	cfg.PublishTimeout = 0
	err := cfg.Validate()
	for _, want := range []string{"key 0", "a&b", "PublishTimeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if s := fmt.Sprintf("%v %s %+v %#v", keyNew, keyNew, cfg, cfg); strings.Contains(s, "0123456789abcdef") {
		t.Fatalf("key printed: %s", s)
	}
}
