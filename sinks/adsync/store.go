package adsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/queries/audience"
)

// Conn is the part of a clickhouse-go connection the store uses.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// ErrNotFound: no schedule or run with that id in the team.
var ErrNotFound = errors.New("not found")

// Store keeps schedules and run history in ClickHouse (adsync_schedules,
// adsync_runs): every change is a new row with a higher version, read back
// with argMax.
type Store struct {
	conn   Conn
	logger *slog.Logger
	now    func() time.Time // the time AudienceInUse looks from

	mu      sync.Mutex
	lastVer uint64
}

// NewStore returns a store on conn.
func NewStore(conn Conn, logger *slog.Logger) (*Store, error) {
	if conn == nil {
		return nil, errors.New("adsync: nil ClickHouse connection")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{conn: conn, logger: logger, now: time.Now}, nil
}

// version returns a version above every one this store issued and above
// atLeast: the wall clock in nanoseconds, bumped when needed.
func (s *Store) version(atLeast uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	v = max(v, s.lastVer+1, atLeast+1)
	s.lastVer = v
	return v
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// PutSchedule writes a new version of a schedule.
func (s *Store) PutSchedule(ctx context.Context, sc *Schedule) error {
	target, err := json.Marshal(sc.Target)
	if err != nil {
		return fmt.Errorf("encode target of schedule %s: %w", sc.ID, err)
	}
	cancelled := make([]string, len(sc.Recurrence.Cancelled))
	for i, c := range sc.Recurrence.Cancelled {
		cancelled[i] = ms(c)
	}
	sc.Version = s.version(sc.Version)
	ctx = audience.Bind(ctx, map[string]string{
		"team": sc.TeamID, "id": sc.ID, "aud": sc.AudienceID, "name": sc.Name, "platform": string(sc.Target.Platform),
		"target": string(target), "mode": string(sc.Mode), "kind": sc.Recurrence.Kind,
		"every": strconv.Itoa(sc.Recurrence.Every), "unit": sc.Recurrence.Unit, "start": ms(sc.Recurrence.Start),
		"tz": sc.Recurrence.TimeZone, "cancelled": "[" + strings.Join(cancelled, ",") + "]", "status": sc.Status,
		"created": ms(sc.CreatedAt), "updated": ms(sc.UpdatedAt), "ver": strconv.FormatUint(sc.Version, 10),
	})
	if err := s.conn.Exec(ctx, `INSERT INTO adsync_schedules
    (team_id, schedule_id, audience_id, name, platform, target, mode, kind, every, unit, start_at, timezone,
     cancelled_runs, status, created_at, updated_at, version, deleted)
SELECT {team:String}, {id:String}, {aud:String}, {name:String}, {platform:String}, {target:String}, {mode:String},
    {kind:String}, {every:UInt16}, {unit:String}, fromUnixTimestamp64Milli({start:Int64}, 'UTC'), {tz:String},
    arrayMap(x -> fromUnixTimestamp64Milli(x, 'UTC'), {cancelled:Array(Int64)}), {status:String},
    fromUnixTimestamp64Milli({created:Int64}, 'UTC'), fromUnixTimestamp64Milli({updated:Int64}, 'UTC'), {ver:UInt64}, 0`); err != nil {
		return fmt.Errorf("insert schedule %s version %d: %w", sc.ID, sc.Version, err)
	}
	return nil
}

// The current row of each schedule. Aliases differ from column names so
// no aggregate reads another's result.
const selectSchedules = `SELECT team_id, schedule_id, argMax(audience_id, version) AS s_aud, argMax(name, version) AS s_name,
    argMax(target, version) AS s_target, argMax(mode, version) AS s_mode, argMax(kind, version) AS s_kind,
    argMax(every, version) AS s_every, argMax(unit, version) AS s_unit, argMax(start_at, version) AS s_start,
    argMax(timezone, version) AS s_tz, argMax(cancelled_runs, version) AS s_cancelled, argMax(status, version) AS s_status,
    min(created_at) AS s_created, argMax(updated_at, version) AS s_updated, max(version) AS s_version
FROM adsync_schedules`

// Schedule returns one schedule of a team, or ErrNotFound.
func (s *Store) Schedule(ctx context.Context, teamID, id string) (Schedule, error) {
	list, err := s.schedules(ctx, " WHERE team_id = {team:String} AND schedule_id = {id:String}", "", map[string]string{"team": teamID, "id": id})
	if err != nil {
		return Schedule{}, fmt.Errorf("read schedule %s: %w", id, err)
	}
	if len(list) == 0 {
		return Schedule{}, fmt.Errorf("schedule %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// Schedules returns a team's schedules, of one audience when audienceID is
// not empty, newest first.
func (s *Store) Schedules(ctx context.Context, teamID, audienceID string) ([]Schedule, error) {
	having, params := "", map[string]string{"team": teamID}
	if audienceID != "" {
		having, params["aud"] = " AND s_aud = {aud:String}", audienceID
	}
	list, err := s.schedules(ctx, " WHERE team_id = {team:String}", having, params)
	if err != nil {
		return nil, fmt.Errorf("list schedules of team %s: %w", teamID, err)
	}
	return list, nil
}

// ActiveSchedules returns the active schedules of every team, for the
// scheduler to load when it starts.
func (s *Store) ActiveSchedules(ctx context.Context) ([]Schedule, error) {
	list, err := s.schedules(ctx, "", " AND s_status = 'active'", nil)
	if err != nil {
		return nil, fmt.Errorf("list active schedules: %w", err)
	}
	return list, nil
}

func (s *Store) schedules(ctx context.Context, where, having string, params map[string]string) ([]Schedule, error) {
	rows, err := s.conn.Query(audience.Bind(ctx, params), selectSchedules+where+
		" GROUP BY team_id, schedule_id HAVING argMax(deleted, version) = 0"+having+" ORDER BY s_created DESC, schedule_id DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		var sc Schedule
		var target, mode string
		var every uint16
		if err := rows.Scan(&sc.TeamID, &sc.ID, &sc.AudienceID, &sc.Name, &target, &mode, &sc.Recurrence.Kind, &every,
			&sc.Recurrence.Unit, &sc.Recurrence.Start, &sc.Recurrence.TimeZone, &sc.Recurrence.Cancelled, &sc.Status,
			&sc.CreatedAt, &sc.UpdatedAt, &sc.Version); err != nil {
			return nil, fmt.Errorf("scan schedule: %w", err)
		}
		if err := json.Unmarshal([]byte(target), &sc.Target); err != nil {
			return nil, fmt.Errorf("decode target of schedule %s: %w", sc.ID, err)
		}
		sc.Mode, sc.Recurrence.Every = Mode(mode), int(every)
		loc := sc.Recurrence.location()
		sc.Recurrence.Start = sc.Recurrence.Start.In(loc)
		if len(sc.Recurrence.Cancelled) == 0 {
			sc.Recurrence.Cancelled = nil
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// AudienceInUse reports an active schedule of the audience that still has
// runs to come, so the audience cannot be archived (audience.InUse).
func (s *Store) AudienceInUse(ctx context.Context, teamID, audienceID string) (string, bool, error) {
	list, err := s.Schedules(ctx, teamID, audienceID)
	if err != nil {
		return "", false, err
	}
	now := s.now()
	for _, sc := range list {
		if sc.Status == StatusActive && !sc.Recurrence.Next(now).IsZero() {
			return fmt.Sprintf("sync schedule %q (%s)", sc.Name, sc.ID), true, nil
		}
	}
	return "", false, nil
}

// PutRun writes a new version of a run's history row.
func (s *Store) PutRun(ctx context.Context, r *Run) error {
	samples, _ := json.Marshal(r.InvalidSamples)
	r.Version = s.version(r.Version)
	finished := "0"
	if r.FinishedAt != nil {
		finished = ms(*r.FinishedAt)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	ctx = audience.Bind(ctx, map[string]string{
		"team": r.TeamID, "id": r.ID, "sched": r.ScheduleID, "aud": r.AudienceID, "platform": string(r.Platform),
		"mode": string(r.Mode), "trigger": r.Trigger, "for": ms(r.ScheduledFor), "started": ms(r.StartedAt), "finished": finished,
		"status": r.Status, "snap": r.SnapshotID, "base": r.BaseSnapshotID, "paud": r.PlatformAudienceID,
		"size": u(r.Size), "add": u(r.ToAdd), "remove": u(r.ToRemove), "sent": u(r.Sent), "received": u(r.Received),
		"matched": u(r.Matched), "invalid": u(r.Invalid), "samples": string(samples), "error": r.Error, "ver": u(r.Version),
	})
	if err := s.conn.Exec(ctx, `INSERT INTO adsync_runs
    (team_id, run_id, schedule_id, audience_id, platform, mode, trigger, scheduled_for, started_at, finished_at, status,
     snapshot_id, base_snapshot_id, platform_audience_id, size, to_add, to_remove, sent, received, matched, invalid,
     invalid_samples, error, version)
SELECT {team:String}, {id:String}, {sched:String}, {aud:String}, {platform:String}, {mode:String}, {trigger:String},
    fromUnixTimestamp64Milli({for:Int64}, 'UTC'), fromUnixTimestamp64Milli({started:Int64}, 'UTC'),
    fromUnixTimestamp64Milli({finished:Int64}, 'UTC'), {status:String}, {snap:String}, {base:String}, {paud:String},
    {size:UInt64}, {add:UInt64}, {remove:UInt64}, {sent:UInt64}, {received:UInt64}, {matched:UInt64}, {invalid:UInt64},
    JSONExtract({samples:String}, 'Array(String)'), {error:String}, {ver:UInt64}`); err != nil {
		return fmt.Errorf("insert run %s version %d: %w", r.ID, r.Version, err)
	}
	return nil
}

const selectRuns = `SELECT team_id, run_id, argMax(schedule_id, version) AS r_sched, argMax(audience_id, version) AS r_aud,
    argMax(platform, version) AS r_platform, argMax(mode, version) AS r_mode, argMax(trigger, version) AS r_trigger,
    argMax(scheduled_for, version) AS r_for, argMax(started_at, version) AS r_started, argMax(finished_at, version) AS r_finished,
    argMax(status, version) AS r_status, argMax(snapshot_id, version) AS r_snap, argMax(base_snapshot_id, version) AS r_base,
    argMax(platform_audience_id, version) AS r_paud, argMax(size, version) AS r_size, argMax(to_add, version) AS r_add,
    argMax(to_remove, version) AS r_remove, argMax(sent, version) AS r_sent, argMax(received, version) AS r_received,
    argMax(matched, version) AS r_matched, argMax(invalid, version) AS r_invalid, argMax(invalid_samples, version) AS r_samples,
    argMax(error, version) AS r_error, max(version) AS r_version
FROM adsync_runs
WHERE team_id = {team:String} AND schedule_id = {sched:String}
GROUP BY team_id, run_id`

// Runs returns the latest runs of a schedule, newest first.
func (s *Store) Runs(ctx context.Context, teamID, scheduleID string, limit int) ([]Run, error) {
	return s.runs(ctx, "", " ORDER BY r_started DESC, run_id DESC LIMIT "+strconv.Itoa(max(limit, 1)),
		map[string]string{"team": teamID, "sched": scheduleID})
}

// Run returns one run of a schedule.
func (s *Store) Run(ctx context.Context, teamID, scheduleID, runID string) (Run, error) {
	list, err := s.runs(ctx, " HAVING run_id = {run:String}", "", map[string]string{"team": teamID, "sched": scheduleID, "run": runID})
	if err != nil {
		return Run{}, err
	}
	if len(list) == 0 {
		return Run{}, fmt.Errorf("run %s: %w", runID, ErrNotFound)
	}
	return list[0], nil
}

// LastSuccess returns the latest succeeded run of a schedule, if any: the
// base an incremental run diffs against.
func (s *Store) LastSuccess(ctx context.Context, teamID, scheduleID string) (Run, bool, error) {
	list, err := s.runs(ctx, " HAVING r_status = 'succeeded'", " ORDER BY r_started DESC, run_id DESC LIMIT 1",
		map[string]string{"team": teamID, "sched": scheduleID})
	if err != nil || len(list) == 0 {
		return Run{}, false, err
	}
	return list[0], true, nil
}

// LastScheduledFor returns the latest occurrence any run of the schedule
// was for (zero when it never ran), to find runs missed while down.
func (s *Store) LastScheduledFor(ctx context.Context, teamID, scheduleID string) (time.Time, error) {
	rows, err := s.conn.Query(audience.Bind(ctx, map[string]string{"team": teamID, "sched": scheduleID}),
		`SELECT max(scheduled_for) FROM adsync_runs WHERE team_id = {team:String} AND schedule_id = {sched:String}`)
	if err != nil {
		return time.Time{}, fmt.Errorf("read last run of schedule %s: %w", scheduleID, err)
	}
	defer rows.Close()
	var t time.Time
	if rows.Next() {
		if err := rows.Scan(&t); err != nil {
			return time.Time{}, fmt.Errorf("scan last run of schedule %s: %w", scheduleID, err)
		}
	}
	if t.UnixMilli() == 0 {
		t = time.Time{}
	}
	return t, rows.Err()
}

func (s *Store) runs(ctx context.Context, having, tail string, params map[string]string) ([]Run, error) {
	rows, err := s.conn.Query(audience.Bind(ctx, params), selectRuns+having+tail)
	if err != nil {
		return nil, fmt.Errorf("read runs of schedule %s: %w", params["sched"], err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var platform, mode string
		var finished time.Time
		if err := rows.Scan(&r.TeamID, &r.ID, &r.ScheduleID, &r.AudienceID, &platform, &mode, &r.Trigger, &r.ScheduledFor,
			&r.StartedAt, &finished, &r.Status, &r.SnapshotID, &r.BaseSnapshotID, &r.PlatformAudienceID, &r.Size, &r.ToAdd,
			&r.ToRemove, &r.Sent, &r.Received, &r.Matched, &r.Invalid, &r.InvalidSamples, &r.Error, &r.Version); err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		r.Platform, r.Mode = Platform(platform), Mode(mode)
		if finished.UnixMilli() != 0 {
			r.FinishedAt = &finished
		}
		if len(r.InvalidSamples) == 0 {
			r.InvalidSamples = nil
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
