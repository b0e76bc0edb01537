package analytics

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/encoding/json"
)

// world is every scenario of the other tests together, with keyword and
// rich-menu events, as one stream with stable event ids.
type world struct {
	events   []E
	logs     []L
	profiles []P
	maps     []M
	custs    []C
}

func newWorld() world {
	var w world
	tagEvs, removal := tagEvents()
	w.events = append(append(w.events, tagEvs...), removal)
	e, l, p := omniLinkEvents()
	w.events, w.logs, w.profiles = append(w.events, e...), append(w.logs, l...), append(w.profiles, p...)
	e, l, p = contactEvents()
	w.events, w.logs, w.profiles = append(w.events, e...), append(w.logs, l...), append(w.profiles, p...)
	w.events = append(w.events, customerEvents()...)
	e, m, c := cartEvents()
	w.events, w.maps, w.custs = append(w.events, e...), append(w.maps, m...), append(w.custs, c...)
	tm := team("t1", "Asia/Taipei")
	for i := range 40 {
		ts := at(tm, "2024-03-01 00:00").Add(timeSeconds(i * 3607))
		w.events = append(w.events,
			E{Team: "t1", Ch: "line", ChID: "oa1", Contact: fmt.Sprintf("K%d", i%7), Type: "keyword.triggered",
				KwGroup: fmt.Sprintf("g%d", i%3), KwCondition: fmt.Sprintf("c%d", i%4), TS: ts},
			E{Team: "t1", Ch: "line", ChID: "oa1", Contact: fmt.Sprintf("K%d", i%5), Type: "richmenu.clicked",
				SourceID: "rm1", Area: fmt.Sprintf("a%d", i%3), TS: ts})
	}
	for i := range w.events {
		if w.events[i].ID == "" {
			w.events[i].ID = fmt.Sprintf("w%d", i)
		}
	}
	return w
}

// load writes w. With a random source, the events are shuffled, a third
// of them (and of the merge log) written twice, and the stream split over
// several inserts, as a redelivering source beyond the processors'
// duplicate window would leave them.
func (f *fixture) load(w world, rng *rand.Rand) {
	f.t.Helper()
	evs, logs := w.events, w.logs
	if rng != nil {
		evs = append([]E(nil), evs...)
		for i := range len(evs) / 3 {
			evs = append(evs, evs[i*3])
		}
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		logs = append(append([]L(nil), logs...), logs...)
	}
	for len(evs) > 0 {
		n := len(evs)
		if rng != nil {
			n = min(n, 1+rng.IntN(60))
		}
		f.events(evs[:n]...)
		evs = evs[n:]
	}
	f.mergeLog(logs...)
	f.profiles(w.profiles...)
	f.contactMap(w.maps...)
	f.customers(w.custs...)
}

// reports answers every report over several ranges, as JSON.
func (f *fixture) reports() map[string]string {
	f.t.Helper()
	tm := team("t1", "Asia/Taipei")
	out := map[string]string{}
	add := func(name string, v any, err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			f.t.Fatal(err)
		}
		out[name] = string(b)
	}
	ctx, s := f.ctx, f.svc
	for _, r := range []Range{span(tm, "2024-01-01", "2024-01-31"), span(tm, "2024-01-30", "2024-02-02"), span(tm, "2024-03-01", "2024-03-31")} {
		k := r.From.String()
		v1, err := s.Tags(ctx, tm, TagQuery{Range: r})
		add("tags "+k, v1, err)
		v2, err := s.ContactTags(ctx, tm, ContactRef{"line", "oa1", "UA"}, TagQuery{Range: r})
		add("contact tags "+k, v2, err)
		v3, err := s.OmniLink(ctx, tm, "c1", OmniLinkQuery{Range: r})
		add("omnilink "+k, v3, err)
		v4, err := s.Contacts(ctx, tm, ContactsQuery{Range: r})
		add("contacts "+k, v4, err)
		v5, err := s.Customers(ctx, tm, CustomersQuery{Range: r, Unit: Week})
		add("customers "+k, v5, err)
		v6, err := s.Keywords(ctx, tm, CounterQuery{Range: r})
		add("keywords "+k, v6, err)
		v7, err := s.RichMenus(ctx, tm, CounterQuery{Range: r})
		add("richmenus "+k, v7, err)
		v8, err := s.Cart(ctx, tm, CounterQuery{Range: r})
		add("cart "+k, v8, err)
	}
	v, err := s.OmniLink(ctx, tm, "c1", OmniLinkQuery{})
	add("omnilink all", v, err)
	return out
}

// TestShuffledAndDuplicatedStreams: the same events, shuffled and partly
// duplicated, give identical reports, because every report deduplicates on
// event id and orders by event time at query time.
func TestShuffledAndDuplicatedStreams(t *testing.T) {
	w := newWorld()
	ordered := newFixture(t)
	ordered.load(w, nil)
	want := ordered.reports()

	for seed := range uint64(2) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			f := newFixture(t)
			f.load(w, rand.New(rand.NewPCG(seed, 42)))
			var rows, ids uint64
			err := f.svc.query(f.ctx, "row counts", newStmt("t1"), "SELECT count(), uniqExact(event_id) FROM events",
				func(r driver.Rows) error { return r.Scan(&rows, &ids) })
			if err != nil {
				t.Fatal(err)
			}
			if rows <= ids || ids != uint64(len(w.events)-1) { // ev-a1 is in the stream twice already
				t.Fatalf("%d rows of %d event ids; the stream has %d events", rows, ids, len(w.events))
			}
			got := f.reports()
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s differs:\n ordered  %s\n shuffled %s", k, v, got[k])
				}
			}
		})
	}

	// Spot checks of numbers computed by hand in the other tests.
	var tags TagReport
	if err := json.Unmarshal([]byte(want["tags 2024-01-01"]), &tags); err != nil {
		t.Fatal(err)
	}
	same(t, "January tags", tags.Totals, TagCounts{4, 3})
	var ol OmniLinkReport
	if err := json.Unmarshal([]byte(want["omnilink 2024-03-01"]), &ol); err != nil {
		t.Fatal(err)
	}
	if ol.Participants != 7 || ol.Successes != 3 || ol.Failures != 4 {
		t.Errorf("March OmniLink: %+v", ol)
	}
}
