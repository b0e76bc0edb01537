package analytics

import (
	"testing"
)

func TestKeywords(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	kw := func(ch, chID, user, group, cond, ts string) E {
		return E{Team: "t1", Ch: ch, ChID: chID, Contact: user, Type: "keyword.triggered", KwGroup: group, KwCondition: cond,
			SourceKind: "keyword_reply", TS: at(tm, ts)}
	}
	dup := kw("line", "oa1", "U2", "g1", "hi", "2024-03-02 10:00")
	dup.ID = "ev-dup"
	f.events(
		kw("line", "oa1", "U1", "g1", "hi", "2024-03-01 10:00"), kw("line", "oa1", "U1", "g1", "hi", "2024-03-01 11:00"),
		dup, dup,
		kw("facebook", "p1", "F1", "g1", "hi", "2024-03-03 10:00"),
		kw("line", "oa1", "U1", "g1", "price", "2024-03-04 10:00"),
		kw("line", "oa1", "U3", "g2", "x", "2024-03-31 23:59"),
		kw("line", "oa1", "U3", "g2", "", "2024-03-10 10:00"),  // a trigger without a condition
		kw("line", "oa1", "U3", "g2", "x", "2024-04-01 00:00"), // April, local time
	)
	rep, err := f.svc.Keywords(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Triggers != 7 || rep.Contacts != 4 {
		t.Errorf("totals: %d triggers, %d contacts", rep.Triggers, rep.Contacts)
	}
	same(t, "groups", rep.Groups, []KeywordGroup{
		{Group: "g1", Triggers: 5, Contacts: 3, Conditions: []KeywordCondition{
			{Condition: "hi", Triggers: 4, Contacts: 3, Channels: []KeywordChannel{{"facebook", "p1", 1, 1}, {"line", "oa1", 3, 2}}},
			{Condition: "price", Triggers: 1, Contacts: 1, Channels: []KeywordChannel{{"line", "oa1", 1, 1}}},
		}},
		{Group: "g2", Triggers: 2, Contacts: 1, Conditions: []KeywordCondition{
			{Condition: "", Triggers: 1, Contacts: 1, Channels: []KeywordChannel{{"line", "oa1", 1, 1}}},
			{Condition: "x", Triggers: 1, Contacts: 1, Channels: []KeywordChannel{{"line", "oa1", 1, 1}}},
		}},
	})
	rep, err = f.svc.Keywords(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-04-30"), Groups: []string{"g2"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Triggers != 3 || len(rep.Groups) != 1 || rep.Groups[0].Triggers != 3 {
		t.Errorf("g2 in March and April: %+v", rep)
	}
	rep, err = f.svc.Keywords(f.ctx, tm, CounterQuery{Range: span(tm, "2024-05-01", "2024-05-31")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "May", rep, &KeywordReport{Period: rep.Period, Groups: []KeywordGroup{}})
}

func TestRichMenus(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	click := func(user, menu, area, ts string) E {
		return E{Team: "t1", Ch: "line", ChID: "oa1", Contact: user, Type: "richmenu.clicked", SourceKind: "richmenu",
			SourceID: menu, Area: area, TS: at(tm, ts)}
	}
	f.events(
		click("U1", "rm1", "A", "2024-03-01 10:00"), click("U1", "rm1", "A", "2024-03-01 10:01"), click("U2", "rm1", "A", "2024-03-02 10:00"),
		click("U1", "rm1", "B", "2024-03-02 10:00"), click("U3", "rm2", "A", "2024-03-03 10:00"),
		click("U3", "rm2", "A", "2024-02-29 23:59"),
	)
	rep, err := f.svc.RichMenus(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "areas", rep.Areas, []RichMenuArea{
		{"line", "oa1", "rm1", "A", 3, 2}, {"line", "oa1", "rm1", "B", 1, 1}, {"line", "oa1", "rm2", "A", 1, 1},
	})
	if rep.Clicks != 5 {
		t.Errorf("clicks: %d", rep.Clicks)
	}
	rep, err = f.svc.RichMenus(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-03-31"), Menus: []string{"rm2"},
		Channels: []Channel{{"line", "oa1"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "rm2", rep.Areas, []RichMenuArea{{"line", "oa1", "rm2", "A", 1, 1}})
}

// cartEvents is a Taipei team's cart remarketing in March 2024:
//
//	line U1 (cA)     sent Mar 1, url clicks Mar 1, Mar 2, Mar 8
//	whatsapp W1 (cA) url click Mar 9
//	whatsapp W2 (cB) sent Mar 1, url click Mar 5 10:00
//	line U3 (cC)     url click Feb 10 (before the range, within 30 days of o5)
//	line U4 (cD)     url click Jan 1 (too early for o6)
//	line U5 (cE)     sent Mar 1, never clicks
//	facebook F6 (cF) sent Mar 6, an in-text link click (not a click)
//
// Orders: o1 member MA Mar 3 100.5 TWD (reported twice) → line;
// o2 web visitor V2 (cB) Mar 6 20 USD → whatsapp; o3 cB Apr 10 (outside);
// o4 V2 Mar 5 09:00, before W2's click → none; o5 line U3 Mar 5 30 TWD →
// line; o6 member MD Mar 5 → none; o7 member MA Mar 10 10 TWD → whatsapp
// (W1's click is the latest); o8 member MF Mar 7 → none.
func cartEvents() ([]E, []M, []C) {
	tm := team("t1", "Asia/Taipei")
	ev := func(ch, chID, user, typ, ts string) E {
		return E{Team: "t1", Ch: ch, ChID: chID, Contact: user, Type: typ, SourceKind: "cart_remarketing", TS: at(tm, ts)}
	}
	sent := func(ch, chID, user, ts string) E { return ev(ch, chID, user, "message.sent", ts) }
	click := func(ch, chID, user, ts string) E {
		e := ev(ch, chID, user, "button.clicked", ts)
		e.ButtonKind, e.URL = "url", "https://shop.example/cart"
		return e
	}
	order := func(id, member, ts, amount, cur string) E {
		return E{Team: "t1", Ch: "web", ChID: "site", Type: "order.placed", SourceKind: "pixel", OrderID: id, MemberID: member,
			Amount: amount, Currency: cur, TS: at(tm, ts)}
	}
	withContact := func(e E, ch, chID, user string) E { e.Ch, e.ChID, e.Contact = ch, chID, user; return e }
	textLink := click("facebook", "p6", "F6", "2024-03-06 12:00")
	textLink.ButtonKind = "text_link"
	o1again := order("o1", "MA", "2024-03-03 10:05", "100.5", "TWD")
	evs := []E{
		sent("line", "oa1", "U1", "2024-03-01 09:00"), click("line", "oa1", "U1", "2024-03-01 10:00"),
		click("line", "oa1", "U1", "2024-03-02 10:00"), click("line", "oa1", "U1", "2024-03-08 10:00"),
		click("whatsapp", "wa1", "W1", "2024-03-09 10:00"),
		sent("whatsapp", "wa1", "W2", "2024-03-01 09:00"), click("whatsapp", "wa1", "W2", "2024-03-05 10:00"),
		sent("line", "oa1", "U3", "2024-02-10 09:00"), click("line", "oa1", "U3", "2024-02-10 10:00"),
		sent("line", "oa1", "U4", "2024-01-01 09:00"), click("line", "oa1", "U4", "2024-01-01 10:00"),
		sent("line", "oa1", "U5", "2024-03-01 09:00"),
		sent("facebook", "p6", "F6", "2024-03-06 09:00"), textLink,

		order("o1", "MA", "2024-03-03 10:00", "100.5", "TWD"), o1again,
		withContact(order("o2", "", "2024-03-06 10:00", "20", "USD"), "web", "site", "V2"),
		withContact(order("o3", "", "2024-04-10 10:00", "99", "USD"), "web", "site", "V2"),
		withContact(order("o4", "", "2024-03-05 09:00", "5", "USD"), "web", "site", "V2"),
		withContact(order("o5", "", "2024-03-05 10:00", "30", "TWD"), "line", "oa1", "U3"),
		order("o6", "MD", "2024-03-05 10:00", "40", "TWD"),
		order("o7", "MA", "2024-03-10 10:00", "10", "TWD"),
		order("o8", "MF", "2024-03-07 10:00", "50", "TWD"),
	}
	maps := []M{
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "U1", Customer: "cA"},
		{Team: "t1", Ch: "whatsapp", ChID: "wa1", Contact: "W1", Customer: "cA"},
		{Team: "t1", Ch: "whatsapp", ChID: "wa1", Contact: "W2", Customer: "cB"},
		{Team: "t1", Ch: "web", ChID: "site", Contact: "V2", Customer: "cB"},
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "U3", Customer: "cC"},
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "U4", Customer: "cD"},
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "U5", Customer: "cE"},
		{Team: "t1", Ch: "facebook", ChID: "p6", Contact: "F6", Customer: "cF"},
	}
	custs := []C{
		{Team: "t1", Customer: "cA", MemberID: "MA", Methods: []string{"social"}},
		{Team: "t1", Customer: "cD", MemberID: "MD", Methods: []string{"social"}},
		{Team: "t1", Customer: "cF", MemberID: "MF", Methods: []string{"social"}},
	}
	return evs, maps, custs
}

