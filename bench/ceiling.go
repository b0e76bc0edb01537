package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/processors/core"
	"github.com/omnistream/omnistream/sinks/chsink"
	"github.com/omnistream/omnistream/sinks/schema"
)

// CeilingResult is one format of benchmark 3.
type CeilingResult struct {
	Format    string  `json:"format"`
	Table     string  `json:"table"`
	Events    int     `json:"events"`
	Batch     int     `json:"batch_rows"`
	Seconds   float64 `json:"insert_seconds"` // INSERT calls only
	Rate      float64 `json:"events_per_s"`
	MB        float64 `json:"body_mb"`
	CPU       float64 `json:"cpu_s"`
	CPUPerRow float64 `json:"cpu_us_per_event"`
}

const ceilingBatch = 100_000

// Ceilings runs benchmark 3: the stream's first events inserted straight
// into ClickHouse over the HTTP interface, as the processors' sink inserts
// (clickhouse-go InsertFormat), in batches of 100,000: as JSONEachRow (the
// wire form of the events) into a MergeTree of the envelope, and as Arrow
// (the processors' own column layout) into the events table. Only the
// INSERT calls are timed; building the bodies is not.
func (r *Runner) Ceilings(ctx context.Context, s *Stream) ([]CeilingResult, error) {
	conn, err := r.Env.Conn(ctx, "ceiling")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := schema.Apply(ctx, conn, schema.DefaultConfig(), nil); err != nil {
		return nil, err
	}
	for _, q := range []string{"DROP TABLE IF EXISTS raw_events_json", rawTable("raw_events_json")} {
		if err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	cfg := s.Cfg
	cfg.MaxEvents = min(r.Cfg.CeilingEvents, s.Expected.Events)

	jsonRes := CeilingResult{Format: "JSONEachRow", Table: "raw_events_json (envelope, tuples)", Batch: ceilingBatch}
	jsonQuery := "INSERT INTO raw_events_json SETTINGS " + strings.Join(strings.Fields(jsonSettings), " ") + " FORMAT JSONEachRow"
	var body []byte
	n := 0
	flushJSON := func() error {
		if n == 0 {
			return nil
		}
		el, cpu, err := timed(func() error {
			return conn.InsertFormat(ctx, "JSONEachRow", jsonQuery, bytes.NewReader(body))
		})
		if err != nil {
			return fmt.Errorf("insert JSONEachRow: %w", err)
		}
		jsonRes.Seconds += el
		jsonRes.CPU += cpu
		jsonRes.Events += n
		jsonRes.MB += float64(len(body)) / 1e6
		body, n = body[:0], 0
		return nil
	}
	prog := r.progress("ceiling JSONEachRow", cfg.MaxEvents)
	if _, err := gen.Generate(cfg, func(_ string, e event.Event) error {
		var err error
		if body, err = event.AppendJSON(body, &e); err != nil {
			return err
		}
		body = append(body, '\n')
		if n++; n == ceilingBatch {
			if err := flushJSON(); err != nil {
				return err
			}
			prog(gen.Progress{Events: jsonRes.Events, Elapsed: time.Duration(jsonRes.Seconds * float64(time.Second))})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := flushJSON(); err != nil {
		return nil, err
	}
	prog(gen.Progress{Events: jsonRes.Events, Elapsed: time.Duration(jsonRes.Seconds * float64(time.Second)), Done: true})
	body = nil

	arrowRes := CeilingResult{Format: "ArrowStream", Table: "events (the processors' columns)", Batch: ceilingBatch}
	b := chsink.NewBatch(core.EventsTable)
	set := eventSetters(core.EventsTable)
	query := "INSERT INTO events (" + core.EventsTable.ColumnList() + ") FORMAT ArrowStream"
	flushArrow := func() error {
		if b.Len() == 0 {
			return nil
		}
		rows := b.Len()
		rec := b.Record()
		data, err := chsink.Encode(rec)
		rec.Release()
		if err != nil {
			return err
		}
		el, cpu, err := timed(func() error {
			return conn.InsertFormat(ctx, "ArrowStream", query, bytes.NewReader(data))
		})
		if err != nil {
			return fmt.Errorf("insert ArrowStream: %w", err)
		}
		arrowRes.Seconds += el
		arrowRes.CPU += cpu
		arrowRes.Events += rows
		arrowRes.MB += float64(len(data)) / 1e6
		return nil
	}
	prog = r.progress("ceiling ArrowStream", cfg.MaxEvents)
	if _, err := gen.Generate(cfg, func(_ string, e event.Event) error {
		for i, f := range set {
			f(b, i, &e)
		}
		b.EndRow()
		if b.Len() == ceilingBatch {
			if err := flushArrow(); err != nil {
				return err
			}
			prog(gen.Progress{Events: arrowRes.Events, Elapsed: time.Duration(arrowRes.Seconds * float64(time.Second))})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := flushArrow(); err != nil {
		return nil, err
	}
	prog(gen.Progress{Events: arrowRes.Events, Elapsed: time.Duration(arrowRes.Seconds * float64(time.Second)), Done: true})
	out := []CeilingResult{jsonRes, arrowRes}
	for i := range out {
		c := &out[i]
		c.Rate = float64(c.Events) / c.Seconds
		c.CPUPerRow = c.CPU / float64(c.Events) * 1e6
	}
	return out, nil
}

// timed runs f and returns its wall and process CPU seconds.
func timed(f func() error) (float64, float64, error) {
	c0, t0 := cpuSeconds(), time.Now()
	err := f()
	return time.Since(t0).Seconds(), cpuSeconds() - c0, err
}

// eventSetters map an event to the columns of t by name, as the core
// processor fills its events table (without identity: customer_id is empty,
// Kafka coordinates are zero).
func eventSetters(t *chsink.Table) []func(*chsink.Batch, int, *event.Event) {
	str := func(get func(*event.Event) string) func(*chsink.Batch, int, *event.Event) {
		return func(b *chsink.Batch, col int, e *event.Event) { b.Str(col, get(e)) }
	}
	out := make([]func(*chsink.Batch, int, *event.Event), len(t.Columns))
	for i, c := range t.Columns {
		var f func(*chsink.Batch, int, *event.Event)
		switch c.Name {
		case "team_id":
			f = str(func(e *event.Event) string { return e.TeamID })
		case "event_id":
			f = str(func(e *event.Event) string { return e.EventID })
		case "type":
			f = str(func(e *event.Event) string { return string(e.Type) })
		case "ts":
			f = func(b *chsink.Batch, col int, e *event.Event) { b.Time(col, e.TS.Time) }
		case "channel_type":
			f = str(func(e *event.Event) string { return e.Channel.Type })
		case "channel_id":
			f = str(func(e *event.Event) string { return e.Channel.ID })
		case "contact_id":
			f = str(func(e *event.Event) string { return e.Contact.ChannelUserID })
		case "source_kind":
			f = str(func(e *event.Event) string { return e.Source.Kind })
		case "source_id":
			f = str(func(e *event.Event) string { return e.Source.ID })
		case "node_id":
			f = str(func(e *event.Event) string { return e.Source.NodeID })
		case "message_id":
			f = str(func(e *event.Event) string { return e.MessageID })
		case "send_id":
			f = str(func(e *event.Event) string { return e.SendID })
		case "message_kind":
			f = str(func(e *event.Event) string { return e.Fields.MessageKind })
		case "reason":
			f = str(func(e *event.Event) string { return e.Fields.Reason })
		case "inbound_kind":
			f = str(func(e *event.Event) string { return e.Fields.Kind })
		case "button_kind":
			f = str(func(e *event.Event) string { return e.Fields.ButtonKind })
		case "button_id":
			f = str(func(e *event.Event) string { return e.Fields.ButtonID })
		case "url":
			f = str(func(e *event.Event) string { return e.Fields.URL })
		case "tag":
			f = str(func(e *event.Event) string { return e.Fields.Tag })
		case "order_id":
			f = str(func(e *event.Event) string { return e.Fields.OrderID })
		case "currency":
			f = str(func(e *event.Event) string { return e.Fields.Currency })
		case "member_id":
			f = str(func(e *event.Event) string { return e.Fields.MemberID })
		case "method":
			f = str(func(e *event.Event) string { return e.Fields.Method })
		case "contact_source":
			f = str(func(e *event.Event) string { return e.Fields.ContactSrc })
		case "props":
			f = str(func(e *event.Event) string { return string(e.Props) })
		case "amount":
			f = func(b *chsink.Batch, col int, e *event.Event) { b.Dec(col, int64(e.Fields.Amount)) }
		case "ingested_at":
			f = func(b *chsink.Batch, col int, e *event.Event) { b.Time(col, e.TS.Time) }
		default:
			switch c.Kind {
			case chsink.String:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.Str(col, "") }
			case chsink.UInt8:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.U8(col, 0) }
			case chsink.Int8:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.I8(col, 0) }
			case chsink.UInt32:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.U32(col, 0) }
			case chsink.UInt64:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.U64(col, 0) }
			case chsink.Int64:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.I64(col, 0) }
			case chsink.TimeMilli:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.Time(col, time.Time{}) }
			case chsink.Decimal4:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.Dec(col, 0) }
			case chsink.StringArray:
				f = func(b *chsink.Batch, col int, _ *event.Event) { b.Strs(col, nil) }
			}
		}
		if f == nil {
			panic(errors.New("bench: no setter for column " + c.Name))
		}
		out[i] = f
	}
	return out
}
