package identity

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

func TestOutcomeOfMerge(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{id: "e1", typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", phone: "0911223344", method: "social"},
		ev{id: "e2", typ: "message.inbound", who: "facebook:P1:F1", min: 2},
	)
	u1, f1 := wantID("acme", "line:L1:U1"), wantID("acme", "facebook:P1:F1")
	x := ev{id: "e3", typ: "identity.bind", who: "facebook:P1:F1", min: 3, member: "M1", method: "social"}.event()
	x.Fields.Actor = "staff-7"
	got, err := g.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	want := Outcome{
		CustomerID: u1,
		Contacts: []ContactRow{
			{Team: "acme", ChannelType: "facebook", ChannelID: "P1", ContactID: "F1", CustomerID: u1, Version: 5},
		},
		Customers: sortCustomers([]CustomerRow{
			{Team: "acme", CustomerID: u1, MemberID: "M1", Phones: []string{"886911223344"}, Methods: []string{"social"}, Contacts: 2, Version: 0},
			{Team: "acme", CustomerID: f1, Deleted: true},
		}, 6),
		Merges: []MergeRecord{{Time: t0.Add(3 * time.Minute), Team: "acme", SurvivorID: u1, MergedIDs: []string{f1},
			Cause: "social", EventID: "e3", Actor: "staff-7", OK: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("outcome\n got %+v\nwant %+v", got, want)
	}
	if s := g.Stats("acme"); s != (Stats{ContactsCreated: 2, Merges: 1}) {
		t.Fatalf("stats %+v", s)
	}
}

// sortCustomers orders rows as the graph does and numbers their versions.
func sortCustomers(rs []CustomerRow, first uint64) []CustomerRow {
	if rs[0].CustomerID > rs[1].CustomerID {
		rs[0], rs[1] = rs[1], rs[0]
	}
	for i := range rs {
		rs[i].Version = first + uint64(i)
	}
	return rs
}

func TestOutcomeOfRefusedOmniLink(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M2", method: "social"},
	)
	o := apply(t, g, ev{id: "ol", typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 3, target: "line:L1:U1", source: "omnilink"})[0]
	f1, u1 := wantID("acme", "facebook:P1:F1"), wantID("acme", "line:L1:U1")
	if o.Failed() != ReasonMemberIDConflict {
		t.Fatalf("Failed() = %q", o.Failed())
	}
	want := []MergeRecord{{Time: t0.Add(3 * time.Minute), Team: "acme", SurvivorID: f1, MergedIDs: []string{u1}, Cause: "omnilink",
		EventID: "ol", Actor: "omnilink", Reason: ReasonMemberIDConflict}}
	if !reflect.DeepEqual(o.Merges, want) || o.CustomerID != f1 || o.Contacts != nil || o.Customers != nil {
		t.Fatalf("outcome %+v", o)
	}
	if s := g.Stats("acme"); s.MergesRefused != 1 || s.Merges != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestOutcomeOfNewContactAndIgnored(t *testing.T) {
	g := newTestGraph(t)
	o := apply(t, g, ev{typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "0000000000", email: "test@test.com", method: "phone"})[0]
	u1 := wantID("acme", "line:L1:U1")
	want := Outcome{
		CustomerID: u1,
		Contacts:   []ContactRow{{Team: "acme", ChannelType: "line", ChannelID: "L1", ContactID: "U1", CustomerID: u1, Version: 1}},
		Customers:  []CustomerRow{{Team: "acme", CustomerID: u1, Contacts: 1, Version: 2}},
		Ignored:    []string{"props.phone", "props.email"},
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("outcome\n got %+v\nwant %+v", o, want)
	}
	// A known contact's ordinary event changes nothing.
	o = apply(t, g, ev{typ: "message.read", who: "line:L1:U1", min: 2})[0]
	if !reflect.DeepEqual(o, Outcome{CustomerID: u1}) {
		t.Fatalf("outcome %+v", o)
	}
}

func TestMemberOnlyCustomer(t *testing.T) {
	g := newTestGraph(t)
	o := apply(t, g, ev{typ: "order.placed", min: 1, member: "M9"})[0]
	m9 := wantMemberID("acme", "M9")
	if o.CustomerID != m9 || len(o.Customers) != 1 || o.Customers[0].MemberID != "M9" || o.Customers[0].Contacts != 0 {
		t.Fatalf("outcome %+v", o)
	}
	// A contact binding later anchors the customer: contacts before identifiers.
	o = apply(t, g, ev{id: "b", typ: "identity.bind", who: "line:L1:U9", min: 5, member: "M9", method: "social"})[0]
	u9 := wantID("acme", "line:L1:U9")
	if o.CustomerID != u9 || len(o.Merges) != 1 || !reflect.DeepEqual(o.Merges[0].MergedIDs, []string{m9}) || o.Merges[0].SurvivorID != u9 {
		t.Fatalf("outcome %+v", o)
	}
	p, ok := g.Customer("acme", MemberRef("M9"))
	if !ok || p.CustomerID != u9 || len(p.Contacts) != 1 {
		t.Fatalf("profile %+v", p)
	}
	// Orders by member id now resolve to the contact's customer.
	if o := apply(t, g, ev{typ: "order.placed", min: 6, member: "M9"})[0]; o.CustomerID != u9 {
		t.Fatalf("order resolves to %s", o.CustomerID)
	}
}

func TestApplyErrors(t *testing.T) {
	g := newTestGraph(t)
	e := ev{team: "acme", typ: "identity.bind", min: 1, member: "M1", method: "social"}.event()
	if _, err := g.Apply(e); !errors.Is(err, ErrNoContact) {
		t.Fatalf("bind without contact: %v", err)
	}
	e = ev{typ: "message.read", who: "line:L1:U1", min: 1}.event()
	e.TeamID = ""
	if _, err := g.Apply(e); !errors.Is(err, ErrNoTeam) {
		t.Fatalf("no team: %v", err)
	}
	if len(g.Teams()) != 0 || len(g.Deltas()) != 0 {
		t.Fatal("refused events changed the graph")
	}
	// Events without a party are a no-op.
	if o, err := g.Apply(&event.Event{EventID: "b", TeamID: "acme", Type: event.BroadcastStarted, TS: event.MilliTime(t0)}); err != nil || !reflect.DeepEqual(o, Outcome{}) {
		t.Fatalf("broadcast: %+v %v", o, err)
	}
}

func TestUnbindSplits(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M1", method: "social"},
		ev{typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 3, target: "instagram:I1:G1"},
		ev{typ: "identity.bind", who: "whatsapp:WA1:886911223344", min: 4, member: "M1", method: "social"},
	)
	u1, f1 := wantID("acme", "line:L1:U1"), wantID("acme", "facebook:P1:F1")
	o := apply(t, g, ev{id: "un", typ: "identity.unbind", who: "facebook:P1:F1", min: 5, member: "M1", method: "social"})[0]
	checkGroups(t, g, "acme", []ev{{who: "line:L1:U1"}, {who: "facebook:P1:F1", target: "instagram:I1:G1"}, {who: "whatsapp:WA1:886911223344"}},
		[][]string{{"line:L1:U1", "whatsapp:WA1:886911223344"}, {"facebook:P1:F1", "instagram:I1:G1"}})
	if o.CustomerID != f1 {
		t.Fatalf("customer %s", o.CustomerID)
	}
	wantSplit := []SplitRecord{{Time: t0.Add(5 * time.Minute), Team: "acme", CustomerID: u1, IntoIDs: sorted(u1, f1), Cause: "unbind", EventID: "un"}}
	if !reflect.DeepEqual(o.Splits, wantSplit) {
		t.Fatalf("splits %+v", o.Splits)
	}
	if len(o.Contacts) != 2 || o.Contacts[0].ContactID != "F1" || o.Contacts[1].ContactID != "G1" || o.Contacts[0].CustomerID != f1 {
		t.Fatalf("contact rows %+v", o.Contacts)
	}
	p, _ := g.Customer("acme", ContactRef("facebook", "P1", "F1"))
	if p.MemberID != "" || !reflect.DeepEqual(p.Methods, []string{"omnilink"}) {
		t.Fatalf("profile after unbind %+v", p)
	}
	// Unbinding the OmniLink (by method, no target named) splits again.
	apply(t, g, ev{typ: "identity.unbind", who: "instagram:I1:G1", min: 6, method: "omnilink"})
	if lookup(t, g, "acme", "instagram:I1:G1") != wantID("acme", "instagram:I1:G1") {
		t.Fatal("omnilink unbind did not split")
	}
	// An unbind that names nothing bound is a no-op.
	if o := apply(t, g, ev{typ: "identity.unbind", who: "line:L1:U1", min: 7, phone: "0933000111", method: "phone"})[0]; o.Splits != nil || o.Contacts != nil {
		t.Fatalf("no-op unbind %+v", o)
	}
}

func TestUnbindPhoneDeactivatesRecordedPhones(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{typ: "contact.created", who: "facebook:P1:F1", min: 1, phone: "0922333444", source: "user"},
		ev{typ: "identity.bind", who: "line:L1:U1", min: 2, phone: "0922333444", method: "phone"},
	)
	if lookup(t, g, "acme", "line:L1:U1") != wantID("acme", "facebook:P1:F1") {
		t.Fatal("phone binding did not join")
	}
	apply(t, g, ev{typ: "identity.unbind", who: "line:L1:U1", min: 3, method: "phone"})
	checkGroups(t, g, "acme", []ev{{who: "facebook:P1:F1"}, {who: "line:L1:U1"}}, [][]string{{"facebook:P1:F1"}, {"line:L1:U1"}})
	if p, _ := g.Customer("acme", ContactRef("facebook", "P1", "F1")); !reflect.DeepEqual(p.Phones, []string{"886922333444"}) {
		t.Fatalf("recorded phone lost: %+v", p)
	}
}

