package identity

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
)

// kind is the kind of a node. The values are part of the persisted keys.
type kind uint8

const (
	kindNone    kind = 0 // a free node slot
	kindContact kind = 1
	kindMember  kind = 2
	kindPhone   kind = 3
	kindEmail   kind = 4
	kindStats   kind = 9 // the team's counters record (persistence only)
)

// Node flags.
const (
	fStandalone uint8 = 1 << iota // a member id seen without a contact: a customer on its own
	fDirty                        // changed since the last Deltas
	fNoted                        // in the current op's list of contacts whose customer may change
)

// maxCount bounds the per-identifier counters.
const maxCount = math.MaxUint32 >> 1

// node is one contact or identifier. 40 bytes.
type node struct {
	first int64  // first-seen event time, Unix ms: the minimum over its events
	key   uint32 // arena offset of the key
	hash  uint32 // low 32 bits of the key hash
	cust  uint32 // customer slot, 0 = none
	next  uint32 // next node of the same customer (circular list)
	edges uint32 // first half-edge of its adjacency list, 0 = none
	// Identifiers only: a = contacts holding it (refused edges excluded),
	// b = of those, the ones holding it as a merge key.
	a, b  uint32
	kind  kind
	flags uint8
}

// Edge flags.
const (
	eLink        uint8 = 1 << iota // a merge key
	eConflict                      // refused: member id conflict; never merges
	eLimit                         // refused: identifier limit; never merges
	eMethodShift = 4               // bits 4-7: the method that made the edge
)

const eOff = eConflict | eLimit

// half is one direction of an edge: halves 2e and 2e+1 form edge e. The
// half in node X's list points to the other node.
type half struct {
	to, next uint32
}

// customer is one omni-customer. 24 bytes.
type customer struct {
	id     uint64 // id hash (see customerID)
	anchor uint32 // node the id derives from
	member uint32 // its member-id node, 0 = none
	head   uint32 // a node of its circular list, 0 = free slot
	size   uint32 // nodes
}

// chanRef is an interned channel account.
type chanRef struct{ typ, id string }

// team is the graph of one team.
type team struct {
	name string
	seed maphash.Seed

	nodes    []node
	freeNode []uint32
	halves   []half
	eflags   []uint8 // per edge
	freeEdge []uint32
	custs    []customer
	freeCust []uint32

	slots []uint32 // open-addressing index: node ids, 0 = empty
	used  int

	arena   [][]byte // key bytes in 1 MiB chunks, never moved
	live    int      // bytes of live keys in the arena
	garbage int      // bytes of removed keys in the arena

	chans   []chanRef
	chanIdx map[chanRef]uint32

	settings teamSettings
	stats    Stats
	version  uint64 // last row version emitted

	dirty      []uint32 // nodes with fDirty
	tombstones [][]byte // persisted keys of removed nodes
	statsDirty bool
	rebuild    bool // loaded from deltas: customers must be recomputed

	scratch []uint32
	keybuf  []byte
}

// Stats are a team's anonymous counters.
type Stats struct {
	ContactsCreated uint64 // contacts ever created (first seen)
	ContactsDeleted uint64 // contacts deleted, their personal data removed
	Merges          uint64 // successful merges (customers retired)
	MergesRefused   uint64 // refused merge attempts
}

func newTeam(name string, s teamSettings) *team {
	t := &team{
		name:     name,
		seed:     maphash.MakeSeed(),
		nodes:    make([]node, 1, 64), // node 0 is nil
		halves:   make([]half, 2, 64), // edge 0 is nil
		eflags:   make([]uint8, 1, 32),
		custs:    make([]customer, 1, 32),
		slots:    make([]uint32, 64),
		chanIdx:  map[chanRef]uint32{},
		settings: s,
	}
	return t
}

// ---- arena ----

const chunkBits = 20

