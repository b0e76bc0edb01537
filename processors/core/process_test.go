package core_test

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/identity"
	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/processors/core"
	"github.com/omnistream/omnistream/processors/runtime"
	"github.com/omnistream/omnistream/sinks/chsink"
)

// graph adapts identity.Graph to core.Graph as the deployment does.
type graph struct{ *identity.Graph }

func (g graph) Changes() []runtime.Change {
	ds := g.Graph.Deltas()
	out := make([]runtime.Change, len(ds))
	for i, d := range ds {
		out[i] = runtime.Change{Key: d.Key, Value: d.Value}
	}
	return out
}

// records encodes a generated stream as the events topic holds it.
func records(tb testing.TB, cfg gen.Config) []*kgo.Record {
	tb.Helper()
	var recs []*kgo.Record
	ts := cfg.Start.Add(365 * 24 * time.Hour)
	if _, err := gen.Generate(cfg, func(team string, e event.Event) error {
		v, err := event.AppendJSON(nil, &e)
		if err != nil {
			return err
		}
		recs = append(recs, &kgo.Record{Key: []byte(team), Value: v, Offset: int64(len(recs)), Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "event_id", Value: []byte(e.EventID)}}})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return recs
}

// BenchmarkProcess measures the processor's work per record of the load
// mix: decode, validate, dedup, identity, and the Arrow rows of every
// table, with batches taken every 100,000 records as the runtime flushes.
func BenchmarkProcess(b *testing.B) {
	recs := records(b, gen.LoadConfig(200_000, 50))
	b.ReportAllocs()
	b.ResetTimer()
	var task *core.Task
	var out *runtime.Output
	for i := range b.N {
		k := i % len(recs)
		if k == 0 {
			task = core.NewTask(core.DefaultConfig(), 0, graph{identity.New(identity.DefaultConfig(), nil)})
			out = runtime.NewOutput()
		}
		if err := task.Process(recs[k], out); err != nil {
			b.Fatal(err)
		}
		if k%100_000 == 99_999 {
			drain(out)
			task.Changes()
		}
	}
}

// drain takes and releases every batch of out.
func drain(out *runtime.Output) {
	for _, t := range []*chsink.Table{core.EventsTable, core.ContactMapTable, core.CustomersTable, core.MergeLogTable, core.ContactUpdatesTable, core.ContactAttributesTable} {
		out.Batch(t).Record().Release()
	}
}

// TestProcessReusesEventSafely: the task decodes every record into the same
// Event; rows already emitted keep their own values.
func TestProcessReusesEventSafely(t *testing.T) {
	cfg := gen.LoadConfig(3000, 3)
	recs := records(t, cfg)
	task := core.NewTask(core.DefaultConfig(), 0, graph{identity.New(identity.DefaultConfig(), nil)})
	out := runtime.NewOutput()
	var want []string
	for _, r := range recs {
		if err := task.Process(r, out); err != nil {
			t.Fatal(err)
		}
		e, err := event.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		props := string(e.Props)
		if e.Type == event.IdentityBind {
			props = "" // personal data is stripped: compared elsewhere
		}
		want = append(want, e.EventID+" "+string(e.Type)+" "+e.Contact.ChannelUserID+" "+props)
	}
	rec := out.Batch(core.EventsTable).Record()
	defer rec.Release()
	col := func(name string) *array.String {
		for i, c := range core.EventsTable.Columns {
			if c.Name == name {
				return rec.Column(i).(*array.String)
			}
		}
		t.Fatalf("no column %s", name)
		return nil
	}
	ids, types, contacts, props := col("event_id"), col("type"), col("contact_id"), col("props")
	if int(rec.NumRows()) != len(want) {
		t.Fatalf("%d rows, want %d", rec.NumRows(), len(want))
	}
	for i, w := range want {
		p := props.Value(i)
		if types.Value(i) == string(event.IdentityBind) {
			p = ""
		}
		if got := ids.Value(i) + " " + types.Value(i) + " " + contacts.Value(i) + " " + p; got != w {
			t.Fatalf("row %d: %q, want %q", i, got, w)
		}
	}
}