func TestDeleteRemovesPersonalData(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{typ: "identity.bind", who: "line:L1:Usecret", min: 1, member: "M1", phone: "0987001234", email: "secret@mail.tw", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 3, email: "shared@mail.tw", method: "email"},
		ev{typ: "identity.bind", who: "line:L1:Usecret", min: 3, email: "shared@mail.tw", method: "email"},
	)
	g.Deltas()
	uid, f1 := wantID("acme", "line:L1:Usecret"), wantID("acme", "facebook:P1:F1")
	o := apply(t, g, ev{id: "del", typ: "contact.deleted", who: "line:L1:Usecret", min: 4})[0]
	if o.CustomerID != "" {
		t.Fatalf("customer of a deleted contact: %s", o.CustomerID)
	}
	wantContacts := []ContactRow{
		{Team: "acme", ChannelType: "facebook", ChannelID: "P1", ContactID: "F1", CustomerID: f1, Version: o.Contacts[0].Version},
		{Team: "acme", ChannelType: "line", ChannelID: "L1", ContactID: "Usecret", CustomerID: uid, Deleted: true, Version: o.Contacts[1].Version},
	}
	if !reflect.DeepEqual(o.Contacts, wantContacts) {
		t.Fatalf("contact rows %+v", o.Contacts)
	}
	var deletedOld, liveNew bool
	for _, r := range o.Customers {
		deletedOld = deletedOld || r.CustomerID == uid && r.Deleted
		liveNew = liveNew || r.CustomerID == f1 && !r.Deleted && r.MemberID == "M1" &&
			reflect.DeepEqual(r.Emails, []string{"shared@mail.tw"}) && r.Phones == nil && r.Contacts == 1
	}
	if !deletedOld || !liveNew {
		t.Fatalf("customer rows %+v", o.Customers)
	}
	if _, ok := g.Lookup("acme", "line", "L1", "Usecret"); ok {
		t.Fatal("deleted contact still resolves")
	}
	for _, r := range []Ref{PhoneRef("0987001234"), EmailRef("secret@mail.tw")} {
		if p, ok := g.Customer("acme", r); ok {
			t.Fatalf("%+v still known: %+v", r, p)
		}
	}
	// Nothing personal stays in memory or in the changelog.
	tm := g.teams["acme"]
	for _, chunk := range tm.arena {
		for _, s := range []string{"Usecret", "886987001234", "secret@mail.tw"} {
			if bytes.Contains(chunk, []byte(s)) {
				t.Fatalf("%q still in the arena", s)
			}
		}
	}
	var tombs int
	for _, d := range g.Deltas() {
		if d.Value == nil {
			tombs++
		}
		for _, s := range []string{"Usecret", "886987001234", "secret@mail.tw"} {
			if bytes.Contains(d.Value, []byte(s)) {
				t.Fatalf("delta %q carries %q", d.Key, s)
			}
		}
	}
	if tombs != 3 { // the contact, its phone, its own email
		t.Fatalf("%d tombstones, want 3", tombs)
	}
	if s := g.Stats("acme"); s.ContactsDeleted != 1 || s.ContactsCreated != 2 {
		t.Fatalf("stats %+v", s)
	}
	// Deleting again, or an unknown contact, is a no-op.
	if o := apply(t, g, ev{typ: "contact.deleted", who: "line:L1:Usecret", min: 5})[0]; !reflect.DeepEqual(o, Outcome{}) {
		t.Fatalf("second delete %+v", o)
	}
}