func TestCart(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs, maps, custs := cartEvents()
	f.events(evs...)
	f.contactMap(maps...)
	f.customers(custs...)

	rep, err := f.svc.Cart(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	p := func(v float64) *float64 { return &v }
	same(t, "totals", rep.Totals, CartCounts{Messages: 4, Clicks: 5, Clickers: 3, Orders: 4,
		Revenue: []Money{{"TWD", "140.5"}, {"USD", "20"}}, Conversion: p(4.0 / 3)})
	same(t, "channels", rep.Channels, []CartChannel{
		{"facebook", "p6", CartCounts{Messages: 1, Revenue: []Money{}}},
		{"line", "oa1", CartCounts{Messages: 2, Clicks: 3, Clickers: 1, Orders: 2, Revenue: []Money{{"TWD", "130.5"}}, Conversion: p(2)}},
		{"whatsapp", "wa1", CartCounts{Messages: 1, Clicks: 2, Clickers: 2, Orders: 2, Revenue: []Money{{"TWD", "10"}, {"USD", "20"}}, Conversion: p(1)}},
	})

	// Without clickers the conversion is absent, not 0.
	rep, err = f.svc.Cart(f.ctx, tm, CounterQuery{Range: span(tm, "2024-03-01", "2024-03-31"), Channels: []Channel{{Type: "facebook"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "facebook", rep.Totals, CartCounts{Messages: 1, Revenue: []Money{}})
	rep, err = f.svc.Cart(f.ctx, tm, CounterQuery{Range: span(tm, "2024-06-01", "2024-06-30")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "June", rep.Totals, CartCounts{Revenue: []Money{}})
}
