package identity

import (
	"slices"
)

// touch records that customer s's row may change and that its current id
// may disappear.
func (t *team) touch(o *op, s uint32) {
	if !slices.Contains(o.touched, s) {
		o.touched = append(o.touched, s)
	}
	if id := t.custs[s].id; id != 0 && !slices.Contains(o.oldIDs, id) {
		o.oldIDs = append(o.oldIDs, id)
	}
}

// note records the contacts of customer s with their current customer id,
// before something changes it.
func (t *team) note(o *op, s uint32) {
	t.touch(o, s)
	id := t.custs[s].id
	h := t.custs[s].head
	if h == 0 {
		return
	}
	n := h
	for {
		nd := &t.nodes[n]
		if nd.kind == kindContact && nd.flags&fNoted == 0 {
			nd.flags |= fNoted
			o.noted = append(o.noted, noted{n: n, old: id})
		}
		if n = nd.next; n == h {
			return
		}
	}
}

// singleton makes n a customer of its own.
func (t *team) singleton(o *op, n uint32) uint32 {
	s := t.newCustomer()
	c := &t.custs[s]
	*c = customer{anchor: n, head: n, size: 1}
	if t.nodes[n].kind == kindMember {
		c.member = n
	}
	c.id = t.idHash(n)
	t.nodes[n].cust = s
	t.nodes[n].next = n
	t.touch(o, s)
	return s
}

// setAnchor makes n the anchor of customer s, changing its id.
func (t *team) setAnchor(o *op, s, n uint32) {
	t.note(o, s)
	t.custs[s].anchor = n
	t.custs[s].id = t.idHash(n)
	t.touch(o, s)
}

// memberOf is the member-id node of n's customer, or n itself if n is a
// member id without a customer, or 0.
func (t *team) memberOf(n uint32) uint32 {
	if s := t.nodes[n].cust; s != 0 {
		return t.custs[s].member
	}
	if t.nodes[n].kind == kindMember {
		return n
	}
	return 0
}

// idOf is the id of n's customer, 0 for none.
func (t *team) idOf(n uint32) uint64 {
	if s := t.nodes[n].cust; s != 0 {
		return t.custs[s].id
	}
	return 0
}

// union puts a and b in one customer. It refuses when their customers carry
// different member ids.
func (t *team) union(o *op, a, b uint32) bool {
	ma, mb := t.memberOf(a), t.memberOf(b)
	if ma != 0 && mb != 0 && ma != mb {
		return false
	}
	sa, sb := t.nodes[a].cust, t.nodes[b].cust
	switch {
	case sa == sb && sa != 0:
		return true
	case sa == 0 && sb == 0:
		sa = t.singleton(o, a)
		fallthrough
	case sb == 0:
		t.addTo(o, sa, b)
		return true
	case sa == 0:
		t.addTo(o, sb, a)
		return true
	}
	// Two customers: the older anchor's id survives; the smaller list moves.
	win, lose := sa, sb
	if t.older(t.custs[sb].anchor, t.custs[sa].anchor) {
		win, lose = sb, sa
	}
	t.note(o, lose)
	t.touch(o, win)
	// A customer born in this op (a contact first seen by this event)
	// was never visible: joining it is not a merge.
	if id := t.custs[lose].id; !slices.Contains(o.born, id) {
		o.merged = append(o.merged, id)
		t.stats.Merges++
		t.statsDirty = true
	}
	big, small := win, lose
	if t.custs[small].size > t.custs[big].size {
		big, small = small, big
	}
	for _, n := range t.members(t.scratch[:0], small) {
		t.nodes[n].cust = big
	}
	bh, sh := t.custs[big].head, t.custs[small].head
	t.nodes[bh].next, t.nodes[sh].next = t.nodes[sh].next, t.nodes[bh].next
	bc, sc := &t.custs[big], t.custs[small]
	bc.size += sc.size
	if bc.member == 0 {
		bc.member = sc.member
	}
	wc := t.custs[win]
	bc.anchor, bc.id = wc.anchor, wc.id
	t.freeCustomer(small)
	return true
}

