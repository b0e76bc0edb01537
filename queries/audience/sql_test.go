package audience

import (
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

// TestInjectionAttempts stores hostile strings as a contact's data and asks
// for them in every position a definition takes text: each query must run,
// find exactly the contact holding that string, and leave the tables alone.
func TestInjectionAttempts(t *testing.T) {
	f := newFixture(t)
	team := teams.New("t1", "Team One", "TW")
	s := f.store(tp("2023-01-05 18:00:00"))
	for i, v := range hostile {
		if strings.ContainsRune(v, 0) {
			continue // a NUL cannot be stored in a name by the processors either
		}
		w := where{"t1", "line", "CH", "h" + string(rune('a'+i))}
		f.profile(prof{where: w, name: v, member: v, subscribed: 1, overQuota: -1, ts: tp("2022-01-01 10:00:00")})
		f.event(ev{where: w, typ: "tag.added", tag: v, ts: tp("2022-12-01 10:00:00")})
		f.attribute(w, v, v)
	}
	f.profile(prof{where: where{"t1", "line", "CH", "plain"}, name: "plain", subscribed: 1, overQuota: -1, ts: tp("2022-01-01 10:00:00")})
	f.flush()
	for i, v := range hostile {
		if strings.ContainsRune(v, 0) {
			continue
		}
		want := "h" + string(rune('a'+i))
		for _, c := range []Condition{
			{Field: FieldTags, Op: OpHasAny, Values: []string{v}},
			{Field: FieldTags, Op: OpHasAll, Values: []string{v}},
			{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpEq, Value: v},
			{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpContains, Value: v},
			{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpStartsWith, Value: v},
			{Field: FieldName, Op: OpEq, Value: v},
			{Field: FieldMemberID, Op: OpEq, Value: v},
		} {
			def := Definition{Channel: Channel{Type: "line", ID: "CH"}, Conditions: []Condition{c}}
			if got := strings.Join(f.members(s, &team, def), ","); got != want {
				t.Errorf("%s %s %q: got %q, want %q", c.Field, c.Op, v, got, want)
			}
		}
		// Every condition at once, with hostile text everywhere, runs.
		def := Definition{Channel: Channel{Type: "line", ID: v}, Conditions: everyCondition(v)}
		if _, err := s.Preview(f.ctx, &team, def, "", 10); err != nil {
			t.Errorf("every condition with %q: %v", v, err)
		}
	}
	var n uint64
	if err := f.db.Conn.QueryRow(f.ctx, "SELECT count() FROM events").Scan(&n); err != nil || n == 0 {
		t.Fatalf("events after the attempts: %d rows, %v", n, err)
	}
}

// TestDateOperatorsInClickHouse checks the seed's examples end to end: a
// date and a datetime attribute holding the values at each boundary, the
// operators evaluated by ClickHouse at 2023-01-05 18:00:00 in the team's
// zone; then "in a month, any year" at the edges of its 131 years, and a
// day across New York's spring-forward change.
func TestDateOperatorsInClickHouse(t *testing.T) {
	f := newFixture(t)
	add := func(ch, id, key, value string) {
		w := where{"t1", "line", ch, id}
		f.profile(prof{where: w, name: id, subscribed: 1, overQuota: -1, ts: tp("2022-01-01 10:00:00")})
		f.attribute(w, key, value)
	}
	for id, v := range map[string]string{
		"d0103": "2023-01-03", "d0104": "2023-01-04", "d0105": "2023-01-05", "d0106": "2023-01-06",
		"d0108": "2023-01-08", "d0109": "2023-01-09", "d0110": "2023-01-10",
	} {
		add("D", id, "day", v)
	}
	for id, v := range map[string]string{
		"t0104_2359": "2023-01-04 23:59:59", "t0105_0000": "2023-01-05 00:00:00", "t0105_1759": "2023-01-05 17:59:59",
		"t0105_1800": "2023-01-05 18:00:00", "t0105_2359": "2023-01-05 23:59:59", "t0106_0000": "2023-01-06 00:00:00",
		"t0106_2359": "2023-01-06 23:59:59", "t0107_0000": "2023-01-07 00:00:00", "t0108_1800": "2023-01-08 18:00:00",
		"t0108_1801": "2023-01-08 18:00:01", "utc_0105_1600": "2023-01-05T16:00:00Z", // 2023-01-06 00:00 in Taipei
	} {
		add("T", id, "at", v)
	}
	for id, v := range map[string]string{
		"m1923": "1923-01-15", "m1922": "1922-01-15", "m2053": "2053-01-31", "m2054": "2054-01-01", "m_feb": "2000-02-01",
	} {
		add("M", id, "day", v)
	}
	// 16:30 UTC on January 31 is already February 1 in Taipei.
	add("MT", "jan_local", "at", "2023-01-31 23:30:00")
	add("MT", "feb_local", "at", "2023-01-31T16:30:00Z")
	for id, v := range map[string]string{
		"ny_0311_2359": "2023-03-11 23:59:59", "ny_0312_0000": "2023-03-12 00:00:00",
		"ny_0312_2359": "2023-03-12 23:59:59", "ny_0313_0000": "2023-03-13 00:00:00",
		"ny_utc_0313_0330": "2023-03-13T03:30:00Z", // 23:30 EDT on the 12th
	} {
		add("NY", id, "at", v)
	}
	f.flush()

	team := teams.New("t1", "Team One", "TW")
	s := f.store(tp("2023-01-05 18:00:00"))
	run := func(ch string, s *Store, team *teams.Team, c Condition) string {
		t.Helper()
		return strings.Join(f.members(s, team, Definition{Channel: Channel{Type: "line", ID: ch}, Conditions: []Condition{c}}), ",")
	}
	for _, tc := range []struct {
		c            Condition
		date, dttime string
	}{
		{Condition{Op: OpOn, Value: "2023-01-05"}, "d0105", "t0105_0000,t0105_1759,t0105_1800,t0105_2359"},
		{Condition{Op: OpToday}, "d0105", "t0105_0000,t0105_1759,t0105_1800,t0105_2359"},
		{Condition{Op: OpDaysAgo, N: 1}, "d0104", "t0104_2359"},
		{Condition{Op: OpDaysAhead, N: 1}, "d0106", "t0106_0000,t0106_2359,utc_0105_1600"},
		{Condition{Op: OpWithinNext, N: 3}, "d0105,d0106,d0108", "t0105_1800,t0105_2359,t0106_0000,t0106_2359,t0107_0000,t0108_1800,utc_0105_1600"},
		{Condition{Op: OpAfterDays, N: 3}, "d0109,d0110", "t0108_1801"},
	} {
		c := tc.c
		c.Field, c.Attribute, c.Type = FieldAttribute, "day", TypeDate
		if got := run("D", s, &team, c); got != tc.date {
			t.Errorf("date %s: got %q, want %q", c.Op, got, tc.date)
		}
		c.Attribute, c.Type = "at", TypeDatetime
		if got := run("T", s, &team, c); got != tc.dttime {
			t.Errorf("datetime %s: got %q, want %q", c.Op, got, tc.dttime)
		}
	}
	month := Condition{Field: FieldAttribute, Attribute: "day", Type: TypeDate, Op: OpMonth, Month: "this"}
	if got := run("M", s, &team, month); got != "m1923,m2053" {
		t.Errorf("January 1923-2053: got %q", got)
	}
	month.Month = "next"
	if got := run("M", s, &team, month); got != "m_feb" {
		t.Errorf("next month (February): got %q", got)
	}
	month = Condition{Field: FieldAttribute, Attribute: "at", Type: TypeDatetime, Op: OpMonth, Month: "1"}
	if got := run("MT", s, &team, month); got != "jan_local" {
		t.Errorf("datetime January in Taipei: got %q", got)
	}

	ny := teams.New("t1", "Team One", "US")
	ny.TimeZone = "America/New_York"
	nyLoc := mustZone(t, "America/New_York")
	sNY := f.store(time.Date(2023, 3, 11, 18, 0, 0, 0, nyLoc))
	c := Condition{Field: FieldAttribute, Attribute: "at", Type: TypeDatetime, Op: OpDaysAhead, N: 1}
	if got := run("NY", sNY, &ny, c); got != "ny_0312_0000,ny_0312_2359,ny_utc_0313_0330" {
		t.Errorf("the 23-hour 2023-03-12 in New York: got %q", got)
	}
}
