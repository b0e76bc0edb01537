package adsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/sinks/adsync/internal/keylock"
	"github.com/omnistream/omnistream/sinks/adsync/line"
	"github.com/omnistream/omnistream/sinks/adsync/meta"
)

// Audiences materializes audiences and reads their snapshots
// (*audience.Store).
type Audiences interface {
	Materialize(ctx context.Context, team *teams.Team, audienceID, purpose string) (audience.Snapshot, error)
	SnapshotMembers(ctx context.Context, teamID, audienceID, snapshotID, after string, limit int) ([]audience.SnapshotMember, error)
	SnapshotDiff(ctx context.Context, teamID, audienceID, from, to string, added, byContact bool, after string, limit int) ([]audience.SnapshotMember, error)
}

// Teams finds a team's settings (*teams.Store).
type Teams interface {
	Get(ctx context.Context, id string) (*teams.Team, error)
}

// Credential is what a platform needs to accept a team's upload: a Meta
// access token, a LINE channel access token, or LINE Ads keys.
type Credential struct {
	Token     string
	AccessKey string
	SecretKey string
}

// Credentials finds the credential of a team for a target's account.
type Credentials interface {
	Credential(ctx context.Context, teamID string, target Target) (Credential, error)
}

// MetaAudiences uploads customer-file audiences to Meta (*meta.Client).
type MetaAudiences interface {
	Replace(ctx context.Context, token, audienceID string, total int, src meta.Source, progress meta.Progress) (meta.Result, error)
	Add(ctx context.Context, token, audienceID string, total int, src meta.Source, progress meta.Progress) (meta.Result, error)
	Remove(ctx context.Context, token, audienceID string, src meta.Source, progress meta.Progress) (meta.Result, error)
}

// LINEAudiences uploads audiences to LINE and LINE Ads (*line.Client).
type LINEAudiences interface {
	Upload(ctx context.Context, token string, up line.Upload, src line.Source, progress line.Progress) (line.Result, error)
	UploadAds(ctx context.Context, cred line.AdsCredentials, up line.AdsUpload, src line.Source, progress func(line.AdsResult)) (line.AdsResult, error)
}

// Deps are what a Runner talks to. Meta or LINE may be nil when no team
// syncs to that platform; a run to it then fails saying so.
type Deps struct {
	Store       *Store
	Audiences   Audiences
	Teams       Teams
	Credentials Credentials
	Meta        MetaAudiences
	LINE        LINEAudiences
	// Clock is the time source; nil means the real clock.
	Clock clockwork.Clock
}

// ErrEmptyAudience: the audience has no member now; nothing is uploaded,
// as an empty upload would wipe the platform audience.
var ErrEmptyAudience = errors.New("the audience has no member; nothing was uploaded")

// Runner executes sync runs: it materializes the audience, uploads the
// snapshot (or its difference with the last successful run's) and keeps
// the run's history row up to date.
type Runner struct {
	cfg    Config
	deps   Deps
	clock  clockwork.Clock
	logger *slog.Logger
	locks  keylock.Locks

	mu      sync.Mutex
	running map[string]*activeRun // run id → its cancellation
}

type activeRun struct {
	teamID    string
	cancel    context.CancelFunc
	cancelled bool
}

