package line

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hooktest"
)

const (
	testSecret  = webhooks.Secret("omnistream-test-channel-secret")
	testChannel = "1234567890"
	testTeam    = "team-line"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type channels map[string]ChannelConfig

func (c channels) LINEChannel(_ context.Context, id string) (ChannelConfig, error) {
	if id == "broken" {
		return ChannelConfig{}, errors.New("database is down")
	}
	cfg, ok := c[id]
	if !ok {
		return ChannelConfig{}, fmt.Errorf("LINE channel %s: %w", id, webhooks.ErrNotFound)
	}
	return cfg, nil
}

func newHandler(t testing.TB, rec *hooktest.Recorder, mod func(*Config)) *Handler {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg, Deps{
		Channels:    channels{testChannel: {TeamID: testTeam, Secret: testSecret}},
		Publisher:   rec,
		DeadLetters: rec,
		Logger:      slog.New(slog.DiscardHandler),
		Now:         func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sign(body []byte) string { return base64.StdEncoding.EncodeToString(Sign(testSecret, body)) }

func post(h http.Handler, channel string, body []byte, sig string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/line/"+channel, bytes.NewReader(body))
	if sig != "" {
		r.Header.Set("X-Line-Signature", sig)
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
			w := post(newHandler(t, rec, nil), testChannel, body, sign(body))
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

// TestSignatureVector checks Verify against signatures computed independently
// with: openssl dgst -sha256 -hmac omnistream-test-channel-secret -binary | base64
func TestSignatureVector(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden/event_objects.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
		sig  string
		want bool
	}{
		{"empty events", []byte(`{"destination":"xxxxxxxxxx","events":[]}`), "E6WARpeQqU/h2Lu4TLDJBKqyF8T+VSPcm89OZ+DZ5VM=", true},
		{"reference sample", golden, "ndaWjKY6d1W5+XgH5xtHsT8zVltG/vNmUju8RZKIlI4=", true},
		{"one byte changed", append([]byte(`{"destination":"xxxxxxxxxy"`), `,"events":[]}`...), "E6WARpeQqU/h2Lu4TLDJBKqyF8T+VSPcm89OZ+DZ5VM=", false},
		{"hex instead of base64", []byte(`{"destination":"xxxxxxxxxx","events":[]}`), "13a58044a97902a94fe1d8bbb84cb0c9", false},
		{"empty signature", golden, "", false},
		{"not base64", golden, "%%%", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(testSecret, tc.body, tc.sig); got != tc.want {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
	if Verify("", []byte("x"), base64.StdEncoding.EncodeToString(Sign("", []byte("x")))) {
		t.Fatal("an empty secret must never verify")
	}
}

func TestRefusals(t *testing.T) {
	body, err := os.ReadFile("testdata/golden/event_objects.json")
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(body, []byte(`"unfollow"`), []byte(`"follow"`), 1)
	tests := []struct {
		name    string
		channel string
		body    []byte
		sig     string
		method  string
		want    int
	}{
		{"missing signature", testChannel, body, "", http.MethodPost, http.StatusUnauthorized},
		{"wrong signature", testChannel, body, base64.StdEncoding.EncodeToString([]byte("nope")), http.MethodPost, http.StatusUnauthorized},
		{"tampered body", testChannel, tampered, sign(body), http.MethodPost, http.StatusUnauthorized},
		{"signed with another secret", testChannel, body, base64.StdEncoding.EncodeToString(Sign("other", body)), http.MethodPost, http.StatusUnauthorized},
		{"unknown channel", "999", body, sign(body), http.MethodPost, http.StatusNotFound},
		{"lookup down", "broken", body, sign(body), http.MethodPost, http.StatusServiceUnavailable},
		{"GET", testChannel, nil, "", http.MethodGet, http.StatusMethodNotAllowed},
		{"no channel", "", body, sign(body), http.MethodPost, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &hooktest.Recorder{}
			h := newHandler(t, rec, nil)
			r := httptest.NewRequest(tc.method, "/webhooks/line/"+tc.channel, bytes.NewReader(tc.body))
			if tc.sig != "" {
				r.Header.Set("X-Line-Signature", tc.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.want, w.Body)
			}
			if events, dead := rec.Snapshot(); len(events)+len(dead) != 0 {
				t.Fatalf("refused request still published %d events, %d dead letters", len(events), len(dead))
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	rec := &hooktest.Recorder{}
	h := newHandler(t, rec, func(c *Config) { c.MaxBodyBytes = 64 })
	body := []byte(`{"destination":"xxxxxxxxxx","events":[],"padding":"` + strings.Repeat("a", 100) + `"}`)
	if w := post(h, testChannel, body, sign(body)); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", w.Code)
	}
}

func TestEmptyEventsIsOK(t *testing.T) {
	rec := &hooktest.Recorder{}
	body := []byte(`{"destination":"xxxxxxxxxx","events":[]}`)
	if w := post(newHandler(t, rec, nil), testChannel, body, sign(body)); w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	if rec.PublishCall != 0 {
		t.Fatal("nothing to publish, yet Publish was called")
	}
}

// TestRedeliveryDeduplicated replays the reference sample marked as a
// redelivery: the same webhookEventIds give the same event ids, and the
// recent-id cache answers 200 without publishing again.
func TestRedeliveryDeduplicated(t *testing.T) {
	body, err := os.ReadFile("testdata/golden/event_objects.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := &hooktest.Recorder{}
	h := newHandler(t, rec, nil)
	if w := post(h, testChannel, body, sign(body)); w.Code != http.StatusOK {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	first, _ := rec.Snapshot()
	if len(first) != 4 {
		t.Fatalf("first delivery published %d events, want 4", len(first))
	}
	redelivered := bytes.ReplaceAll(body, []byte(`"isRedelivery": false`), []byte(`"isRedelivery": true`))
	w := post(h, testChannel, redelivered, sign(redelivered))
	if w.Code != http.StatusOK {
		t.Fatalf("redelivery: %d %s", w.Code, w.Body)
	}
	if got, _ := rec.Snapshot(); len(got) != 4 {
		t.Fatalf("redelivery published again: %d events", len(got)-4)
	}
	if !strings.Contains(w.Body.String(), `"duplicates":4`) {
		t.Fatalf("response does not report the duplicates: %s", w.Body)
	}
	// A fresh receiver (another instance, or after a restart) publishes
	// again, with the same ids, so the pipeline deduplicates downstream.
	rec2 := &hooktest.Recorder{}
	post(newHandler(t, rec2, nil), testChannel, redelivered, sign(redelivered))
	again, _ := rec2.Snapshot()
	if len(again) != len(first) {
		t.Fatalf("fresh receiver published %d events, want %d", len(again), len(first))
	}
	for i := range first {
		if first[i].EventID != again[i].EventID || !bytes.Equal(first[i].Props, again[i].Props) {
			t.Fatalf("event %d differs on redelivery: %s vs %s", i, first[i].EventID, again[i].EventID)
		}
	}
}

func TestPublishFailureAsksForRedelivery(t *testing.T) {
	body, err := os.ReadFile("testdata/golden/event_objects.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := &hooktest.Recorder{PublishErr: errors.New("kafka: not enough replicas")}
	h := newHandler(t, rec, nil)
	w := post(h, testChannel, body, sign(body))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("status %d Retry-After %q, want 503 with 30", w.Code, w.Header().Get("Retry-After"))
	}
	rec.PublishErr = nil
	if w := post(h, testChannel, body, sign(body)); w.Code != http.StatusOK {
		t.Fatalf("redelivery after recovery: %d", w.Code)
	}
	if events, _ := rec.Snapshot(); len(events) != 4 {
		t.Fatalf("published %d events after recovery, want 4", len(events))
	}
}

func TestDeadLetterFailureAsksForRedelivery(t *testing.T) {
	body, err := os.ReadFile("testdata/golden/ours_mixed_batch.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := &hooktest.Recorder{DeadErr: errors.New("kafka: topic dlq unavailable")}
	h := newHandler(t, rec, nil)
	if w := post(h, testChannel, body, sign(body)); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	published, _ := rec.Snapshot()
	rec.DeadErr = nil
	if w := post(h, testChannel, body, sign(body)); w.Code != http.StatusOK {
		t.Fatalf("redelivery: %d", w.Code)
	}
	events, dead := rec.Snapshot()
	if len(events) != len(published) {
		t.Fatalf("redelivery republished good events: %d, want %d", len(events), len(published))
	}
	if len(dead) == 0 {
		t.Fatal("dead letters not written on redelivery")
	}
}

func TestSecretsNeverFormatted(t *testing.T) {
	cfg := ChannelConfig{TeamID: "t", Secret: "s3cr3t-value"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "channel", cfg, "secret", cfg.Secret)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "channel", cfg, "secret", cfg.Secret)
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s|%q|%x|%v", cfg.Secret, cfg.Secret, cfg.Secret, cfg.Secret), logged.String(),
	} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, fmt.Sprintf("%x", "s3cr3t")) {
			t.Fatalf("secret leaked: %s", s)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{MaxBodyBytes: 0, RecentIDs: -1, RetryAfter: 0}.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"MaxBodyBytes", "RecentIDs", "RetryAfter"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if _, err := New(DefaultConfig(), Deps{}); err == nil || !strings.Contains(err.Error(), "Channels") {
		t.Fatalf("missing deps not reported: %v", err)
	}
}
