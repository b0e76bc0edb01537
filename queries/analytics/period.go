package analytics

import (
	"fmt"
	"sync"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

// Date is a calendar day without a zone, as reports name days.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// AddDays returns the day n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Start is the first instant of the day in loc. Where midnight does not
// exist (a DST gap at 00:00), it is the first instant after the gap.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.noon().Before(o.noon()) }

// weekday is the day of the week of d.
func (d Date) weekday() time.Weekday { return d.noon().Weekday() }

func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Range is an inclusive range of calendar days in a team's time zone. The
// zero Range (no Loc) is unbounded: all time.
type Range struct {
	From, To Date
	Loc      *time.Location
}

// Bounded reports whether r has bounds.
func (r Range) Bounded() bool { return r.Loc != nil }

// Start is the first instant of r.
func (r Range) Start() time.Time { return r.From.Start(r.Loc) }

// End is the first instant after r.
func (r Range) End() time.Time { return r.To.AddDays(1).Start(r.Loc) }

// Days lists the days of r in order.
func (r Range) Days() []Date {
	var out []Date
	for d := r.From; !r.To.Before(d); d = d.AddDays(1) {
		out = append(out, d)
	}
	return out
}

// Presets of date ranges, relative to today in the team's time zone. The
// "last N days" presets end today, today included.
const (
	PresetToday      = "today"
	PresetYesterday  = "yesterday"
	PresetLast7Days  = "last_7_days"
	PresetLast14Days = "last_14_days"
	PresetLast30Days = "last_30_days"
	PresetThisMonth  = "this_month"
	PresetLastMonth  = "last_month"
)

// PresetRange resolves a preset at now in loc.
func PresetRange(preset string, now time.Time, loc *time.Location) (Range, bool) {
	today := DateOf(now.In(loc))
	r := Range{From: today, To: today, Loc: loc}
	switch preset {
	case PresetToday:
	case PresetYesterday:
		r.From, r.To = today.AddDays(-1), today.AddDays(-1)
	case PresetLast7Days:
		r.From = today.AddDays(-6)
	case PresetLast14Days:
		r.From = today.AddDays(-13)
	case PresetLast30Days:
		r.From = today.AddDays(-29)
	case PresetThisMonth:
		r.From = Date{today.Year, today.Month, 1}
	case PresetLastMonth:
		first := Date{today.Year, today.Month, 1}
		r.To = first.AddDays(-1)
		r.From = Date{r.To.Year, r.To.Month, 1}
	default:
		return Range{}, false
	}
	return r, true
}

// Unit is the width of the buckets of a series.
type Unit string

// Bucket units.
const (
	Day   Unit = "day"
	Week  Unit = "week"
	Month Unit = "month"
	Year  Unit = "year"
)

// bucketStart is the first day of the bucket of unit u holding d; weeks
// start on weekStart.
func bucketStart(d Date, u Unit, weekStart time.Weekday) Date {
	switch u {
	case Week:
		return d.AddDays(-((int(d.weekday()) - int(weekStart) + 7) % 7))
	case Month:
		return Date{d.Year, d.Month, 1}
	case Year:
		return Date{d.Year, time.January, 1}
	}
	return d
}

// nextBucket is the first day of the bucket after the one starting at d.
func nextBucket(d Date, u Unit) Date {
	switch u {
	case Week:
		return d.AddDays(7)
	case Month:
		return DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC))
	case Year:
		return Date{d.Year + 1, time.January, 1}
	}
	return d.AddDays(1)
}

// bucket is one bucket of a series clipped to a range: Label is the first
// day of the whole bucket (it may precede the range), End the first instant
// after the clipped bucket.
type bucket struct {
	Label Date
	End   time.Time
}

// buckets lists the buckets of unit u covering r.
func buckets(r Range, u Unit, weekStart time.Weekday) []bucket {
	var out []bucket
	for b := bucketStart(r.From, u, weekStart); !r.To.Before(b); b = nextBucket(b, u) {
		end := nextBucket(b, u)
		if r.To.Before(end) {
			end = r.To.AddDays(1)
		}
		out = append(out, bucket{Label: b, End: end.Start(r.Loc)})
	}
	return out
}

// isoWeekday is ClickHouse's toDayOfWeek numbering: Monday 1 … Sunday 7.
func isoWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// zones caches time zones by name.
var zones sync.Map

// zoneOf is the team's time zone (UTC when unknown). It does not use
// teams.Team.Location, whose lazy cache is not safe for the concurrent
// requests that share one cached *Team.
func zoneOf(team *teams.Team) *time.Location {
	if v, ok := zones.Load(team.TimeZone); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(team.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(team.TimeZone, loc)
	return loc
}
