package identity

import (
	"slices"
	"strings"
)

// nextVersion returns the next row version: one more than the last, and
// never below the wall clock in microseconds, so versions keep increasing
// across restarts even without the changelog.
func (t *team) nextVersion(nowMicros int64) uint64 {
	v := t.version + 1
	if nowMicros > 0 && uint64(nowMicros) > v {
		v = uint64(nowMicros)
	}
	t.version = v
	t.statsDirty = true
	return v
}

// finish turns the op's bookkeeping into the Outcome and frees the nodes
// removed by the event.
func (t *team) finish(o *op, nowMicros int64) Outcome {
	out := o.out
	if o.subject != 0 && t.nodes[o.subject].kind != kindNone {
		out.CustomerID = formatID(t.idOf(o.subject))
	}

	// Merge log: one record for the successful merges, one per refusal.
	if len(o.merged) > 0 {
		survivor := t.idOf(o.subject)
		r := MergeRecord{Time: o.ev.TS.Time, Team: t.name, SurvivorID: formatID(survivor), Cause: o.cause.String(),
			EventID: o.ev.EventID, Actor: o.actor, OK: true}
		for _, id := range o.merged {
			if id != survivor {
				r.MergedIDs = append(r.MergedIDs, formatID(id))
			}
		}
		slices.Sort(r.MergedIDs)
		r.MergedIDs = slices.Compact(r.MergedIDs)
		out.Merges = append(out.Merges, r)
	}
	out.Merges = append(out.Merges, o.refused...)
	out.Splits = o.splits

	// Contact rows: contacts whose customer id changed, and deletions.
	for _, nt := range o.noted {
		nd := &t.nodes[nt.n]
		nd.flags &^= fNoted
		if nd.kind != kindContact {
			continue
		}
		id := t.custs[nd.cust].id
		if id == nt.old {
			continue
		}
		ch, uid := t.contactParts(nt.n)
		out.Contacts = append(out.Contacts, ContactRow{Team: t.name, ChannelType: ch.typ, ChannelID: ch.id, ContactID: uid, CustomerID: formatID(id)})
	}
	out.Contacts = append(out.Contacts, o.deleted...)
	// Customer rows: the customers the event touched that exist, and the
	// ids that no longer do.
	var live []uint64
	for _, s := range o.touched {
		c := &t.custs[s]
		if c.head == 0 || slices.Contains(live, c.id) {
			continue
		}
		live = append(live, c.id)
		out.Customers = append(out.Customers, t.customerRow(s, t.scratch[:0]))
	}
	for _, id := range o.oldIDs {
		if !slices.Contains(live, id) && !slices.Contains(o.born, id) {
			out.Customers = append(out.Customers, CustomerRow{Team: t.name, CustomerID: formatID(id), Deleted: true})
		}
	}
	// Rows in key order, so that the outcome does not depend on the
	// graph's internal layout; versions follow that order.
	slices.SortFunc(out.Contacts, func(a, b ContactRow) int {
		if c := strings.Compare(a.ChannelType, b.ChannelType); c != 0 {
			return c
		}
		if c := strings.Compare(a.ChannelID, b.ChannelID); c != 0 {
			return c
		}
		return strings.Compare(a.ContactID, b.ContactID)
	})
	slices.SortFunc(out.Customers, func(a, b CustomerRow) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	for i := range out.Contacts {
		out.Contacts[i].Version = t.nextVersion(nowMicros)
	}
	for i := range out.Customers {
		out.Customers[i].Version = t.nextVersion(nowMicros)
	}

	for _, n := range o.freed {
		t.nodes[n] = node{}
		t.freeNode = append(t.freeNode, n)
	}
	if len(o.freed) > 0 {
		t.compactArena()
	}
	return out
}

// customerRow describes customer s, using buf as scratch space (readers
// must not share the team's).
func (t *team) customerRow(s uint32, buf []uint32) CustomerRow {
	r := CustomerRow{Team: t.name, CustomerID: formatID(t.custs[s].id)}
	if m := t.custs[s].member; m != 0 {
		r.MemberID = t.value(m)
	}
	var mask uint32
	for _, n := range t.members(buf, s) {
		if t.nodes[n].kind != kindContact {
			continue
		}
		r.Contacts++
		mask |= t.methods(n)
		for h := t.nodes[n].edges; h != 0; h = t.halves[h].next {
			switch x := t.halves[h].to; t.nodes[x].kind {
			case kindPhone:
				r.Phones = append(r.Phones, t.value(x))
			case kindEmail:
				r.Emails = append(r.Emails, t.value(x))
			}
		}
	}
	slices.Sort(r.Phones)
	r.Phones = slices.Compact(r.Phones)
	slices.Sort(r.Emails)
	r.Emails = slices.Compact(r.Emails)
	r.Methods = methodList(mask)
	return r
}

// profile is the 360° view of customer s.
func (t *team) profile(s uint32) Profile {
	all := t.members(nil, s)
	r := t.customerRow(s, nil)
	p := Profile{Team: t.name, CustomerID: r.CustomerID, MemberID: r.MemberID, Phones: r.Phones, Emails: r.Emails, Methods: r.Methods}
	for _, n := range all {
		if t.nodes[n].kind != kindContact {
			continue
		}
		ch, uid := t.contactParts(n)
		pc := ProfileContact{ChannelType: ch.typ, ChannelID: ch.id, UserID: uid, FirstSeenMs: t.nodes[n].first, Methods: methodList(t.methods(n))}
		for h := t.nodes[n].edges; h != 0; h = t.halves[h].next {
			switch x := t.halves[h].to; t.nodes[x].kind {
			case kindMember:
				pc.MemberIDs = append(pc.MemberIDs, t.value(x))
			case kindPhone:
				pc.Phones = append(pc.Phones, t.value(x))
			case kindEmail:
				pc.Emails = append(pc.Emails, t.value(x))
			}
		}
		slices.Sort(pc.MemberIDs)
		slices.Sort(pc.Phones)
		slices.Sort(pc.Emails)
		p.Contacts = append(p.Contacts, pc)
	}
	slices.SortFunc(p.Contacts, func(a, b ProfileContact) int {
		if c := strings.Compare(a.ChannelType, b.ChannelType); c != 0 {
			return c
		}
		if c := strings.Compare(a.ChannelID, b.ChannelID); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	return p
}
