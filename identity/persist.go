package identity

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Delta is one changelog record: the persisted key of a node (or of a
// team's counters) and its encoded state; a nil Value is a tombstone.
// Compacting the changelog (last value per key wins, tombstones delete) and
// loading what remains rebuilds the graph.
type Delta struct {
	Key, Value []byte
}

// Value encodings, version 1:
//
//	contact:    1, varint first-seen ms, uvarint n, n × (flags, uvarint len, neighbour key without team)
//	identifier: 1, varint first-seen ms, flags (1 = standalone member)
//	counters:   1, uvarint version, created, deleted, merges, refused
const valueVersion = 1

var errBadValue = errors.New("malformed value")

// Deltas returns the state changed since the last call: tombstones of
// removed nodes first, then the current value of every changed node and of
// each changed team's counters. Write them to the changelog topic with the
// outputs of the same events.
func (g *Graph) Deltas() []Delta {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settle()
	var out []Delta
	names := make([]string, 0, len(g.teams))
	for name := range g.teams {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out = g.teams[name].deltas(out)
	}
	return out
}

func (t *team) deltas(out []Delta) []Delta {
	for _, k := range t.tombstones {
		out = append(out, Delta{Key: k})
	}
	t.tombstones = nil
	for _, n := range t.dirty {
		nd := &t.nodes[n]
		if nd.flags&fDirty == 0 || nd.kind == kindNone {
			continue
		}
		nd.flags &^= fDirty
		out = append(out, Delta{Key: t.persistKey(nil, n), Value: t.encode(n)})
	}
	t.dirty = t.dirty[:0]
	if t.statsDirty {
		st := t.stats
		v := []byte{valueVersion}
		for _, x := range [...]uint64{t.version, st.ContactsCreated, st.ContactsDeleted, st.Merges, st.MergesRefused} {
			v = binary.AppendUvarint(v, x)
		}
		out = append(out, Delta{Key: t.statsKey(), Value: v})
		t.statsDirty = false
	}
	return out
}

func (t *team) encode(n uint32) []byte {
	nd := &t.nodes[n]
	v := binary.AppendVarint([]byte{valueVersion}, nd.first)
	if nd.kind != kindContact {
		return append(v, nd.flags&fStandalone)
	}
	cnt := 0
	for h := nd.edges; h != 0; h = t.halves[h].next {
		cnt++
	}
	v = binary.AppendUvarint(v, uint64(cnt))
	var k []byte
	for h := nd.edges; h != 0; h = t.halves[h].next {
		v = append(v, t.eflags[h>>1])
		k = t.nodeKey(k[:0], t.halves[h].to)
		v = appendStr(v, string(k))
	}
	return v
}

// Load applies one changelog record, in topic order; a nil value is a
// tombstone. Call it for the whole changelog before the first Apply: Load
// does not produce deltas. Customers are rebuilt on the next use.
func (g *Graph) Load(key, value []byte) error {
	p, err := parseKey(key)
	if err != nil {
		return fmt.Errorf("load identity record %q: %w", key, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.team(p.team)
	t.rebuild = true
	g.pending = true
	if err := t.load(p, value); err != nil {
		return fmt.Errorf("load identity record %q: %w", key, err)
	}
	for _, n := range t.dirty {
		t.nodes[n].flags &^= fDirty
	}
	t.dirty = t.dirty[:0]
	t.tombstones = nil
	t.statsDirty = false
	return nil
}

func (t *team) load(p parsedKey, value []byte) error {
	if p.kind == kindStats {
		return t.loadStats(value)
	}
	k := t.internalKey(nil, p)
	n := t.find(k)
	if value == nil {
		if n != 0 {
			t.unload(n)
		}
		return nil
	}
	if len(value) < 2 || value[0] != valueVersion {
		return errBadValue
	}
	first, w := binary.Varint(value[1:])
	if w <= 0 {
		return errBadValue
	}
	rest := value[1+w:]
	if n == 0 {
		n = t.newNode(k, p.kind, first)
	}
	t.nodes[n].first = first
	if p.kind != kindContact {
		if len(rest) != 1 || rest[0]&^fStandalone != 0 {
			return errBadValue
		}
		t.nodes[n].flags = t.nodes[n].flags&^fStandalone | rest[0]
		return nil
	}
	for t.nodes[n].edges != 0 {
		t.removeEdge(t.nodes[n].edges >> 1)
	}
	cnt, w := binary.Uvarint(rest)
	if w <= 0 || cnt > uint64(len(rest)) {
		return errBadValue
	}
	rest = rest[w:]
	for range cnt {
		if len(rest) == 0 {
			return errBadValue
		}
		flags := rest[0]
		nk, r, err := readStr(rest[1:])
		if err != nil {
			return errBadValue
		}
		rest = r
		q, err := parseNodeKey([]byte(nk))
		if err != nil || q.kind == kindStats {
			return errBadValue
		}
		ik := t.internalKey(nil, q)
		m := t.find(ik)
		if m == 0 {
			m = t.newNode(ik, q.kind, math.MaxInt64) // its own record may come later
		}
		if q.kind == kindContact {
			if m == n || flags&eLink == 0 {
				return errBadValue
			}
			if t.findEdge(n, m) == 0 {
				t.addEdge(n, m, flags)
			}
			continue
		}
		t.addEdge(n, m, flags)
		if flags&eOff == 0 {
			t.nodes[m].a++
			if flags&eLink != 0 {
				t.nodes[m].b++
			}
		}
	}
	if len(rest) != 0 {
		return errBadValue
	}
	return nil
}

// unload removes node n on a tombstone. An identifier still held by loaded
// contacts stays as a placeholder until their own records replace them.
func (t *team) unload(n uint32) {
	if t.nodes[n].kind == kindContact {
		for t.nodes[n].edges != 0 {
			t.removeEdge(t.nodes[n].edges >> 1)
		}
	} else if t.nodes[n].edges != 0 {
		t.nodes[n].first = math.MaxInt64
		t.nodes[n].flags &^= fStandalone
		return
	}
	t.indexDel(n)
	t.wipe(n)
	t.nodes[n] = node{}
	t.freeNode = append(t.freeNode, n)
}

func (t *team) loadStats(value []byte) error {
	if value == nil {
		t.stats, t.version = Stats{}, 0
		return nil
	}
	if len(value) == 0 || value[0] != valueVersion {
		return errBadValue
	}
	var xs [5]uint64
	b := value[1:]
	for i := range xs {
		x, w := binary.Uvarint(b)
		if w <= 0 {
			return errBadValue
		}
		xs[i], b = x, b[w:]
	}
	if len(b) != 0 {
		return errBadValue
	}
	t.version = xs[0]
	t.stats = Stats{ContactsCreated: xs[1], ContactsDeleted: xs[2], Merges: xs[3], MergesRefused: xs[4]}
	return nil
}
