package bench

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/sinks/schema"
)

// ProduceResult is the generator writing the stream to Kafka.
type ProduceResult struct {
	Events  int     `json:"events"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"events_per_s"`
	MB      float64 `json:"mb"`
	AvgSize float64 `json:"avg_event_bytes"`
}

// PipelineResult is benchmark 1.
type PipelineResult struct {
	Target     int     `json:"target_events"`
	Events     uint64  `json:"events"`   // rows in events when the run ended
	Complete   bool    `json:"complete"` // every event reached ClickHouse before the time cap
	Seconds    float64 `json:"seconds"`  // processors' start to the end
	Rate       float64 `json:"events_per_s"`
	SteadyRate float64 `json:"steady_events_per_s"` // from the first rows to the end
	Partitions int     `json:"partitions"`
	Teams      int     `json:"teams"`
	Usage      Usage   `json:"usage"`
	// Rows written per table by the processors.
	Rows map[string]uint64 `json:"rows"`
	// PartitionEvents are the events of each partition: teams are keyed to
	// partitions, so skewed team sizes load the partitions unevenly.
	PartitionEvents []uint64 `json:"partition_events"`
	Profile         string   `json:"cpu_profile,omitempty"`
}

// Stream is the generated stream all throughput benchmarks share.
type Stream struct {
	Cfg      gen.Config
	Brokers  []string
	Topic    string
	Expected gen.Expected
	Produce  ProduceResult
}

// ProduceStream writes the stream to a new broker's events topic.
func (r *Runner) ProduceStream(ctx context.Context) (*Stream, error) {
	brokers, err := r.Env.Broker(ctx, "pipeline", r.Cfg.Partitions)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(gen.ProducerOpts(), kgo.SeedBrokers(brokers...))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	cfg := gen.LoadConfig(r.Cfg.Events, r.Cfg.Teams)
	start := time.Now()
	exp, err := gen.ToKafka(ctx, cl, "omni.events", cfg, gen.Options{Progress: r.progress("generate → kafka", cfg.MaxEvents)})
	if err != nil {
		return nil, fmt.Errorf("produce the stream: %w", err)
	}
	el := time.Since(start).Seconds()
	s := &Stream{Cfg: cfg, Brokers: brokers, Topic: "omni.events", Expected: exp}
	s.Produce = ProduceResult{Events: exp.Events, Seconds: el, Rate: float64(exp.Events) / el}
	return s, nil
}

// Pipeline runs benchmark 1: every processor consumes the stream into
// database until every event is in ClickHouse or the time cap passes.
func (r *Runner) Pipeline(ctx context.Context, s *Stream, database string) (*PipelineResult, error) {
	conn, err := r.Env.Conn(ctx, database)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// The schema is applied before the clock starts (the deployment's own
	// Apply then finds nothing to do).
	if _, err := schema.Apply(ctx, conn, schema.DefaultConfig(), nil); err != nil {
		return nil, err
	}
	res := &PipelineResult{Target: s.Expected.Events, Partitions: int(r.Cfg.Partitions), Teams: s.Cfg.Teams}
	if r.Cfg.ProfileDir != "" {
		res.Profile = r.Cfg.ProfileDir + "/pipeline.cpu.pprof"
		f, err := os.Create(res.Profile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	m := StartMeter()
	start := time.Now()
	a, err := r.Env.App(ctx, s.Brokers, database, r.Cfg.Partitions, app.RoleProcess)
	if err != nil {
		m.Stop()
		return nil, err
	}
	defer a.Close()
	deadline := start.Add(r.Cfg.PipelineCap)
	prog := r.progress("pipeline kafka → clickhouse", s.Expected.Events)
	var first time.Time
	var firstN uint64
	for {
		n, err := count(ctx, conn, "SELECT count() FROM events")
		if err != nil {
			m.Stop()
			return nil, err
		}
		now := time.Now()
		if n > 0 && first.IsZero() {
			first, firstN = now, n
		}
		res.Events = n
		done := n >= uint64(s.Expected.Events)
		prog(gen.Progress{Events: int(n), Elapsed: now.Sub(start), Done: done || now.After(deadline)})
		if done || now.After(deadline) {
			res.Complete = done
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	end := time.Now()
	res.Usage = m.Stop()
	res.Seconds = end.Sub(start).Seconds()
	res.Rate = float64(res.Events) / res.Seconds
	if !first.IsZero() && end.Sub(first) > 0 {
		res.SteadyRate = float64(res.Events-firstN) / end.Sub(first).Seconds()
	}
	a.Close()
	res.Rows = map[string]uint64{}
	for _, t := range []string{"events", "contact_map", "customers", "merge_log", "contact_updates", "contact_attributes"} {
		n, err := count(ctx, conn, "SELECT count() FROM "+t)
		if err != nil {
			return nil, err
		}
		res.Rows[t] = n
	}
	rows, err := conn.Query(ctx, "SELECT kafka_partition, count() FROM events GROUP BY kafka_partition ORDER BY kafka_partition")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res.PartitionEvents = make([]uint64, r.Cfg.Partitions)
	for rows.Next() {
		var p uint32
		var n uint64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, err
		}
		if int(p) < len(res.PartitionEvents) {
			res.PartitionEvents[p] = n
		}
	}
	return res, rows.Err()
}

func count(ctx context.Context, conn clickhouse.Conn, q string) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	return n, nil
}
