package bench

import (
	"fmt"
	"os"
	"strings"
)

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// finish computes the ratios and the goals.
func (rep *Report) finish() {
	rep.Ratios = map[string]float64{}
	var jsonRate, arrowRate, jsonPerCPU float64
	for _, c := range rep.Ceilings {
		switch c.Format {
		case "JSONEachRow":
			jsonRate = c.Rate
			jsonPerCPU = 1e6 / c.CPUPerRow
		case "ArrowStream":
			arrowRate = c.Rate
		}
	}
	// Events per CPU-second do not depend on what else the shared machine
	// was doing meanwhile; the ratios are also given in those terms.
	var pipePerCPU, peerPerCPU float64
	if p := rep.Pipeline; p != nil && p.Usage.CPU > 0 {
		pipePerCPU = float64(p.Events) / p.Usage.CPU
		rep.Ratios["pipeline_events_per_cpu_s"] = pipePerCPU
	}
	if c := rep.Peer; c != nil && c.Usage.CPU > 0 {
		peerPerCPU = float64(c.Events) / c.Usage.CPU
		rep.Ratios["kafka_engine_events_per_cpu_s"] = peerPerCPU
	}
	perCPU := func(a, b float64, key string) string {
		if a == 0 || b == 0 {
			return ""
		}
		rep.Ratios[key] = a / b
		return fmt.Sprintf("per CPU-second: %.2f×", a/b)
	}
	rep.Goals = nil
	if p := rep.Pipeline; p != nil {
		note := fmt.Sprintf("process used %.2f cores, other processes on the machine %.2f cores; %.1f µs CPU per event", p.Usage.Cores, p.Usage.OtherCores, p.Usage.CPU/float64(max(p.Events, 1))*1e6)
		if !p.Complete {
			note += fmt.Sprintf("; time cap reached after %d of %d events", p.Events, p.Target)
		}
		rep.Goals = append(rep.Goals, Goal{Name: "pipeline throughput, every processor on", Target: "≥ 200,000 events/s", Value: p.Rate, Unit: "events/s", Met: p.Rate >= 200_000, Note: note})
		if rep.Peer != nil && rep.Peer.Available && rep.Peer.Rate > 0 {
			x := p.Rate / rep.Peer.Rate
			rep.Ratios["pipeline/kafka_engine"] = x
			rep.Goals = append(rep.Goals, Goal{Name: "pipeline / ClickHouse Kafka engine", Target: "≥ 3×", Value: x, Unit: "×", Met: x >= 3,
				Note: perCPU(pipePerCPU, peerPerCPU, "pipeline/kafka_engine_per_cpu")})
		} else if rep.Peer != nil {
			rep.Goals = append(rep.Goals, Goal{Name: "pipeline / ClickHouse Kafka engine", Target: "≥ 3×", Unit: "×", Note: "no peer number: " + rep.Peer.Reason})
		}
		if jsonRate > 0 {
			x := p.Rate / jsonRate
			rep.Ratios["pipeline/jsoneachrow"] = x
			rep.Goals = append(rep.Goals, Goal{Name: "pipeline / JSONEachRow ceiling", Target: "≥ 0.5×", Value: x, Unit: "×", Met: x >= 0.5,
				Note: perCPU(pipePerCPU, jsonPerCPU, "pipeline/jsoneachrow_per_cpu")})
		}
		if arrowRate > 0 {
			rep.Ratios["pipeline/arrow"] = p.Rate / arrowRate
		}
	}
	if f := rep.Fresh; f != nil {
		rep.Goals = append(rep.Goals, Goal{Name: "freshness p99 at half the max rate", Target: "≤ 2 s", Value: f.Latency.P99 / 1000, Unit: "s",
			Met:  f.Latency.N > 0 && f.Missing == 0 && f.Latency.P99 <= 2000,
			Note: fmt.Sprintf("p50 %.2f s at %.0f events/s achieved (target %.0f)", f.Latency.P50/1000, f.LoadRate, f.TargetRate)})
	}
	for _, s := range rep.State {
		rep.Goals = append(rep.Goals, Goal{Name: fmt.Sprintf("identity state at %s contacts", human(float64(s.Contacts))), Target: "≤ 300 bytes/contact", Value: s.BytesPerContact, Unit: "bytes/contact", Met: s.BytesPerContact <= 300})
	}
	for _, q := range rep.Queries {
		rep.Goals = append(rep.Goals, Goal{Name: q.Report + " report p95", Target: "≤ 100 ms", Value: q.Latency.P95, Unit: "ms", Met: q.Errors == 0 && q.Latency.N > 0 && q.Latency.P95 <= 100,
			Note: fmt.Sprintf("p50 %.0f ms, %d runs, %d errors", q.Latency.P50, q.Latency.N, q.Errors)})
	}
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + " M"
	case v >= 1e3:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + " k"
	}
	return fmt.Sprintf("%.0f", v)
}