// NewRunner returns a runner.
func NewRunner(cfg Config, deps Deps, logger *slog.Logger) (*Runner, error) {
	errs := []error{cfg.Validate()}
	if deps.Store == nil || deps.Audiences == nil || deps.Teams == nil || deps.Credentials == nil {
		errs = append(errs, errors.New("adsync: the runner needs a store, audiences, teams and credentials"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := deps.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Runner{cfg: cfg, deps: deps, clock: clock, logger: logger, running: map[string]*activeRun{}}, nil
}

// Cancel cancels a running run of the team; false if there is none.
func (r *Runner) Cancel(teamID, runID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.running[runID]
	if a == nil || a.teamID != teamID {
		return false
	}
	a.cancelled = true
	a.cancel()
	return true
}

// Running reports whether a run is in progress.
func (r *Runner) Running(runID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[runID] != nil
}

// Run executes one run of a schedule for the occurrence scheduledFor. A
// run waits for the previous run of the same audience to end. It returns
// the final history row; err is the run's failure, also recorded in it.
func (r *Runner) Run(ctx context.Context, sc Schedule, scheduledFor time.Time, trigger string) (Run, error) {
	run := Run{
		ID: uuid.Must(uuid.NewV7()).String(), TeamID: sc.TeamID, ScheduleID: sc.ID, AudienceID: sc.AudienceID,
		Platform: sc.Target.Platform, Mode: sc.Mode, Trigger: trigger, ScheduledFor: scheduledFor.UTC(),
		StartedAt: r.clock.Now().UTC(), Status: RunWaiting,
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RunTimeout)
	defer cancel()
	active := &activeRun{teamID: sc.TeamID, cancel: cancel}
	r.mu.Lock()
	r.running[run.ID] = active
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, run.ID)
		r.mu.Unlock()
	}()
	if err := r.deps.Store.PutRun(ctx, &run); err != nil {
		return run, fmt.Errorf("record start of run %s of schedule %s: %w", run.ID, sc.ID, err)
	}
	log := r.logger.With("team", sc.TeamID, "schedule", sc.ID, "run", run.ID, "audience", sc.AudienceID, "platform", sc.Target.Platform)

	err := r.execute(ctx, sc, &run, log)

	finished := r.clock.Now().UTC()
	run.FinishedAt = &finished
	r.mu.Lock()
	cancelled := active.cancelled
	r.mu.Unlock()
	switch {
	case err == nil:
		run.Status = RunSucceeded
	case cancelled && errors.Is(err, context.Canceled):
		run.Status, run.Error = RunCancelled, "cancelled by a user"
		err = fmt.Errorf("run %s: %w", run.ID, context.Canceled)
	default:
		run.Status, run.Error = RunFailed, err.Error()
	}
	// The final row is written even when ctx ended.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer wcancel()
	if perr := r.deps.Store.PutRun(wctx, &run); perr != nil {
		log.Error("could not record the end of a sync run", "status", run.Status, "err", perr)
		return run, errors.Join(err, perr)
	}
	if err != nil {
		log.Warn("sync run did not succeed", "status", run.Status, "sent", run.Sent, "err", err)
	} else {
		log.Info("sync run succeeded", "mode", run.Mode, "size", run.Size, "sent", run.Sent, "received", run.Received, "invalid", run.Invalid)
	}
	return run, err
}

// progress writes the running row at most every ProgressEvery.
type progress struct {
	r    *Runner
	ctx  context.Context
	run  *Run
	last time.Time
	log  *slog.Logger
}

func (p *progress) save(force bool) {
	now := p.r.clock.Now()
	if !force && now.Sub(p.last) < p.r.cfg.ProgressEvery {
		return
	}
	p.last = now
	if err := p.r.deps.Store.PutRun(p.ctx, p.run); err != nil && p.ctx.Err() == nil {
		p.log.Warn("could not record sync progress", "err", err)
	}
}

func (r *Runner) execute(ctx context.Context, sc Schedule, run *Run, log *slog.Logger) error {
	unlock, err := r.locks.Lock(ctx, sc.TeamID+"/"+sc.AudienceID)
	if err != nil {
		return fmt.Errorf("wait for the previous sync of audience %s: %w", sc.AudienceID, err)
	}
	defer unlock()
	p := &progress{r: r, ctx: ctx, run: run, log: log}
	run.Status = RunRunning
	p.save(true)

	team, err := r.deps.Teams.Get(ctx, sc.TeamID)
	if err != nil {
		return fmt.Errorf("read team %s: %w", sc.TeamID, err)
	}
	snap, err := r.deps.Audiences.Materialize(ctx, team, sc.AudienceID, "sync")
	if err != nil {
		return fmt.Errorf("materialize audience %s: %w", sc.AudienceID, err)
	}
	run.SnapshotID, run.Size = snap.ID, snap.Size
	p.save(true)
	if snap.Size == 0 {
		return ErrEmptyAudience
	}
	cred, err := r.deps.Credentials.Credential(ctx, sc.TeamID, sc.Target)
	if err != nil {
		return fmt.Errorf("find %s credentials of account %s: %w", sc.Target.Platform, sc.Target.Account, err)
	}

	// An incremental run diffs against the last successful run's snapshot,
	// when that snapshot still exists and went to the same platform audience.
	base, hasBase, err := r.deps.Store.LastSuccess(ctx, sc.TeamID, sc.ID)
	if err != nil {
		return err
	}
	run.PlatformAudienceID = sc.Target.AudienceID
	if run.PlatformAudienceID == "" && hasBase {
		run.PlatformAudienceID = base.PlatformAudienceID
	}
	incremental := false
	if sc.Mode == ModeIncremental && hasBase && base.SnapshotID != "" && base.PlatformAudienceID == run.PlatformAudienceID && run.PlatformAudienceID != "" {
		kept, err := r.deps.Audiences.SnapshotMembers(ctx, sc.TeamID, sc.AudienceID, base.SnapshotID, "", 1)
		if err != nil {
			return err
		}
		incremental = len(kept) > 0 // an expired base snapshot means a full run
	}
	if incremental {
		run.BaseSnapshotID = base.SnapshotID
	}
	run.Mode = ModeFull
	if incremental {
		run.Mode = ModeIncremental
	}

	switch sc.Target.Platform {
	case PlatformMeta:
		if r.deps.Meta == nil {
			return errors.New("Meta sync is not configured in this process")
		}
		return r.syncMeta(ctx, sc, run, cred, p)
	case PlatformLINE:
		if r.deps.LINE == nil {
			return errors.New("LINE sync is not configured in this process")
		}
		return r.syncLINE(ctx, sc, snap, run, cred, p)
	case PlatformLINEAds:
		if r.deps.LINE == nil {
			return errors.New("LINE Ads sync is not configured in this process")
		}
		return r.syncLINEAds(ctx, sc, snap, run, cred, p)
	}
	return fmt.Errorf("unknown platform %q", sc.Target.Platform)
}

// pager reads snapshot members (or a difference of two snapshots) page by
// page in contact id order.
type pager struct {
	read  func(ctx context.Context, after string, limit int) ([]audience.SnapshotMember, error)
	size  int
	after string
	done  bool
}

func (p *pager) page(ctx context.Context, max int) ([]audience.SnapshotMember, error) {
	if p.done {
		return nil, nil
	}
	ms, err := p.read(ctx, p.after, min(max, p.size))
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		p.done = true
		return nil, nil
	}
	p.after = ms[len(ms)-1].ContactID
	return ms, nil
}

