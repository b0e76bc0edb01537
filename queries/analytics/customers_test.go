package analytics

import (
	"testing"
	"time"
)

// customerEvents is a Taipei team, analysed over Jan – Feb 2024:
//
//	line/oa1 L1  created Dec 10 2023, social binding Jan 5 (bot), blocks Feb 10
//	line/oa1 L2  created Jan 15 (keyword_qr), deleted Feb 3
//	line/oa1 L3  created Feb 20 (organic), social binding Feb 21 (pixel), unbound Feb 22
//	line/oa1 L4  created Jan 2 (user), unsubscribes Jan 3, subscribes Jan 4, phone binding Feb 1 (bot)
//	facebook/p1 F1  created Jan 31 23:30 local (ctc_ads), inbound Feb 1
//	facebook/p1 F2  no contact.created; first inbound Feb 5
//	web/site W1  page views only: not a contact
func customerEvents() []E {
	tm := team("t1", "Asia/Taipei")
	ev := func(ch, chID, user, typ, ts string) E {
		return E{Team: "t1", Ch: ch, ChID: chID, Contact: user, Type: typ, TS: at(tm, ts)}
	}
	line := func(user, typ, ts string) E { return ev("line", "oa1", user, typ, ts) }
	created := func(e E, src string) E { e.ContactSource = src; return e }
	bind := func(e E, method, src string) E { e.Method, e.SourceKind = method, src; return e }
	reason := func(e E, r string) E { e.Reason = r; return e }
	return []E{
		created(line("L1", "contact.created", "2023-12-10 10:00"), "user"),
		bind(line("L1", "identity.bind", "2024-01-05 10:00"), "social", "bot"),
		reason(line("L1", "contact.unsubscribed", "2024-02-10 10:00"), "block"),
		created(line("L2", "contact.created", "2024-01-15 10:00"), "keyword_qr"),
		line("L2", "contact.deleted", "2024-02-03 10:00"),
		created(line("L3", "contact.created", "2024-02-20 10:00"), ""),
		bind(line("L3", "identity.bind", "2024-02-21 10:00"), "social", "pixel"),
		bind(line("L3", "identity.unbind", "2024-02-22 10:00"), "social", "manual"),
		created(line("L4", "contact.created", "2024-01-02 10:00"), "user"),
		reason(line("L4", "contact.unsubscribed", "2024-01-03 10:00"), "unsubscribe"),
		line("L4", "contact.subscribed", "2024-01-04 10:00"),
		bind(line("L4", "identity.bind", "2024-02-01 10:00"), "phone", "bot"),
		created(ev("facebook", "p1", "F1", "contact.created", "2024-01-31 23:30"), "ctc_ads"),
		ev("facebook", "p1", "F1", "message.inbound", "2024-02-01 09:00"),
		ev("facebook", "p1", "F2", "message.inbound", "2024-02-05 09:00"),
		ev("web", "site", "W1", "pixel.pageview", "2024-01-20 09:00"),
		// another team's contact
		{Team: "t2", Ch: "line", ChID: "oa1", Contact: "L1", Type: "contact.created", TS: at(tm, "2024-01-10 10:00")},
	}
}