// put stores k (uvarint length + bytes) and returns its offset.
func (t *team) put(k []byte) uint32 {
	need := binary.MaxVarintLen32 + len(k)
	if len(t.arena) == 0 || cap(t.arena[len(t.arena)-1])-len(t.arena[len(t.arena)-1]) < need {
		t.arena = append(t.arena, make([]byte, 0, 1<<chunkBits))
	}
	c := len(t.arena) - 1
	off := uint32(c)<<chunkBits | uint32(len(t.arena[c]))
	t.arena[c] = binary.AppendUvarint(t.arena[c], uint64(len(k)))
	t.arena[c] = append(t.arena[c], k...)
	t.live += len(k) + 1
	return off
}

// keyOf returns the internal key of node n.
func (t *team) keyOf(n uint32) []byte { return keyIn(t.arena, t.nodes[n].key) }

func keyIn(arena [][]byte, off uint32) []byte {
	b := arena[off>>chunkBits][off&(1<<chunkBits-1):]
	l, w := binary.Uvarint(b)
	return b[w : w+int(l)]
}

// wipe zeroes the key of n, so no personal data stays in memory.
func (t *team) wipe(n uint32) {
	k := t.keyOf(n)
	clear(k)
	t.garbage += len(k) + 1
	t.live -= len(k) + 1
}

// compactArena copies the live keys into a new arena when removed keys
// take more than half of it. Callers run it between operations: it moves
// every key.
func (t *team) compactArena() {
	if t.garbage < 1<<chunkBits || t.garbage < t.live {
		return
	}
	old := t.arena
	t.arena, t.live, t.garbage = nil, 0, 0
	for n := 1; n < len(t.nodes); n++ {
		if t.nodes[n].kind != kindNone {
			t.nodes[n].key = t.put(keyIn(old, t.nodes[n].key))
		}
	}
}

// ---- index ----

func (t *team) hashKey(k []byte) uint32 { return uint32(maphash.Bytes(t.seed, k)) }

// find returns the node with internal key k, or 0.
func (t *team) find(k []byte) uint32 {
	h := t.hashKey(k)
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		n := t.slots[i]
		if n == 0 {
			return 0
		}
		if t.nodes[n].hash == h && bytes.Equal(t.keyOf(n), k) {
			return n
		}
	}
}

func (t *team) indexAdd(n uint32) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	i := t.nodes[n].hash & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = n
	t.used++
}

func (t *team) grow() {
	old := t.slots
	t.slots = make([]uint32, 2*len(old))
	mask := uint32(len(t.slots) - 1)
	for _, n := range old {
		if n == 0 {
			continue
		}
		i := t.nodes[n].hash & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = n
	}
}

// indexDel removes n with backward-shift deletion (no tombstones).
func (t *team) indexDel(n uint32) {
	mask := uint32(len(t.slots) - 1)
	i := t.nodes[n].hash & mask
	for t.slots[i] != n {
		i = (i + 1) & mask
	}
	for {
		t.slots[i] = 0
		j := i
		for {
			j = (j + 1) & mask
			m := t.slots[j]
			if m == 0 {
				t.used--
				return
			}
			home := t.nodes[m].hash & mask
			// m may move to i if its home is not in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				t.slots[i] = m
				i = j
				break
			}
		}
	}
}

// ---- nodes ----

// newNode creates a node with internal key k.
func (t *team) newNode(k []byte, kd kind, first int64) uint32 {
	var n uint32
	if l := len(t.freeNode); l > 0 {
		n = t.freeNode[l-1]
		t.freeNode = t.freeNode[:l-1]
	} else {
		t.nodes = append(t.nodes, node{})
		n = uint32(len(t.nodes) - 1)
	}
	t.nodes[n] = node{first: first, key: t.put(k), hash: t.hashKey(k), kind: kd}
	t.indexAdd(n)
	t.markDirty(n)
	return n
}

