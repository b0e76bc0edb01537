package hook

import "sync"

// Recent remembers the last n event ids published, so a redelivered webhook
// is answered without publishing again. It is an optimisation only: the
// pipeline deduplicates on event_id downstream, so forgetting an id (after a
// restart, or once n newer ids went by) costs a duplicate record, not a
// duplicate count.
type Recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

// NewRecent returns a cache of at most n ids; n <= 0 disables it.
func NewRecent(n int) *Recent {
	if n <= 0 {
		return &Recent{}
	}
	return &Recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// Contains reports whether id was added and not yet evicted.
func (r *Recent) Contains(id string) bool {
	if r == nil || r.ring == nil {
		return false
	}
	r.mu.Lock()
	_, ok := r.set[id]
	r.mu.Unlock()
	return ok
}

// Add remembers ids, evicting the oldest beyond capacity.
func (r *Recent) Add(ids ...string) {
	if r == nil || r.ring == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if _, ok := r.set[id]; ok {
			continue
		}
		if old := r.ring[r.next]; old != "" {
			delete(r.set, old)
		}
		r.ring[r.next] = id
		r.set[id] = struct{}{}
		r.next = (r.next + 1) % len(r.ring)
	}
}