func num(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// Markdown renders the report.
func (rep *Report) Markdown(profileTop string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := rep.Machine
	w("# Omnistream benchmark, %s\n\n", rep.Date.Format("2006-01-02 15:04 UTC"))
	w("`make bench` on the embedded deployment: one process, chDB served over the ClickHouse HTTP interface, kfake brokers on loopback TCP with synchronous writes. ")
	w("Machine: %d cores, %.0f GiB, %s, %s. Load average %s at the start, %s at the end; the \"other processes\" figures below are what the rest of the machine used meanwhile (from /proc/stat), because this machine is shared. Whole run: %.0f s.\n\n",
		m.Cores, m.MemoryGiB, m.GoVersion, m.ClickHouse, m.LoadStart, m.LoadEnd, rep.Seconds)
	if p := rep.Produce; p != nil {
		w("Stream: `internal/gen` load mix, seed %d, %s events of %d teams (team i has 1/(i+1) of the largest team's contacts), %d partitions keyed by team; contacts on LINE, Messenger, Instagram and WhatsApp with social and phone bindings (merges and refused merges), 3 broadcasts and a 3-node journey per team with deliveries, failures, reads/opens, clicks, replies, tags (and removals), pixel page views and orders. Written to Kafka by the generator at %s events/s.\n\n",
			rep.Config.Seed, num(float64(p.Events)), rep.Config.Teams, rep.Config.Partitions, num(p.Rate))
	}
	if len(rep.Quiet) > 0 {
		var parts []string
		for _, q := range rep.Quiet {
			parts = append(parts, fmt.Sprintf("%s %.0f s (others then at %.2f cores)", q.Before, q.Waited, q.OtherCores))
		}
		w("Before each throughput benchmark the run waits up to 45 s for other processes to use under %.1f cores: %s.\n\n", quietCores, strings.Join(parts, "; "))
	}
	if len(rep.Errors) > 0 {
		w("## Errors\n\n")
		for _, e := range rep.Errors {
			w("- %s\n", e)
		}
		w("\n")
	}
	w("## Goals\n\n| goal | target | measured | | note |\n|---|---|---|---|---|\n")
	for _, g := range rep.Goals {
		val := "—"
		if g.Value != 0 || g.Met {
			switch g.Unit {
			case "×", "s":
				val = fmt.Sprintf("%.2f %s", g.Value, g.Unit)
			default:
				val = num(g.Value) + " " + g.Unit
			}
		}
		w("| %s | %s | %s | %s | %s |\n", g.Name, g.Target, val, yes(g.Met), g.Note)
	}
	w("\n")
	if len(rep.Ratios) > 0 {
		w("Ratios: ")
		var parts []string
		for _, k := range []string{"pipeline/kafka_engine", "pipeline/jsoneachrow", "pipeline/arrow", "pipeline/kafka_engine_per_cpu", "pipeline/jsoneachrow_per_cpu"} {
			if v, ok := rep.Ratios[k]; ok {
				parts = append(parts, fmt.Sprintf("%s = %.2f", k, v))
			}
		}
		w("%s. The *_per_cpu ratios compare events per CPU-second (the JSONEachRow ceiling's CPU is its INSERT calls' only), which other load on the machine does not change.\n\n", strings.Join(parts, ", "))
	}
	if p := rep.Pipeline; p != nil {
		w("## 1. Pipeline throughput (Kafka → processors → ClickHouse)\n\n")
		w("Every processor on (dedup, validation, identity resolution and merges, events, contact map, customers, merge log, contact profiles), exactly-once protocol (batch intents, deduplication tokens, state changelog, offset commits). Clock from the processors' start (schema already applied) until `count()` of `events` reached the stream's size or the time cap.\n\n")
		w("| events | complete | seconds | events/s | steady events/s | CPU s | cores used | CPU µs/event | peak RSS | peak Go heap | other processes |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		w("| %s | %v | %.1f | **%s** | %s | %.1f | %.2f | %.1f | %.0f MB | %.0f MB | %.2f cores |\n\n", num(float64(p.Events)), p.Complete, p.Seconds, num(p.Rate), num(p.SteadyRate), p.Usage.CPU, p.Usage.Cores,
			p.Usage.CPU/float64(max(p.Events, 1))*1e6, p.Usage.PeakRSSMB, p.Usage.PeakHeapMB, p.Usage.OtherCores)
		w("Rows written:")
		for _, t := range []string{"events", "contact_map", "customers", "merge_log", "contact_updates", "contact_attributes"} {
			w(" %s %s;", t, num(float64(p.Rows[t])))
		}
		w(" %d partitions, %d teams; events per partition:", p.Partitions, p.Teams)
		for i, n := range p.PartitionEvents {
			w(" %d: %s (%.0f%%)", i, num(float64(n)), 100*float64(n)/float64(max(p.Events, 1)))
		}
		w(". A partition is processed by one worker at a time, so the largest partition bounds the run on %d cores.\n\n", rep.Machine.Cores)
	}
	if c := rep.Peer; c != nil {
		w("## 2. Peer: ClickHouse's Kafka table engine\n\n")
		if !c.Available {
			w("No number: %s.\n\n", c.Reason)
		} else {
			w("Same topic, same events, same embedded broker, inside the same embedded ClickHouse: a `Kafka` table (JSONEachRow into the envelope's columns, nested objects as named tuples) and a materialized view into a plain MergeTree. No identity or metrics work.\n\n")
			w("| events | complete | seconds | events/s | CPU s | cores used | CPU µs/event | other processes |\n|---|---|---|---|---|---|---|---|\n")
			w("| %s | %v | %.1f | **%s** | %.1f | %.2f | %.1f | %.2f cores |\n\n", num(float64(c.Events)), c.Complete, c.Seconds, num(c.Rate), c.Usage.CPU, c.Usage.Cores, c.Usage.CPU/float64(max(c.Events, 1))*1e6, c.Usage.OtherCores)
			w("Settings: `%s`.\n\n", c.Settings)
		}
	}
	if len(rep.Ceilings) > 0 {
		w("## 3. Ceilings: the same events inserted straight into ClickHouse\n\n")
		w("The stream's first events, %s-row INSERTs over the HTTP interface with clickhouse-go `InsertFormat` (the sink's path: chserver spools the body and runs `INSERT … FROM INFILE`). Only the INSERT calls are timed.\n\n", num(ceilingBatch))
		w("| format | into | events | MB | seconds | events/s | CPU µs/event |\n|---|---|---|---|---|---|---|\n")
		for _, c := range rep.Ceilings {
			w("| %s | %s | %s | %.0f | %.2f | **%s** | %.2f |\n", c.Format, c.Table, num(float64(c.Events)), c.MB, c.Seconds, num(c.Rate), c.CPUPerRow)
		}
		w("\n")
	}
	if len(rep.Ingest) > 0 {
		w("## 4. Ingest API (POST /v1/events, acks=all)\n\n")
		w("The whole deployment running (ingest, processors, reports) on a broker and database of its own; %d teams with their own keys, requests spread over them in turn (the API limits each team to 200 requests/s; a 429 is retried and counted); NDJSON bodies built before the clock starts; a 202 means every record was acknowledged by the broker after an fsync.\n\n", liveTeams)
		w("| batch | clients | requests | events | seconds | events/s | p50 ms | p99 ms | 429s | cores used | other processes |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, in := range rep.Ingest {
			w("| %d | %d | %s | %s | %.1f | **%s** | %.1f | %.1f | %d | %.2f | %.2f |\n", in.Batch, in.Concurrency, num(float64(in.Requests)), num(float64(in.Events)), in.Seconds, num(in.Rate), in.Latency.P50, in.Latency.P99, in.Throttled, in.Usage.Cores, in.Usage.OtherCores)
		}
		w("\n")
		if d := rep.Drain; d != nil {
			w("The processors then caught up with the accepted events: %s events in %.1f s after the last request (done: %v).\n\n", num(float64(d.Events)), d.Seconds, d.Done)
		}
	}
	if f := rep.Fresh; f != nil {
		w("## 5. Freshness: accepted by the ingest API → visible in the broadcast report\n\n")
		w("Load through the ingest API at half the maximum sustained rate (the lower of benchmark 1 and the best of benchmark 4: %s events/s), batches of 1,000 over %d teams (skewed), for %.0f s; meanwhile a probe every 100 ms: one `message.delivered` of a new contact for broadcast `fresh-probe` of team `probe` (which has no other events, so its report reads the probes; the probes share partitions and processors with the load), posted alone; its freshness runs from its 202 to the first `GET /v1/reports/broadcasts/fresh-probe` (polled every %.0f ms) whose LINE delivered count includes it.\n\n", num(f.MaxRate), liveTeams, f.Seconds, f.PollMs)
		w("| | target events/s | achieved events/s | probes | not visible | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|---|\n")
		w("| accepted → in the broadcast report | %s | %s | %d | %d | %.0f ms | %.0f ms | **%.0f ms** | %.0f ms |\n", num(f.TargetRate), num(f.LoadRate), f.Probes, f.Missing, f.Latency.P50, f.Latency.P95, f.Latency.P99, f.Latency.Max)
		w("| accepted → row in `events` (SQL, every 10 ms) | | | %d | | %.0f ms | %.0f ms | %.0f ms | %.0f ms |\n", f.Stored.N, f.Stored.P50, f.Stored.P95, f.Stored.P99, f.Stored.Max)
		w("| one broadcast report request (each poll) | | | %d | | %.0f ms | %.0f ms | %.0f ms | %.0f ms |\n\n", f.Report.N, f.Report.P50, f.Report.P95, f.Report.P99, f.Report.Max)
		w("A probe is visible once a report request that started after its row was stored returns: freshness ≈ the pipeline's part + up to one poll interval + one report request.\n\n")
	}
	if len(rep.State) > 0 {
		w("## 6. Processor state per contact\n\n")
		w("The identity graph (the processors' per-contact state) fed the contacts of the load mix; live Go heap after GC divided by contacts created, as `identity.BenchmarkBytesPerContact` measures. The dedup window is fixed (200,000 event hashes, about 6 MB per partition), not per contact.\n\n")
		w("| contacts | teams | events | merges | heap | bytes/contact |\n|---|---|---|---|---|---|\n")
		for _, s := range rep.State {
			w("| %s | %d | %s | %s | %.0f MB | **%.0f** |\n", num(float64(s.Contacts)), s.Teams, num(float64(s.Events)), num(float64(s.Merges)), float64(s.HeapBytes)/1e6, s.BytesPerContact)
		}
		w("\n")
	}
	if d := rep.Data; d != nil {
		w("## 7. Report queries over %s events\n\n", human(float64(d.Events)))
		w("Data: %s (%.0f s). Rows:", d.Method, d.Seconds)
		for _, t := range []string{"events", "contact_map", "customers", "merge_log", "contact_updates"} {
			w(" %s %s;", t, num(float64(d.Rows[t])))
		}
		w(" served by the report services over HTTP, for the largest team, after one unmeasured run.\n\n")
		if len(rep.Queries) > 0 {
			w("| report | example | team's events | runs | p50 | p95 | max | errors |\n|---|---|---|---|---|---|---|---|\n")
			for _, q := range rep.Queries {
				w("| %s | `%s` | %s | %d | %.0f ms | **%.0f ms** | %.0f ms | %d |\n", q.Report, q.Path, num(float64(q.Rows)), q.Latency.N, q.Latency.P50, q.Latency.P95, q.Latency.Max, q.Errors)
			}
			w("\n")
		}
	}
	if profileTop != "" {
		w("## Pipeline CPU profile (top functions)\n\n```\n%s\n```\n\n", strings.TrimSpace(profileTop))
	}
	return b.String()
}