func (r *Runner) members(sc Schedule, snapshotID string) *pager {
	return &pager{size: r.cfg.PageSize, read: func(ctx context.Context, after string, limit int) ([]audience.SnapshotMember, error) {
		return r.deps.Audiences.SnapshotMembers(ctx, sc.TeamID, sc.AudienceID, snapshotID, after, limit)
	}}
}

func (r *Runner) diff(sc Schedule, run *Run, added, byContact bool) *pager {
	return &pager{size: r.cfg.PageSize, read: func(ctx context.Context, after string, limit int) ([]audience.SnapshotMember, error) {
		return r.deps.Audiences.SnapshotDiff(ctx, sc.TeamID, sc.AudienceID, run.BaseSnapshotID, run.SnapshotID, added, byContact, after, limit)
	}}
}

// metaRows adapts a pager to meta.Source: members with an email or phone
// hash; members with neither cannot be matched and are left out.
type metaRows struct{ *pager }

func (m metaRows) Next(ctx context.Context, max int) ([]meta.Row, error) {
	for {
		ms, err := m.page(ctx, max)
		if err != nil || len(ms) == 0 {
			return nil, err
		}
		rows := make([]meta.Row, 0, len(ms))
		for _, x := range ms {
			if x.EmailSHA256 != "" || x.PhoneSHA256 != "" {
				rows = append(rows, meta.Row{EmailSHA256: x.EmailSHA256, PhoneSHA256: x.PhoneSHA256})
			}
		}
		if len(rows) > 0 {
			return rows, nil
		}
	}
}

