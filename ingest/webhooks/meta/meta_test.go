package meta

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

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hooktest"
)

const (
	testApp    = "1517776481860111"
	testSecret = webhooks.Secret("omnistream-test-app-secret")
	testToken  = webhooks.Secret("verify-me")
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type apps struct{ accounts map[string]string }

func (a apps) MetaApp(_ context.Context, id string) (AppConfig, error) {
	switch id {
	case testApp:
		return AppConfig{Secret: testSecret, VerifyToken: testToken}, nil
	case "broken":
		return AppConfig{}, errors.New("config store timeout")
	}
	return AppConfig{}, fmt.Errorf("meta app %s: %w", id, webhooks.ErrNotFound)
}

func (a apps) MetaAccount(_ context.Context, app, channelType, id string) (string, error) {
	if id == "BROKEN-PAGE" {
		return "", errors.New("config store timeout")
	}
	if team, ok := a.accounts[channelType+"/"+id]; ok && app == testApp {
		return team, nil
	}
	return "", webhooks.ErrNotFound
}

var testAccounts = map[string]string{
	"facebook/<PAGE_ID>": "team-fb", "facebook/PAGE-ID": "team-fb", "facebook/682498302938465": "team-fb",
	"instagram/IGID": "team-ig", "facebook/OTHER-PAGE": "team-other",
}

func newHandler(t testing.TB, rec *hooktest.Recorder) *Handler {
	t.Helper()
	h, err := New(DefaultConfig(), Deps{
		Apps: apps{testAccounts}, Publisher: rec, DeadLetters: rec,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(h http.Handler, app string, body []byte, sig string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/meta/"+app, bytes.NewReader(body))
	if sig != "" {
		r.Header.Set("X-Hub-Signature-256", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
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
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			rec := &hooktest.Recorder{}
			w := post(newHandler(t, rec), testApp, body, Sign(testSecret, body))
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
	tests := []struct {
		name, app, mode, token, challenge string
		want                              int
	}{
		{"ok", testApp, "subscribe", "verify-me", "1158201444", http.StatusOK},
		{"wrong token", testApp, "subscribe", "verify-you", "1158201444", http.StatusForbidden},
		{"missing token", testApp, "subscribe", "", "1158201444", http.StatusForbidden},
		{"wrong mode", testApp, "unsubscribe", "verify-me", "1158201444", http.StatusForbidden},
		{"no challenge", testApp, "subscribe", "verify-me", "", http.StatusForbidden},
		{"unknown app", "42", "subscribe", "verify-me", "1158201444", http.StatusNotFound},
		{"markup stays text", testApp, "subscribe", "verify-me", "<script>alert(1)</script>", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"hub.mode": {tc.mode}, "hub.verify_token": {tc.token}, "hub.challenge": {tc.challenge}}
			r := httptest.NewRequest(http.MethodGet, "/webhooks/meta/"+tc.app+"?"+q.Encode(), nil)
			w := httptest.NewRecorder()
			newHandler(t, &hooktest.Recorder{}).ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == http.StatusOK {
				if w.Body.String() != tc.challenge {
					t.Fatalf("body %q, want the challenge %q", w.Body, tc.challenge)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
					t.Fatalf("challenge must be served as inert text, got %q", ct)
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	body, err := os.ReadFile("testdata/golden/messages_text_quick_reply.json")
	if err != nil {
		t.Fatal(err)
	}
	good := Sign(testSecret, body)
	tampered := bytes.Replace(body, []byte("hello, world!"), []byte("hello, World!"), 1)
	tests := []struct {
		name, app string
		body      []byte
		sig       string
		want      int
	}{
		{"missing signature", testApp, body, "", http.StatusUnauthorized},
		{"sha1 header value", testApp, body, "sha1=" + strings.TrimPrefix(good, "sha256="), http.StatusUnauthorized},
		{"no prefix", testApp, body, strings.TrimPrefix(good, "sha256="), http.StatusUnauthorized},
		{"truncated", testApp, body, good[:len(good)-2], http.StatusUnauthorized},
		{"other secret", testApp, body, Sign("not-the-secret", body), http.StatusUnauthorized},
		{"tampered body", testApp, tampered, good, http.StatusUnauthorized},
		{"unknown app", "42", body, good, http.StatusNotFound},
		{"app lookup down", "broken", body, good, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &hooktest.Recorder{}
			w := post(newHandler(t, rec), tc.app, tc.body, tc.sig)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.want, w.Body)
			}
			if events, dead := rec.Snapshot(); len(events)+len(dead) != 0 {
				t.Fatal("refused request still published")
			}
		})
	}
}

func TestAccountLookupDownAsksForRedelivery(t *testing.T) {
	body := []byte(`{"object":"page","entry":[{"id":"BROKEN-PAGE","time":1763700000000,"messaging":[]}]}`)
	w := post(newHandler(t, &hooktest.Recorder{}), testApp, body, Sign(testSecret, body))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, want 503 with Retry-After", w.Code)
	}
}

func TestEntriesOfSeveralTeams(t *testing.T) {
	body := []byte(`{"object":"page","entry":[
	 {"id":"<PAGE_ID>","time":1763700000000,"messaging":[{"sender":{"id":"p1"},"recipient":{"id":"<PAGE_ID>"},"timestamp":1763700000000,"message":{"mid":"m1","text":"a"}}]},
	 {"id":"OTHER-PAGE","time":1763700000000,"messaging":[{"sender":{"id":"p2"},"recipient":{"id":"OTHER-PAGE"},"timestamp":1763700000000,"message":{"mid":"m2","text":"b"}}]}]}`)
	rec := &hooktest.Recorder{}
	if w := post(newHandler(t, rec), testApp, body, Sign(testSecret, body)); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if rec.PublishCall != 2 || len(rec.Teams) != 2 || rec.Teams[0] != "team-fb" || rec.Teams[1] != "team-other" {
		t.Fatalf("published %d calls for teams %v, want one each for team-fb and team-other", rec.PublishCall, rec.Teams)
	}
}

func TestRedeliveryDeduplicated(t *testing.T) {
	for _, name := range []string{"message_reads", "message_deliveries", "messages_text_quick_reply", "messaging_postbacks"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile("testdata/golden/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			rec := &hooktest.Recorder{}
			h := newHandler(t, rec)
			post(h, testApp, body, Sign(testSecret, body))
			first, _ := rec.Snapshot()
			if len(first) == 0 {
				t.Fatal("nothing published")
			}
			w := post(h, testApp, body, Sign(testSecret, body))
			if got, _ := rec.Snapshot(); w.Code != http.StatusOK || len(got) != len(first) {
				t.Fatalf("redelivery: status %d, %d more events", w.Code, len(got)-len(first))
			}
			rec2 := &hooktest.Recorder{}
			post(newHandler(t, rec2), testApp, body, Sign(testSecret, body))
			again, _ := rec2.Snapshot()
			for i := range first {
				if first[i].EventID != again[i].EventID {
					t.Fatalf("event id not deterministic: %s vs %s", first[i].EventID, again[i].EventID)
				}
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	short := "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU"
	if MessageID(short) != short {
		t.Fatal("short mid changed")
	}
	long := strings.Repeat("aWdfZAG1faXRlbToxOklHTWVzc2FnZA", 6)
	got := MessageID(long)
	if !strings.HasPrefix(got, "sha256:") || len(got) > 128 || got != MessageID(long) {
		t.Fatalf("long mid: %q", got)
	}
}
