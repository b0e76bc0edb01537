package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/omnistream/omnistream/internal/chdb"
)

// Report is everything a run measured.
type Report struct {
	Date     time.Time          `json:"date"`
	Machine  Machine            `json:"machine"`
	Config   RunConfig          `json:"config"`
	Seconds  float64            `json:"total_seconds"`
	Produce  *ProduceResult     `json:"produce,omitempty"`
	Pipeline *PipelineResult    `json:"pipeline,omitempty"`
	Peer     *KafkaEngineResult `json:"kafka_engine,omitempty"`
	Ceilings []CeilingResult    `json:"ceilings,omitempty"`
	Ingest   []IngestResult     `json:"ingest_api,omitempty"`
	Drain    *DrainResult       `json:"ingest_drain,omitempty"`
	Fresh    *FreshnessResult   `json:"freshness,omitempty"`
	State    []StateResult      `json:"state,omitempty"`
	Data     *QueryData         `json:"query_data,omitempty"`
	Queries  []QueryResult      `json:"queries,omitempty"`
	Ratios   map[string]float64 `json:"ratios,omitempty"`
	Goals    []Goal             `json:"goals"`
	Errors   []string           `json:"errors,omitempty"`
	// Quiet records the waits for a quiet machine before the throughput
	// benchmarks.
	Quiet []QuietWait `json:"quiet_waits,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	Cores      int     `json:"cores"`
	MemoryGiB  float64 `json:"memory_gib"`
	GoVersion  string  `json:"go"`
	ClickHouse string  `json:"clickhouse"`
	LoadStart  string  `json:"loadavg_start"`
	LoadEnd    string  `json:"loadavg_end"`
}

// RunConfig is the part of Config a reader needs.
type RunConfig struct {
	Events     int    `json:"events"`
	Teams      int    `json:"teams"`
	Partitions int32  `json:"partitions"`
	Seed       uint64 `json:"seed"`
}

// Goal is one target of the issue and how the run fared.
type Goal struct {
	Name   string  `json:"name"`
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Met    bool    `json:"met"`
	Note   string  `json:"note,omitempty"`
}

// QuietWait is one wait for the machine to be quiet.
type QuietWait struct {
	Before     string  `json:"before"`
	Waited     float64 `json:"waited_s"`
	OtherCores float64 `json:"other_processes_cores"` // in the last second of the wait
}

// DrainResult is the processors catching up with what benchmark 4 accepted.
type DrainResult struct {
	Events  uint64  `json:"events"`
	Seconds float64 `json:"seconds"`
	Done    bool    `json:"done"`
}

// Run runs every benchmark the config selects, in an order that keeps them
// from disturbing each other: identity state first (nothing else on the
// heap), then the stream and benchmarks 1, 2, 3 on it, the 50 M-event
// query data built from benchmark 1's output and benchmark 7, and last the
// live deployment for benchmarks 4 and 5. A failing benchmark is recorded
// and the run goes on.
func (r *Runner) Run(ctx context.Context, startEnv func() (*Env, error)) *Report {
	rep := &Report{Date: time.Now().UTC(), Config: RunConfig{Events: r.Cfg.Events, Teams: r.Cfg.Teams, Partitions: r.Cfg.Partitions, Seed: 1}}
	rep.Machine = Machine{Cores: runtime.NumCPU(), MemoryGiB: float64(statusMemTotalKB()) / (1 << 20), GoVersion: runtime.Version(), LoadStart: LoadAvg()}
	start := time.Now()
	fail := func(what string, err error) {
		msg := fmt.Sprintf("%s: %v", what, err)
		rep.Errors = append(rep.Errors, msg)
		r.Printf("FAILED %s", msg)
	}
	defer func() {
		rep.Seconds = time.Since(start).Seconds()
		rep.Machine.LoadEnd = LoadAvg()
		rep.finish()
	}()
	if r.Has(6) {
		r.Printf("[6/7] identity state per contact")
		for _, n := range r.Cfg.StateContacts {
			res, err := r.State(n)
			if err != nil {
				fail("state", err)
				break
			}
			r.Printf("  %d contacts: %.0f bytes/contact", res.Contacts, res.BytesPerContact)
			rep.State = append(rep.State, *res)
		}
	}
	if !(r.Has(1) || r.Has(2) || r.Has(3) || r.Has(4) || r.Has(5) || r.Has(7)) {
		return rep
	}
	env, err := startEnv()
	if err != nil {
		fail("start the embedded ClickHouse", err)
		return rep
	}
	r.Env = env
	if res, err := env.Engine.Query(ctx, "SELECT version()", "TSV"); err == nil {
		rep.Machine.ClickHouse = "chDB " + chdb.Version + " (ClickHouse " + strings.TrimSpace(string(res.Data)) + ")"
	}
	var s *Stream
	if r.Has(1) || r.Has(2) || r.Has(3) || r.Has(7) {
		r.Printf("generating %d events of %d teams into Kafka (%d partitions)", r.Cfg.Events, r.Cfg.Teams, r.Cfg.Partitions)
		if s, err = r.ProduceStream(ctx); err != nil {
			fail("produce the stream", err)
			return rep
		}
		rep.Produce = &s.Produce
		rep.Config.Seed = s.Cfg.Seed
	}
	if r.Has(1) || r.Has(7) {
		r.Printf("[1/7] pipeline: Kafka → processors → ClickHouse")
		r.quiet(rep, "pipeline")
		if rep.Pipeline, err = r.Pipeline(ctx, s, "omnistream"); err != nil {
			fail("pipeline", err)
		}
	}
	if r.Has(2) {
		r.Printf("[2/7] ClickHouse Kafka engine on the same topic")
		r.quiet(rep, "kafka engine")
		if rep.Peer, err = r.KafkaEngine(ctx, s); err != nil {
			fail("kafka engine", err)
		}
	}
	if r.Has(3) {
		r.Printf("[3/7] ceilings: straight INSERTs of the same events")
		r.quiet(rep, "ceilings")
		if rep.Ceilings, err = r.Ceilings(ctx, s); err != nil {
			fail("ceilings", err)
		}
	}
	if r.Has(7) && rep.Pipeline != nil {
		r.Printf("[7/7] report queries over %d events", r.Cfg.QueryEvents)
		if rep.Data, err = r.BuildQueryData(ctx, "omnistream", "queries"); err != nil {
			fail("query data", err)
		} else if rep.Queries, err = r.Queries(ctx, "queries", rep.Data.Replicas); err != nil {
			fail("queries", err)
		}
	}
	if r.Has(4) || r.Has(5) {
		l, err := r.StartLive(ctx)
		if err != nil {
			fail("start the live deployment", err)
			return rep
		}
		defer l.App.Close()
		accepted := 0
		r.Printf("[4/7] ingest API, acks=all")
		r.quiet(rep, "ingest API")
		for _, b := range []int{1, 100, 1000} {
			res, err := r.Ingest(ctx, l, b)
			if err != nil {
				fail(fmt.Sprintf("ingest batch %d", b), err)
				continue
			}
			accepted += res.Events
			rep.Ingest = append(rep.Ingest, *res)
		}
		if r.Has(5) {
			r.Printf("  waiting for the processors to catch up with %d accepted events", accepted)
			rep.Drain, err = r.drain(ctx, l, uint64(accepted))
			if err != nil {
				fail("drain", err)
			}
			maxRate := 0.0
			for _, in := range rep.Ingest {
				maxRate = max(maxRate, in.Rate)
			}
			if rep.Pipeline != nil {
				maxRate = min(maxRate, rep.Pipeline.Rate)
			}
			if maxRate > 0 {
				r.Printf("[5/7] freshness at %.0f events/s (half of %.0f)", maxRate/2, maxRate)
				if rep.Fresh, err = r.Freshness(ctx, l, maxRate); err != nil {
					fail("freshness", err)
				}
			}
		}
	}
	return rep
}

// quiet waits up to QuietWait for the shared machine to be quiet before a
// throughput benchmark, and records what it found.
func (r *Runner) quiet(rep *Report, what string) {
	if r.Cfg.QuietWait <= 0 {
		return
	}
	waited, other := WaitQuiet(r.Cfg.QuietWait)
	if waited > 2*time.Second || other >= quietCores {
		r.Printf("  waited %.0f s for the machine to be quiet; other processes use %.2f cores", waited.Seconds(), other)
	}
	rep.Quiet = append(rep.Quiet, QuietWait{Before: what, Waited: waited.Seconds(), OtherCores: other})
}

// drain waits until the live deployment's events table holds want events.
func (r *Runner) drain(ctx context.Context, l *Live, want uint64) (*DrainResult, error) {
	conn, err := r.Env.Conn(ctx, "live")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	start := time.Now()
	res := &DrainResult{}
	for time.Since(start) < r.Cfg.DrainCap {
		n, err := count(ctx, conn, "SELECT count() FROM events")
		if err != nil {
			return nil, err
		}
		res.Events = n
		if n >= want {
			res.Done = true
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func statusMemTotalKB() int64 {
	b, err := readFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(b, "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			var v int64
			fmt.Sscanf(strings.TrimSpace(line[len("MemTotal:"):]), "%d", &v)
			return v
		}
	}
	return 0
}
