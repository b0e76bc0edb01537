package audience

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// renderDays shows an inclusive day range the way PRODUCT.md writes it.
func renderDays(r dayRange) string {
	from, to := "(open)", "(open)"
	if r.hasFrom {
		from = r.from.String()
	}
	if r.hasTo {
		to = r.to.String()
	}
	if r.hasFrom && r.hasTo && r.from == r.to {
		return from
	}
	return from + " – " + to
}

// renderInstants shows a half-open instant range as inclusive seconds in
// loc, as PRODUCT.md writes it ("2023-01-05 00:00:00 – 23:59:59").
func renderInstants(r timeRange, loc *time.Location, offsets bool) string {
	layout := time.DateTime
	if offsets {
		layout += " -07:00"
	}
	from, to := "(open)", "(open)"
	if r.hasFrom {
		from = r.from.In(loc).Format(layout)
	}
	if r.hasTo {
		to = r.to.Add(-time.Second).In(loc).Format(layout)
	}
	return from + " – " + to
}

// TestSeedDateExamples is the table of PRODUCT.md §5 and the seed's
// 特定日期 / 當天 / 在過去第 N 天 / 在未來第 N 天 / 未來 N 天以內 /
// 「N 天後」以後 / 特定月份 examples, run at 2023-01-05 18:00:00 in the
// team's zone.
func TestSeedDateExamples(t *testing.T) {
	loc := mustZone(t, "Asia/Taipei")
	clk := newClock(time.Date(2023, 1, 5, 18, 0, 0, 0, loc), loc)
	for _, tc := range []struct {
		name         string
		cond         Condition
		date, dttime string
	}{
		{"特定日期 on 2023-01-05", Condition{Op: OpOn, Value: "2023-01-05"},
			"2023-01-05", "2023-01-05 00:00:00 – 2023-01-05 23:59:59"},
		{"當天 today", Condition{Op: OpToday},
			"2023-01-05", "2023-01-05 00:00:00 – 2023-01-05 23:59:59"},
		{"在過去第 1 天", Condition{Op: OpDaysAgo, N: 1},
			"2023-01-04", "2023-01-04 00:00:00 – 2023-01-04 23:59:59"},
		{"在未來第 1 天", Condition{Op: OpDaysAhead, N: 1},
			"2023-01-06", "2023-01-06 00:00:00 – 2023-01-06 23:59:59"},
		{"未來 3 天以內", Condition{Op: OpWithinNext, N: 3},
			"2023-01-05 – 2023-01-08", "2023-01-05 18:00:00 – 2023-01-08 18:00:00"},
		{"3 天後以後", Condition{Op: OpAfterDays, N: 3},
			"2023-01-09 – (open)", "2023-01-08 18:00:01 – (open)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dr, ok := clk.days(tc.cond)
			if !ok {
				t.Fatal("no day range")
			}
			if got := renderDays(dr); got != tc.date {
				t.Errorf("date attribute: got %s, want %s", got, tc.date)
			}
			tr, ok := clk.instants(tc.cond)
			if !ok {
				t.Fatal("no instant range")
			}
			if got := renderInstants(tr, loc, false); got != tc.dttime {
				t.Errorf("datetime attribute: got %s, want %s", got, tc.dttime)
			}
		})
	}
	for _, tc := range []struct {
		month string
		want  time.Month
	}{{"this", time.January}, {"last", time.December}, {"next", time.February}, {"1", time.January}, {"12", time.December}} {
		m := clk.month(Condition{Op: OpMonth, Month: tc.month})
		if m.month != tc.want || m.fromYear != 1923 || m.toYear != 2053 {
			t.Errorf("特定月份 %s: got %v %d–%d, want %v 1923–2053", tc.month, m.month, m.fromYear, m.toYear, tc.want)
		}
	}
}

