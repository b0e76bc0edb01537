package audience

import (
	"fmt"
	"time"
)

// day is a calendar day, without a zone.
type day struct {
	y int
	m time.Month
	d int
}

// dayOf is the calendar day of t in t's location.
func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day{y, m, d}
}

// add returns the day n days later (earlier when n < 0).
func (d day) add(n int) day {
	return dayOf(time.Date(d.y, d.m, d.d+n, 12, 0, 0, 0, time.UTC))
}

// start is the first instant of the day in loc. Where midnight does not
// exist (a DST change at 00:00, as in Santiago or Havana), it is the first
// instant after the gap; time.Date would answer 23:00 the day before.
func (d day) start(loc *time.Location) time.Time {
	t := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, loc)
	if t.Hour() == 0 && t.Minute() == 0 {
		return t
	}
	_, before := t.Add(-12 * time.Hour).Zone()
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.FixedZone("", before)).In(loc)
}

func (d day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

func (d day) before(o day) bool {
	if d.y != o.y {
		return d.y < o.y
	}
	if d.m != o.m {
		return d.m < o.m
	}
	return d.d < o.d
}

// dayRange is an inclusive range of days; an end without has* is open.
type dayRange struct {
	from, to       day
	hasFrom, hasTo bool
}

// timeRange is a half-open range of instants [from, to); an end without
// has* is open.
type timeRange struct {
	from, to       time.Time
	hasFrom, hasTo bool
}

// monthRange is "this month of every year from fromYear to toYear".
type monthRange struct {
	month            time.Month
	fromYear, toYear int
}

// Years searched by "in a month, any year" around the run time's year.
const (
	monthYearsBack  = 100
	monthYearsAhead = 30
)

// clock is the run time of an evaluation in the team's time zone.
type clock struct {
	now time.Time // in the team's location, truncated to the second
	loc *time.Location
}

func newClock(now time.Time, loc *time.Location) clock {
	if loc == nil {
		loc = time.UTC
	}
	return clock{now: now.In(loc).Truncate(time.Second), loc: loc}
}

func (c clock) today() day { return dayOf(c.now) }

// addDays moves t by n calendar days in the team's zone, keeping the wall
// clock time (so a day across a DST change is 23 or 25 hours).
func (c clock) addDays(t time.Time, n int) time.Time { return t.In(c.loc).AddDate(0, 0, n) }

// days resolves a day-granular operator to the days it covers. ok is false
// for operators that are not day-granular for date-times (within_next_days,
// after_days, within_last_days, before_days are relative to the run time's
// second for date-times) or that are not ranges at all.
func (c clock) days(cond Condition) (dayRange, bool) {
	today := c.today()
	switch cond.Op {
	case OpOn:
		d, _ := parseDay(cond.Value)
		return dayRange{from: d, to: d, hasFrom: true, hasTo: true}, true
	case OpToday:
		return dayRange{from: today, to: today, hasFrom: true, hasTo: true}, true
	case OpDaysAgo:
		d := today.add(-cond.N)
		return dayRange{from: d, to: d, hasFrom: true, hasTo: true}, true
	case OpDaysAhead:
		d := today.add(cond.N)
		return dayRange{from: d, to: d, hasFrom: true, hasTo: true}, true
	case OpWithinNext:
		return dayRange{from: today, to: today.add(cond.N), hasFrom: true, hasTo: true}, true
	case OpAfterDays:
		return dayRange{from: today.add(cond.N + 1), hasFrom: true}, true
	case OpWithinLast:
		return dayRange{from: today.add(-cond.N), to: today, hasFrom: true, hasTo: true}, true
	case OpBeforeDays:
		return dayRange{to: today.add(-cond.N - 1), hasTo: true}, true
	case OpBefore:
		d, _ := parseDay(cond.Value)
		return dayRange{to: d.add(-1), hasTo: true}, true
	case OpAfter:
		d, _ := parseDay(cond.Value)
		return dayRange{from: d.add(1), hasFrom: true}, true
	case OpBetween:
		f, _ := parseDay(cond.From)
		t, _ := parseDay(cond.To)
		return dayRange{from: f, to: t, hasFrom: true, hasTo: true}, true
	}
	return dayRange{}, false
}

// instants resolves a date operator applied to a date-time: whole days in
// the team's zone for the day operators, and windows anchored at the run
// time's second for the relative-window ones (PRODUCT.md §5: "within the
// next 3 days" at 2023-01-05 18:00:00 is 18:00:00 through 2023-01-08
// 18:00:00; "3 days from now onward" starts at 2023-01-08 18:00:01).
func (c clock) instants(cond Condition) (timeRange, bool) {
	switch cond.Op {
	case OpWithinNext:
		return timeRange{from: c.now, to: c.addDays(c.now, cond.N).Add(time.Second), hasFrom: true, hasTo: true}, true
	case OpAfterDays:
		return timeRange{from: c.addDays(c.now, cond.N).Add(time.Second), hasFrom: true}, true
	case OpWithinLast:
		return timeRange{from: c.addDays(c.now, -cond.N), to: c.now.Add(time.Second), hasFrom: true, hasTo: true}, true
	case OpBeforeDays:
		return timeRange{to: c.addDays(c.now, -cond.N), hasTo: true}, true
	}
	dr, ok := c.days(cond)
	if !ok {
		return timeRange{}, false
	}
	var tr timeRange
	if dr.hasFrom {
		tr.from, tr.hasFrom = dr.from.start(c.loc), true
	}
	if dr.hasTo {
		tr.to, tr.hasTo = dr.to.add(1).start(c.loc), true
	}
	return tr, true
}

// month resolves OpMonth: the month asked for and the years searched.
func (c clock) month(cond Condition) monthRange {
	spec, _ := parseMonth(cond.Month)
	m := spec.month
	if spec.rel {
		first := time.Date(c.now.Year(), c.now.Month(), 1, 12, 0, 0, 0, time.UTC)
		m = first.AddDate(0, spec.offset, 0).Month()
	}
	y := c.now.Year()
	return monthRange{month: m, fromYear: y - monthYearsBack, toYear: y + monthYearsAhead}
}
