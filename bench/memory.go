package bench

import (
	"runtime"
	"runtime/debug"
	"time"

	"github.com/omnistream/omnistream/identity"
	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/gen"
)

// StateResult is one size of benchmark 6.
type StateResult struct {
	Contacts        uint64  `json:"contacts"` // created in the graph
	Teams           int     `json:"teams"`
	Events          int     `json:"events"`
	Merges          uint64  `json:"merges"`
	Refused         uint64  `json:"merges_refused"`
	HeapBytes       uint64  `json:"heap_bytes"`
	BytesPerContact float64 `json:"bytes_per_contact"`
	Seconds         float64 `json:"seconds"`
}

// State runs benchmark 6: the identity graph (the processors' per-contact
// state; the dedup window is a fixed ~30 bytes per remembered event, not
// per contact) is fed the contacts of the load mix — skewed teams, contacts
// on four channels, social bindings to shared member ids (merges and
// refused merges), LINE phone bindings, tags — and the live Go heap it
// holds is divided by the contacts it created, as identity's
// BenchmarkBytesPerContact does. State changes are drained as the
// processor drains them after every batch. Run it before the deployment
// starts, so the heap holds nothing else that grows.
func (r *Runner) State(contacts int) (*StateResult, error) {
	cfg := gen.LoadConfig(0, r.Cfg.Teams)
	cfg.MaxEvents = 0
	cfg.ContactsOnly = true
	h := 0.0
	for i := range cfg.Teams {
		h += 1 / float64(i+1)
	}
	cfg.Contacts = int(float64(contacts)/h + 0.5)
	start := time.Now()
	var before, after runtime.MemStats
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&before)
	g := identity.New(identity.DefaultConfig(), nil)
	n := 0
	var applyErr error
	exp, err := gen.Generate(cfg, func(_ string, e event.Event) error {
		if _, err := g.Apply(&e); err != nil && applyErr == nil {
			applyErr = err
		}
		if n++; n%20000 == 0 {
			g.Deltas()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if applyErr != nil {
		return nil, applyErr
	}
	g.Deltas()
	runtime.GC()
	runtime.ReadMemStats(&after)
	res := &StateResult{Teams: cfg.Teams, Events: exp.Events, Seconds: time.Since(start).Seconds()}
	for _, t := range g.Teams() {
		st := g.Stats(t)
		res.Contacts += st.ContactsCreated
		res.Merges += st.Merges
		res.Refused += st.MergesRefused
	}
	res.HeapBytes = after.HeapAlloc - before.HeapAlloc
	res.BytesPerContact = float64(res.HeapBytes) / float64(res.Contacts)
	runtime.KeepAlive(g)
	return res, nil
}
