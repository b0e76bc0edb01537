package adsync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/sinks/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// newStore returns a store on a fresh database with the schema applied.
func newStore(t *testing.T) (*Store, *testenv.DB) {
	t.Helper()
	db := testenv.Database(t)
	if _, err := schema.Apply(context.Background(), db.Conn, schema.DefaultConfig(), nil); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	s, err := NewStore(db.Conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// knownAudiences answers every audience id as an active audience.
type knownAudiences struct{}

func (knownAudiences) Get(_ context.Context, _, id string) (audience.Audience, error) {
	if id == "archived" {
		return audience.Audience{ID: id, Name: "old", Archived: true}, nil
	}
	if id == "missing" {
		return audience.Audience{}, audience.ErrNotFound
	}
	if id == "on-facebook" {
		return audience.Audience{ID: id, Name: "fans", Channel: audience.Channel{Type: "facebook", ID: "P1"}}, nil
	}
	return audience.Audience{ID: id, Name: "VIP", Channel: audience.Channel{Type: "line", ID: "C1"}}, nil
}

type fired struct {
	schedule string
	at       time.Time
	trigger  string
	now      time.Time
}

// recorder stands in for the Runner: it records each run in the store and
// on a channel.
type recorder struct {
	store *Store
	clock clockwork.Clock
	runs  chan fired
}

func (r *recorder) Run(ctx context.Context, sc Schedule, at time.Time, trigger string) (Run, error) {
	run := Run{ID: uuid.NewString(), TeamID: sc.TeamID, ScheduleID: sc.ID, AudienceID: sc.AudienceID, Platform: sc.Target.Platform,
		Mode: sc.Mode, Trigger: trigger, ScheduledFor: at, StartedAt: r.clock.Now(), Status: RunSucceeded}
	err := r.store.PutRun(ctx, &run)
	r.runs <- fired{sc.ID, at, trigger, r.clock.Now()}
	return run, err
}

func (r *recorder) Cancel(string, string) bool { return false }

func (r *recorder) next(t *testing.T) fired {
	t.Helper()
	select {
	case f := <-r.runs:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no run fired")
		return fired{}
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case f := <-r.runs:
		t.Fatalf("unexpected run %+v", f)
	case <-time.After(200 * time.Millisecond):
	}
}

func startScheduler(t *testing.T, store *Store, clock *clockwork.FakeClock, cfg Config) (*Scheduler, *recorder) {
	t.Helper()
	rec := &recorder{store: store, clock: clock, runs: make(chan fired, 100)}
	s, err := newScheduler(cfg, store, rec, knownAudiences{}, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

var meta1 = Target{Platform: PlatformMeta, Account: "act_1", AudienceID: "ca1"}

// advanceTo waits until gocron has armed its timers and has seen the end
// of every job run (a singleton job still running when its next run is due
// skips that run), then moves the clock.
func advanceTo(t *testing.T, s *Scheduler, clock *clockwork.FakeClock, at time.Time, timers int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, timers); err != nil {
		t.Fatalf("gocron armed no timer: %v", err)
	}
	for _, j := range s.gs.Jobs() {
		for {
			running, err := j.IsRunning()
			if err != nil || !running {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("job %s still running", j.Name())
			}
			time.Sleep(time.Millisecond)
		}
	}
	clock.Advance(at.Sub(clock.Now()))
}

// TestSchedulesFireOnTheirRecurrence drives gocron with a fake clock
// through month ends and DST changes: each run fires at its wall time in
// the team's zone and is recorded for that occurrence.
func TestSchedulesFireOnTheirRecurrence(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	ny := zone(t, "America/New_York")
	taipeiTeam := teams.New("t1", "Team", "TW")
	nyTeam := teams.New("t2", "Team NY", "US")
	nyTeam.TimeZone = "America/New_York"
	for _, tc := range []struct {
		name string
		team *teams.Team
		now  time.Time
		in   ScheduleInput
		want []time.Time
		zone *time.Location
	}{
		{"every 1 month from January 31", &taipeiTeam, time.Date(2024, 1, 30, 0, 0, 0, 0, tpe),
			ScheduleInput{Kind: KindEvery, Every: 1, Unit: UnitMonth, StartAt: "2024-01-31T10:00:00"},
			[]time.Time{time.Date(2024, 1, 31, 10, 0, 0, 0, tpe), time.Date(2024, 2, 29, 10, 0, 0, 0, tpe),
				time.Date(2024, 3, 31, 10, 0, 0, 0, tpe), time.Date(2024, 4, 30, 10, 0, 0, 0, tpe)}, tpe},
		{"every 2 weeks across a month end", &taipeiTeam, time.Date(2024, 1, 30, 0, 0, 0, 0, tpe),
			ScheduleInput{Kind: KindEvery, Every: 2, Unit: UnitWeek, StartAt: "2024-01-31T10:00:00"},
			[]time.Time{time.Date(2024, 1, 31, 10, 0, 0, 0, tpe), time.Date(2024, 2, 14, 10, 0, 0, 0, tpe),
				time.Date(2024, 2, 28, 10, 0, 0, 0, tpe), time.Date(2024, 3, 13, 10, 0, 0, 0, tpe)}, tpe},
		{"every 2 weeks across spring forward", &nyTeam, time.Date(2023, 3, 1, 0, 0, 0, 0, ny),
			ScheduleInput{Kind: KindEvery, Every: 2, Unit: UnitWeek, StartAt: "2023-03-04T09:00:00"},
			[]time.Time{time.Date(2023, 3, 4, 9, 0, 0, 0, ny), time.Date(2023, 3, 18, 9, 0, 0, 0, ny), time.Date(2023, 4, 1, 9, 0, 0, 0, ny)}, ny},
		{"every 1 month across fall back", &nyTeam, time.Date(2023, 10, 30, 0, 0, 0, 0, ny),
			ScheduleInput{Kind: KindEvery, Every: 1, Unit: UnitMonth, StartAt: "2023-10-31T09:00:00"},
			[]time.Time{time.Date(2023, 10, 31, 9, 0, 0, 0, ny), time.Date(2023, 11, 30, 9, 0, 0, 0, ny), time.Date(2023, 12, 31, 9, 0, 0, 0, ny)}, ny},
		{"once", &taipeiTeam, time.Date(2024, 1, 30, 0, 0, 0, 0, tpe),
			ScheduleInput{Kind: KindOnce, StartAt: "2024-02-01T08:30:00+08:00"},
			[]time.Time{time.Date(2024, 2, 1, 8, 30, 0, 0, tpe)}, tpe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, _ := newStore(t)
			clock := clockwork.NewFakeClockAt(tc.now)
			s, rec := startScheduler(t, store, clock, DefaultConfig())
			tc.in.AudienceID, tc.in.Target = "a1", meta1
			sc, err := s.Create(context.Background(), tc.team, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := render(sc.NextRuns[:min(len(sc.NextRuns), len(tc.want))]), render(tc.want); got != want {
				t.Errorf("listed next runs\n got %s\nwant %s", got, want)
			}
			// gocron computes the same next runs through the Recurrence.
			jobs := s.gs.Jobs()
			if len(jobs) != 1 {
				t.Fatalf("%d gocron jobs", len(jobs))
			}
			if next, err := jobs[0].NextRuns(len(tc.want)); err != nil || render(next) != render(tc.want) {
				t.Errorf("gocron next runs %s, %v", render(next), err)
			}
			for _, want := range tc.want {
				advanceTo(t, s, clock, want, 1)
				f := rec.next(t)
				if !f.at.Equal(want) || !f.now.Equal(want) || f.trigger != TriggerSchedule {
					t.Fatalf("fired %+v, want the run of %v", f, want.In(tc.zone))
				}
			}
			if tc.in.Kind == KindOnce {
				clock.Advance(365 * 24 * time.Hour)
				rec.none(t)
				if got := s.NextRuns(sc); len(got) != 0 {
					t.Errorf("a one-time schedule that ran lists %v", got)
				}
			}
		})
	}
}

func TestRestartKeepsSchedules(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	team := teams.New("t1", "Team", "TW")
	store, _ := newStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2024, 1, 30, 0, 0, 0, 0, tpe))
	first, _ := startScheduler(t, store, clock, DefaultConfig())
	monthly, err := first.Create(context.Background(), &team, ScheduleInput{AudienceID: "a1", Target: meta1,
		Kind: KindEvery, Every: 1, Unit: UnitMonth, StartAt: "2024-01-31T10:00:00", Mode: ModeIncremental})
	if err != nil {
		t.Fatal(err)
	}
	once, err := first.Create(context.Background(), &team, ScheduleInput{AudienceID: "a2", Target: meta1, Kind: KindOnce, StartAt: "2024-02-10T10:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	feb := time.Date(2024, 2, 29, 10, 0, 0, 0, tpe)
	if _, err := first.SkipRun(context.Background(), "t1", monthly.ID, feb); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, rec := startScheduler(t, store, clock, DefaultConfig())
	list, err := second.List(context.Background(), "t1", "")
	if err != nil || len(list) != 2 {
		t.Fatalf("after restart: %+v, %v", list, err)
	}
	got := map[string]Schedule{list[0].ID: list[0], list[1].ID: list[1]}
	m := got[monthly.ID]
	if m.Mode != ModeIncremental || m.Target != meta1 || m.Recurrence.TimeZone != "Asia/Taipei" ||
		render(m.NextRuns[:3]) != "2024-01-31 10:00 +08:00, 2024-03-31 10:00 +08:00, 2024-04-30 10:00 +08:00" {
		t.Errorf("monthly schedule after restart: %+v next %s", m, render(m.NextRuns))
	}
	if o := got[once.ID]; render(o.NextRuns) != "2024-02-10 10:00 +08:00" {
		t.Errorf("one-time schedule after restart: %s", render(o.NextRuns))
	}
	// The restarted scheduler runs them, the skipped February run excepted.
	for _, want := range []struct {
		id string
		at time.Time
	}{{monthly.ID, time.Date(2024, 1, 31, 10, 0, 0, 0, tpe)}, {once.ID, time.Date(2024, 2, 10, 10, 0, 0, 0, tpe)},
		{monthly.ID, time.Date(2024, 3, 31, 10, 0, 0, 0, tpe)}} {
		advanceTo(t, second, clock, want.at, 1)
		if f := rec.next(t); f.schedule != want.id || !f.at.Equal(want.at) {
			t.Fatalf("fired %+v, want %s at %v", f, want.id, want.at)
		}
	}
}

func TestMissedRunsCatchUpOnce(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	team := teams.New("t1", "Team", "TW")
	store, _ := newStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2024, 3, 1, 0, 0, 0, 0, tpe))
	first, rec := startScheduler(t, store, clock, DefaultConfig())
	daily, err := first.Create(context.Background(), &team, ScheduleInput{AudienceID: "a1", Target: meta1,
		Kind: KindEvery, Every: 1, Unit: UnitDay, StartAt: "2024-03-01T09:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	advanceTo(t, first, clock, time.Date(2024, 3, 1, 9, 0, 0, 0, tpe), 1)
	rec.next(t)
	first.Close()

	// Down from March 1 to March 4 noon: three runs missed, one catch-up.
	clock.Advance(time.Date(2024, 3, 4, 12, 0, 0, 0, tpe).Sub(clock.Now()))
	second, rec2 := startScheduler(t, store, clock, DefaultConfig())
	f := rec2.next(t)
	if f.trigger != TriggerCatchUp || f.schedule != daily.ID || !f.at.Equal(time.Date(2024, 3, 4, 9, 0, 0, 0, tpe)) {
		t.Fatalf("catch-up %+v", f)
	}
	rec2.none(t)
	advanceTo(t, second, clock, time.Date(2024, 3, 5, 9, 0, 0, 0, tpe), 1)
	if f := rec2.next(t); f.trigger != TriggerSchedule || !f.at.Equal(time.Date(2024, 3, 5, 9, 0, 0, 0, tpe)) {
		t.Fatalf("next run %+v", f)
	}
	second.Close()

	// A restart with nothing missed runs nothing extra; so does one with
	// catching up turned off.
	clock.Advance(time.Hour)
	_, rec3 := startScheduler(t, store, clock, DefaultConfig())
	rec3.none(t)
	cfg := DefaultConfig()
	cfg.CatchUp = false
	clock.Advance(48 * time.Hour)
	_, rec4 := startScheduler(t, store, clock, cfg)
	rec4.none(t)
}

func TestCancelScheduleAndSkipRun(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	team := teams.New("t1", "Team", "TW")
	store, _ := newStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2024, 3, 1, 0, 0, 0, 0, tpe))
	store.now = clock.Now
	s, rec := startScheduler(t, store, clock, DefaultConfig())
	ctx := context.Background()
	daily, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "a1", Target: meta1, Kind: KindEvery, Every: 1, Unit: UnitDay, StartAt: "2024-03-01T09:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	second := time.Date(2024, 3, 2, 9, 0, 0, 0, tpe)
	skipped, err := s.SkipRun(ctx, "t1", daily.ID, second)
	if err != nil {
		t.Fatal(err)
	}
	if render(skipped.NextRuns[:2]) != "2024-03-01 09:00 +08:00, 2024-03-03 09:00 +08:00" {
		t.Errorf("next runs after skipping: %s", render(skipped.NextRuns))
	}
	for _, bad := range []time.Time{second.Add(time.Hour), time.Date(2024, 2, 1, 9, 0, 0, 0, tpe)} {
		if _, err := s.SkipRun(ctx, "t1", daily.ID, bad); !errors.As(err, new(Invalid)) {
			t.Errorf("skip %v: %v", bad, err)
		}
	}
	if _, err := s.SkipRun(ctx, "t2", daily.ID, second); !errors.Is(err, ErrNotFound) {
		t.Errorf("another team skips: %v", err)
	}
	advanceTo(t, s, clock, time.Date(2024, 3, 1, 9, 0, 0, 0, tpe), 1)
	rec.next(t)
	advanceTo(t, s, clock, time.Date(2024, 3, 3, 9, 0, 0, 0, tpe), 1)
	if f := rec.next(t); !f.at.Equal(time.Date(2024, 3, 3, 9, 0, 0, 0, tpe)) {
		t.Fatalf("after the skipped run: %+v", f)
	}

	cancelled, err := s.Cancel(ctx, "t1", daily.ID)
	if err != nil || cancelled.Status != StatusCancelled {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}
	clock.Advance(10 * 24 * time.Hour)
	rec.none(t)
	if got, _ := s.Get(ctx, "t1", daily.ID); got.Status != StatusCancelled || len(got.NextRuns) != 0 {
		t.Errorf("cancelled schedule %+v", got)
	}
	if _, used, _ := store.AudienceInUse(ctx, "t1", "a1"); used {
		t.Error("a cancelled schedule still holds its audience")
	}
}

func TestCreateValidation(t *testing.T) {
	tpe := zone(t, "Asia/Taipei")
	team := teams.New("t1", "Team", "TW")
	store, _ := newStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2024, 3, 1, 0, 0, 0, 0, tpe))
	store.now = clock.Now
	s, _ := startScheduler(t, store, clock, DefaultConfig())
	ctx := context.Background()
	_, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "a1", Target: Target{Platform: "tiktok"}, Kind: KindEvery, Unit: "year", StartAt: "2024-02-01T00:00:00", Mode: "sometimes"})
	var inv Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"not in the future", "platform must be", "account", "mode must be"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = s.Create(ctx, &team, ScheduleInput{AudienceID: "a1", Target: meta1, Kind: KindEvery, Every: 0, Unit: "year", StartAt: "2024-04-01T00:00:00"})
	if err == nil || !strings.Contains(err.Error(), "every must be") || !strings.Contains(err.Error(), "unit must be") {
		t.Errorf("recurrence errors: %v", err)
	}
	if _, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "a1", Target: Target{Platform: PlatformLINE, Account: "ch", AudienceID: "5"}, Kind: KindOnce, StartAt: "2024-04-01T00:00:00"}); err == nil {
		t.Error("a LINE target with a fixed audience id")
	}
	if _, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "on-facebook", Target: Target{Platform: PlatformLINE, Account: "ch"}, Kind: KindOnce, StartAt: "2024-04-01T00:00:00"}); !errors.As(err, new(Invalid)) {
		t.Errorf("a LINE target for a Facebook audience: %v", err)
	}
	if _, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "archived", Target: meta1, Kind: KindOnce, StartAt: "2024-04-01T00:00:00"}); !errors.Is(err, audience.ErrArchived) {
		t.Errorf("archived audience: %v", err)
	}
	if _, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "missing", Target: meta1, Kind: KindOnce, StartAt: "2024-04-01T00:00:00"}); !errors.Is(err, audience.ErrNotFound) {
		t.Errorf("missing audience: %v", err)
	}
	sc, err := s.Create(ctx, &team, ScheduleInput{AudienceID: "a1", Target: meta1, Kind: KindOnce, StartAt: "2024-04-01T00:00:00"})
	if err != nil || sc.Mode != ModeFull || !strings.Contains(sc.Name, "VIP") {
		t.Fatalf("defaults: %+v %v", sc, err)
	}
	if by, used, err := store.AudienceInUse(ctx, "t1", "a1"); err != nil || !used || !strings.Contains(by, sc.ID) {
		t.Errorf("in use: %q %v %v", by, used, err)
	}
}
