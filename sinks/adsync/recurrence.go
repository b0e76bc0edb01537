package adsync

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Kinds and units of a recurrence.
const (
	KindOnce  = "once"
	KindEvery = "every"

	UnitDay   = "day"
	UnitWeek  = "week"
	UnitMonth = "month"
)

// Recurrence is when a schedule runs: once at Start, or every N days,
// weeks or months from Start, on the wall clock of its time zone.
//
//   - Occurrence k is Start moved by k·N units in the zone, keeping the
//     time of day, so a daily 09:00 stays at 09:00 across DST changes (the
//     run after a change is 23 or 25 hours after the previous one).
//   - Months are counted from Start, not from the previous run, and a day
//     the month lacks becomes its last day: monthly from January 31 runs on
//     February 28 (29), March 31, April 30.
//   - A wall time that a DST change skips runs at the same distance after
//     the change (02:30 on the spring-forward night runs at 03:30).
//   - Cancelled occurrences are skipped.
type Recurrence struct {
	Kind      string      `json:"kind"`
	Every     int         `json:"every,omitempty"`
	Unit      string      `json:"unit,omitempty"`
	Start     time.Time   `json:"start_at"`
	TimeZone  string      `json:"timezone"`
	Cancelled []time.Time `json:"cancelled_runs,omitempty"`
}

// MaxEvery bounds N: every 3650 days at most.
const MaxEvery = 3650

// Validate reports every problem at once.
func (r Recurrence) Validate() error {
	var errs []error
	switch r.Kind {
	case KindOnce:
		if r.Every != 0 || r.Unit != "" {
			errs = append(errs, errors.New("schedule: a one-time schedule takes no every or unit"))
		}
	case KindEvery:
		if r.Every < 1 || r.Every > MaxEvery {
			errs = append(errs, fmt.Errorf("schedule: every must be 1-%d, got %d", MaxEvery, r.Every))
		}
		if r.Unit != UnitDay && r.Unit != UnitWeek && r.Unit != UnitMonth {
			errs = append(errs, fmt.Errorf("schedule: unit must be day, week or month, got %q", r.Unit))
		}
	default:
		errs = append(errs, fmt.Errorf("schedule: kind must be once or every, got %q", r.Kind))
	}
	if r.Start.IsZero() {
		errs = append(errs, errors.New("schedule: start_at is required"))
	}
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" {
		errs = append(errs, fmt.Errorf("schedule: timezone %q is not an IANA time zone", r.TimeZone))
	}
	return errors.Join(errs...)
}

var zones sync.Map // IANA name → *time.Location, loaded once

func (r Recurrence) location() *time.Location {
	if loc, ok := zones.Load(r.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	zones.Store(r.TimeZone, loc)
	return loc
}

// occurrence returns the k-th run (k ≥ 0), cancelled or not.
func (r Recurrence) occurrence(k int) time.Time {
	s := r.Start.In(r.location())
	if r.Kind != KindEvery || k == 0 {
		return s
	}
	y, m, d := s.Date()
	hh, mm, ss := s.Clock()
	ns, loc := s.Nanosecond(), s.Location()
	switch r.Unit {
	case UnitDay:
		return wallTime(y, m, d+k*r.Every, hh, mm, ss, ns, loc)
	case UnitWeek:
		return wallTime(y, m, d+7*k*r.Every, hh, mm, ss, ns, loc)
	default:
		first := time.Date(y, m+time.Month(k*r.Every), 1, 12, 0, 0, 0, time.UTC)
		fy, fm, _ := first.Date()
		last := time.Date(fy, fm+1, 0, 12, 0, 0, 0, time.UTC).Day()
		return wallTime(fy, fm, min(d, last), hh, mm, ss, ns, loc)
	}
}

// wallTime is time.Date, except that a wall time a DST change skips is
// read with the offset in force before the change, so it lands as far
// after the change as it was meant to be after the gap's start (02:30 on a
// night that jumps from 02:00 to 03:00 is 03:30). time.Date leaves that
// choice unspecified.
func wallTime(y int, m time.Month, d, hh, mm, ss, ns int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, hh, mm, ss, ns, loc)
	if t.Hour() == hh && t.Minute() == mm {
		return t
	}
	_, before := t.Add(-12 * time.Hour).Zone()
	return time.Date(y, m, d, hh, mm, ss, ns, time.FixedZone("", before)).In(loc)
}

// guess returns a k whose occurrence is not after t, close below it.
func (r Recurrence) guess(t time.Time) int {
	if r.Kind != KindEvery || !t.After(r.Start) {
		return 0
	}
	var k int
	switch r.Unit {
	case UnitDay:
		k = int(t.Sub(r.Start)/(24*time.Hour)) / r.Every
	case UnitWeek:
		k = int(t.Sub(r.Start)/(7*24*time.Hour)) / r.Every
	default:
		s, tt := r.Start.In(r.location()), t.In(r.location())
		k = ((tt.Year()-s.Year())*12 + int(tt.Month()-s.Month())) / r.Every
	}
	return max(k-2, 0) // DST and month lengths move occurrences by under two steps
}

func (r Recurrence) cancelled(t time.Time) bool {
	return slices.ContainsFunc(r.Cancelled, t.Equal)
}

// Next returns the first run strictly after t, or the zero time when there
// is none.
func (r Recurrence) Next(t time.Time) time.Time {
	if r.Kind != KindEvery {
		if s := r.Start; s.After(t) && !r.cancelled(s) {
			return s.In(r.location())
		}
		return time.Time{}
	}
	for k, n := r.guess(t), 0; n < 100000; k, n = k+1, n+1 {
		o := r.occurrence(k)
		if o.After(t) && !r.cancelled(o) {
			return o
		}
	}
	return time.Time{}
}

// Prev returns the last run at or before t, or the zero time when there is
// none.
func (r Recurrence) Prev(t time.Time) time.Time {
	if r.Start.After(t) {
		return time.Time{}
	}
	if r.Kind != KindEvery {
		if r.cancelled(r.Start) {
			return time.Time{}
		}
		return r.Start.In(r.location())
	}
	k := r.guess(t)
	for r.occurrence(k+1).Compare(t) <= 0 {
		k++
	}
	for ; k >= 0; k-- {
		if o := r.occurrence(k); !r.cancelled(o) {
			return o
		}
	}
	return time.Time{}
}

// NextN returns up to n runs after t.
func (r Recurrence) NextN(t time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		t = r.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// IsOccurrence reports whether t is one of the runs (cancelled or not).
func (r Recurrence) IsOccurrence(t time.Time) bool {
	if r.Kind != KindEvery {
		return t.Equal(r.Start)
	}
	for k := r.guess(t); ; k++ {
		o := r.occurrence(k)
		if o.Equal(t) {
			return true
		}
		if o.After(t) {
			return false
		}
	}
}