// addTo adds node n (without a customer) to customer s.
func (t *team) addTo(o *op, s, n uint32) {
	c := &t.custs[s]
	h := c.head
	t.nodes[n].cust = s
	t.nodes[n].next = t.nodes[h].next
	t.nodes[h].next = n
	c.size++
	if t.nodes[n].kind == kindMember {
		c.member = n
	}
	t.touch(o, s)
	if t.older(n, c.anchor) {
		t.setAnchor(o, s, n)
	}
}

// refuse records a refused attempt to merge a's and b's customers.
func (t *team) refuse(o *op, a, b uint32, reason string) {
	r := MergeRecord{
		Time: o.ev.TS.Time, Team: t.name, SurvivorID: formatID(t.idOf(a)), Cause: o.cause.String(),
		EventID: o.ev.EventID, Actor: o.actor, Reason: reason,
	}
	if id := t.idOf(b); id != 0 {
		r.MergedIDs = []string{formatID(id)}
	}
	o.refused = append(o.refused, r)
	t.stats.MergesRefused++
	t.statsDirty = true
}

// bind records identifier i on contact c with method m, as a merge key
// when link. The contact joins the customer holding i when i is a merge key
// for anyone.
func (t *team) bind(o *op, c, i uint32, link bool, m method) {
	if e := t.findEdge(c, i); e != 0 {
		f := t.eflags[e]
		switch {
		case f&eConflict != 0:
			t.refuse(o, c, i, ReasonMemberIDConflict)
		case f&eLimit != 0:
			t.refuse(o, c, i, ReasonIdentifierLimit)
		case link && f&eLink == 0:
			t.eflags[e] = eLink | uint8(m)<<eMethodShift
			t.markDirty(c)
			t.nodes[i].b++
			t.connect(o, c, i, e)
			t.touch(o, t.nodes[c].cust) // its binding methods changed
		}
		return
	}
	in := &t.nodes[i]
	if in.kind == kindMember && link {
		// A refused member id is not recorded at all.
		if mi := t.memberOf(c); mi != 0 && mi != i {
			t.refuse(o, c, i, ReasonMemberIDConflict)
			t.dropIfOrphan(o, i)
			return
		}
	}
	flags := uint8(m) << eMethodShift
	if link {
		flags |= eLink
	}
	if lim := t.settings.limit; lim > 0 && in.a >= lim {
		// Recorded on the contact, never merging through it.
		t.addEdge(c, i, flags|eLimit)
		t.markDirty(c)
		if (link || in.b > 0) && in.cust != t.nodes[c].cust {
			t.refuse(o, c, i, ReasonIdentifierLimit)
		}
	} else {
		e := t.addEdge(c, i, flags)
		t.markDirty(c)
		in.a++
		if link {
			in.b++
		}
		if link || in.b > 0 {
			t.connect(o, c, i, e)
		}
	}
	t.touch(o, t.nodes[c].cust) // its identifiers or methods changed
}

// connect merges c's customer with i's through the now active edge e. When
// e is the first link of i, every contact that recorded i joins too.
func (t *team) connect(o *op, c, i, e uint32) {
	if !t.union(o, c, i) {
		t.offEdge(e, eConflict)
		t.refuse(o, c, i, ReasonMemberIDConflict)
		return
	}
	if t.eflags[e]&eLink == 0 || t.nodes[i].b != 1 {
		return
	}
	// i just became a merge key: activate the contacts that recorded it,
	// oldest first so that conflicts are decided the same way each time.
	var waiting []uint32
	for h := t.nodes[i].edges; h != 0; h = t.halves[h].next {
		x, ex := t.halves[h].to, h>>1
		if ex != e && t.eflags[ex]&eOff == 0 && t.nodes[x].cust != t.nodes[i].cust {
			waiting = append(waiting, ex)
		}
	}
	slices.SortFunc(waiting, func(a, b uint32) int {
		if t.older(t.halves[2*a+1].to, t.halves[2*b+1].to) {
			return -1
		}
		return 1
	})
	for _, ex := range waiting {
		x := t.halves[2*ex+1].to
		if !t.union(o, x, i) {
			t.offEdge(ex, eConflict)
			t.refuse(o, x, i, ReasonMemberIDConflict)
		}
	}
}

