package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/internal/teams"
)

// Live is a whole deployment (ingest, processors, reports) on a broker and
// database of its own, with teams and API keys, for benchmarks 4 and 5.
type Live struct {
	App   *app.App
	Teams []string
	Keys  map[string]string
	// ProbeKey is the key of team "probe", which only the freshness probes
	// write to: its report reads the probes, not the load.
	ProbeKey string
}

// liveTeams is enough teams that the ingest API's per-team request limit
// (200/s by default) does not bind when requests are spread over them.
const liveTeams = 50

// StartLive starts the deployment.
func (r *Runner) StartLive(ctx context.Context) (*Live, error) {
	brokers, err := r.Env.Broker(ctx, "live", r.Cfg.Partitions)
	if err != nil {
		return nil, err
	}
	a, err := r.Env.App(ctx, brokers, "live", r.Cfg.Partitions)
	if err != nil {
		return nil, err
	}
	l := &Live{App: a, Keys: map[string]string{}}
	for i := range liveTeams + 1 {
		id := "live-" + strconv.Itoa(i)
		if i == liveTeams {
			id = "probe"
		}
		if _, err := a.Teams.Put(ctx, teams.New(id, id, "TW")); err != nil {
			a.Close()
			return nil, err
		}
		key, err := a.Teams.CreateKey(ctx, id)
		if err != nil {
			a.Close()
			return nil, err
		}
		if id == "probe" {
			l.ProbeKey = key
			continue
		}
		l.Teams = append(l.Teams, id)
		l.Keys[id] = key
	}
	return l, nil
}

// Latency summarizes durations in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		i = min(max(i, 0), len(s)-1)
		return float64(s[i]) / 1e6
	}
	return Latency{N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: float64(s[len(s)-1]) / 1e6}
}

// IngestResult is one batch size of benchmark 4.
type IngestResult struct {
	Batch       int     `json:"batch"`
	Concurrency int     `json:"concurrency"`
	Events      int     `json:"events"`
	Requests    int     `json:"requests"`
	Throttled   int     `json:"throttled"` // 429 answers (retried)
	Seconds     float64 `json:"seconds"`
	Rate        float64 `json:"events_per_s"`
	Latency     Latency `json:"request_latency"`
	Usage       Usage   `json:"usage"`
}

// Ingest runs benchmark 4: clients post NDJSON batches of the stream to
// POST /v1/events (acks=all: a 202 means every record is acknowledged by
// the broker, which fsyncs), Concurrency requests in flight, for a fixed
// time per batch size. The bodies are built before the clock starts.
func (r *Runner) Ingest(ctx context.Context, l *Live, batch int) (*IngestResult, error) {
	res := &IngestResult{Batch: batch, Concurrency: r.Cfg.IngestConcurrency}
	// Enough requests for a generous rate; the run ends early if they run out.
	maxEvents := map[int]int{1: 60_000, 100: 1_500_000, 1000: 3_000_000}[batch]
	if maxEvents == 0 {
		maxEvents = 1_000_000
	}
	type req struct {
		key  string
		body []byte
		n    int
	}
	var reqs []req
	cfg := gen.LoadConfig(maxEvents, liveTeams)
	cfg.TeamPrefix = "ingest" + strconv.Itoa(batch) + "-"
	cfg.Start = time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	// Request i goes to team i mod the teams (round robin), so that no
	// team exceeds the API's per-team request rate; event ids stay unique.
	var cur req
	if _, err := gen.Generate(cfg, func(team string, e event.Event) error {
		e.TeamID = ""
		var err error
		if cur.body, err = event.AppendJSON(cur.body, &e); err != nil {
			return err
		}
		cur.body = append(cur.body, '\n')
		if cur.n++; cur.n == batch {
			cur.key = l.Keys[l.Teams[len(reqs)%len(l.Teams)]]
			reqs = append(reqs, cur)
			cur = req{}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: res.Concurrency, MaxConnsPerHost: res.Concurrency}}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var events, requests, throttled atomic.Int64
	var firstErr error
	deadline := time.Now().Add(time.Duration(r.Cfg.IngestSeconds * float64(time.Second)))
	prog := r.progress(fmt.Sprintf("ingest API batch %d", batch), 0)
	stop := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				prog(gen.Progress{Events: int(events.Load()), Elapsed: time.Since(start)})
			}
		}
	}()
	m := StartMeter()
	var wg sync.WaitGroup
	for range res.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if int(i) >= len(reqs) {
					return
				}
				rq := reqs[i]
				t0 := time.Now()
				err := post(ctx, cl, l.App.HTTPURL, rq.key, rq.body)
				for errors.Is(err, errThrottled) && time.Now().Before(deadline) {
					throttled.Add(1)
					time.Sleep(50 * time.Millisecond)
					err = post(ctx, cl, l.App.HTTPURL, rq.key, rq.body)
				}
				if errors.Is(err, errThrottled) {
					return
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
				events.Add(int64(rq.n))
				requests.Add(1)
			}
		}()
	}
	wg.Wait()
	res.Usage = m.Stop()
	close(stop)
	res.Seconds = time.Since(start).Seconds()
	prog(gen.Progress{Events: int(events.Load()), Elapsed: time.Since(start), Done: true})
	if firstErr != nil {
		return nil, firstErr
	}
	res.Events, res.Requests, res.Throttled = int(events.Load()), int(requests.Load()), int(throttled.Load())
	res.Rate = float64(res.Events) / res.Seconds
	res.Latency = summarize(lat)
	return res, nil
}

