package adsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/audience"
)

// AudienceLookup finds an audience of a team (*audience.Store).
type AudienceLookup interface {
	Get(ctx context.Context, teamID, id string) (audience.Audience, error)
}

// runs executes a run of a schedule (*Runner).
type runs interface {
	Run(ctx context.Context, sc Schedule, scheduledFor time.Time, trigger string) (Run, error)
	Cancel(teamID, runID string) bool
}

// Scheduler runs sync schedules with gocron: each active schedule is a
// gocron job whose next run comes from its Recurrence (a gocron Cron
// implementation), in the schedule's time zone. Schedules live in the store,
// so a restarted process finds them again.
//
// Runs missed while the process was down: when CatchUp is on, Start runs a
// schedule once right away if its last due occurrence has no run (one run,
// however many occurrences were missed); the next runs follow the schedule.
//
// Run the scheduler in one process of a deployment: two would both run
// each occurrence.
type Scheduler struct {
	cfg       Config
	store     *Store
	runner    runs
	audiences AudienceLookup
	clock     clockwork.Clock
	logger    *slog.Logger
	gs        gocron.Scheduler

	regMu  sync.Mutex           // serializes register; not held by running jobs
	mu     sync.Mutex           // guards the maps
	jobs   map[string]uuid.UUID // team/schedule → gocron job
	scheds map[string]Schedule
}

// NewScheduler returns a scheduler; clock nil means the real clock.
func NewScheduler(cfg Config, store *Store, runner *Runner, audiences AudienceLookup, logger *slog.Logger, clock clockwork.Clock) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || runner == nil || audiences == nil {
		return nil, errors.New("adsync: the scheduler needs a store, a runner and audiences")
	}
	return newScheduler(cfg, store, runner, audiences, logger, clock)
}

func newScheduler(cfg Config, store *Store, runner runs, audiences AudienceLookup, logger *slog.Logger, clock clockwork.Clock) (*Scheduler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	gs, err := gocron.NewScheduler(
		gocron.WithLogger(logger.With("component", "gocron")),
		gocron.WithClock(clock),
		gocron.WithLocation(time.UTC),
		gocron.WithStopTimeout(time.Minute),
	)
	if err != nil {
		return nil, fmt.Errorf("create gocron scheduler: %w", err)
	}
	return &Scheduler{
		cfg: cfg, store: store, runner: runner, audiences: audiences, clock: clock, logger: logger, gs: gs,
		jobs: map[string]uuid.UUID{}, scheds: map[string]Schedule{},
	}, nil
}

func key(teamID, id string) string { return teamID + "/" + id }

