package identity

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
)

// workload generates the events of people, each with a few contacts on
// different channels, binding member ids, phones and emails and linking
// through OmniLink. With shared = false no two people share an identifier,
// so no merge is ever refused.
type workload struct {
	rng    *rand.Rand
	team   string
	shared bool // people sometimes share a phone or member id: refusals happen
	n      int  // people so far
	events []ev
}

func (w *workload) person() {
	p := w.n
	w.n++
	r := w.rng
	member := fmt.Sprintf("M%d", p)
	phone := fmt.Sprintf("09%08d", 10000000+p*7919%89999999)
	email := fmt.Sprintf("p%d@mail.tw", p)
	if w.shared && r.IntN(3) == 0 && p > 0 {
		other := r.IntN(p)
		if r.IntN(3) == 0 {
			member = fmt.Sprintf("M%d", other)
		} else {
			phone = fmt.Sprintf("09%08d", 10000000+other*7919%89999999)
		}
	}
	hasMember := r.IntN(3) > 0
	var contacts []string
	for range 1 + r.IntN(4) {
		var c string
		switch r.IntN(5) {
		case 0:
			c = fmt.Sprintf("line:L%d:U%d-%d", r.IntN(2), p, len(contacts))
		case 1:
			c = fmt.Sprintf("facebook:P1:F%d-%d", p, len(contacts))
		case 2:
			c = fmt.Sprintf("instagram:I1:G%d-%d", p, len(contacts))
		case 3:
			c = "whatsapp:WA1:886" + phone[1:]
		default:
			c = fmt.Sprintf("web:W1:V%d-%d", p, len(contacts))
		}
		if !slices.Contains(contacts, c) {
			contacts = append(contacts, c)
		}
	}
	at := func() int { return r.IntN(10000) }
	add := func(x ev) {
		x.team = w.team
		x.id = fmt.Sprintf("e%d", len(w.events))
		w.events = append(w.events, x)
	}
	for i, c := range contacts {
		for range 1 + r.IntN(3) {
			add(ev{typ: "message.inbound", who: c, min: at()})
		}
		switch typ, _, _ := who(c); {
		case hasMember && typ == "web":
			add(ev{typ: "pixel.pageview", who: c, min: at(), member: member})
		case hasMember && r.IntN(2) == 0:
			add(ev{typ: "identity.bind", who: c, min: at(), member: member, email: email, method: "social"})
		case typ == "line" && r.IntN(2) == 0:
			add(ev{typ: "identity.bind", who: c, min: at(), phone: phone, method: "phone"})
		case r.IntN(3) == 0:
			add(ev{typ: "contact.created", who: c, min: at(), phone: phone, source: "user"})
		case r.IntN(3) == 0:
			add(ev{typ: "identity.bind", who: c, min: at(), email: email, method: "email"})
		}
		if i > 0 && r.IntN(3) == 0 {
			add(ev{typ: "omnilink.succeeded", who: contacts[i-1], min: at(), target: c})
		}
	}
	if hasMember && r.IntN(3) == 0 {
		add(ev{typ: "order.placed", min: at(), member: member})
	}
	if w.shared && r.IntN(4) == 0 {
		// A link to someone else's contact: refused when both carry member ids.
		if x := w.events[r.IntN(len(w.events))]; x.who != "" && x.who != contacts[0] {
			add(ev{typ: "omnilink.succeeded", who: contacts[0], min: at(), target: x.who})
		}
	}
}

// undo adds unbinds and deletions of earlier events' contacts.
func (w *workload) undo() {
	r := w.rng
	x := w.events[r.IntN(len(w.events))]
	if x.who == "" {
		return
	}
	add := func(y ev) {
		y.team = w.team
		y.id = fmt.Sprintf("e%d", len(w.events))
		w.events = append(w.events, y)
	}
	switch {
	case r.IntN(4) == 0:
		add(ev{typ: "contact.deleted", who: x.who, min: x.min + 1})
	case x.typ == "identity.bind":
		add(ev{typ: "identity.unbind", who: x.who, min: x.min + 1, member: x.member, phone: x.phone, method: x.method})
	case x.typ == "omnilink.succeeded":
		add(ev{typ: "identity.unbind", who: x.who, min: x.min + 1, target: x.target, method: "omnilink"})
	}
}