// errThrottled is a 429: the team sent more requests than its limit.
var errThrottled = errors.New("throttled (429)")

// post sends one NDJSON body and wants 202.
func post(ctx context.Context, cl *http.Client, base, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("post events: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		return errThrottled
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post events: status %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// FreshnessResult is benchmark 5.
type FreshnessResult struct {
	MaxRate    float64 `json:"max_sustained_events_per_s"` // the lower of pipeline and ingest API
	TargetRate float64 `json:"target_events_per_s"`        // half of it
	LoadRate   float64 `json:"achieved_events_per_s"`      // what the load generator achieved
	LoadEvents int     `json:"load_events"`
	Seconds    float64 `json:"seconds"`
	Probes     int     `json:"probes"`
	Missing    int     `json:"probes_not_visible"` // never visible before the end
	Latency    Latency `json:"accepted_to_visible"`
	// Stored is from the 202 to the probe's row in the events table
	// (count() polled every 10 ms): the pipeline's share of Latency.
	Stored Latency `json:"accepted_to_stored"`
	// Report is the broadcast report's own latency (each poll) meanwhile.
	Report Latency `json:"report_request"`
	PollMs float64 `json:"poll_interval_ms"`
	Usage  Usage   `json:"usage"`
}

// Freshness runs benchmark 5: load through the ingest API at half of
// maxRate (many teams, batches of 1,000), and meanwhile probes: every 100
// ms one message.delivered of a new contact for broadcast "fresh-probe" of
// team "probe", posted alone. The probes share partitions and processors
// with the load; their team has no other events, so the report polled is
// the probes' own. A probe's freshness is from its 202 to the first
// broadcast report (GET /v1/reports/broadcasts/fresh-probe, polled every
// 50 ms) whose delivered count includes it.
func (r *Runner) Freshness(ctx context.Context, l *Live, maxRate float64) (*FreshnessResult, error) {
	const probeID, poll = "fresh-probe", 50 * time.Millisecond
	res := &FreshnessResult{MaxRate: maxRate, TargetRate: maxRate / 2, PollMs: float64(poll) / 1e6}
	dur := time.Duration(r.Cfg.FreshnessSeconds * float64(time.Second))
	cfg := gen.LoadConfig(int(res.TargetRate*r.Cfg.FreshnessSeconds*1.2)+1000, liveTeams)
	cfg.TeamPrefix = "live-"
	cfg.Seed = 7
	cfg.Start = time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	lctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	m := StartMeter()
	start := time.Now()
	var loadErr error
	var loadProg gen.Progress
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := gen.Post(lctx, gen.PostConfig{URL: l.App.HTTPURL, Keys: l.Keys, Batch: 1000, Concurrency: 4}, cfg,
			gen.Options{Rate: res.TargetRate, Progress: func(p gen.Progress) {
				loadProg = p
				r.progress("freshness load", 0)(p)
			}})
		if err != nil && lctx.Err() == nil {
			loadErr = err
		}
	}()

	// Probes and the poller.
	key := l.ProbeKey
	cl := &http.Client{}
	var mu sync.Mutex
	var accepted []time.Time
	var visible, stored []time.Time
	var polls []time.Duration
	// A second poller reads the probes' rows straight from the events
	// table, splitting freshness into the pipeline's part and the report's.
	conn, err := r.Env.Conn(ctx, "live")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	sqlDone := make(chan struct{})
	go func() {
		defer close(sqlDone)
		for time.Since(start) < dur+15*time.Second {
			n, err := count(ctx, conn, "SELECT count() FROM events WHERE team_id = 'probe'")
			now := time.Now()
			if err == nil {
				mu.Lock()
				for len(stored) < int(n) && len(stored) < len(accepted) {
					stored = append(stored, now)
				}
				done := time.Since(start) > dur && len(stored) >= len(accepted)
				mu.Unlock()
				if done {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for {
			t0 := time.Now()
			n, err := deliveredLine(ctx, cl, l.App.HTTPURL, key, probeID)
			now := time.Now()
			if err == nil {
				mu.Lock()
				polls = append(polls, now.Sub(t0))
				for len(visible) < int(n) && len(visible) < len(accepted) {
					visible = append(visible, now)
				}
				done := time.Since(start) > dur && len(visible) >= len(accepted)
				mu.Unlock()
				if done {
					return
				}
			}
			if time.Since(start) > dur+15*time.Second {
				return
			}
			time.Sleep(poll)
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	for k := 0; time.Since(start) < dur; k++ {
		<-tick.C
		e := event.Event{EventID: "probe-" + strconv.Itoa(k), Type: event.MessageDelivered, TS: event.MilliTime(time.Now()),
			Channel: event.Channel{Type: event.ChannelLINE, ID: "line-oa-1"}, Contact: event.Contact{ChannelUserID: "probe-u" + strconv.Itoa(k)},
			Source: event.Source{Kind: "broadcast", ID: probeID}, MessageID: probeID + "-m"}
		body, err := event.AppendJSON(nil, &e)
		if err != nil {
			return nil, err
		}
		// The poller counts probes in order: a probe is accepted before
		// the next is sent.
		if err := post(ctx, cl, l.App.HTTPURL, key, body); err != nil {
			tick.Stop()
			return nil, fmt.Errorf("freshness probe: %w", err)
		}
		mu.Lock()
		accepted = append(accepted, time.Now())
		mu.Unlock()
	}
	tick.Stop()
	wg.Wait()
	<-pollDone
	<-sqlDone
	res.Usage = m.Stop()
	if loadErr != nil {
		return nil, fmt.Errorf("freshness load: %w", loadErr)
	}
	res.Seconds = dur.Seconds()
	res.LoadEvents = loadProg.Events
	res.LoadRate = float64(loadProg.Events) / dur.Seconds()
	mu.Lock()
	defer mu.Unlock()
	res.Probes = len(accepted)
	res.Missing = len(accepted) - len(visible)
	var ds []time.Duration
	for i, v := range visible {
		ds = append(ds, max(0, v.Sub(accepted[i])))
	}
	res.Latency = summarize(ds)
	ds = ds[:0]
	for i, v := range stored {
		ds = append(ds, max(0, v.Sub(accepted[i])))
	}
	res.Stored = summarize(ds)
	res.Report = summarize(polls)
	return res, nil
}

// deliveredLine reads the LINE delivered count of a broadcast report.
func deliveredLine(ctx context.Context, cl *http.Client, base, key, id string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/reports/broadcasts/"+id, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return 0, nil
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("broadcast report: status %s", resp.Status)
	}
	var rep struct {
		Channels []struct {
			Channel   string `json:"channel"`
			Delivered uint64 `json:"delivered"`
		} `json:"channels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return 0, err
	}
	for _, c := range rep.Channels {
		if c.Channel == event.ChannelLINE {
			return c.Delivered, nil
		}
	}
	return 0, nil
}