// Start loads the active schedules from the store, registers them, starts
// the catch-up runs and starts gocron.
func (s *Scheduler) Start(ctx context.Context) error {
	list, err := s.store.ActiveSchedules(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, sc := range list {
		if err := s.register(sc); err != nil {
			return err
		}
		if !s.cfg.CatchUp {
			continue
		}
		due := sc.Recurrence.Prev(now)
		if due.IsZero() {
			continue
		}
		last, err := s.store.LastScheduledFor(ctx, sc.TeamID, sc.ID)
		if err != nil {
			return err
		}
		if last.Before(due) {
			s.logger.Info("running a sync missed while down", "team", sc.TeamID, "schedule", sc.ID, "due", due)
			if err := s.runOnce(sc, due, TriggerCatchUp); err != nil {
				return err
			}
		}
	}
	s.gs.Start()
	s.logger.Info("sync scheduler started", "schedules", len(list))
	return nil
}

// Run starts the scheduler and runs it until ctx ends, then shuts it down.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// Close stops the scheduler, cancelling running syncs (they are recorded
// as failed) and waiting up to a minute for them.
func (s *Scheduler) Close() error {
	if err := s.gs.Shutdown(); err != nil {
		return fmt.Errorf("stop sync scheduler: %w", err)
	}
	return nil
}

// recurrence is a gocron Cron implementation over a Recurrence.
type recurrence struct{ r Recurrence }

func (c recurrence) IsValid(_ string, _ *time.Location, now time.Time) error {
	if c.r.Next(now).IsZero() {
		return errors.New("schedule has no run to come")
	}
	return nil
}

func (c recurrence) Next(last time.Time) time.Time { return c.r.Next(last) }

// register adds or updates the gocron job of a schedule; a schedule with
// no run to come has none.
func (s *Scheduler) register(sc Schedule) error {
	k := key(sc.TeamID, sc.ID)
	s.regMu.Lock()
	defer s.regMu.Unlock()
	s.mu.Lock()
	s.scheds[k] = sc
	id, exists := s.jobs[k]
	s.mu.Unlock()
	if sc.Status != StatusActive || sc.Recurrence.Next(s.clock.Now()).IsZero() {
		if exists {
			s.mu.Lock()
			delete(s.jobs, k)
			s.mu.Unlock()
			if err := s.gs.RemoveJob(id); err != nil && !errors.Is(err, gocron.ErrJobNotFound) {
				return fmt.Errorf("remove job of schedule %s: %w", sc.ID, err)
			}
		}
		return nil
	}
	def := gocron.CronJob("omnistream schedule "+sc.ID, false)
	task := gocron.NewTask(s.fire, k)
	opts := []gocron.JobOption{
		gocron.WithCronImplementation(recurrence{sc.Recurrence}),
		gocron.WithName(k), gocron.WithTags(sc.TeamID),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
	}
	var err error
	if exists {
		_, err = s.gs.Update(id, def, task, opts...)
	} else {
		var j gocron.Job
		j, err = s.gs.NewJob(def, task, opts...)
		if err == nil {
			s.mu.Lock()
			s.jobs[k] = j.ID()
			s.mu.Unlock()
		}
	}
	if err != nil {
		return fmt.Errorf("schedule sync %s: %w", sc.ID, err)
	}
	return nil
}

// fire is the gocron task of a schedule: it runs the occurrence due now.
func (s *Scheduler) fire(ctx context.Context, k string) {
	s.mu.Lock()
	sc, ok := s.scheds[k]
	s.mu.Unlock()
	if !ok || sc.Status != StatusActive {
		return
	}
	at := sc.Recurrence.Prev(s.clock.Now())
	if at.IsZero() {
		return
	}
	s.runner.Run(ctx, sc, at, TriggerSchedule) // the run records its own failure
}

// runOnce runs a schedule now, through gocron, for the occurrence at.
func (s *Scheduler) runOnce(sc Schedule, at time.Time, trigger string) error {
	_, err := s.gs.NewJob(gocron.OneTimeJob(gocron.OneTimeJobStartImmediately()),
		gocron.NewTask(func(ctx context.Context) { s.runner.Run(ctx, sc, at, trigger) }),
		gocron.WithName(trigger+" "+key(sc.TeamID, sc.ID)), gocron.WithTags(sc.TeamID))
	if err != nil {
		return fmt.Errorf("start %s run of schedule %s: %w", trigger, sc.ID, err)
	}
	return nil
}

// ScheduleInput is what a caller sets to create a schedule.
type ScheduleInput struct {
	AudienceID string `json:"audience_id"`
	Name       string `json:"name"`
	Target     Target `json:"target"`
	Mode       Mode   `json:"mode"`
	// Kind is once or every; Every and Unit say how often.
	Kind  string `json:"kind"`
	Every int    `json:"every"`
	Unit  string `json:"unit"`
	// StartAt is the first run: RFC 3339 with an offset, or a wall time
	// "2006-01-02T15:04:05" in the team's time zone.
	StartAt string `json:"start_at"`
}

// Invalid lists every problem of a schedule request.
type Invalid []string

func (v Invalid) Error() string { return "invalid schedule: " + strings.Join(v, "; ") }

func parseStart(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("start_at %q must be RFC 3339 or YYYY-MM-DDTHH:MM[:SS] in the team's time zone", s)
}

// Create validates and saves a schedule for a team, in the team's time
// zone, and schedules it.
func (s *Scheduler) Create(ctx context.Context, team *teams.Team, in ScheduleInput) (Schedule, error) {
	var errs Invalid
	add := func(err error) {
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				errs = append(errs, line)
			}
		}
	}
	now := s.clock.Now()
	loc := audience.TeamLocation(team)
	start, err := parseStart(in.StartAt, loc)
	add(err)
	if err == nil && !start.After(now) {
		errs = append(errs, fmt.Sprintf("start_at %s is not in the future", start.In(loc).Format(time.RFC3339)))
	}
	rec := Recurrence{Kind: in.Kind, Every: in.Every, Unit: in.Unit, Start: start.In(loc), TimeZone: loc.String()}
	if err == nil {
		add(rec.Validate())
	}
	add(in.Target.Validate())
	if in.Target.Platform == PlatformLINE && in.Target.AudienceID != "" {
		errs = append(errs, "target: LINE audiences are created by the sync; leave audience_id empty")
	}
	if in.Mode == "" {
		in.Mode = ModeFull
	}
	if in.Mode != ModeFull && in.Mode != ModeIncremental {
		errs = append(errs, fmt.Sprintf("mode must be full or incremental, got %q", in.Mode))
	}
	if n := utf8.RuneCountInString(in.Name); n > 200 {
		errs = append(errs, fmt.Sprintf("name must be at most 200 characters, got %d", n))
	}
	if len(errs) > 0 {
		return Schedule{}, errs
	}
	a, err := s.audiences.Get(ctx, team.ID, in.AudienceID)
	if err != nil {
		return Schedule{}, err
	}
	if a.Archived {
		return Schedule{}, fmt.Errorf("schedule a sync of audience %s: %w", a.ID, audience.ErrArchived)
	}
	if in.Target.Platform == PlatformLINE && a.Channel.Type != "line" {
		return Schedule{}, Invalid{fmt.Sprintf("a LINE audience needs LINE user ids: audience %s is on a %s channel", a.ID, a.Channel.Type)}
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = a.Name + " → " + string(in.Target.Platform)
	}
	sc := Schedule{
		ID: uuid.Must(uuid.NewV7()).String(), TeamID: team.ID, AudienceID: a.ID, Name: name, Target: in.Target,
		Mode: in.Mode, Recurrence: rec, Status: StatusActive, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}
	if err := s.store.PutSchedule(ctx, &sc); err != nil {
		return Schedule{}, err
	}
	if err := s.register(sc); err != nil {
		return Schedule{}, err
	}
	sc.NextRuns = s.NextRuns(sc)
	return sc, nil
}

