package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/teams"
)

type recorder struct{ got map[string]int }

func (r *recorder) Publish(_ context.Context, team string, evs []event.Event) error {
	r.got[team] += len(evs)
	return nil
}

func post(h http.Handler, team, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(body))
	t := teams.New(team, team, "TW")
	req = req.WithContext(teams.WithTeam(req.Context(), &t))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitPerTeam(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.Burst = 0.001, 2
	pub := &recorder{got: map[string]int{}}
	h, err := New(cfg, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"event_id":"e1","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`
	for i, want := range []int{202, 202, 429} {
		rec := post(h, "a", body)
		if rec.Code != want {
			t.Fatalf("request %d of team a: %d, want %d: %s", i, rec.Code, want, rec.Body)
		}
		if want == 429 && (rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"rate: more than`)) {
			t.Fatalf("429 without Retry-After or reason: %v %s", rec.Header(), rec.Body)
		}
	}
	if rec := post(h, "b", body); rec.Code != 202 {
		t.Fatalf("team b limited by team a's traffic: %d", rec.Code)
	}
	if pub.got["a"] != 2 || pub.got["b"] != 1 {
		t.Fatalf("published %v, want a:2 b:1", pub.got)
	}
}

func TestEventCountLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEvents = 2
	h, _ := New(cfg, &recorder{got: map[string]int{}}, nil)
	ev := `{"event_id":"e1","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`
	rec := post(h, "a", ev+"\n"+ev+"\n"+ev)
	if rec.Code != 413 || strings.TrimSpace(rec.Body.String()) != `{"error":"body: 3 events is more than the limit of 2 per request; split the batch"}` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
