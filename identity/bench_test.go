package identity

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

// population builds the events of a realistic team: people with 1-3
// contacts on LINE (33-character UIDs), Facebook and Instagram (16-17 digit
// ids), WhatsApp (phone ids) and web; a third bind a member id on every
// contact, a fifth of LINE contacts bind their phone, some record an email.
func population(rng *rand.Rand, team string, contacts int) []*event.Event {
	var out []*event.Event
	ts := t0
	mk := func(typ event.Type, ch event.Channel, uid string) *event.Event {
		ts = ts.Add(time.Second)
		e := &event.Event{EventID: fmt.Sprint(len(out)), TeamID: team, Type: typ, TS: event.MilliTime(ts),
			Channel: ch, Contact: event.Contact{ChannelUserID: uid}}
		out = append(out, e)
		return e
	}
	n := 0
	for p := 0; n < contacts; p++ {
		member := fmt.Sprintf("M%09d", p)
		phone := fmt.Sprintf("09%08d", rng.IntN(1e8))
		hasMember := rng.IntN(3) == 0
		k := 1 + rng.IntN(2)
		if rng.IntN(10) == 0 {
			k = 3
		}
		for i := 0; i < k && n < contacts; i++ {
			n++
			var ch event.Channel
			var uid string
			switch x := rng.IntN(20); {
			case x < 8:
				ch, uid = event.Channel{Type: "line", ID: "1656123456"}, fmt.Sprintf("U%016x%016x", rng.Uint64(), rng.Uint64())
			case x < 13:
				ch, uid = event.Channel{Type: "facebook", ID: "104523367890123"}, fmt.Sprint(1e15+rng.IntN(9e15))
			case x < 16:
				ch, uid = event.Channel{Type: "instagram", ID: "17841400000000001"}, fmt.Sprint(1e16+rng.IntN(9e16))
			case x < 18:
				ch, uid = event.Channel{Type: "whatsapp", ID: "886223456001"}, "886"+phone[1:]
			default:
				ch, uid = event.Channel{Type: "web", ID: "shop.example.tw"}, fmt.Sprintf("v-%016x", rng.Uint64())
			}
			switch {
			case hasMember:
				e := mk(event.IdentityBind, ch, uid)
				e.Fields.Method, e.Fields.MemberID = "social", member
				if rng.IntN(3) == 0 {
					e.Fields.Email = fmt.Sprintf("user%d@mail.example.tw", p)
				}
			case ch.Type == "line" && rng.IntN(5) == 0:
				e := mk(event.IdentityBind, ch, uid)
				e.Fields.Method, e.Fields.Phone = "phone", phone
			default:
				mk(event.MessageInbound, ch, uid)
			}
		}
	}
	return out
}

func mustApply(b *testing.B, g *Graph, e *event.Event) Outcome {
	o, err := g.Apply(e)
	if err != nil {
		b.Fatal(err)
	}
	return o
}

// BenchmarkBytesPerContact builds a team of 1 M contacts and reports the
// heap the graph holds per contact.
func BenchmarkBytesPerContact(b *testing.B) {
	const contacts = 1_000_000
	events := population(rand.New(rand.NewPCG(1, 1)), "acme", contacts)
	b.ResetTimer()
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g := New(testConfig(), nil)
		for _, e := range events {
			mustApply(b, g, e)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		created := g.Stats("acme").ContactsCreated // a person's WhatsApp id can repeat
		if created < contacts*99/100 {
			b.Fatalf("%d contacts", created)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(created), "bytes/contact")
		runtime.KeepAlive(g)
	}
}

// BenchmarkApply measures Apply on a team of 200 k contacts with a mix of
// events: 80 % ordinary events of known contacts, 10 % new contacts, 10 %
// bindings (half of them merging).
func BenchmarkApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	base := population(rng, "acme", 200_000)
	g := New(testConfig(), nil)
	for _, e := range base {
		mustApply(b, g, e)
	}
	var known []*event.Event
	for _, e := range base {
		known = append(known, e)
	}
	mix := make([]*event.Event, 0, 1<<16)
	fresh := population(rng, "acme", 1<<14)
	for i := range cap(mix) {
		switch x := rng.IntN(10); {
		case x == 0:
			mix = append(mix, fresh[i%len(fresh)])
		case x == 1:
			k := *known[rng.IntN(len(known))]
			k.Type = event.IdentityBind
			k.Fields = event.Fields{Method: "social", MemberID: fmt.Sprintf("M%09d", rng.IntN(150_000))}
			mix = append(mix, &k)
		default:
			k := *known[rng.IntN(len(known))]
			k.Type = event.MessageRead
			k.Fields = event.Fields{}
			mix = append(mix, &k)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		mustApply(b, g, mix[i%len(mix)])
	}
}

// BenchmarkApplyKnownContact is the common case: an event of a known contact
// that changes nothing but resolves its customer.
func BenchmarkApplyKnownContact(b *testing.B) {
	base := population(rand.New(rand.NewPCG(3, 3)), "acme", 100_000)
	g := New(testConfig(), nil)
	for _, e := range base {
		mustApply(b, g, e)
	}
	reads := make([]*event.Event, len(base))
	for i, e := range base {
		r := *e
		r.Type, r.Fields = event.MessageRead, event.Fields{}
		reads[i] = &r
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		mustApply(b, g, reads[i%len(reads)])
	}
}

// BenchmarkMerge measures bindings that merge two existing customers: each
// iteration binds a contact to the member id of another customer.
func BenchmarkMerge(b *testing.B) {
	g := New(testConfig(), nil)
	binds := make([]*event.Event, b.N)
	ts := t0
	for i := range b.N {
		ts = ts.Add(time.Second)
		a := &event.Event{EventID: "a", TeamID: "acme", Type: event.IdentityBind, TS: event.MilliTime(ts),
			Channel: event.Channel{Type: "line", ID: "1656123456"}, Contact: event.Contact{ChannelUserID: fmt.Sprintf("U%032d", i)},
			Fields: event.Fields{Method: "social", MemberID: fmt.Sprintf("M%09d", i)}}
		mustApply(b, g, a)
		c := &event.Event{EventID: "c", TeamID: "acme", Type: event.MessageInbound, TS: event.MilliTime(ts),
			Channel: event.Channel{Type: "facebook", ID: "104523367890123"}, Contact: event.Contact{ChannelUserID: fmt.Sprint(1e15 + i)}}
		mustApply(b, g, c)
		m := *c
		m.Type, m.Fields = event.IdentityBind, event.Fields{Method: "social", MemberID: a.Fields.MemberID}
		binds[i] = &m
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if o := mustApply(b, g, binds[i]); len(o.Merges) != 1 || !o.Merges[0].OK {
			b.Fatalf("no merge: %+v", o)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "merges/s")
}

// BenchmarkRebuild measures recovery: loading a team's changelog (200 k
// contacts) and rebuilding its customers, per record.
func BenchmarkRebuild(b *testing.B) {
	g := New(testConfig(), nil)
	for _, e := range population(rand.New(rand.NewPCG(4, 4)), "acme", 200_000) {
		mustApply(b, g, e)
	}
	deltas := g.Deltas()
	b.ResetTimer()
	for range b.N {
		g2 := New(testConfig(), nil)
		for _, d := range deltas {
			if err := g2.Load(d.Key, d.Value); err != nil {
				b.Fatal(err)
			}
		}
		g2.Lookup("acme", "line", "x", "y") // settles
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(deltas)), "ns/record")
}