// offEdge marks edge e refused: it stays recorded and never merges.
func (t *team) offEdge(e uint32, why uint8) {
	f := t.eflags[e]
	id := t.halves[2*e].to
	if t.nodes[id].kind != kindContact && f&eOff == 0 {
		t.nodes[id].a--
		if f&eLink != 0 {
			t.nodes[id].b--
		}
	}
	t.eflags[e] = f | why
	t.markDirty(t.halves[2*e+1].to)
}

// link joins contacts c and d (OmniLink).
func (t *team) link(o *op, c, d uint32) {
	if c == d {
		return
	}
	if e := t.findEdge(c, d); e != 0 {
		return
	}
	if !t.union(o, c, d) {
		t.refuse(o, c, d, ReasonMemberIDConflict)
		return
	}
	t.addEdge(c, d, eLink|uint8(mOmniLink)<<eMethodShift)
	t.markDirty(c)
	t.markDirty(d)
	t.touch(o, t.nodes[c].cust) // its binding methods changed
}

// methods is the mask of binding methods of contact c: the methods of its
// edges that are not refused.
func (t *team) methods(c uint32) uint32 {
	var mask uint32
	for h := t.nodes[c].edges; h != 0; h = t.halves[h].next {
		if f := t.eflags[h>>1]; f&eOff == 0 {
			mask |= 1 << (f >> eMethodShift)
		}
	}
	return mask &^ (1 << mNone)
}

// dropIfOrphan removes identifier i when nothing holds it.
func (t *team) dropIfOrphan(o *op, i uint32) {
	nd := &t.nodes[i]
	if nd.kind == kindNone || nd.kind == kindContact || nd.edges != 0 || nd.flags&fStandalone != 0 {
		return
	}
	t.killNode(i)
	o.freed = append(o.freed, i)
}

// removeEdge deletes edge e, keeping the identifier counters right.
func (t *team) removeEdge(e uint32) {
	f := t.eflags[e]
	a, b := t.halves[2*e+1].to, t.halves[2*e].to
	if t.nodes[b].kind != kindContact && f&eOff == 0 {
		t.nodes[b].a--
		if f&eLink != 0 {
			t.nodes[b].b--
		}
	}
	t.delEdge(e)
	t.markDirty(a)
	if t.nodes[b].kind == kindContact {
		t.markDirty(b)
	}
}

// unbind removes the bindings that the event names: the props' member id,
// phone, email and target, or, when it names none, every binding made with
// its method. The customer splits along the removed edges.
func (t *team) unbind(o *op, c uint32) {
	f := &o.ev.Fields
	m := methodOf(f.Method)
	o.cause = m
	var targets []uint32
	s := &t.settings
	if f.MemberID != "" {
		if v, ok := s.norm.MemberID(f.MemberID); ok {
			targets = append(targets, t.findIdent(kindMember, v))
		}
	}
	if f.Phone != "" {
		if v, ok := s.norm.Phone(f.Phone); ok {
			targets = append(targets, t.findIdent(kindPhone, v))
		}
	}
	if f.Email != "" {
		if v, ok := s.norm.Email(f.Email); ok {
			targets = append(targets, t.findIdent(kindEmail, v))
		}
	}
	if f.Target != nil && f.Target.UserID != "" {
		targets = append(targets, t.findContact(f.Target.Channel.Type, f.Target.Channel.ID, f.Target.UserID))
	}
	named := len(targets) > 0
	var drop []uint32
	for h := t.nodes[c].edges; h != 0; h = t.halves[h].next {
		e, other := h>>1, t.halves[h].to
		switch {
		case named && slices.Contains(targets, other):
		case !named && method(t.eflags[e]>>eMethodShift) == m && m != mNone:
		default:
			continue
		}
		drop = append(drop, e)
	}
	if len(drop) == 0 {
		return
	}
	s0 := t.nodes[c].cust
	var others []uint32
	for _, e := range drop {
		other := t.halves[2*e].to
		if other == c {
			other = t.halves[2*e+1].to
		}
		t.removeEdge(e)
		others = append(others, other)
	}
	for _, x := range others {
		t.dropIfOrphan(o, x)
	}
	t.resplit(o, s0, "unbind")
}

func (t *team) findIdent(k kind, v string) uint32 {
	t.keybuf = identKey(t.keybuf[:0], k, v)
	return t.find(t.keybuf)
}

