package audience

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// Conn is the part of a clickhouse-go connection the store uses.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// InUse tells whether something (a sync schedule, a scheduled broadcast)
// uses an audience, and what.
type InUse interface {
	AudienceInUse(ctx context.Context, teamID, audienceID string) (by string, used bool, err error)
}

// Audience is a saved audience.
type Audience struct {
	ID         string      `json:"id"`
	TeamID     string      `json:"-"`
	Name       string      `json:"name"`
	Channel    Channel     `json:"channel"`
	Conditions []Condition `json:"conditions"`
	Archived   bool        `json:"archived"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
	Version    uint64      `json:"version"`
}

// Definition returns what the audience selects.
func (a Audience) Definition() Definition {
	return Definition{Channel: a.Channel, Conditions: a.Conditions}
}

// Input is what a caller sets when creating or editing an audience.
type Input struct {
	Name       string      `json:"name"`
	Channel    Channel     `json:"channel"`
	Conditions []Condition `json:"conditions"`
}

// Member is one member of an audience preview.
type Member struct {
	ContactID    string     `json:"contact_id"`
	Name         string     `json:"name"`
	Phone        string     `json:"phone,omitempty"`
	Email        string     `json:"email,omitempty"`
	MemberID     string     `json:"member_id,omitempty"`
	SubscribedAt *time.Time `json:"subscribed_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Page is a page of members, most recently updated first.
type Page struct {
	Size    uint64   `json:"size"`
	Members []Member `json:"members"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// Snapshot is one materialization of an audience.
type Snapshot struct {
	ID              string    `json:"snapshot_id"`
	AudienceID      string    `json:"audience_id"`
	AudienceName    string    `json:"audience_name"`
	AudienceVersion uint64    `json:"audience_version"`
	Size            uint64    `json:"size"`
	CreatedAt       time.Time `json:"created_at"`
}

// SnapshotMember is a member as a snapshot keeps it: the channel user id
// and the hashes of the normalized email and phone ("" when none).
type SnapshotMember struct {
	ContactID   string
	EmailSHA256 string
	PhoneSHA256 string
}

// ListFilter narrows List.
type ListFilter struct {
	Archived    bool   // list archived audiences instead of active ones
	ChannelType string // only this channel type
	Search      string // name contains, case-insensitive
}

// Store keeps audiences in ClickHouse and evaluates them there.
type Store struct {
	conn   Conn
	cfg    Config
	logger *slog.Logger
	inUse  []InUse

	mu      sync.Mutex
	lastVer uint64
}

// NewStore returns a store on conn. inUse are asked before an audience is
// archived; any of them saying "used" refuses the archive.
func NewStore(conn Conn, cfg Config, logger *slog.Logger, inUse ...InUse) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if conn == nil {
		return nil, errors.New("audience: nil ClickHouse connection")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{conn: conn, cfg: cfg, logger: logger, inUse: inUse}, nil
}

// version returns a strictly increasing version for a new row: the clock in
// nanoseconds, bumped past any version this process issued or read.
func (s *Store) version(atLeast uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(s.cfg.now().UnixNano())
	if v <= s.lastVer {
		v = s.lastVer + 1
	}
	if v <= atLeast {
		v = atLeast + 1
	}
	s.lastVer = v
	return v
}

// Bind returns ctx carrying params as server-side query parameters for
// clickhouse-go, each value encoded as ClickHouse reads parameter values
// (see escapeParam), so any string travels unchanged.
func Bind(ctx context.Context, params map[string]string) context.Context { return bind(ctx, params) }

func bind(ctx context.Context, params map[string]string) context.Context {
	p := make(clickhouse.Parameters, len(params))
	for k, v := range params {
		p[k] = escapeParam(v)
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(p))
}

var zones sync.Map // IANA name → *time.Location

// TeamLocation returns the team's time zone (UTC when its name is not a
// zone). Unlike Team.Location it does not write to the team, so it is safe
// on a *Team shared between requests.
func TeamLocation(team *teams.Team) *time.Location {
	if loc, ok := zones.Load(team.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(team.TimeZone)
	if err != nil {
		return time.UTC
	}
	zones.Store(team.TimeZone, loc)
	return loc
}

func (s *Store) env(team *teams.Team) Env {
	return Env{TeamID: team.ID, Location: TeamLocation(team), Region: team.Region, Now: s.cfg.now()}
}

// Create validates and saves a new audience. An empty name becomes
// "YYYY-MM 新受眾包" in the team's zone, as the product names new audiences.
func (s *Store) Create(ctx context.Context, team *teams.Team, in Input) (Audience, error) {
	now := s.cfg.now()
	if strings.TrimSpace(in.Name) == "" {
		in.Name = now.In(TeamLocation(team)).Format("2006-01") + " 新受眾包"
	}
	if err := in.validate(); err != nil {
		return Audience{}, err
	}
	a := Audience{
		ID: uuid.Must(uuid.NewV7()).String(), TeamID: team.ID, Name: strings.TrimSpace(in.Name),
		Channel: in.Channel, Conditions: in.Conditions, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.write(ctx, &a, 0); err != nil {
		return Audience{}, err
	}
	return a, nil
}

func (in Input) validate() error {
	var errs Invalid
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n == 0 || n > MaxNameLen {
		errs = append(errs, FieldError{"name", fmt.Sprintf("must be 1-%d characters", MaxNameLen)})
	}
	if err := (Definition{Channel: in.Channel, Conditions: in.Conditions}).Validate(); err != nil {
		var inv Invalid
		if errors.As(err, &inv) {
			errs = append(errs, inv...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Update replaces the name, channel and conditions of an audience. When
// version is not 0 it must be the audience's current version, else
// ErrConflict: an editor does not overwrite a change it has not seen.
func (s *Store) Update(ctx context.Context, team *teams.Team, id string, in Input, version uint64) (Audience, error) {
	if err := in.validate(); err != nil {
		return Audience{}, err
	}
	a, err := s.Get(ctx, team.ID, id)
	if err != nil {
		return Audience{}, err
	}
	if version != 0 && version != a.Version {
		return Audience{}, fmt.Errorf("update audience %s: read version %d, current %d: %w", id, version, a.Version, ErrConflict)
	}
	if a.Archived {
		return Audience{}, fmt.Errorf("update audience %s: %w", id, ErrArchived)
	}
	prev := a.Version
	a.Name, a.Channel, a.Conditions, a.UpdatedAt = strings.TrimSpace(in.Name), in.Channel, in.Conditions, s.cfg.now()
	if err := s.write(ctx, &a, prev); err != nil {
		return Audience{}, err
	}
	return a, nil
}

// Copy saves a new audience with the conditions of id, named "<name> (copy)".
func (s *Store) Copy(ctx context.Context, team *teams.Team, id string) (Audience, error) {
	a, err := s.Get(ctx, team.ID, id)
	if err != nil {
		return Audience{}, err
	}
	name := a.Name + " (copy)"
	if utf8.RuneCountInString(name) > MaxNameLen {
		name = string([]rune(name)[:MaxNameLen])
	}
	return s.Create(ctx, team, Input{Name: name, Channel: a.Channel, Conditions: a.Conditions})
}

// Archive archives an audience. It is refused with ErrInUse while a sync
// schedule or another user of the audience still uses it.
func (s *Store) Archive(ctx context.Context, team *teams.Team, id string) (Audience, error) {
	a, err := s.Get(ctx, team.ID, id)
	if err != nil {
		return Audience{}, err
	}
	if a.Archived {
		return a, nil
	}
	for _, u := range s.inUse {
		by, used, err := u.AudienceInUse(ctx, team.ID, id)
		if err != nil {
			return Audience{}, fmt.Errorf("archive audience %s: check use: %w", id, err)
		}
		if used {
			return Audience{}, fmt.Errorf("archive audience %s: used by %s: %w", id, by, ErrInUse)
		}
	}
	prev := a.Version
	a.Archived, a.UpdatedAt = true, s.cfg.now()
	if err := s.write(ctx, &a, prev); err != nil {
		return Audience{}, err
	}
	return a, nil
}

// Unarchive makes an archived audience active again.
func (s *Store) Unarchive(ctx context.Context, team *teams.Team, id string) (Audience, error) {
	a, err := s.Get(ctx, team.ID, id)
	if err != nil {
		return Audience{}, err
	}
	if !a.Archived {
		return a, nil
	}
	prev := a.Version
	a.Archived, a.UpdatedAt = false, s.cfg.now()
	if err := s.write(ctx, &a, prev); err != nil {
		return Audience{}, err
	}
	return a, nil
}

func (s *Store) write(ctx context.Context, a *Audience, prev uint64) error {
	conds, err := json.Marshal(a.Conditions)
	if err != nil {
		return fmt.Errorf("encode conditions of audience %s: %w", a.ID, err)
	}
	a.Version = s.version(prev)
	archived := "0"
	if a.Archived {
		archived = "1"
	}
	ctx = bind(ctx, map[string]string{
		"team": a.TeamID, "id": a.ID, "name": a.Name, "ct": a.Channel.Type, "cid": a.Channel.ID,
		"conds": string(conds), "arch": archived,
		"created": strconv.FormatInt(a.CreatedAt.UnixMilli(), 10), "updated": strconv.FormatInt(a.UpdatedAt.UnixMilli(), 10),
		"ver": strconv.FormatUint(a.Version, 10),
	})
	if err := s.conn.Exec(ctx, `INSERT INTO audiences
    (team_id, audience_id, name, channel_type, channel_id, conditions, archived, created_at, updated_at, version, deleted)
SELECT {team:String}, {id:String}, {name:String}, {ct:String}, {cid:String}, {conds:String}, {arch:UInt8},
    fromUnixTimestamp64Milli({created:Int64}, 'UTC'), fromUnixTimestamp64Milli({updated:Int64}, 'UTC'), {ver:UInt64}, 0`); err != nil {
		return fmt.Errorf("insert audience %s version %d: %w", a.ID, a.Version, err)
	}
	return nil
}

// The current row of each audience, by argMax over version. Aliases differ
// from column names so no aggregate reads another's result.
const selectAudiences = `SELECT audience_id, argMax(name, version) AS cur_name, argMax(channel_type, version) AS cur_ct,
    argMax(channel_id, version) AS cur_cid, argMax(conditions, version) AS cur_conds, argMax(archived, version) AS cur_archived,
    min(created_at) AS first_created, argMax(updated_at, version) AS cur_updated, max(version) AS cur_version
FROM audiences
WHERE team_id = {team:String}`

// Get returns the current version of an audience, or ErrNotFound.
func (s *Store) Get(ctx context.Context, teamID, id string) (Audience, error) {
	list, err := s.query(ctx, selectAudiences+" AND audience_id = {id:String} GROUP BY audience_id HAVING argMax(deleted, version) = 0",
		map[string]string{"team": teamID, "id": id})
	if err != nil {
		return Audience{}, fmt.Errorf("read audience %s: %w", id, err)
	}
	if len(list) == 0 {
		return Audience{}, fmt.Errorf("audience %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// List returns the team's active (or archived) audiences, newest first.
func (s *Store) List(ctx context.Context, teamID string, f ListFilter) ([]Audience, error) {
	params := map[string]string{"team": teamID, "arch": "0"}
	if f.Archived {
		params["arch"] = "1"
	}
	having := " HAVING argMax(deleted, version) = 0 AND cur_archived = {arch:UInt8}"
	if f.ChannelType != "" {
		params["fct"] = f.ChannelType
		having += " AND cur_ct = {fct:String}"
	}
	if f.Search != "" {
		params["q"] = f.Search
		having += " AND positionCaseInsensitiveUTF8(cur_name, {q:String}) > 0"
	}
	list, err := s.query(ctx, selectAudiences+" GROUP BY audience_id"+having+" ORDER BY first_created DESC, audience_id DESC", params)
	if err != nil {
		return nil, fmt.Errorf("list audiences of team %s: %w", teamID, err)
	}
	return list, nil
}

func (s *Store) query(ctx context.Context, sql string, params map[string]string) ([]Audience, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(bind(ctx, params), sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Audience
	for rows.Next() {
		var a Audience
		var conds string
		var archived uint8
		if err := rows.Scan(&a.ID, &a.Name, &a.Channel.Type, &a.Channel.ID, &conds, &archived, &a.CreatedAt, &a.UpdatedAt, &a.Version); err != nil {
			return nil, fmt.Errorf("scan audience: %w", err)
		}
		if err := json.Unmarshal([]byte(conds), &a.Conditions); err != nil {
			return nil, fmt.Errorf("decode conditions of audience %s: %w", a.ID, err)
		}
		a.TeamID, a.Archived = params["team"], archived == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// Size counts the members a definition selects now.
func (s *Store) Size(ctx context.Context, team *teams.Team, def Definition) (uint64, error) {
	q, err := Compile(def, s.env(team))
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(bind(ctx, q.Params), "SELECT count() FROM ("+q.SQL+")")
	if err != nil {
		return 0, fmt.Errorf("count audience members: %w", err)
	}
	defer rows.Close()
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("scan audience size: %w", err)
		}
	}
	return n, rows.Err()
}

// Preview returns the size of a definition and a page of its members, most
// recently updated first. cursor is "" for the first page, else the Next of
// the previous page; limit 0 means the configured page size.
func (s *Store) Preview(ctx context.Context, team *teams.Team, def Definition, cursor string, limit int) (Page, error) {
	if limit <= 0 {
		limit = s.cfg.PreviewPageSize
	}
	if limit > s.cfg.MaxPreviewPageSize {
		limit = s.cfg.MaxPreviewPageSize
	}
	q, err := Compile(def, s.env(team))
	if err != nil {
		return Page{}, err
	}
	size, err := s.Size(ctx, team, def)
	if err != nil {
		return Page{}, err
	}
	page := Page{Size: size, Members: []Member{}}
	sql := "SELECT * FROM (" + q.SQL + ")"
	if cursor != "" {
		ms, id, err := decodeCursor(cursor)
		if err != nil {
			return Page{}, Invalid{{"cursor", err.Error()}}
		}
		q.Params["cur_ts"], q.Params["cur_id"] = strconv.FormatInt(ms, 10), id
		sql += "\nWHERE updated_at < fromUnixTimestamp64Milli({cur_ts:Int64}, 'UTC')" +
			" OR (updated_at = fromUnixTimestamp64Milli({cur_ts:Int64}, 'UTC') AND contact_id < {cur_id:String})"
	}
	// limit is an int of this package, bounded above; one more row tells
	// whether there is a next page.
	sql += "\nORDER BY updated_at DESC, contact_id DESC LIMIT " + strconv.Itoa(limit+1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(bind(ctx, q.Params), sql)
	if err != nil {
		return Page{}, fmt.Errorf("preview audience members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ContactID, &m.Name, &m.Phone, &m.Email, &m.MemberID, &m.SubscribedAt, &m.UpdatedAt); err != nil {
			return Page{}, fmt.Errorf("scan audience member: %w", err)
		}
		page.Members = append(page.Members, m)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("preview audience members: %w", err)
	}
	if len(page.Members) > limit {
		page.Members = page.Members[:limit]
		last := page.Members[limit-1]
		page.Next = encodeCursor(last.UpdatedAt.UnixMilli(), last.ContactID)
	}
	return page, nil
}

func encodeCursor(ms int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ms, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", errors.New("is not a cursor of this API")
	}
	ms, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return 0, "", errors.New("is not a cursor of this API")
	}
	return n, id, nil
}

// Materialize evaluates an audience now and writes its members as a new
// snapshot, keeping email and phone only as SHA-256 hex of their normalized
// form (trimmed lower-case email; digits of the international phone
// without leading zeros). purpose says what the snapshot is for.
func (s *Store) Materialize(ctx context.Context, team *teams.Team, id, purpose string) (Snapshot, error) {
	a, err := s.Get(ctx, team.ID, id)
	if err != nil {
		return Snapshot{}, err
	}
	if a.Archived {
		return Snapshot{}, fmt.Errorf("materialize audience %s: %w", id, ErrArchived)
	}
	q, err := Compile(a.Definition(), s.env(team))
	if err != nil {
		return Snapshot{}, fmt.Errorf("compile audience %s: %w", id, err)
	}
	// The snapshot is stamped with the wall clock even when conditions are
	// evaluated at another time: its rows expire 90 days after writing.
	snap := Snapshot{ID: uuid.Must(uuid.NewV7()).String(), AudienceID: id, AudienceName: a.Name, AudienceVersion: a.Version, CreatedAt: time.Now().UTC()}
	q.Params["aid"], q.Params["sid"], q.Params["purpose"] = id, snap.ID, purpose
	q.Params["now"] = strconv.FormatInt(snap.CreatedAt.UnixMilli(), 10)
	q.Params["aver"] = strconv.FormatUint(a.Version, 10)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.MaterializeTimeout)
	defer cancel()
	if err := s.conn.Exec(bind(ctx, q.Params), `INSERT INTO audience_members
    (team_id, audience_id, snapshot_id, contact_id, email_sha256, phone_sha256, updated_at, created_at)
SELECT {team:String}, {aid:String}, {sid:String}, contact_id,
    if(em = '', '', lower(hex(SHA256(em)))), if(ph = '', '', lower(hex(SHA256(ph)))),
    updated_at, fromUnixTimestamp64Milli({now:Int64}, 'UTC')
FROM (
    SELECT contact_id, updated_at, lowerUTF8(trimBoth(email)) AS em,
        replaceRegexpOne(replaceRegexpAll(phone, '[^0-9]', ''), '^0+', '') AS ph
    FROM (`+q.SQL+`)
)`); err != nil {
		return Snapshot{}, fmt.Errorf("write members of audience %s snapshot %s: %w", id, snap.ID, err)
	}
	if err := s.conn.Exec(bind(ctx, q.Params), `INSERT INTO audience_snapshots
    (team_id, audience_id, snapshot_id, purpose, audience_version, size, created_at)
SELECT {team:String}, {aid:String}, {sid:String}, {purpose:String}, {aver:UInt64}, count(), fromUnixTimestamp64Milli({now:Int64}, 'UTC')
FROM audience_members
WHERE team_id = {team:String} AND audience_id = {aid:String} AND snapshot_id = {sid:String}`); err != nil {
		return Snapshot{}, fmt.Errorf("record audience %s snapshot %s: %w", id, snap.ID, err)
	}
	got, err := s.Snapshot(ctx, team.ID, id, snap.ID)
	if err != nil {
		return Snapshot{}, err
	}
	snap.Size = got.Size
	s.logger.Debug("materialized audience", "team", team.ID, "audience", id, "snapshot", snap.ID, "size", snap.Size, "purpose", purpose)
	return snap, nil
}

// Snapshot returns a snapshot's record, or ErrNotFound (it may have
// expired: snapshots are kept 90 days).
func (s *Store) Snapshot(ctx context.Context, teamID, audienceID, snapshotID string) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(bind(ctx, map[string]string{"team": teamID, "aid": audienceID, "sid": snapshotID}),
		`SELECT audience_version, size, created_at FROM audience_snapshots
WHERE team_id = {team:String} AND audience_id = {aid:String} AND snapshot_id = {sid:String} LIMIT 1`)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read audience %s snapshot %s: %w", audienceID, snapshotID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Snapshot{}, fmt.Errorf("read audience %s snapshot %s: %w", audienceID, snapshotID, err)
		}
		return Snapshot{}, fmt.Errorf("audience %s snapshot %s: %w", audienceID, snapshotID, ErrNotFound)
	}
	snap := Snapshot{ID: snapshotID, AudienceID: audienceID}
	if err := rows.Scan(&snap.AudienceVersion, &snap.Size, &snap.CreatedAt); err != nil {
		return Snapshot{}, fmt.Errorf("scan audience %s snapshot %s: %w", audienceID, snapshotID, err)
	}
	return snap, nil
}

// SnapshotMembers returns up to limit members of a snapshot whose contact
// id sorts after after, in contact id order: page through a snapshot by
// passing the last contact id of the previous page.
func (s *Store) SnapshotMembers(ctx context.Context, teamID, audienceID, snapshotID, after string, limit int) ([]SnapshotMember, error) {
	return s.members(ctx, `SELECT contact_id, email_sha256, phone_sha256 FROM audience_members
WHERE team_id = {team:String} AND audience_id = {aid:String} AND snapshot_id = {sid:String} AND contact_id > {after:String}
ORDER BY contact_id LIMIT `+strconv.Itoa(max(limit, 1)),
		map[string]string{"team": teamID, "aid": audienceID, "sid": snapshotID, "after": after})
}

// SnapshotDiff pages through the difference of two snapshots of an
// audience: with added, members of to that from lacks; without, members of
// from that to lacks. byContact compares contact ids only (a LINE user id
// audience); otherwise a member whose email or phone changed is both
// removed (old hashes) and added (new ones).
func (s *Store) SnapshotDiff(ctx context.Context, teamID, audienceID, from, to string, added, byContact bool, after string, limit int) ([]SnapshotMember, error) {
	have, lack := to, from
	if !added {
		have, lack = from, to
	}
	key := "(contact_id, email_sha256, phone_sha256)"
	if byContact {
		key = "contact_id"
	}
	return s.members(ctx, `SELECT contact_id, email_sha256, phone_sha256 FROM audience_members
WHERE team_id = {team:String} AND audience_id = {aid:String} AND snapshot_id = {have:String} AND contact_id > {after:String}
  AND `+key+` NOT IN (SELECT `+strings.Trim(key, "()")+` FROM audience_members
      WHERE team_id = {team:String} AND audience_id = {aid:String} AND snapshot_id = {lack:String})
ORDER BY contact_id LIMIT `+strconv.Itoa(max(limit, 1)),
		map[string]string{"team": teamID, "aid": audienceID, "have": have, "lack": lack, "after": after})
}

func (s *Store) members(ctx context.Context, sql string, params map[string]string) ([]SnapshotMember, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(bind(ctx, params), sql)
	if err != nil {
		return nil, fmt.Errorf("read audience %s snapshot members: %w", params["aid"], err)
	}
	defer rows.Close()
	var out []SnapshotMember
	for rows.Next() {
		var m SnapshotMember
		if err := rows.Scan(&m.ContactID, &m.EmailSHA256, &m.PhoneSHA256); err != nil {
			return nil, fmt.Errorf("scan audience %s snapshot member: %w", params["aid"], err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