func TestCustomers(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	f.events(customerEvents()...)
	f.customers(
		C{Team: "t1", Customer: "c1", MemberID: "M1", Methods: []string{"social"}},
		C{Team: "t1", Customer: "c2", Methods: []string{"social"}},
		C{Team: "t1", Customer: "c3", MemberID: "M3", Methods: []string{"phone"}},
		C{Team: "t1", Customer: "c4", MemberID: "M4", Methods: []string{"social"}},
		C{Team: "t1", Customer: "c4", Deleted: true},
		C{Team: "t1", Customer: "c5"},
		C{Team: "t2", Customer: "c9", MemberID: "M9", Methods: []string{"social"}},
	)
	f.contactMap(
		M{Team: "t1", Ch: "line", ChID: "oa1", Contact: "L1", Customer: "c1"},
		M{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "F1", Customer: "c1"},
		M{Team: "t1", Ch: "line", ChID: "oa1", Contact: "L3", Customer: "c2"},
		M{Team: "t1", Ch: "line", ChID: "oa1", Contact: "L4", Customer: "c3"},
		M{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "F2", Customer: "c6"},
		M{Team: "t1", Ch: "line", ChID: "oa1", Contact: "L2", Customer: "c7"},
		M{Team: "t1", Ch: "line", ChID: "oa1", Contact: "L2", Customer: "c7", Deleted: true},
	)

	rep, err := f.svc.Customers(f.ctx, tm, CustomersQuery{Range: span(tm, "2024-01-01", "2024-02-29"), Unit: Month})
	if err != nil {
		t.Fatal(err)
	}
	p := func(v float64) *float64 { return &v }
	same(t, "cards", rep.Customers, CustomerTotals{
		OmniCustomers: 5, SociallyBound: 2, SociallyBoundShare: p(0.4), WebsiteMembers: 2, WebsiteMembersShare: p(0.4),
		BoundMembers: 1, BoundMembersShare: p(0.2),
	})
	jan, feb := day("2024-01-01"), day("2024-02-01")
	same(t, "channels", rep.Channels, []ChannelSeries{
		{ChannelType: "facebook", ChannelID: "p1", Contacts: 2, EffectiveContacts: 2, Unsubscribed: 0, EffectiveShare: p(1), Points: []ChannelPoint{
			{Period: jan, Contacts: 1, EffectiveContacts: 1, NewContacts: 1},
			{Period: feb, Contacts: 2, EffectiveContacts: 2},
		}},
		{ChannelType: "line", ChannelID: "oa1", Contacts: 3, EffectiveContacts: 2, Unsubscribed: 1, EffectiveShare: p(2.0 / 3), Points: []ChannelPoint{
			{Period: jan, Contacts: 3, BoundContacts: 1, EffectiveContacts: 3, NewContacts: 2, Unsubscribes: 1},
			{Period: feb, Contacts: 3, BoundContacts: 0, EffectiveContacts: 2, NewContacts: 1, Unsubscribes: 1, Blocks: 1},
		}},
	})
	same(t, "binding methods", rep.BindingMethods, []MethodMonth{
		{Month: jan, Total: 1, Methods: []MethodCount{{"social", "bot", 1}}},
		{Month: feb, Total: 2, Methods: []MethodCount{{"phone", "bot", 1}, {"social", "pixel", 1}}},
	})
	same(t, "new-contact sources", rep.NewContactSources, []SourceMonth{
		{Month: jan, Total: 3, Sources: []SourceCount{{"ctc_ads", 1}, {"keyword_qr", 1}, {"user", 1}}},
		{Month: feb, Total: 1, Sources: []SourceCount{{"organic", 1}}},
	})

	// One channel compared; weeks starting on Monday, then on Sunday.
	rep, err = f.svc.Customers(f.ctx, tm, CustomersQuery{Range: span(tm, "2024-01-01", "2024-01-14"), Unit: Week,
		Channels: []Channel{{"line", "oa1"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "weeks from Monday", rep.Channels, []ChannelSeries{
		{ChannelType: "line", ChannelID: "oa1", Contacts: 2, EffectiveContacts: 2, EffectiveShare: p(1), Points: []ChannelPoint{
			{Period: day("2024-01-01"), Contacts: 2, BoundContacts: 1, EffectiveContacts: 2, NewContacts: 1, Unsubscribes: 1},
			{Period: day("2024-01-08"), Contacts: 2, BoundContacts: 1, EffectiveContacts: 2},
		}},
	})
	sunday := team("t1", "Asia/Taipei")
	sunday.WeekStart = time.Sunday
	rep, err = f.svc.Customers(f.ctx, sunday, CustomersQuery{Range: span(tm, "2024-01-01", "2024-01-14"), Unit: Week,
		Channels: []Channel{{"line", "oa1"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "weeks from Sunday", rep.Channels[0].Points, []ChannelPoint{
		{Period: day("2023-12-31"), Contacts: 2, BoundContacts: 1, EffectiveContacts: 2, NewContacts: 1, Unsubscribes: 1},
		{Period: day("2024-01-07"), Contacts: 2, BoundContacts: 1, EffectiveContacts: 2},
		{Period: day("2024-01-14"), Contacts: 2, BoundContacts: 1, EffectiveContacts: 2},
	})

	// Years: the first bucket starts before the range.
	rep, err = f.svc.Customers(f.ctx, tm, CustomersQuery{Range: span(tm, "2023-12-01", "2024-02-29"), Unit: Year,
		Channels: []Channel{{Type: "line"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "years", rep.Channels[0].Points, []ChannelPoint{
		{Period: day("2023-01-01"), Contacts: 1, EffectiveContacts: 1, NewContacts: 1},
		{Period: day("2024-01-01"), Contacts: 3, EffectiveContacts: 2, NewContacts: 3, Unsubscribes: 2, Blocks: 1},
	})
	if len(rep.BindingMethods) != 3 || rep.BindingMethods[0].Month != day("2023-12-01") {
		t.Errorf("months of the binding methods: %+v", rep.BindingMethods)
	}

	// A team without customers has no shares.
	rep, err = f.svc.Customers(f.ctx, team("t3", "Asia/Taipei"), CustomersQuery{Range: span(tm, "2024-01-01", "2024-02-29")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "empty team", rep.Customers, CustomerTotals{})
	same(t, "empty team channels", rep.Channels, []ChannelSeries{})
}
