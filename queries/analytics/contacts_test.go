package analytics

import (
	"fmt"
	"testing"
)

// contactEvents is a Taipei (UTC+8) team around the January/February
// boundary; the report range is Jan 30 – Feb 2 local.
//
//	added:     U1 Jan 30 (user, staff1), U2 Jan 31 23:59 (organic), F1 Feb 1 00:01 (import, staff2);
//	           outside: U5 Jan 29 23:59, U4 Feb 3 00:00
//	connected: U1 inbound Jan 30; U2 broadcast delivered Jan 31 (source from the message.sent);
//	           U6 manual message by staff3 delivered Feb 2; not: F1 (first inbound in December),
//	           U7 (its only message failed)
//	deleted:   U5 Feb 1 (by staff1), F9 Feb 2 (api)
//	merged:    U1's customer twice (Jan 30 social, Feb 1 phone); not: a refusal, a split
func contactEvents() ([]E, []L, []P) {
	tm := team("t1", "Asia/Taipei")
	line := func(user, typ, ts string) E {
		return E{Team: "t1", Ch: "line", ChID: "oa1", Contact: user, Type: typ, TS: at(tm, ts)}
	}
	fb := func(user, typ, ts string) E {
		return E{Team: "t1", Ch: "facebook", ChID: "p1", Contact: user, Type: typ, TS: at(tm, ts)}
	}
	created := func(e E, src, actor string) E {
		e.ContactSource, e.Actor = src, actor
		return e
	}
	msg := func(e E, kind, id, actor string) E {
		e.SourceKind, e.MessageID, e.Actor = kind, id, actor
		return e
	}
	a1 := created(line("U1", "contact.created", "2024-01-30 10:00"), "user", "staff1")
	a1.ID = "ev-a1"
	bind1, bind2 := line("U1", "identity.bind", "2024-01-30 11:00"), line("U1", "identity.bind", "2024-02-01 11:00")
	bind1.ID, bind1.Method, bind2.ID, bind2.Method = "ev-bind1", "social", "ev-bind2", "phone"
	inbound := func(e E) E { e.InboundKind = "text"; return e }
	deleted := line("U5", "contact.deleted", "2024-02-01 12:00")
	deleted.Actor = "staff1"
	apiDeleted := fb("F9", "contact.deleted", "2024-02-02 08:00")
	apiDeleted.SourceKind = "api"
	evs := []E{
		a1, a1, // a duplicate row of the same event
		created(line("U2", "contact.created", "2024-01-31 23:59"), "", ""),
		created(fb("F1", "contact.created", "2024-02-01 00:01"), "import", "staff2"),
		created(line("U4", "contact.created", "2024-02-03 00:00"), "user", "staff1"),
		created(line("U5", "contact.created", "2024-01-29 23:59"), "user", "staff1"),

		inbound(line("U1", "message.inbound", "2024-01-30 10:05")),
		inbound(line("U1", "message.inbound", "2024-02-01 10:05")),
		msg(line("U2", "message.sent", "2024-01-31 10:00"), "broadcast", "m2", ""),
		msg(line("U2", "message.delivered", "2024-01-31 10:00:02"), "", "m2", ""),
		inbound(fb("F1", "message.inbound", "2023-12-20 10:00")),
		inbound(fb("F1", "message.inbound", "2024-02-01 10:00")),
		msg(line("U6", "message.sent", "2024-02-02 09:00"), "manual", "m6", "staff3"),
		msg(line("U6", "message.delivered", "2024-02-02 09:00:01"), "", "m6", ""),
		msg(line("U7", "message.sent", "2024-02-01 09:00"), "manual", "m7", "staff3"),
		msg(line("U7", "message.failed", "2024-02-01 09:00:01"), "manual", "m7", "staff3"),

		deleted, apiDeleted, bind1, bind2,
	}
	merge := func(ts, eventID, merged, cause string) L {
		return L{Team: "t1", TS: at(tm, ts), Surviving: "c_1", Merged: []string{merged}, Cause: cause, EventID: eventID, Actor: "pixel", OK: true}
	}
	logs := []L{
		merge("2024-01-30 11:00", "ev-bind1", "c_2", "social"),
		merge("2024-01-30 11:00", "ev-bind1", "c_2", "social"), // written twice
		merge("2024-02-01 11:00", "ev-bind2", "c_3", "phone"),
		{Team: "t1", TS: at(tm, "2024-02-01 11:30"), Surviving: "c_1", Merged: []string{"c_4"}, Cause: "social", EventID: "ev-x", OK: false, Reason: "member_id_conflict"},
		{Team: "t1", TS: at(tm, "2024-02-01 12:00"), Surviving: "c_5", Merged: []string{"c_5", "c_6"}, Cause: "delete", EventID: "ev-y", OK: true, Reason: "split"},
		{Team: "t2", TS: at(tm, "2024-02-01 11:00"), Surviving: "c_9", Merged: []string{"c_8"}, Cause: "social", EventID: "ev-z", OK: true},
	}
	profiles := []P{
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "U1", TS: at(tm, "2024-01-30 10:00"), Name: "Amy", Subscribed: -1},
		{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "F1", TS: at(tm, "2024-02-01 00:01"), Name: "Fay", Subscribed: -1},
	}
	return evs, logs, profiles
}

