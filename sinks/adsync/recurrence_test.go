package adsync

import (
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func render(ts []time.Time) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format("2006-01-02 15:04 -07:00"))
	}
	return strings.Join(out, ", ")
}

func TestRecurrenceNextRuns(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	ny := zone(t, "America/New_York")
	for _, tc := range []struct {
		name string
		r    Recurrence
		want string
	}{
		{"every 1 month from January 31, leap year",
			Recurrence{Kind: KindEvery, Every: 1, Unit: UnitMonth, Start: time.Date(2024, 1, 31, 10, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2024-01-31 10:00 +08:00, 2024-02-29 10:00 +08:00, 2024-03-31 10:00 +08:00, 2024-04-30 10:00 +08:00, 2024-05-31 10:00 +08:00"},
		{"every 1 month from January 31",
			Recurrence{Kind: KindEvery, Every: 1, Unit: UnitMonth, Start: time.Date(2023, 1, 31, 10, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2023-01-31 10:00 +08:00, 2023-02-28 10:00 +08:00, 2023-03-31 10:00 +08:00, 2023-04-30 10:00 +08:00, 2023-05-31 10:00 +08:00"},
		{"every 2 months from December 31",
			Recurrence{Kind: KindEvery, Every: 2, Unit: UnitMonth, Start: time.Date(2023, 12, 31, 8, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2023-12-31 08:00 +08:00, 2024-02-29 08:00 +08:00, 2024-04-30 08:00 +08:00, 2024-06-30 08:00 +08:00, 2024-08-31 08:00 +08:00"},
		{"every 2 weeks across a month end",
			Recurrence{Kind: KindEvery, Every: 2, Unit: UnitWeek, Start: time.Date(2024, 1, 31, 10, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2024-01-31 10:00 +08:00, 2024-02-14 10:00 +08:00, 2024-02-28 10:00 +08:00, 2024-03-13 10:00 +08:00, 2024-03-27 10:00 +08:00"},
		{"every 2 weeks across spring forward",
			Recurrence{Kind: KindEvery, Every: 2, Unit: UnitWeek, Start: time.Date(2023, 3, 4, 9, 0, 0, 0, ny), TimeZone: "America/New_York"},
			"2023-03-04 09:00 -05:00, 2023-03-18 09:00 -04:00, 2023-04-01 09:00 -04:00, 2023-04-15 09:00 -04:00, 2023-04-29 09:00 -04:00"},
		{"every 1 month across fall back, from October 31",
			Recurrence{Kind: KindEvery, Every: 1, Unit: UnitMonth, Start: time.Date(2023, 10, 31, 9, 0, 0, 0, ny), TimeZone: "America/New_York"},
			"2023-10-31 09:00 -04:00, 2023-11-30 09:00 -05:00, 2023-12-31 09:00 -05:00, 2024-01-31 09:00 -05:00, 2024-02-29 09:00 -05:00"},
		{"every day across spring forward",
			Recurrence{Kind: KindEvery, Every: 1, Unit: UnitDay, Start: time.Date(2023, 3, 10, 9, 0, 0, 0, ny), TimeZone: "America/New_York"},
			"2023-03-10 09:00 -05:00, 2023-03-11 09:00 -05:00, 2023-03-12 09:00 -04:00, 2023-03-13 09:00 -04:00, 2023-03-14 09:00 -04:00"},
		{"every day at a wall time the change skips",
			Recurrence{Kind: KindEvery, Every: 1, Unit: UnitDay, Start: time.Date(2023, 3, 11, 2, 30, 0, 0, ny), TimeZone: "America/New_York"},
			"2023-03-11 02:30 -05:00, 2023-03-12 03:30 -04:00, 2023-03-13 02:30 -04:00, 2023-03-14 02:30 -04:00, 2023-03-15 02:30 -04:00"},
		{"every 3 days",
			Recurrence{Kind: KindEvery, Every: 3, Unit: UnitDay, Start: time.Date(2024, 2, 27, 23, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2024-02-27 23:00 +08:00, 2024-03-01 23:00 +08:00, 2024-03-04 23:00 +08:00, 2024-03-07 23:00 +08:00, 2024-03-10 23:00 +08:00"},
		{"once",
			Recurrence{Kind: KindOnce, Start: time.Date(2024, 2, 1, 9, 30, 0, 0, tpe), TimeZone: "Asia/Taipei"},
			"2024-02-01 09:30 +08:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.r.Validate(); err != nil {
				t.Fatal(err)
			}
			got := render(tc.r.NextN(tc.r.Start.Add(-time.Second), 5))
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			// Asking from deep inside the series finds the same runs.
			runs := tc.r.NextN(tc.r.Start.Add(-time.Second), 5)
			for i := 1; i < len(runs); i++ {
				if n := tc.r.Next(runs[i-1]); !n.Equal(runs[i]) {
					t.Errorf("Next(%v) = %v, want %v", runs[i-1], n, runs[i])
				}
				if p := tc.r.Prev(runs[i].Add(-time.Nanosecond)); !p.Equal(runs[i-1]) {
					t.Errorf("Prev before %v = %v, want %v", runs[i], p, runs[i-1])
				}
				if !tc.r.IsOccurrence(runs[i]) || tc.r.IsOccurrence(runs[i].Add(time.Minute)) {
					t.Errorf("IsOccurrence around %v", runs[i])
				}
			}
		})
	}
}

func TestRecurrenceFarAheadAndCancelled(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	r := Recurrence{Kind: KindEvery, Every: 1, Unit: UnitMonth, Start: time.Date(2023, 1, 31, 10, 0, 0, 0, tpe), TimeZone: "Asia/Taipei"}
	// Ten years on, still the clamped day of the month.
	if got := r.Next(time.Date(2033, 2, 1, 0, 0, 0, 0, tpe)); !got.Equal(time.Date(2033, 2, 28, 10, 0, 0, 0, tpe)) {
		t.Errorf("February 2033: %v", got)
	}
	if got := r.Prev(time.Date(2033, 2, 1, 0, 0, 0, 0, tpe)); !got.Equal(time.Date(2033, 1, 31, 10, 0, 0, 0, tpe)) {
		t.Errorf("before February 2033: %v", got)
	}
	r.Cancelled = []time.Time{time.Date(2023, 2, 28, 10, 0, 0, 0, tpe).UTC()}
	if got := render(r.NextN(r.Start, 2)); got != "2023-03-31 10:00 +08:00, 2023-04-30 10:00 +08:00" {
		t.Errorf("after cancelling February: %s", got)
	}
	if got := r.Prev(time.Date(2023, 3, 1, 0, 0, 0, 0, tpe)); !got.Equal(r.Start) {
		t.Errorf("Prev skips the cancelled run: %v", got)
	}
	once := Recurrence{Kind: KindOnce, Start: r.Start, TimeZone: "Asia/Taipei"}
	if !once.Next(r.Start).IsZero() || !once.Prev(r.Start.Add(-time.Second)).IsZero() || !once.Prev(r.Start).Equal(r.Start) {
		t.Error("a one-time schedule runs exactly once")
	}
	once.Cancelled = []time.Time{r.Start}
	if !once.Next(r.Start.Add(-time.Hour)).IsZero() || !once.Prev(r.Start).IsZero() {
		t.Error("a cancelled one-time run does not run")
	}
}

func TestRecurrenceValidate(t *testing.T) {
	err := Recurrence{Kind: KindEvery, Every: 0, Unit: "year", TimeZone: "Mars/Base"}.Validate()
	for _, want := range []string{"every must be", "unit must be", "start_at is required", "timezone"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err := (Recurrence{Kind: "sometimes"}).Validate(); err == nil || !strings.Contains(err.Error(), "kind") {
		t.Errorf("kind: %v", err)
	}
}
