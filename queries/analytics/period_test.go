package analytics

import (
	"testing"
	"time"
)

func TestPresetRange(t *testing.T) {
	taipei, _ := time.LoadLocation("Asia/Taipei")
	// 2024-03-01 01:00 in Taipei is still February 29 in UTC.
	now := time.Date(2024, 2, 29, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct{ preset, from, to string }{
		{PresetToday, "2024-03-01", "2024-03-01"},
		{PresetYesterday, "2024-02-29", "2024-02-29"},
		{PresetLast7Days, "2024-02-24", "2024-03-01"},
		{PresetLast14Days, "2024-02-17", "2024-03-01"},
		{PresetLast30Days, "2024-02-01", "2024-03-01"},
		{PresetThisMonth, "2024-03-01", "2024-03-01"},
		{PresetLastMonth, "2024-02-01", "2024-02-29"},
	} {
		r, ok := PresetRange(c.preset, now, taipei)
		if !ok || r.From.String() != c.from || r.To.String() != c.to {
			t.Errorf("%s: got %s – %s (%v), want %s – %s", c.preset, r.From, r.To, ok, c.from, c.to)
		}
	}
	r, _ := PresetRange(PresetLastMonth, time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), taipei)
	if r.From.String() != "2023-12-01" || r.To.String() != "2023-12-31" {
		t.Errorf("last month in January: %s – %s", r.From, r.To)
	}
	if _, ok := PresetRange("last_year", now, taipei); ok {
		t.Error("an unknown preset resolved")
	}
}

func TestRangeAcrossDST(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	spring := Range{From: day("2024-03-10"), To: day("2024-03-10"), Loc: ny}
	if d := spring.End().Sub(spring.Start()); d != 23*time.Hour {
		t.Errorf("2024-03-10 in New York lasts %s", d)
	}
	if got := spring.Start().UTC(); !got.Equal(time.Date(2024, 3, 10, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("2024-03-10 starts at %s UTC", got)
	}
	fall := Range{From: day("2024-11-03"), To: day("2024-11-03"), Loc: ny}
	if d := fall.End().Sub(fall.Start()); d != 25*time.Hour {
		t.Errorf("2024-11-03 in New York lasts %s", d)
	}
}

func TestBuckets(t *testing.T) {
	taipei, _ := time.LoadLocation("Asia/Taipei")
	r := Range{From: day("2024-01-03"), To: day("2024-02-14"), Loc: taipei}
	labels := func(bs []bucket) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Label.String()+"/"+b.End.In(taipei).Format("01-02"))
		}
		return out
	}
	equal(t, "weeks from Monday", labels(buckets(r, Week, time.Monday)), []string{
		"2024-01-01/01-08", "2024-01-08/01-15", "2024-01-15/01-22", "2024-01-22/01-29", "2024-01-29/02-05",
		"2024-02-05/02-12", "2024-02-12/02-15",
	})
	equal(t, "weeks from Sunday", labels(buckets(r, Week, time.Sunday))[:2], []string{"2023-12-31/01-07", "2024-01-07/01-14"})
	equal(t, "weeks from Saturday", labels(buckets(r, Week, time.Saturday))[:2], []string{"2023-12-30/01-06", "2024-01-06/01-13"})
	equal(t, "months", labels(buckets(r, Month, time.Monday)), []string{"2024-01-01/02-01", "2024-02-01/02-15"})
	equal(t, "years", labels(buckets(Range{From: day("2023-12-30"), To: day("2024-01-02"), Loc: taipei}, Year, time.Monday)),
		[]string{"2023-01-01/01-01", "2024-01-01/01-03"})
}

// TestDailyBucketsAcrossDST: a New York team's days are its local days on
// both sides of the clock changes (23 and 25 hours long).
func TestDailyBucketsAcrossDST(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			panic(err)
		}
		return v
	}
	tag := func(user, ts string) E {
		return E{Team: "t1", Ch: "line", ChID: "oa1", Contact: user, Type: "tag.added", Tag: "t", TS: utc(ts)}
	}
	created := func(user, ts string) E {
		return E{Team: "t1", Ch: "line", ChID: "oa1", Contact: user, Type: "contact.created", TS: utc(ts)}
	}
	var evs []E
	for i, ts := range []string{
		"2024-03-10 04:30", // Mar 9 23:30 EST
		"2024-03-10 05:30", // Mar 10 00:30 EST
		"2024-03-10 07:30", // Mar 10 03:30 EDT
		"2024-03-11 03:30", // Mar 10 23:30 EDT
		"2024-03-11 04:30", // Mar 11 00:30 EDT
		"2024-11-03 04:30", // Nov 3 00:30 EDT
		"2024-11-03 05:30", // Nov 3 01:30 EDT
		"2024-11-03 06:30", // Nov 3 01:30 EST
		"2024-11-04 04:30", // Nov 3 23:30 EST
		"2024-11-04 05:30", // Nov 4 00:30 EST
	} {
		user := string(rune('A' + i))
		evs = append(evs, tag(user, ts), created(user, ts))
	}
	f.events(evs...)
	for _, c := range []struct {
		from, to string
		want     []uint64
	}{
		{"2024-03-09", "2024-03-11", []uint64{1, 3, 1}},
		{"2024-11-02", "2024-11-04", []uint64{0, 4, 1}},
	} {
		r := span(tm, c.from, c.to)
		tags, err := f.svc.Tags(f.ctx, tm, TagQuery{Range: r})
		if err != nil {
			t.Fatal(err)
		}
		contacts, err := f.svc.Contacts(f.ctx, tm, ContactsQuery{Range: r})
		if err != nil {
			t.Fatal(err)
		}
		var gotTags, gotAdded []uint64
		for i := range tags.Daily {
			gotTags = append(gotTags, tags.Daily[i].TagCount)
			gotAdded = append(gotAdded, contacts.Daily[i].Added)
		}
		equal(t, c.from+" tags per day", gotTags, c.want)
		equal(t, c.from+" contacts added per day", gotAdded, c.want)
	}
}
