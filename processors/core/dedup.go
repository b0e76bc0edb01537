package core

import (
	"hash/maphash"
	"math/bits"
)

// dedup remembers the last n distinct event keys of a partition: a ring of
// 64-bit hashes for eviction order and an open-addressing set of them for
// lookup (linear probing at most 50% full, so a lookup touches one or two
// cache lines; about 24-40 bytes per remembered event). A 64-bit hash
// collision among n recent events is astronomically unlikely (n²/2⁶⁵).
type dedup struct {
	ring []uint64
	next int
	full bool

	slots []uint64 // 0 is an empty slot; keys are never 0 (see slotKey)
	mask  uint64
}

var dedupSeed = maphash.MakeSeed()

func newDedup(n int) *dedup {
	size := uint64(1) << bits.Len64(uint64(2*n-1)) // a power of two ≥ 2n
	return &dedup{ring: make([]uint64, n), slots: make([]uint64, size), mask: size - 1}
}

func eventKey(team, eventID string) uint64 {
	var h maphash.Hash
	h.SetSeed(dedupSeed)
	h.WriteString(team)
	h.WriteByte(0)
	h.WriteString(eventID)
	return h.Sum64()
}

// slotKey maps the hash 0, which marks empty slots, to 1.
func slotKey(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

// seen reports whether k was seen, remembering it if not.
func (d *dedup) seen(k uint64) bool {
	k = slotKey(k)
	i := k & d.mask
	for {
		switch d.slots[i] {
		case k:
			return true
		case 0:
			if d.full {
				d.remove(d.ring[d.next])
				// Removing shifts later keys back: find the free slot again.
				i = k & d.mask
				for d.slots[i] != 0 {
					i = (i + 1) & d.mask
				}
			}
			d.slots[i] = k
			d.ring[d.next] = k
			d.next++
			if d.next == len(d.ring) {
				d.next, d.full = 0, true
			}
			return false
		}
		i = (i + 1) & d.mask
	}
}

// remove deletes k, which is in the set, and shifts the keys after it
// back so that every key stays reachable from its home slot.
func (d *dedup) remove(k uint64) {
	i := k & d.mask
	for d.slots[i] != k {
		i = (i + 1) & d.mask
	}
	for j := (i + 1) & d.mask; d.slots[j] != 0; j = (j + 1) & d.mask {
		home := d.slots[j] & d.mask
		// The key at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if (j-home)&d.mask >= (j-i)&d.mask {
			d.slots[i] = d.slots[j]
			i = j
		}
	}
	d.slots[i] = 0
}