// snapshot is everything observable about a team's graph.
type snapshot struct {
	Customers map[string]string // contact → customer id ("" when unknown)
	Profiles  map[string]Profile
	Stats     Stats
}

func snap(g *Graph, team string, contacts []string) snapshot {
	s := snapshot{Customers: map[string]string{}, Profiles: map[string]Profile{}, Stats: g.Stats(team)}
	for _, c := range contacts {
		typ, ch, uid := who(c)
		id, _ := g.Lookup(team, typ, ch, uid)
		s.Customers[c] = id
		if p, ok := g.Customer(team, ContactRef(typ, ch, uid)); ok {
			s.Profiles[p.CustomerID] = p
		}
	}
	return s
}

// TestOrderIndependence applies the same events in shuffled orders: the
// grouping, the ids and the profiles are the same. The workload has no
// unbinds, deletions or refusals (see the package doc).
func TestOrderIndependence(t *testing.T) {
	w := &workload{rng: rand.New(rand.NewPCG(1, 2)), team: "acme"}
	for range 300 {
		w.person()
	}
	contacts := contactsOf(w.events)
	g := newTestGraph(t)
	apply(t, g, w.events...)
	want := snap(g, "acme", contacts)
	groups := map[string]int{}
	for _, id := range want.Customers {
		groups[id]++
	}
	t.Logf("%d events, %d contacts, %d customers", len(w.events), len(contacts), len(groups))
	for seed := range uint64(6) {
		shuffled := slices.Clone(w.events)
		rng := rand.New(rand.NewPCG(seed, 99))
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		g := newTestGraph(t)
		apply(t, g, shuffled...)
		got := snap(g, "acme", contacts)
		got.Stats.Merges, want.Stats.Merges = 0, 0 // how many merges it took depends on the order
		if !reflect.DeepEqual(got, want) {
			for c, id := range want.Customers {
				if got.Customers[c] != id {
					t.Errorf("seed %d: %s in %s, want %s", seed, c, got.Customers[c], id)
				}
			}
			t.Fatalf("seed %d: state differs", seed)
		}
		for _, x := range shuffled {
			if o, _ := g.Apply(x.event()); o.Failed() != "" {
				t.Fatalf("refusal in a conflict-free workload: %+v", o)
			}
		}
	}
}

// TestRebuildFromDeltas compacts the changelog the graph wrote (last value
// per key wins, tombstones delete), loads it in a random order into a new
// graph, and checks that both answer and continue identically.
func TestRebuildFromDeltas(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			teams := []*workload{
				{rng: rng, team: "acme", shared: true},
				{rng: rng, team: "beta", shared: true},
			}
			for range 150 {
				for _, w := range teams {
					w.person()
					if rng.IntN(3) == 0 {
						w.undo()
					}
				}
			}
			g := newTestGraph(t)
			compacted := map[string][]byte{}
			fold := func() {
				for _, d := range g.Deltas() {
					if d.Value == nil {
						delete(compacted, string(d.Key))
					} else {
						compacted[string(d.Key)] = d.Value
					}
				}
			}
			var rest [][]ev
			for _, w := range teams {
				cut := len(w.events) * 3 / 4
				for i, x := range w.events[:cut] {
					apply(t, g, x)
					if i%37 == 0 {
						fold()
					}
				}
				rest = append(rest, w.events[cut:])
			}
			fold()
			keys := make([]string, 0, len(compacted))
			for k := range compacted {
				keys = append(keys, k)
			}
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			g2 := newTestGraph(t)
			for _, k := range keys {
				if err := g2.Load([]byte(k), compacted[k]); err != nil {
					t.Fatal(err)
				}
			}
			if d := g2.Deltas(); len(d) != 0 {
				t.Fatalf("loading produced %d deltas", len(d))
			}
			for i, w := range teams {
				contacts := contactsOf(w.events)
				if a, b := snap(g, w.team, contacts), snap(g2, w.team, contacts); !reflect.DeepEqual(a, b) {
					t.Fatalf("team %s: rebuilt graph differs\n%+v\n%+v", w.team, a.Stats, b.Stats)
				}
				for _, x := range rest[i] {
					o1, _ := g.Apply(x.event())
					o2, _ := g2.Apply(x.event())
					if !reflect.DeepEqual(o1, o2) {
						t.Fatalf("event %+v:\noriginal %+v\nrebuilt  %+v", x, o1, o2)
					}
				}
			}
			// Replaying the changelog of the continued graphs over the old
			// compaction also agrees (Load replaces values and applies tombstones).
			fold()
			g3 := newTestGraph(t)
			for k, v := range compacted {
				if err := g3.Load([]byte(k), v); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range teams {
				contacts := contactsOf(w.events)
				if a, b := snap(g, w.team, contacts), snap(g3, w.team, contacts); !reflect.DeepEqual(a, b) {
					t.Fatalf("team %s: second rebuild differs", w.team)
				}
			}
		})
	}
}