// deleteContact removes contact c and its personal data: its key, its edges
// and the identifiers no one else holds. Counters keep it anonymously.
func (t *team) deleteContact(o *op, c uint32) {
	s := t.nodes[c].cust
	t.note(o, s)
	ch, uid := t.contactParts(c)
	o.deleted = append(o.deleted, ContactRow{
		Team: t.name, ChannelType: ch.typ, ChannelID: ch.id, ContactID: uid, CustomerID: formatID(t.custs[s].id), Deleted: true,
	})
	var others []uint32
	for t.nodes[c].edges != 0 {
		h := t.nodes[c].edges
		other := t.halves[h].to
		t.removeEdge(h >> 1)
		others = append(others, other)
	}
	t.killNode(c)
	o.freed = append(o.freed, c)
	for _, x := range others {
		t.dropIfOrphan(o, x)
	}
	t.stats.ContactsDeleted++
	t.statsDirty = true
	t.resplit(o, s, "delete")
}

// resplit recomputes customer s as the connected components of its live
// nodes over active edges, after edges or nodes were removed. Identifiers
// left without an active edge (and not standalone members) leave customers.
func (t *team) resplit(o *op, s uint32, cause string) {
	t.note(o, s)
	oldID := t.custs[s].id
	all := t.members(nil, s)
	t.freeCustomer(s)
	for _, n := range all {
		t.nodes[n].cust = 0
	}
	var into []uint64
	for _, n := range all {
		if t.nodes[n].kind == kindNone || t.nodes[n].cust != 0 || !t.eligible(n) {
			continue
		}
		into = append(into, t.custs[t.component(o, n)].id)
	}
	if len(into) > 1 {
		r := SplitRecord{Time: o.ev.TS.Time, Team: t.name, CustomerID: formatID(oldID), Cause: cause, EventID: o.ev.EventID, Actor: o.actor}
		for _, id := range into {
			r.IntoIDs = append(r.IntoIDs, formatID(id))
		}
		slices.Sort(r.IntoIDs)
		o.splits = append(o.splits, r)
	}
}

// eligible reports whether n belongs to some customer: contacts and
// standalone members always, other identifiers while an edge is active.
func (t *team) eligible(n uint32) bool {
	nd := &t.nodes[n]
	if nd.kind == kindContact || nd.flags&fStandalone != 0 {
		return true
	}
	for h := nd.edges; h != 0; h = t.halves[h].next {
		if t.activeEdge(h >> 1) {
			return true
		}
	}
	return false
}

// component makes the nodes reachable from n over active edges (all without
// a customer) a new customer, and returns its slot.
func (t *team) component(o *op, n uint32) uint32 {
	s := t.newCustomer()
	c := customer{anchor: n, head: n}
	queue := append(t.scratch[:0], n)
	t.nodes[n].cust = s
	prev := n
	for i := 0; i < len(queue); i++ {
		x := queue[i]
		nd := &t.nodes[x]
		c.size++
		if nd.kind == kindMember {
			c.member = x
		}
		if x != n && t.older(x, c.anchor) {
			c.anchor = x
		}
		if x != n {
			t.nodes[prev].next = x
			prev = x
		}
		for h := nd.edges; h != 0; h = t.halves[h].next {
			y := t.halves[h].to
			if t.nodes[y].cust == 0 && t.activeEdge(h>>1) {
				t.nodes[y].cust = s
				queue = append(queue, y)
			}
		}
	}
	t.nodes[prev].next = n
	t.scratch = queue[:0]
	c.id = t.idHash(c.anchor)
	t.custs[s] = c
	if o != nil {
		t.touch(o, s)
	}
	return s
}

// rebuildCustomers recomputes every customer from the edges, after Load.
func (t *team) rebuildCustomers() {
	for s := range t.custs {
		t.custs[s] = customer{}
	}
	t.custs = t.custs[:1]
	t.freeCust = t.freeCust[:0]
	for n := range t.nodes {
		t.nodes[n].cust = 0
	}
	for n := 1; n < len(t.nodes); n++ {
		if t.nodes[n].kind != kindNone && t.nodes[n].cust == 0 && t.eligible(uint32(n)) {
			t.component(nil, uint32(n))
		}
	}
	t.rebuild = false
}