func TestContactsReport(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs, logs, profiles := contactEvents()
	f.events(evs...)
	f.mergeLog(logs...)
	f.profiles(profiles...)

	r := span(tm, "2024-01-30", "2024-02-02")
	rep, err := f.svc.Contacts(f.ctx, tm, ContactsQuery{Range: r})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "totals", rep.Totals, ContactCounts{Added: 3, Connected: 3, Deleted: 2, Merged: 2})
	same(t, "added by source", rep.AddedBySource, []SourceCount{{"import", 1}, {"organic", 1}, {"user", 1}})
	same(t, "connected by source", rep.ConnectedBySource, []SourceCount{{"broadcast", 1}, {"inbound", 1}, {"manual", 1}})
	same(t, "connected by channel", rep.ConnectedByChannel, []ChannelCount{{"line", "oa1", 3}})
	same(t, "daily", rep.Daily, []ContactsDay{
		{day("2024-01-30"), ContactCounts{Added: 1, Connected: 1, Merged: 1}},
		{day("2024-01-31"), ContactCounts{Added: 1, Connected: 1}},
		{day("2024-02-01"), ContactCounts{Added: 1, Deleted: 1, Merged: 1}},
		{day("2024-02-02"), ContactCounts{Connected: 1, Deleted: 1}},
	})
	same(t, "added log", rep.Logs.Added, ContactLog{Rows: []ContactLogRow{
		{Time: at(tm, "2024-02-01 00:01"), ChannelType: "facebook", ChannelID: "p1", ContactID: "F1", Name: "Fay", Source: "import", User: "staff2"},
		{Time: at(tm, "2024-01-31 23:59"), ChannelType: "line", ChannelID: "oa1", ContactID: "U2", Source: "organic"},
		{Time: at(tm, "2024-01-30 10:00"), ChannelType: "line", ChannelID: "oa1", ContactID: "U1", Name: "Amy", Source: "user", User: "staff1"},
	}})
	same(t, "connected log", rep.Logs.Connected, ContactLog{Rows: []ContactLogRow{
		{Time: at(tm, "2024-02-02 09:00:01"), ChannelType: "line", ChannelID: "oa1", ContactID: "U6", Source: "manual", User: "staff3"},
		{Time: at(tm, "2024-01-31 10:00:02"), ChannelType: "line", ChannelID: "oa1", ContactID: "U2", Source: "broadcast"},
		{Time: at(tm, "2024-01-30 10:05"), ChannelType: "line", ChannelID: "oa1", ContactID: "U1", Name: "Amy", Source: "inbound"},
	}})
	same(t, "deleted log", rep.Logs.Deleted, ContactLog{Rows: []ContactLogRow{
		{Time: at(tm, "2024-02-02 08:00"), ChannelType: "facebook", ChannelID: "p1", ContactID: "F9", Source: "api"},
		{Time: at(tm, "2024-02-01 12:00"), ChannelType: "line", ChannelID: "oa1", ContactID: "U5", Source: "user", User: "staff1"},
	}})
	same(t, "merged log", rep.Logs.Merged, ContactLog{Rows: []ContactLogRow{
		{Time: at(tm, "2024-02-01 11:00"), ChannelType: "line", ChannelID: "oa1", ContactID: "U1", Name: "Amy", Source: "phone", User: "pixel",
			SurvivingID: "c_1", MergedIDs: []string{"c_3"}},
		{Time: at(tm, "2024-01-30 11:00"), ChannelType: "line", ChannelID: "oa1", ContactID: "U1", Name: "Amy", Source: "social", User: "pixel",
			SurvivingID: "c_1", MergedIDs: []string{"c_2"}},
	}})

	for _, c := range []struct {
		name string
		q    ContactsQuery
		want ContactCounts
	}{
		{"channel facebook", ContactsQuery{Channels: []Channel{{Type: "facebook"}}}, ContactCounts{Added: 1, Deleted: 1}},
		{"channel line/oa1", ContactsQuery{Channels: []Channel{{"line", "oa1"}}}, ContactCounts{Added: 2, Connected: 3, Deleted: 1, Merged: 2}},
		{"channel line/oa2", ContactsQuery{Channels: []Channel{{"line", "oa2"}}}, ContactCounts{}},
		{"user staff1", ContactsQuery{Users: []string{"staff1"}}, ContactCounts{Added: 1, Deleted: 1}},
		{"user staff3", ContactsQuery{Users: []string{"staff3"}}, ContactCounts{Connected: 1}},
		{"source import", ContactsQuery{Sources: []string{"import", "phone"}}, ContactCounts{Added: 1, Merged: 1}},
		{"contact by name", ContactsQuery{Contact: "amy"}, ContactCounts{Added: 1, Connected: 1, Merged: 2}},
		{"contact by id", ContactsQuery{Contact: "U2"}, ContactCounts{Added: 1, Connected: 1}},
		{"January 31 alone", ContactsQuery{Range: span(tm, "2024-01-31", "2024-01-31")}, ContactCounts{Added: 1, Connected: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			if !q.Range.Bounded() {
				q.Range = r
			}
			rep, err := f.svc.Contacts(f.ctx, tm, q)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "totals", rep.Totals, c.want)
			if n := uint64(len(rep.Logs.Added.Rows)); n != c.want.Added {
				t.Errorf("added log has %d rows", n)
			}
			if n := uint64(len(rep.Logs.Merged.Rows)); n != c.want.Merged {
				t.Errorf("merged log has %d rows", n)
			}
		})
	}

	// The other team sees its own merge only.
	rep, err = f.svc.Contacts(f.ctx, team("t2", "Asia/Taipei"), ContactsQuery{Range: r})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "team t2", rep.Totals, ContactCounts{Merged: 1})
}