// lineIDs adapts a pager to line.Source: one value per member (its LINE
// user id, email hash or phone hash); members without it are left out.
type lineIDs struct {
	*pager
	pick func(audience.SnapshotMember) string
}

func (l lineIDs) Next(ctx context.Context, max int) ([]string, error) {
	for {
		ms, err := l.page(ctx, max)
		if err != nil || len(ms) == 0 {
			return nil, err
		}
		ids := make([]string, 0, len(ms))
		for _, x := range ms {
			if v := l.pick(x); v != "" {
				ids = append(ids, v)
			}
		}
		if len(ids) > 0 {
			return ids, nil
		}
	}
}

func (r *Runner) syncMeta(ctx context.Context, sc Schedule, run *Run, cred Credential, p *progress) error {
	id := sc.Target.AudienceID
	var done meta.Result // what finished uploads did, before the current one
	track := func(res meta.Result) {
		run.Sent = uint64(done.Sent + res.Sent)
		run.Received = uint64(done.Received + res.Received)
		run.Invalid = uint64(done.Skipped + done.Invalid + res.Skipped + res.Invalid)
		run.InvalidSamples = append(append([]string{}, done.InvalidSamples...), res.InvalidSamples...)
		if len(run.InvalidSamples) > 100 {
			run.InvalidSamples = run.InvalidSamples[:100]
		}
		p.save(false)
	}
	merge := func(res meta.Result) {
		track(res)
		done.Sent += res.Sent
		done.Received += res.Received
		done.Skipped += res.Skipped
		done.Invalid += res.Invalid
		done.InvalidSamples = append(done.InvalidSamples, res.InvalidSamples...)
	}
	if run.Mode == ModeFull {
		res, err := r.deps.Meta.Replace(ctx, cred.Token, id, int(run.Size), metaRows{r.members(sc, run.SnapshotID)}, track)
		merge(res)
		run.ToAdd = uint64(res.Sent)
		return err
	}
	res, err := r.deps.Meta.Add(ctx, cred.Token, id, 0, metaRows{r.diff(sc, run, true, false)}, track)
	merge(res)
	run.ToAdd = uint64(res.Sent)
	if err != nil {
		return err
	}
	res, err = r.deps.Meta.Remove(ctx, cred.Token, id, metaRows{r.diff(sc, run, false, false)}, track)
	merge(res)
	run.ToRemove = uint64(res.Sent)
	return err
}

// hasRemovals reports whether members left the audience since the base.
func (r *Runner) hasRemovals(ctx context.Context, sc Schedule, run *Run, byContact bool) (bool, error) {
	ms, err := r.deps.Audiences.SnapshotDiff(ctx, sc.TeamID, sc.AudienceID, run.BaseSnapshotID, run.SnapshotID, false, byContact, "", 1)
	return len(ms) > 0, err
}

