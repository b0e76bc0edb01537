package identity

import (
	"github.com/omnistream/omnistream/ingest/event"
)

// method is a binding method. The values are persisted in edge flags and
// contact method masks.
type method uint8

const (
	mNone     method = iota // recorded, not a binding (contact.created props, WhatsApp phone)
	mSocial                 // website binding button, bot button, cart plugin, pixel, coupon, …
	mPhone                  // LINE phone binding
	mOmniLink               // cross-channel link
	mImport
	mAPI
	mEmail
	mOMO
	numMethods
)

var methodNames = [numMethods]string{"", "social", "phone", "omnilink", "import", "api", "email", "omo"}

func methodOf(s string) method {
	for m, n := range methodNames {
		if n == s && m != 0 {
			return method(m)
		}
	}
	return mNone
}

func (m method) String() string { return methodNames[m] }

// methodList names the methods of a mask, in the order of their names.
func methodList(mask uint32) []string {
	var out []string
	for _, m := range [...]method{mAPI, mEmail, mImport, mOMO, mOmniLink, mPhone, mSocial} {
		if mask&(1<<m) != 0 {
			out = append(out, methodNames[m])
		}
	}
	return out
}

// op is the work of one Apply.
type op struct {
	t     *team
	ev    *event.Event
	ts    int64 // event time, Unix ms
	actor string
	cause method

	subject uint32 // the node the outcome's CustomerID is of

	noted   []noted  // contacts whose customer id may change, with the id before
	touched []uint32 // customer slots whose rows may change
	oldIDs  []uint64 // ids of customers that may be gone
	merged  []uint64 // ids retired by successful merges
	born    []uint64 // ids of customers created by this op for new contacts
	refused []MergeRecord
	splits  []SplitRecord
	deleted []ContactRow
	freed   []uint32 // nodes to free once the op is done

	out Outcome
}

type noted struct {
	n   uint32
	old uint64
}

// apply dispatches one event.
func (t *team) apply(o *op) {
	e := o.ev
	f := &e.Fields
	var c uint32
	if e.Contact.ChannelUserID != "" {
		if e.Type == event.ContactDeleted {
			if c = t.findContact(e.Channel.Type, e.Channel.ID, e.Contact.ChannelUserID); c != 0 {
				t.deleteContact(o, c)
			}
			return
		}
		c = t.contact(o, e.Channel.Type, e.Channel.ID, e.Contact.ChannelUserID)
		o.subject = c
	}
	switch e.Type {
	case event.IdentityBind:
		o.cause = methodOf(f.Method)
		t.bindProps(o, c, o.cause)
		if hasTarget(f) {
			t.link(o, c, t.contact(o, f.Target.Channel.Type, f.Target.Channel.ID, f.Target.UserID))
		}
	case event.OmniLinkSucceeded:
		o.cause = mOmniLink
		if hasTarget(f) {
			t.link(o, c, t.contact(o, f.Target.Channel.Type, f.Target.Channel.ID, f.Target.UserID))
		}
	case event.IdentityUnbind:
		t.unbind(o, c)
	case event.ContactCreated:
		switch e.Source.Kind {
		case "import":
			o.cause = mImport
		case "api":
			o.cause = mAPI
		}
		t.bindProps(o, c, o.cause)
	case event.OrderPlaced, event.PixelPageview:
		if f.MemberID == "" {
			return
		}
		m, ok := t.settings.norm.MemberID(f.MemberID)
		if !ok {
			o.out.Ignored = append(o.out.Ignored, "props.member_id")
			return
		}
		o.cause = mSocial
		i := t.ident(o, kindMember, m)
		if c == 0 {
			t.standalone(o, i)
			o.subject = i
			return
		}
		t.bind(o, c, i, true, mSocial)
	}
}

func hasTarget(f *event.Fields) bool {
	return f.Target != nil && f.Target.UserID != "" && f.Target.Channel.Type != ""
}

// bindProps records the member id, phone and email of the event's props on
// contact c with method m.
func (t *team) bindProps(o *op, c uint32, m method) {
	f := &o.ev.Fields
	s := &t.settings
	sync := m == mImport || m == mAPI
	if f.MemberID != "" {
		if v, ok := s.norm.MemberID(f.MemberID); ok {
			t.bind(o, c, t.ident(o, kindMember, v), !sync || s.sync.MemberID, m)
		} else {
			o.out.Ignored = append(o.out.Ignored, "props.member_id")
		}
	}
	if f.Phone != "" {
		if v, ok := s.norm.Phone(f.Phone); ok {
			t.bind(o, c, t.ident(o, kindPhone, v), m == mPhone || sync && s.sync.Phone, m)
		} else {
			o.out.Ignored = append(o.out.Ignored, "props.phone")
		}
	}
	if f.Email != "" {
		if v, ok := s.norm.Email(f.Email); ok {
			t.bind(o, c, t.ident(o, kindEmail, v), m == mEmail || sync && s.sync.Email, m)
		} else {
			o.out.Ignored = append(o.out.Ignored, "props.email")
		}
	}
}

// findContact returns the contact node, or 0.
func (t *team) findContact(typ, id, uid string) uint32 {
	ch, ok := t.chanIdx[chanRef{typ, id}]
	if !ok {
		return 0
	}
	t.keybuf = t.contactKey(t.keybuf[:0], ch, uid)
	return t.find(t.keybuf)
}

// contact returns the contact node, creating it (first seen now, a customer
// of its own) when unknown, and lowers its first-seen time to the event's.
func (t *team) contact(o *op, typ, id, uid string) uint32 {
	t.keybuf = t.contactKey(t.keybuf[:0], t.channel(typ, id), uid)
	if n := t.find(t.keybuf); n != 0 {
		t.seen(o, n)
		return n
	}
	n := t.newNode(t.keybuf, kindContact, o.ts)
	t.stats.ContactsCreated++
	t.statsDirty = true
	o.born = append(o.born, t.custs[t.singleton(o, n)].id)
	t.nodes[n].flags |= fNoted
	o.noted = append(o.noted, noted{n: n})
	if typ == event.ChannelWhatsApp {
		// A WhatsApp user id is the customer's phone in international form.
		if p, ok := t.settings.norm.Phone("+" + uid); ok {
			t.bind(o, n, t.ident(o, kindPhone, p), false, mNone)
		}
	}
	return n
}

// ident returns the identifier node, creating it without a customer.
func (t *team) ident(o *op, k kind, v string) uint32 {
	t.keybuf = identKey(t.keybuf[:0], k, v)
	if n := t.find(t.keybuf); n != 0 {
		t.seen(o, n)
		return n
	}
	return t.newNode(t.keybuf, k, o.ts)
}

// seen lowers n's first-seen time to the event's; the customer's anchor may
// change with it.
func (t *team) seen(o *op, n uint32) {
	nd := &t.nodes[n]
	if o.ts >= nd.first {
		return
	}
	nd.first = o.ts
	t.markDirty(n)
	if s := nd.cust; s != 0 && n != t.custs[s].anchor && t.older(n, t.custs[s].anchor) {
		t.setAnchor(o, s, n)
	}
}

// standalone makes member node i a customer on its own (a website member
// seen through an order or page view without a contact).
func (t *team) standalone(o *op, i uint32) {
	if t.nodes[i].flags&fStandalone != 0 {
		return
	}
	t.nodes[i].flags |= fStandalone
	t.markDirty(i)
	if t.nodes[i].cust == 0 {
		t.singleton(o, i)
	}
}