// TestLoadReplacesAndDeletes loads several values for a key, as an
// uncompacted changelog holds them.
func TestLoadReplacesAndDeletes(t *testing.T) {
	g := newTestGraph(t)
	var log []Delta
	step := func(xs ...ev) {
		apply(t, g, xs...)
		log = append(log, g.Deltas()...)
	}
	step(ev{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", phone: "0911223344", method: "phone"})
	step(ev{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M1", method: "social"})
	step(ev{typ: "identity.unbind", who: "line:L1:U1", min: 3, member: "M1", method: "phone"})
	step(ev{typ: "contact.deleted", who: "facebook:P1:F1", min: 4})
	step(ev{typ: "identity.bind", who: "facebook:P1:F1", min: 5, phone: "0911223344", method: "phone"})
	g2 := newTestGraph(t)
	for _, d := range log {
		if err := g2.Load(d.Key, d.Value); err != nil {
			t.Fatal(err)
		}
	}
	contacts := []string{"line:L1:U1", "facebook:P1:F1"}
	if a, b := snap(g, "acme", contacts), snap(g2, "acme", contacts); !reflect.DeepEqual(a, b) {
		t.Fatalf("differs:\n%+v\n%+v", a, b)
	}
	if lookup(t, g2, "acme", "facebook:P1:F1") != wantID("acme", "line:L1:U1") {
		t.Fatal("phone binding lost")
	}
}

func TestLoadRejectsGarbage(t *testing.T) {
	g := newTestGraph(t)
	good := append(appendStr(nil, "acme"), byte(kindMember))
	good = append(good, "M1"...)
	for _, c := range []struct{ key, value []byte }{
		{nil, []byte{1}},
		{[]byte{5, 'a'}, []byte{1}},
		{append(appendStr(nil, "acme"), 7, 'x'), []byte{1, 0, 0}},
		{good, []byte{2, 0, 0}},
		{good, []byte{1, 0}},
		{good, []byte{1, 0, 0, 9}},
		{append(appendStr(nil, "acme"), byte(kindStats)), []byte{1, 1}},
	} {
		if err := g.Load(c.key, c.value); err == nil {
			t.Errorf("Load(%q, %v) accepted", c.key, c.value)
		}
	}
}

// TestConcurrentReaders runs Lookup and Customer while events are applied
// (go test -race).
func TestConcurrentReaders(t *testing.T) {
	w := &workload{rng: rand.New(rand.NewPCG(5, 5)), team: "acme", shared: true}
	for range 200 {
		w.person()
		w.undo()
	}
	contacts := contactsOf(w.events)
	g := newTestGraph(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				typ, ch, uid := who(contacts[i%len(contacts)])
				g.Lookup("acme", typ, ch, uid)
				g.Customer("acme", ContactRef(typ, ch, uid))
				g.Stats("acme")
			}
		}()
	}
	for i, x := range w.events {
		apply(t, g, x)
		if i%50 == 0 {
			g.Deltas()
		}
	}
	close(stop)
	wg.Wait()
}