// killNode removes n (which has no edges left) from the index, wipes its key
// and queues its tombstone. The slot is freed by the caller once no list
// walks through it any more.
func (t *team) killNode(n uint32) {
	t.tombstones = append(t.tombstones, t.persistKey(nil, n))
	t.indexDel(n)
	t.wipe(n)
	t.nodes[n].kind = kindNone
	t.nodes[n].flags &^= fDirty | fStandalone
}

func (t *team) markDirty(n uint32) {
	if t.nodes[n].flags&fDirty == 0 {
		t.nodes[n].flags |= fDirty
		t.dirty = append(t.dirty, n)
	}
}

// ---- edges ----

// addEdge joins a and b.
func (t *team) addEdge(a, b uint32, flags uint8) uint32 {
	var e uint32
	if l := len(t.freeEdge); l > 0 {
		e = t.freeEdge[l-1]
		t.freeEdge = t.freeEdge[:l-1]
		t.eflags[e] = flags
	} else {
		t.halves = append(t.halves, half{}, half{})
		t.eflags = append(t.eflags, flags)
		e = uint32(len(t.eflags) - 1)
	}
	t.halves[2*e] = half{to: b, next: t.nodes[a].edges}
	t.nodes[a].edges = 2 * e
	t.halves[2*e+1] = half{to: a, next: t.nodes[b].edges}
	t.nodes[b].edges = 2*e + 1
	return e
}

// findEdge returns the edge joining a and b, or 0, walking a's list: pass
// the contact as a, its list is short.
func (t *team) findEdge(a, b uint32) uint32 {
	for h := t.nodes[a].edges; h != 0; h = t.halves[h].next {
		if t.halves[h].to == b {
			return h >> 1
		}
	}
	return 0
}

// delEdge unlinks edge e from both lists and frees it.
func (t *team) delEdge(e uint32) {
	for _, h := range [2]uint32{2 * e, 2*e + 1} {
		owner := t.halves[h^1].to
		p := &t.nodes[owner].edges
		for *p != h {
			p = &t.halves[*p].next
		}
		*p = t.halves[h].next
	}
	t.halves[2*e], t.halves[2*e+1] = half{}, half{}
	t.eflags[e] = 0
	t.freeEdge = append(t.freeEdge, e)
}

// activeEdge reports whether edge e merges its ends: it is not refused and
// is a link, or an attribute edge whose identifier some contact holds as a
// link.
func (t *team) activeEdge(e uint32) bool {
	f := t.eflags[e]
	switch {
	case f&eOff != 0:
		return false
	case f&eLink != 0:
		return true
	}
	id := t.halves[2*e].to // attribute edges are added contact → identifier
	return t.nodes[id].b > 0
}

// ---- customers ----

func (t *team) newCustomer() uint32 {
	if l := len(t.freeCust); l > 0 {
		s := t.freeCust[l-1]
		t.freeCust = t.freeCust[:l-1]
		return s
	}
	t.custs = append(t.custs, customer{})
	return uint32(len(t.custs) - 1)
}

func (t *team) freeCustomer(s uint32) {
	t.custs[s] = customer{}
	t.freeCust = append(t.freeCust, s)
}

// members appends the nodes of customer s to dst.
func (t *team) members(dst []uint32, s uint32) []uint32 {
	h := t.custs[s].head
	if h == 0 {
		return dst
	}
	n := h
	for {
		dst = append(dst, n)
		n = t.nodes[n].next
		if n == h {
			return dst
		}
	}
}

// older reports whether a should anchor a customer in preference to b:
// contacts before identifiers, then the earliest first-seen time, then the
// smaller persisted key.
func (t *team) older(a, b uint32) bool {
	na, nb := &t.nodes[a], &t.nodes[b]
	if ca, cb := na.kind == kindContact, nb.kind == kindContact; ca != cb {
		return ca
	}
	if na.first != nb.first {
		return na.first < nb.first
	}
	return bytes.Compare(t.persistKey(nil, a), t.persistKey(nil, b)) < 0
}