// TestDateOperatorsGolden renders every date operator for both attribute
// kinds in several zones and run times, including both DST changes of
// America/New_York, against testdata/dates.golden.
func TestDateOperatorsGolden(t *testing.T) {
	type run struct {
		zone string
		at   string // local wall time
	}
	runs := []run{
		{"Asia/Taipei", "2023-01-05 18:00:00"},
		{"Asia/Taipei", "2024-01-31 23:30:00"},      // month end, leap year
		{"America/New_York", "2023-03-11 18:00:00"}, // the day before spring forward
		{"America/New_York", "2023-03-12 12:00:00"}, // the 23-hour day
		{"America/New_York", "2023-11-04 18:00:00"}, // the day before fall back
		{"America/New_York", "2023-11-05 00:30:00"}, // the 25-hour day
		{"UTC", "2023-12-31 23:59:59"},              // year end
	}
	conds := []Condition{
		{Op: OpOn, Value: "2023-03-12"},
		{Op: OpToday},
		{Op: OpDaysAgo, N: 1},
		{Op: OpDaysAgo, N: 0},
		{Op: OpDaysAhead, N: 1},
		{Op: OpWithinNext, N: 3},
		{Op: OpWithinNext, N: 0},
		{Op: OpAfterDays, N: 3},
		{Op: OpWithinLast, N: 7},
		{Op: OpBeforeDays, N: 30},
		{Op: OpBefore, Value: "2023-01-01"},
		{Op: OpAfter, Value: "2023-01-01"},
		{Op: OpBetween, From: "2023-03-11", To: "2023-03-13"},
		{Op: OpMonth, Month: "this"},
		{Op: OpMonth, Month: "last"},
		{Op: OpMonth, Month: "next"},
		{Op: OpMonth, Month: "2"},
	}
	var out strings.Builder
	for _, r := range runs {
		loc := mustZone(t, r.zone)
		at, err := time.ParseInLocation(time.DateTime, r.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		clk := newClock(at, loc)
		fmt.Fprintf(&out, "== run at %s (%s)\n", at.Format(time.DateTime+" -07:00"), r.zone)
		for _, c := range conds {
			label := c.Op
			switch {
			case c.Value != "":
				label += " " + c.Value
			case c.From != "":
				label += " " + c.From + ".." + c.To
			case c.Month != "":
				label += " " + c.Month
			case c.Op != OpToday:
				label += fmt.Sprintf(" n=%d", c.N)
			}
			if c.Op == OpMonth {
				m := clk.month(c)
				fmt.Fprintf(&out, "%-31s month %d of every year %d–%d\n", label, m.month, m.fromYear, m.toYear)
				continue
			}
			dr, _ := clk.days(c)
			tr, _ := clk.instants(c)
			hours := ""
			if tr.hasFrom && tr.hasTo {
				hours = " (" + tr.to.Sub(tr.from).String() + ")"
			}
			fmt.Fprintf(&out, "%-31s date %-25s datetime %s%s\n", label, renderDays(dr), renderInstants(tr, loc, true), hours)
		}
	}
	path := filepath.Join("testdata", "dates.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Fatalf("date operators differ from %s (run go test ./queries/audience -run Golden -update to accept):\n%s", path, out.String())
	}
}

// TestDSTDayLengths pins what the golden file shows for New York: a day
// range covers the local day even when it is 23 or 25 hours long, and the
// relative windows keep the wall-clock time across the change.
func TestDSTDayLengths(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	clk := newClock(time.Date(2023, 3, 11, 18, 0, 0, 0, ny), ny)
	tr, _ := clk.instants(Condition{Op: OpDaysAhead, N: 1})
	if got := tr.to.Sub(tr.from); got != 23*time.Hour {
		t.Errorf("2023-03-12 in New York lasts %v, want 23h", got)
	}
	tr, _ = clk.instants(Condition{Op: OpWithinNext, N: 3})
	if want := time.Date(2023, 3, 14, 18, 0, 1, 0, ny); !tr.to.Equal(want) {
		t.Errorf("within 3 days ends before %v, want %v", tr.to, want)
	}
	if got := tr.to.Sub(tr.from); got != 71*time.Hour+time.Second {
		t.Errorf("within 3 days across spring forward spans %v, want 71h0m1s", got)
	}
	// In Santiago the clocks jump from 00:00 to 01:00: that day starts at 01:00.
	scl := mustZone(t, "America/Santiago")
	spring := newClock(time.Date(2023, 9, 3, 12, 0, 0, 0, scl), scl)
	tr, _ = spring.instants(Condition{Op: OpToday})
	if want := time.Date(2023, 9, 3, 4, 0, 0, 0, time.UTC); !tr.from.Equal(want) || tr.to.Sub(tr.from) != 23*time.Hour {
		t.Errorf("2023-09-03 in Santiago is %v – %v, want from %v for 23h", tr.from, tr.to, want)
	}
	fall := newClock(time.Date(2023, 11, 4, 18, 0, 0, 0, ny), ny)
	tr, _ = fall.instants(Condition{Op: OpDaysAhead, N: 1})
	if got := tr.to.Sub(tr.from); got != 25*time.Hour {
		t.Errorf("2023-11-05 in New York lasts %v, want 25h", got)
	}
}
