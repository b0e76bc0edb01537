package gen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/omnistream/omnistream/ingest/event"
)

// TestPost sends a multi-team stream to a fake ingest API: every event
// arrives once, under its team's key, without team_id, in NDJSON batches of
// at most Batch events; a 503 is retried with the same body.
func TestPost(t *testing.T) {
	cfg := LoadConfig(3000, 3)
	keys := map[string]string{"team-0": "k0", "team-1": "k1", "team-2": "k2"}
	var mu sync.Mutex
	got := map[string]int{} // key → events
	ids := map[string]bool{}
	refused := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if refused < 2 {
			refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		lines := bytes.Split(bytes.TrimSpace(body), []byte("\n"))
		if len(lines) > 500 {
			t.Errorf("request of %d events, batch is 500", len(lines))
		}
		for _, l := range lines {
			e, err := event.Decode(l)
			if err != nil {
				t.Errorf("bad event %s: %v", l, err)
				continue
			}
			if e.TeamID != "" {
				t.Errorf("event %s carries team_id", e.EventID)
			}
			if want := keys[strings.SplitN(e.EventID, "-", 3)[0]+"-"+strings.SplitN(e.EventID, "-", 3)[1]]; want != key {
				t.Errorf("event %s sent with key %s, want %s", e.EventID, key, want)
			}
			if ids[e.EventID] {
				t.Errorf("event %s sent twice", e.EventID)
			}
			ids[e.EventID] = true
			got[key]++
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var last Progress
	exp, err := Post(context.Background(), PostConfig{URL: srv.URL, Keys: keys, Batch: 500, Concurrency: 3}, cfg,
		Options{Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != exp.Events || exp.Events != 3000 {
		t.Fatalf("%d events arrived, %d generated", len(ids), exp.Events)
	}
	for team, key := range keys {
		n := 0
		for _, c := range exp.Types[team] {
			n += c
		}
		if got[key] != n {
			t.Errorf("team %s: %d events arrived, want %d", team, got[key], n)
		}
	}
	if !last.Done || last.Events != exp.Events {
		t.Fatalf("last progress %+v", last)
	}
}

// TestPostRefused stops at the first refusal other than 503 and says why.
func TestPostRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"errors":[{"index":0,"field":"ts","message":"is required"}]}`)
	}))
	defer srv.Close()
	_, err := Post(context.Background(), PostConfig{URL: srv.URL, Key: "k"}, DefaultConfig(), Options{})
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "is required") {
		t.Fatalf("err = %v", err)
	}
}