// syncLINE uploads LINE user ids. LINE cannot remove members from an
// uploaded audience, so a full run creates a new audience holding exactly
// the current members, and an incremental run adds the new members to the
// last one unless members left, in which case it runs full.
func (r *Runner) syncLINE(ctx context.Context, sc Schedule, snap audience.Snapshot, run *Run, cred Credential, p *progress) error {
	if run.Mode == ModeIncremental {
		removed, err := r.hasRemovals(ctx, sc, run, true)
		if err != nil {
			return err
		}
		if removed {
			run.Mode, run.BaseSnapshotID = ModeFull, ""
		}
	}
	up := line.Upload{Key: sc.TeamID + "/" + sc.AudienceID, UploadDescription: "Omnistream sync run " + run.ID}
	src := lineIDs{r.members(sc, run.SnapshotID), func(m audience.SnapshotMember) string { return m.ContactID }}
	if run.Mode == ModeIncremental {
		n, err := parseGroupID(run.PlatformAudienceID)
		if err != nil {
			return err
		}
		up.AudienceGroupID = n
		src.pager = r.diff(sc, run, true, true)
	} else {
		up.Description = sc.Target.description(snap.AudienceName)
		if run.PlatformAudienceID != "" {
			// Not the first audience of this sync: its name tells it apart.
			up.Description = withStamp(up.Description, run, sc.Recurrence.location())
		}
	}
	track := func(res line.Result) {
		run.Sent, run.Received, run.Invalid = uint64(res.Sent), uint64(res.Sent), uint64(res.Skipped)
		if res.AudienceGroupID != 0 {
			run.PlatformAudienceID = fmt.Sprint(res.AudienceGroupID)
		}
		p.save(false)
	}
	res, err := r.deps.LINE.Upload(ctx, cred.Token, up, src, track)
	track(res)
	run.ToAdd = uint64(res.Sent)
	return err
}

func parseGroupID(s string) (int64, error) {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("LINE audience id %q is not a number", s)
	}
	return n, nil
}

// withStamp appends the run's local date and time and the end of its id
// to a name, keeping it within LINE's 120 characters: each audience a sync
// creates has a name of its own.
func withStamp(name string, run *Run, loc *time.Location) string {
	stamp := " " + run.ScheduledFor.In(loc).Format("2006-01-02 15:04") + " #" + run.ID[len(run.ID)-6:]
	room := line.MaxDescription - utf8.RuneCountInString(stamp)
	if utf8.RuneCountInString(name) > room {
		name = string([]rune(name)[:room])
	}
	return name + stamp
}

// syncLINEAds uploads email or phone hashes to a LINE Ads audience: a full
// run replaces it (or creates it), an incremental run adds the new members
// unless members left, in which case it replaces.
func (r *Runner) syncLINEAds(ctx context.Context, sc Schedule, snap audience.Snapshot, run *Run, cred Credential, p *progress) error {
	pick := func(m audience.SnapshotMember) string { return m.EmailSHA256 }
	idType := line.IDTypeEmail
	if sc.Target.IDType == "phone" {
		pick, idType = func(m audience.SnapshotMember) string { return m.PhoneSHA256 }, line.IDTypePhone
	}
	if run.Mode == ModeIncremental {
		removed, err := r.hasRemovals(ctx, sc, run, false)
		if err != nil {
			return err
		}
		if removed {
			run.Mode, run.BaseSnapshotID = ModeFull, ""
		}
	}
	up := line.AdsUpload{
		Key: sc.TeamID + "/" + sc.AudienceID, AdAccountID: sc.Target.Account, AudienceID: run.PlatformAudienceID,
		Name: sc.Target.description(snap.AudienceName), IDType: idType, Replace: run.Mode == ModeFull && run.PlatformAudienceID != "",
	}
	src := lineIDs{r.members(sc, run.SnapshotID), pick}
	if run.Mode == ModeIncremental {
		src.pager = r.diff(sc, run, true, false)
	}
	track := func(res line.AdsResult) {
		run.Sent, run.Received, run.Invalid = uint64(res.Sent), uint64(res.Sent), uint64(res.Skipped)
		if res.AudienceID != "" {
			run.PlatformAudienceID = res.AudienceID
		}
		p.save(false)
	}
	res, err := r.deps.LINE.UploadAds(ctx, line.AdsCredentials{AccessKey: cred.AccessKey, SecretKey: cred.SecretKey}, up, src, track)
	track(res)
	run.ToAdd = uint64(res.Sent)
	return err
}

// The production implementations of the interfaces this package uses.
var (
	_ Audiences      = (*audience.Store)(nil)
	_ AudienceLookup = (*audience.Store)(nil)
	_ Teams          = (*teams.Store)(nil)
	_ MetaAudiences  = (*meta.Client)(nil)
	_ LINEAudiences  = (*line.Client)(nil)
	_ audience.InUse = (*Store)(nil)
)
