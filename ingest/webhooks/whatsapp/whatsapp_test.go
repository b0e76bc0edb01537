package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hooktest"
)

const (
	testNumber = "106540352242922"
	testSecret = webhooks.Secret("omnistream-test-wa-app-secret")
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type numbers map[string]NumberConfig

func (n numbers) WhatsAppNumber(_ context.Context, id string) (NumberConfig, error) {
	if id == "broken" || id == "555" {
		return NumberConfig{}, errors.New("config store timeout")
	}
	c, ok := n[id]
	if !ok {
		return NumberConfig{}, fmt.Errorf("number %s: %w", id, webhooks.ErrNotFound)
	}
	return c, nil
}

var testNumbers = numbers{
	testNumber: {TeamID: "team-wa", AppSecret: testSecret, VerifyToken: "verify-me"},
	"777":      {TeamID: "team-other", AppSecret: testSecret, VerifyToken: "verify-me"},
}

func newHandler(t testing.TB, rec *hooktest.Recorder) *Handler {
	t.Helper()
	h, err := New(DefaultConfig(), Deps{
		Numbers: testNumbers, Publisher: rec, DeadLetters: rec,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(h http.Handler, number string, body []byte, sig string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp/"+number, bytes.NewReader(body))
	if sig != "" {
		r.Header.Set("X-Hub-Signature-256", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/golden/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".events.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			body := read(t, name)
			rec := &hooktest.Recorder{}
			w := post(newHandler(t, rec), testNumber, body, Sign(testSecret, body))
			events, dead := rec.Snapshot()
			for _, e := range events {
				if err := e.Validate(testNow); err != nil {
					t.Errorf("published an invalid event %s: %v", e.EventID, err)
				}
			}
			hooktest.Golden(t, strings.TrimSuffix(in, ".json")+".events.json", hooktest.Render(t, w.Code, events, dead))
		})
	}
}

func TestHandshake(t *testing.T) {
	for _, tc := range []struct {
		token string
		want  int
	}{{"verify-me", http.StatusOK}, {"guess", http.StatusForbidden}} {
		q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {tc.token}, "hub.challenge": {"42"}}
		r := httptest.NewRequest(http.MethodGet, "/webhooks/whatsapp/"+testNumber+"?"+q.Encode(), nil)
		w := httptest.NewRecorder()
		newHandler(t, &hooktest.Recorder{}).ServeHTTP(w, r)
		if w.Code != tc.want || (tc.want == http.StatusOK && w.Body.String() != "42") {
			t.Fatalf("token %q: %d %q", tc.token, w.Code, w.Body)
		}
	}
}

func TestRefusals(t *testing.T) {
	body := read(t, "text")
	good := Sign(testSecret, body)
	tampered := bytes.Replace(body, []byte("another color"), []byte("another colour"), 1)
	for _, tc := range []struct {
		name, number string
		body         []byte
		sig          string
		want         int
	}{
		{"missing signature", testNumber, body, "", http.StatusUnauthorized},
		{"wrong secret", testNumber, body, Sign("wrong", body), http.StatusUnauthorized},
		{"tampered body", testNumber, tampered, good, http.StatusUnauthorized},
		{"garbage header", testNumber, body, "sha256=zz", http.StatusUnauthorized},
		{"unknown number", "123", body, good, http.StatusNotFound},
		{"lookup down", "broken", body, good, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &hooktest.Recorder{}
			w := post(newHandler(t, rec), tc.number, tc.body, tc.sig)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if events, dead := rec.Snapshot(); len(events)+len(dead) != 0 {
				t.Fatal("refused request still published")
			}
		})
	}
}

// TestReadImpliesDelivered: statuses arrive out of order. A read emits
// message.read and message.delivered; the delivered status arriving later
// has the same event id and is not published again.
func TestReadImpliesDelivered(t *testing.T) {
	rec := &hooktest.Recorder{}
	h := newHandler(t, rec)
	readBody, deliveredBody := read(t, "derived_status_read"), read(t, "derived_status_delivered")
	post(h, testNumber, readBody, Sign(testSecret, readBody))
	events, _ := rec.Snapshot()
	if len(events) != 2 || events[0].Type != event.MessageRead || events[1].Type != event.MessageDelivered {
		t.Fatalf("read status gave %v", types(events))
	}
	w := post(h, testNumber, deliveredBody, Sign(testSecret, deliveredBody))
	if after, _ := rec.Snapshot(); w.Code != http.StatusOK || len(after) != 2 {
		t.Fatalf("late delivered status published again: %v", types(after))
	}
	// Another instance sees only the delivered status: same id as the implied one.
	rec2 := &hooktest.Recorder{}
	post(newHandler(t, rec2), testNumber, deliveredBody, Sign(testSecret, deliveredBody))
	other, _ := rec2.Snapshot()
	if len(other) != 1 || other[0].EventID != events[1].EventID {
		t.Fatalf("delivered status id %v differs from the implied delivery %s", other, events[1].EventID)
	}
}

func TestRedeliveryDeduplicated(t *testing.T) {
	body := read(t, "status_failed")
	rec := &hooktest.Recorder{}
	h := newHandler(t, rec)
	post(h, testNumber, body, Sign(testSecret, body))
	w := post(h, testNumber, body, Sign(testSecret, body))
	if events, _ := rec.Snapshot(); len(events) != 1 || !strings.Contains(w.Body.String(), `"duplicates":1`) {
		t.Fatalf("redelivery published again: %d events, %s", len(events), w.Body)
	}
}

func TestNumbersOfOtherTeams(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
	 {"field":"messages","value":{"metadata":{"phone_number_id":"777"},"messages":[{"from":"85291122333","id":"wamid.a","timestamp":"1763700000","type":"text","text":{"body":"x"}}]}},
	 {"field":"messages","value":{"metadata":{"phone_number_id":"` + testNumber + `"},"messages":[{"from":"85291122333","id":"wamid.b","timestamp":"1763700000","type":"text","text":{"body":"x"}}]}}]}]}`)
	rec := &hooktest.Recorder{}
	if w := post(newHandler(t, rec), testNumber, body, Sign(testSecret, body)); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if len(rec.Teams) != 2 || rec.Teams[0] != "team-other" || rec.Teams[1] != "team-wa" {
		t.Fatalf("teams %v", rec.Teams)
	}
	down := bytes.Replace(body, []byte(`"777"`), []byte(`"555"`), 1)
	if w := post(newHandler(t, &hooktest.Recorder{}), testNumber, down, Sign(testSecret, down)); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("lookup failure of a number in the body: %d, want 503", w.Code)
	}
}

func types(events []event.Event) []event.Type {
	out := make([]event.Type, len(events))
	for i := range events {
		out[i] = events[i].Type
	}
	return out
}
