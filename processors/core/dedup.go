package core

import (
	"hash/maphash"
)

// dedup remembers the last n distinct event keys of a partition: a ring of
// 64-bit hashes for eviction order and a set for lookup (about 24 bytes per
// remembered event). A 64-bit hash collision among n recent events is
// astronomically unlikely (n²/2⁶⁵).
type dedup struct {
	ring []uint64
	next int
	full bool
	set  map[uint64]struct{}
}

var dedupSeed = maphash.MakeSeed()

func newDedup(n int) *dedup {
	return &dedup{ring: make([]uint64, n), set: make(map[uint64]struct{}, n)}
}

func eventKey(team, eventID string) uint64 {
	var h maphash.Hash
	h.SetSeed(dedupSeed)
	h.WriteString(team)
	h.WriteByte(0)
	h.WriteString(eventID)
	return h.Sum64()
}

// seen reports whether k was seen, remembering it if not.
func (d *dedup) seen(k uint64) bool {
	if _, ok := d.set[k]; ok {
		return true
	}
	if d.full {
		delete(d.set, d.ring[d.next])
	}
	d.ring[d.next] = k
	d.set[k] = struct{}{}
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
	return false
}