func TestNoCrossTeamMerge(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{team: "a", typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", phone: "0911223344", method: "phone"},
		ev{team: "b", typ: "identity.bind", who: "line:L1:U2", min: 2, member: "M1", phone: "0911223344", method: "phone"},
		ev{team: "b", typ: "identity.bind", who: "line:L1:U1", min: 3, method: "social", member: "M2"},
	)
	a1, b1, b2 := lookup(t, g, "a", "line:L1:U1"), lookup(t, g, "b", "line:L1:U1"), lookup(t, g, "b", "line:L1:U2")
	if a1 == b1 || a1 == b2 || b1 == b2 {
		t.Fatalf("ids a/U1 %s b/U1 %s b/U2 %s", a1, b1, b2)
	}
	if a1 != wantID("a", "line:L1:U1") || b1 != wantID("b", "line:L1:U1") {
		t.Fatal("ids are not per team")
	}
	if p, _ := g.Customer("a", MemberRef("M1")); len(p.Contacts) != 1 {
		t.Fatalf("team a sees %+v", p)
	}
	if _, ok := g.Lookup("c", "line", "L1", "U1"); ok {
		t.Fatal("unknown team resolves")
	}
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestArenaCompaction(t *testing.T) {
	g := newTestGraph(t)
	uid := func(i int) string { return fmt.Sprintf("U%0119d", i) }
	const n = 20000
	for i := range n {
		apply(t, g, ev{typ: "identity.bind", who: "line:L1:" + uid(i), min: i, member: fmt.Sprintf("M%d", i/2), method: "social"})
	}
	tm := g.teams["acme"]
	chunks := len(tm.arena)
	for i := range n {
		if i%4 != 0 {
			apply(t, g, ev{typ: "contact.deleted", who: "line:L1:" + uid(i), min: n + i})
		}
	}
	if len(tm.arena) >= chunks || tm.garbage > tm.live {
		t.Fatalf("arena not compacted: %d chunks (was %d), %d garbage, %d live", len(tm.arena), chunks, tm.garbage, tm.live)
	}
	for i := 0; i < n; i += 4 {
		if got := lookup(t, g, "acme", "line:L1:"+uid(i)); got != wantID("acme", "line:L1:"+uid(i)) {
			t.Fatalf("contact %d resolves to %s", i, got)
		}
		if p, ok := g.Customer("acme", MemberRef(fmt.Sprintf("M%d", i/2))); !ok || len(p.Contacts) != 1 {
			t.Fatalf("member %d: %+v", i/2, p)
		}
	}
}

func TestRowOfCustomerGainingIdentifiers(t *testing.T) {
	g := newTestGraph(t)
	apply(t, g,
		ev{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M1", method: "social"},
	)
	u1 := wantID("acme", "line:L1:U1")
	o := apply(t, g, ev{typ: "identity.bind", who: "facebook:P1:F1", min: 3, email: "f@mail.tw", method: "email"})[0]
	want := []CustomerRow{{Team: "acme", CustomerID: u1, MemberID: "M1", Emails: []string{"f@mail.tw"}, Methods: []string{"email", "social"},
		Contacts: 2, Version: o.Customers[0].Version}}
	if !reflect.DeepEqual(o.Customers, want) || o.Contacts != nil || o.Merges != nil {
		t.Fatalf("outcome %+v", o)
	}
	o = apply(t, g, ev{typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 4, target: "line:L1:U1"})[0]
	if len(o.Customers) != 1 || !reflect.DeepEqual(o.Customers[0].Methods, []string{"email", "omnilink", "social"}) || o.Merges != nil {
		t.Fatalf("outcome %+v", o)
	}
	// A repeated binding changes nothing.
	o = apply(t, g, ev{typ: "identity.bind", who: "facebook:P1:F1", min: 5, email: "f@mail.tw", method: "email"})[0]
	if o.Customers != nil {
		t.Fatalf("repeat %+v", o)
	}
}
