package core

import (
	"math/rand/v2"
	"testing"
)

// refDedup is the obvious implementation: a ring and a map.
type refDedup struct {
	ring []uint64
	next int
	full bool
	set  map[uint64]bool
}

func (d *refDedup) seen(k uint64) bool {
	k = slotKey(k)
	if d.set[k] {
		return true
	}
	if d.full {
		delete(d.set, d.ring[d.next])
	}
	d.ring[d.next] = k
	d.set[k] = true
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
	return false
}

// TestDedupMatchesReference drives the set and the reference with the same
// keys, many of them colliding in the table (same low bits) and repeating
// within and beyond the window.
func TestDedupMatchesReference(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 64, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		d := newDedup(n)
		ref := &refDedup{ring: make([]uint64, n), set: map[uint64]bool{}}
		for i := 0; i < 200_000; i++ {
			var k uint64
			switch rng.IntN(4) {
			case 0: // collide in the table: same low bits, different high bits
				k = uint64(rng.IntN(4))<<40 | uint64(rng.IntN(3))
			case 1:
				k = uint64(rng.IntN(3 * n)) // repeats around the window's size
			case 2:
				k = 0 // the empty-slot marker's stand-in
			default:
				k = rng.Uint64()
			}
			if got, want := d.seen(k), ref.seen(k); got != want {
				t.Fatalf("n=%d step %d key %#x: seen %v, want %v", n, i, k, got, want)
			}
		}
		// Every remembered key is reachable; nothing else is in the table.
		stored := 0
		for _, s := range d.slots {
			if s != 0 {
				stored++
				if !ref.set[s] {
					t.Fatalf("n=%d: %#x in the table but not in the window", n, s)
				}
			}
		}
		if stored != len(ref.set) {
			t.Fatalf("n=%d: %d keys in the table, want %d", n, stored, len(ref.set))
		}
	}
}

func BenchmarkDedup(b *testing.B) {
	d := newDedup(200_000)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 1<<20)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	b.ResetTimer()
	for i := range b.N {
		d.seen(keys[i&(len(keys)-1)])
	}
}
