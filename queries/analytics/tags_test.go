package analytics

import (
	"testing"
	"time"
)

// with returns e at ts.
func with(e E, ts time.Time) E {
	e.TS = ts
	return e
}

// tagEvents is a Taipei (UTC+8) team:
//
//	A line/oa1/UA: vip ×3 (Jan 5, 6, 7, manual), vip removed Jan 8, vip again Jan 9 (bot)
//	B facebook/p1/UB: vip Jan 31 23:30 local (journey), sale Feb 1 00:10 local (journey)
//	C line/oa1/UC: sale ×2 Jan 9 (keyword), a removal of vip it never had
//
// plus a tag of another team that must never show. The removal of A's vip
// comes separately (removal) so a test can add it late.
func tagEvents() (evs []E, removal E) {
	tm := team("t1", "Asia/Taipei")
	a := E{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UA", Type: "tag.added", Tag: "vip", SourceKind: "manual", Actor: "staff1"}
	b := E{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "UB", Type: "tag.added", SourceKind: "journey", SourceID: "j1"}
	c := E{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UC", Type: "tag.added", Tag: "sale", SourceKind: "keyword"}
	a4 := with(a, at(tm, "2024-01-09 10:00"))
	a4.SourceKind, a4.Actor = "bot", ""
	b1, b2 := with(b, at(tm, "2024-01-31 23:30")), with(b, at(tm, "2024-02-01 00:10"))
	b1.Tag, b2.Tag = "vip", "sale"
	cr := with(c, at(tm, "2024-01-10 09:00"))
	cr.Type, cr.Tag = "tag.removed", "vip"
	evs = []E{
		with(a, at(tm, "2024-01-05 10:00")), with(a, at(tm, "2024-01-06 10:00")), with(a, at(tm, "2024-01-07 10:00")),
		a4, b1, b2,
		with(c, at(tm, "2024-01-09 11:00")), with(c, at(tm, "2024-01-09 11:00:30")), cr,
		{Team: "t2", Ch: "line", ChID: "oa1", Contact: "UA", Type: "tag.added", Tag: "vip", TS: at(tm, "2024-01-09 10:00")},
	}
	removal = with(a, at(tm, "2024-01-08 10:00"))
	removal.Type, removal.SourceKind, removal.Actor = "tag.removed", "manual", "staff2"
	return evs, removal
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs, removal := tagEvents()
	f.events(evs...)

	// Before the removal lands, A's first three applications count.
	early := span(tm, "2024-01-01", "2024-01-07")
	rep, err := f.svc.Tags(f.ctx, tm, TagQuery{Range: early})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Jan 1-7 before the removal", rep.Tags, []TagStat{{Tag: "vip", TagCount: 3, TaggedPeople: 1, LastTagged: at(tm, "2024-01-07 10:00")}})

	// The removal, arriving late, deletes them from that older range too.
	f.events(removal)
	rep, err = f.svc.Tags(f.ctx, tm, TagQuery{Range: early})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Jan 1-7 after the removal", rep.Tags, []TagStat{})
	same(t, "Jan 1-7 totals after the removal", rep.Totals, TagCounts{})
	if len(rep.Daily) != 7 || rep.Daily[4].TagCount != 0 {
		t.Errorf("daily series of Jan 1-7: %+v", rep.Daily)
	}

	// January: applied three times, removed, applied once: 1. The
	// application at 23:30 on Jan 31 local (15:30 UTC) is in January; the
	// one at 00:10 on Feb 1 local (Jan 31 16:10 UTC) is not.
	jan := span(tm, "2024-01-01", "2024-01-31")
	rep, err = f.svc.Tags(f.ctx, tm, TagQuery{Range: jan})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "January tags", rep.Tags, []TagStat{
		{Tag: "sale", TagCount: 2, TaggedPeople: 1, LastTagged: at(tm, "2024-01-09 11:00:30")},
		{Tag: "vip", TagCount: 2, TaggedPeople: 2, LastTagged: at(tm, "2024-01-31 23:30")},
	})
	same(t, "January totals", rep.Totals, TagCounts{TagCount: 4, TaggedPeople: 3})
	if len(rep.Daily) != 31 {
		t.Fatalf("January has %d days in the series", len(rep.Daily))
	}
	same(t, "Jan 9", rep.Daily[8], TagDay{Date: day("2024-01-09"), TagCounts: TagCounts{3, 2}, Tags: []TagDayCount{
		{Tag: "sale", TagCounts: TagCounts{2, 1}}, {Tag: "vip", TagCounts: TagCounts{1, 1}},
	}})
	same(t, "Jan 31", rep.Daily[30], TagDay{Date: day("2024-01-31"), TagCounts: TagCounts{1, 1}, Tags: []TagDayCount{
		{Tag: "vip", TagCounts: TagCounts{1, 1}},
	}})
	same(t, "Jan 8", rep.Daily[7], TagDay{Date: day("2024-01-08"), Tags: []TagDayCount{}})
	same(t, "January log", rep.Log, TagLog{Rows: []TagApplication{
		{Time: at(tm, "2024-01-31 23:30"), ChannelType: "facebook", ChannelID: "p1", UserID: "UB", Tag: "vip", Source: "journey", SourceID: "j1"},
		{Time: at(tm, "2024-01-09 11:00:30"), ChannelType: "line", ChannelID: "oa1", UserID: "UC", Tag: "sale", Source: "keyword"},
		{Time: at(tm, "2024-01-09 11:00"), ChannelType: "line", ChannelID: "oa1", UserID: "UC", Tag: "sale", Source: "keyword"},
		{Time: at(tm, "2024-01-09 10:00"), ChannelType: "line", ChannelID: "oa1", UserID: "UA", Tag: "vip", Source: "bot"},
	}})

	// Filters: tagging source, tag, channel; and a log limit.
	rep, err = f.svc.Tags(f.ctx, tm, TagQuery{Range: jan, Sources: []string{"bot", "journey"}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "January bot and journey", rep.Tags, []TagStat{{Tag: "vip", TagCount: 2, TaggedPeople: 2, LastTagged: at(tm, "2024-01-31 23:30")}})
	if len(rep.Log.Rows) != 1 || !rep.Log.Truncated {
		t.Errorf("log of limit 1: %d rows, truncated %v", len(rep.Log.Rows), rep.Log.Truncated)
	}
	rep, err = f.svc.Tags(f.ctx, tm, TagQuery{Range: jan, Tags: []string{"vip"}, Channels: []Channel{{Type: "line"}}})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "January vip on LINE", rep.Tags, []TagStat{{Tag: "vip", TagCount: 1, TaggedPeople: 1, LastTagged: at(tm, "2024-01-09 10:00")}})
	if rep.Log.Truncated || len(rep.Log.Rows) != 1 {
		t.Errorf("log: %+v", rep.Log)
	}

	// February holds B's sale.
	rep, err = f.svc.Tags(f.ctx, tm, TagQuery{Range: span(tm, "2024-02-01", "2024-02-29")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "February", rep.Tags, []TagStat{{Tag: "sale", TagCount: 1, TaggedPeople: 1, LastTagged: at(tm, "2024-02-01 00:10")}})

	// Another team sees only its own application.
	rep, err = f.svc.Tags(f.ctx, team("t2", "Asia/Taipei"), TagQuery{Range: jan})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "team t2", rep.Totals, TagCounts{1, 1})
}

func TestContactTags(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs, removal := tagEvents()
	f.events(append(evs, removal)...)
	// A re-application of vip on A in February, and a sale.
	f.events(
		E{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UA", Type: "tag.added", Tag: "vip", SourceKind: "manual", TS: at(tm, "2024-02-02 08:00")},
		E{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UA", Type: "tag.added", Tag: "sale", SourceKind: "manual", TS: at(tm, "2024-02-03 08:00")},
	)
	a := ContactRef{ChannelType: "line", ChannelID: "oa1", UserID: "UA"}
	rep, err := f.svc.ContactTags(f.ctx, tm, a, TagQuery{Range: span(tm, "2024-01-01", "2024-02-29")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "A's tag frequency", rep.Tags, []ContactTag{
		{Tag: "vip", Count: 2, LastTagged: at(tm, "2024-02-02 08:00")},
		{Tag: "sale", Count: 1, LastTagged: at(tm, "2024-02-03 08:00")},
	})
	rep, err = f.svc.ContactTags(f.ctx, tm, a, TagQuery{Range: span(tm, "2024-01-01", "2024-01-31")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "A in January", rep.Tags, []ContactTag{{Tag: "vip", Count: 1, LastTagged: at(tm, "2024-01-09 10:00")}})
	// The same user id on another channel account is another contact.
	rep, err = f.svc.ContactTags(f.ctx, tm, ContactRef{ChannelType: "line", ChannelID: "oa2", UserID: "UA"}, TagQuery{Range: span(tm, "2024-01-01", "2024-02-29")})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "UA on oa2", rep.Tags, []ContactTag{})
}
