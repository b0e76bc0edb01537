// Package bench is Omnistream's end-to-end benchmark suite (`make bench`).
//
// One process starts the embedded deployment's infrastructure (chDB served
// over the ClickHouse HTTP interface, kfake brokers on loopback TCP) and
// measures, with a deterministic generated stream (internal/gen):
//
//  1. pipeline throughput, Kafka → processors → ClickHouse, with CPU and peak RSS;
//  2. ClickHouse's own Kafka table engine consuming the same topic into a MergeTree;
//  3. the same events inserted straight into ClickHouse as JSONEachRow and as Arrow;
//  4. the ingest API's accepted events/s with acks=all at batch sizes 1, 100, 1000;
//  5. freshness from "accepted by the ingest API" to "visible in the broadcast report";
//  6. identity state bytes per contact at 1 M and 5 M contacts;
//  7. report query latency over 50 M events.
//
// Results come out as a Report, written as Markdown and JSON by
// cmd/omnibench. The smoke test of this package (part of `make test`) runs a
// small stream through the whole pipeline and checks exact counts.
package bench

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/omnistream/omnistream/internal/gen"
)

// Config sizes a run.
type Config struct {
	// Events of the pipeline stream. Default 10,000,000.
	Events int
	// Teams of the stream (skewed sizes). Default 100.
	Teams int
	// Partitions of the events topic. Default 4.
	Partitions int32
	// PipelineCap bounds benchmark 1. Default 2 minutes.
	PipelineCap time.Duration
	// KafkaEngineCap bounds benchmark 2. Default 60 s.
	KafkaEngineCap time.Duration
	// KafkaEngineSettings tune the Kafka table: consumers, threads, block
	// size, flush interval. Default: the best of those tried on this
	// machine (see DefaultKafkaEngineSettings).
	KafkaEngineSettings string
	// CeilingEvents are inserted per format in benchmark 3. Default 2,000,000.
	CeilingEvents int
	// IngestSeconds per batch size in benchmark 4. Default 8 s.
	IngestSeconds float64
	// IngestConcurrency is requests in flight in benchmark 4. Default 8.
	IngestConcurrency int
	// DrainCap bounds the wait for the processors to catch up with
	// benchmark 4 before benchmark 5. Default 2 minutes.
	DrainCap time.Duration
	// FreshnessSeconds of load in benchmark 5. Default 30 s.
	FreshnessSeconds float64
	// StateContacts are the sizes of benchmark 6. Default 1 M and 5 M.
	StateContacts []int
	// QueryEvents of benchmark 7. Default 50,000,000.
	QueryEvents int
	// QueryRuns per report in benchmark 7. Default 40.
	QueryRuns int
	// QueryBudget bounds each report's runs after the fifth. Default 40 s.
	QueryBudget time.Duration
	// QuietWait is how long to wait, before each throughput benchmark, for
	// other processes to use less than 0.3 cores. Default 45 s; 0 skips.
	QuietWait time.Duration
	// ProfileDir receives CPU profiles; empty writes none.
	ProfileDir string
	// Phases to run (1-7); empty runs all.
	Phases []int
}

// DefaultKafkaEngineSettings are the Kafka table settings of benchmark 2.
const DefaultKafkaEngineSettings = "kafka_num_consumers = 2, kafka_thread_per_consumer = 1, kafka_max_block_size = 1048576, kafka_flush_interval_ms = 1000"

// DefaultConfig is the full run of `make bench`.
func DefaultConfig() Config {
	return Config{Events: 10_000_000, Teams: 100, Partitions: 4, PipelineCap: 2 * time.Minute, KafkaEngineCap: time.Minute, KafkaEngineSettings: DefaultKafkaEngineSettings,
		CeilingEvents: 2_000_000, IngestSeconds: 8, IngestConcurrency: 8, DrainCap: 2 * time.Minute, FreshnessSeconds: 30,
		StateContacts: []int{1_000_000, 5_000_000}, QueryEvents: 50_000_000, QueryRuns: 40, QueryBudget: 40 * time.Second, QuietWait: 45 * time.Second}
}

// Runner runs the benchmarks in one environment.
type Runner struct {
	Cfg    Config
	Env    *Env
	Log    *slog.Logger
	Status io.Writer // progress lines; nil for none
}

// Has reports whether phase p runs.
func (r *Runner) Has(p int) bool {
	if len(r.Cfg.Phases) == 0 {
		return true
	}
	for _, x := range r.Cfg.Phases {
		if x == p {
			return true
		}
	}
	return false
}

// Printf writes a status line.
func (r *Runner) Printf(format string, args ...any) {
	if r.Status != nil {
		fmt.Fprintf(r.Status, format+"\n", args...)
	}
}

// progress returns a progress callback printing one updating line.
func (r *Runner) progress(what string, total int) func(gen.Progress) {
	return func(p gen.Progress) {
		if r.Status == nil {
			return
		}
		pct := ""
		if total > 0 {
			pct = fmt.Sprintf(" %5.1f%%", 100*float64(p.Events)/float64(total))
		}
		fmt.Fprintf(r.Status, "\r  %-30s %10d events%s  %8.0f events/s  %5.1fs   ", what, p.Events, pct, p.Rate(), p.Elapsed.Seconds())
		if p.Done {
			fmt.Fprintln(r.Status)
		}
	}
}

func progressOf(n int, start time.Time, done bool) gen.Progress {
	return gen.Progress{Events: n, Elapsed: time.Since(start), Done: done}
}
