package adsync

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

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

func call(t *testing.T, url, team, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
	req.Header.Set("X-Test-Team", team)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func TestHandler(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	store, _ := newStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2024, 1, 30, 0, 0, 0, 0, tpe))
	s, rec := startScheduler(t, store, clock, DefaultConfig())
	mux := http.NewServeMux()
	NewHandler(DefaultConfig(), s, nil).Register(mux, asTeam)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var sc Schedule
	body := `{"audience_id":"a1","target":{"platform":"meta_custom_audience","account":"act_1","audience_id":"ca1"},
        "mode":"incremental","kind":"every","every":1,"unit":"month","start_at":"2024-01-31T10:00:00"}`
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs", body, &sc); code != http.StatusCreated || len(sc.NextRuns) != 10 {
		t.Fatalf("create: %d %+v", code, sc)
	}
	if render(sc.NextRuns[:2]) != "2024-01-31 10:00 +08:00, 2024-02-29 10:00 +08:00" {
		t.Errorf("next runs %s", render(sc.NextRuns))
	}
	var bad struct {
		Error    string   `json:"error"`
		Problems []string `json:"problems"`
	}
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs", `{"audience_id":"a1","target":{"platform":"x"},"kind":"every"}`, &bad); code != 400 || len(bad.Problems) < 3 {
		t.Errorf("invalid create: %d %+v", code, bad)
	}
	if code := call(t, srv.URL, "t2", "GET", "/v1/audience-syncs/"+sc.ID, "", nil); code != http.StatusNotFound {
		t.Errorf("another team reads the schedule: %d", code)
	}
	var skipped Schedule
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs/"+sc.ID+"/skip", `{"at":"2024-02-29T10:00:00+08:00"}`, &skipped); code != 200 ||
		render(skipped.NextRuns[:2]) != "2024-01-31 10:00 +08:00, 2024-03-31 10:00 +08:00" {
		t.Errorf("skip: %d %s", code, render(skipped.NextRuns))
	}
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs/"+sc.ID+"/skip", `{"at":"2024-02-28T10:00:00+08:00"}`, nil); code != 400 {
		t.Errorf("skip a time that is no run: %d", code)
	}
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs/"+sc.ID+"/run", "", nil); code != http.StatusAccepted {
		t.Errorf("run now: %d", code)
	}
	if f := rec.next(t); f.trigger != TriggerManual || f.schedule != sc.ID {
		t.Errorf("manual run %+v", f)
	}
	var runs struct{ Runs []Run }
	if code := call(t, srv.URL, "t1", "GET", "/v1/audience-syncs/"+sc.ID+"/runs", "", &runs); code != 200 || len(runs.Runs) != 1 || runs.Runs[0].Trigger != TriggerManual {
		t.Errorf("history: %d %+v", code, runs)
	}
	if code := call(t, srv.URL, "t1", "POST", "/v1/audience-syncs/"+sc.ID+"/runs/"+runs.Runs[0].ID+"/cancel", "", nil); code != 400 {
		t.Errorf("cancel a finished run: %d", code)
	}
	var list struct{ Schedules []Schedule }
	if code := call(t, srv.URL, "t1", "GET", "/v1/audience-syncs?audience_id=a1", "", &list); code != 200 || len(list.Schedules) != 1 {
		t.Errorf("list: %d %+v", code, list)
	}
	if code := call(t, srv.URL, "t2", "GET", "/v1/audience-syncs", "", &list); code != 200 || len(list.Schedules) != 0 {
		t.Errorf("another team's list: %d %+v", code, list)
	}
	var cancelled Schedule
	if code := call(t, srv.URL, "t1", "DELETE", "/v1/audience-syncs/"+sc.ID, "", &cancelled); code != 200 || cancelled.Status != StatusCancelled {
		t.Errorf("cancel: %d %+v", code, cancelled)
	}
}