// TestContactsLogCap: a log answers at most 10,000 rows and says when it
// had more; the counts are never capped.
func TestContactsLogCap(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs := make([]E, 0, MaxLogRows+1)
	for i := range MaxLogRows + 1 {
		ch := "oa1"
		if i == 0 {
			ch = "oa2"
		}
		evs = append(evs, E{Team: "t1", Ch: "line", ChID: ch, Contact: fmt.Sprintf("U%05d", i), Type: "contact.created",
			ContactSource: "import", TS: at(tm, "2024-05-01 08:00").Add(timeSeconds(i))})
	}
	f.events(evs...)
	r := span(tm, "2024-05-01", "2024-05-01")
	rep, err := f.svc.Contacts(f.ctx, tm, ContactsQuery{Range: r})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Added != MaxLogRows+1 || len(rep.Logs.Added.Rows) != MaxLogRows || !rep.Logs.Added.Truncated {
		t.Errorf("10,001 added: count %d, log %d rows, truncated %v", rep.Totals.Added, len(rep.Logs.Added.Rows), rep.Logs.Added.Truncated)
	}
	if got := rep.Logs.Added.Rows[0].ContactID; got != fmt.Sprintf("U%05d", MaxLogRows) {
		t.Errorf("newest row first: got %s", got)
	}
	if rep.Logs.Deleted.Truncated || len(rep.Logs.Deleted.Rows) != 0 {
		t.Errorf("empty deleted log: %+v", rep.Logs.Deleted)
	}
	// Exactly 10,000 rows are not truncated.
	rep, err = f.svc.Contacts(f.ctx, tm, ContactsQuery{Range: r, Channels: []Channel{{"line", "oa1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Added != MaxLogRows || len(rep.Logs.Added.Rows) != MaxLogRows || rep.Logs.Added.Truncated {
		t.Errorf("10,000 added: count %d, log %d rows, truncated %v", rep.Totals.Added, len(rep.Logs.Added.Rows), rep.Logs.Added.Truncated)
	}
}