// Get returns a schedule of a team with its next runs.
func (s *Scheduler) Get(ctx context.Context, teamID, id string) (Schedule, error) {
	sc, err := s.store.Schedule(ctx, teamID, id)
	if err != nil {
		return Schedule{}, err
	}
	sc.NextRuns = s.NextRuns(sc)
	return sc, nil
}

// List returns a team's schedules (of one audience when audienceID is not
// empty) with their next runs.
func (s *Scheduler) List(ctx context.Context, teamID, audienceID string) ([]Schedule, error) {
	list, err := s.store.Schedules(ctx, teamID, audienceID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].NextRuns = s.NextRuns(list[i])
	}
	return list, nil
}

// NextRuns lists the next runs of a schedule, cancelled ones left out.
func (s *Scheduler) NextRuns(sc Schedule) []time.Time {
	if sc.Status != StatusActive {
		return nil
	}
	return sc.Recurrence.NextN(s.clock.Now(), s.cfg.NextRuns)
}

// Cancel cancels a whole schedule: no further run starts.
func (s *Scheduler) Cancel(ctx context.Context, teamID, id string) (Schedule, error) {
	sc, err := s.store.Schedule(ctx, teamID, id)
	if err != nil {
		return Schedule{}, err
	}
	if sc.Status == StatusCancelled {
		return sc, nil
	}
	sc.Status, sc.UpdatedAt = StatusCancelled, s.clock.Now().UTC()
	if err := s.store.PutSchedule(ctx, &sc); err != nil {
		return Schedule{}, err
	}
	return sc, s.register(sc)
}

// SkipRun cancels one upcoming run of a schedule, at, which must be one of
// its runs still to come.
func (s *Scheduler) SkipRun(ctx context.Context, teamID, id string, at time.Time) (Schedule, error) {
	sc, err := s.store.Schedule(ctx, teamID, id)
	if err != nil {
		return Schedule{}, err
	}
	if sc.Status != StatusActive {
		return Schedule{}, Invalid{"the schedule is cancelled"}
	}
	if !at.After(s.clock.Now()) || !sc.Recurrence.IsOccurrence(at) {
		return Schedule{}, Invalid{fmt.Sprintf("%s is not an upcoming run of the schedule", at.Format(time.RFC3339))}
	}
	if !sc.Recurrence.cancelled(at) {
		sc.Recurrence.Cancelled = append(sc.Recurrence.Cancelled, at.UTC())
		sc.UpdatedAt = s.clock.Now().UTC()
		if err := s.store.PutSchedule(ctx, &sc); err != nil {
			return Schedule{}, err
		}
		if err := s.register(sc); err != nil {
			return Schedule{}, err
		}
	}
	sc.NextRuns = s.NextRuns(sc)
	return sc, nil
}

// RunNow starts a run of a schedule now, outside its recurrence.
func (s *Scheduler) RunNow(ctx context.Context, teamID, id string) error {
	sc, err := s.store.Schedule(ctx, teamID, id)
	if err != nil {
		return err
	}
	if sc.Status != StatusActive {
		return Invalid{"the schedule is cancelled"}
	}
	return s.runOnce(sc, s.clock.Now(), TriggerManual)
}

// CancelRun cancels a running run of a team's schedule; false when it is
// not running.
func (s *Scheduler) CancelRun(teamID, runID string) bool { return s.runner.Cancel(teamID, runID) }
