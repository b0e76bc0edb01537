package teams

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/chparam"
)

// ErrNotFound is returned for an unknown team.
var ErrNotFound = errors.New("team not found")

// ErrUnauthorized is returned for a missing, unknown or revoked key.
var ErrUnauthorized = errors.New("missing, unknown or revoked API key")

// Conn is the part of a clickhouse-go connection the store needs.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Store reads and writes teams and keys, caching both for CacheTTL.
type Store struct {
	db       Conn
	cacheTTL time.Duration

	mu    sync.Mutex
	teams map[string]cached[*Team]
	keys  map[string]cached[keyRow]
}

type cached[T any] struct {
	v  T
	at time.Time
}

type keyRow struct {
	teamID  string
	hash    string
	revoked bool
}

// NewStore returns a store; cacheTTL bounds how long a revoked key or a
// settings change may take to be seen (default 5s when 0).
func NewStore(db Conn, cacheTTL time.Duration) *Store {
	if cacheTTL <= 0 {
		cacheTTL = 5 * time.Second
	}
	return &Store{db: db, cacheTTL: cacheTTL, teams: map[string]cached[*Team]{}, keys: map[string]cached[keyRow]{}}
}

// Put creates or replaces a team's settings.
func (s *Store) Put(ctx context.Context, t Team) (*Team, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t.Version = uint64(time.Now().UnixNano())
	keys, vals := make([]string, 0, len(t.Rates)), make([]string, 0, len(t.Rates))
	for k, v := range t.Rates {
		keys, vals = append(keys, k), append(vals, v)
	}
	err := s.db.Exec(chparam.With(ctx, "id", t.ID, "name", t.Name, "tz", t.TimeZone, "region", t.Region, "cur", t.Currency,
		"ws", fmt.Sprint(int(t.WeekStart)), "rk", chparam.Strings(keys), "rv", chparam.Strings(vals), "junk", chparam.Strings(t.Junk), "v", fmt.Sprint(t.Version)),
		`INSERT INTO teams (team_id, name, timezone, region, currency, week_start, rates, junk, version, deleted)
		 SELECT {id:String}, {name:String}, {tz:String}, {region:String}, {cur:String}, {ws:UInt8},
		        mapFromArrays({rk:Array(String)}, arrayMap(x -> toDecimal64(x, 4), {rv:Array(String)})), {junk:Array(String)}, {v:UInt64}, 0`)
	if err != nil {
		return nil, fmt.Errorf("write team %s: %w", t.ID, err)
	}
	s.mu.Lock()
	delete(s.teams, t.ID)
	s.mu.Unlock()
	return s.Get(ctx, t.ID)
}

// Get returns a team, from cache when fresh.
func (s *Store) Get(ctx context.Context, id string) (*Team, error) {
	s.mu.Lock()
	c, ok := s.teams[id]
	s.mu.Unlock()
	if ok && time.Since(c.at) < s.cacheTTL {
		return c.v, nil
	}
	rows, err := s.db.Query(chparam.With(ctx, "id", id), `SELECT argMax(name, version), argMax(timezone, version), argMax(region, version),
		argMax(currency, version), argMax(week_start, version), mapKeys(argMax(rates, version)),
		arrayMap(x -> toString(x), mapValues(argMax(rates, version))), argMax(junk, version), max(version)
		FROM teams WHERE team_id = {id:String} GROUP BY team_id HAVING argMax(deleted, version) = 0`)
	if err != nil {
		return nil, fmt.Errorf("read team %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read team %s: %w", id, err)
		}
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	t := &Team{ID: id, Rates: map[string]string{}}
	var ws uint8
	var rk, rv []string
	if err := rows.Scan(&t.Name, &t.TimeZone, &t.Region, &t.Currency, &ws, &rk, &rv, &t.Junk, &t.Version); err != nil {
		return nil, fmt.Errorf("scan team %s: %w", id, err)
	}
	t.WeekStart = time.Weekday(ws)
	t.loadLocation()
	for i := range rk {
		t.Rates[rk[i]] = trimDecimal(rv[i])
	}
	s.mu.Lock()
	s.teams[id] = cached[*Team]{t, time.Now()}
	s.mu.Unlock()
	return t, nil
}

func trimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// List returns every team id.
func (s *Store) List(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT team_id FROM teams GROUP BY team_id HAVING argMax(deleted, version) = 0 ORDER BY team_id`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// CreateKey makes a new API key for a team and returns it; only its hash is
// stored, so this is the one time it can be read.
func (s *Store) CreateKey(ctx context.Context, teamID string) (string, error) {
	if _, err := s.Get(ctx, teamID); err != nil {
		return "", err
	}
	id, secret := make([]byte, 5), make([]byte, 20)
	if _, err := rand.Read(id); err != nil {
		return "", fmt.Errorf("generate key id: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("generate key secret: %w", err)
	}
	keyID := strings.ToLower(b32.EncodeToString(id))
	sec := strings.ToLower(b32.EncodeToString(secret))
	err := s.db.Exec(chparam.With(ctx, "k", keyID, "t", teamID, "h", hashSecret(sec), "v", fmt.Sprint(time.Now().UnixNano())),
		`INSERT INTO team_keys (key_id, team_id, secret_hash, created_at, revoked_at, version)
		 VALUES ({k:String}, {t:String}, {h:String}, now64(3), NULL, {v:UInt64})`)
	if err != nil {
		return "", fmt.Errorf("store key for team %s: %w", teamID, err)
	}
	return "osk_" + keyID + "_" + sec, nil
}

// RevokeKey revokes a key by id (the part after "osk_" up to "_").
func (s *Store) RevokeKey(ctx context.Context, teamID, keyID string) error {
	err := s.db.Exec(chparam.With(ctx, "k", keyID, "t", teamID, "v", fmt.Sprint(time.Now().UnixNano())),
		`INSERT INTO team_keys (key_id, team_id, secret_hash, created_at, revoked_at, version)
		 SELECT key_id, team_id, argMax(secret_hash, version), argMax(created_at, version), now64(3), {v:UInt64}
		 FROM team_keys WHERE key_id = {k:String} AND team_id = {t:String} GROUP BY key_id, team_id`)
	if err != nil {
		return fmt.Errorf("revoke key %s of team %s: %w", keyID, teamID, err)
	}
	s.mu.Lock()
	delete(s.keys, keyID)
	s.mu.Unlock()
	return nil
}

// KeyInfo describes a key without its secret.
type KeyInfo struct {
	KeyID     string     `json:"key_id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Keys lists a team's keys.
func (s *Store) Keys(ctx context.Context, teamID string) ([]KeyInfo, error) {
	rows, err := s.db.Query(chparam.With(ctx, "t", teamID), `SELECT key_id, argMax(created_at, version), argMax(revoked_at, version)
		FROM team_keys WHERE team_id = {t:String} GROUP BY key_id ORDER BY 2`)
	if err != nil {
		return nil, fmt.Errorf("list keys of team %s: %w", teamID, err)
	}
	defer rows.Close()
	var out []KeyInfo
	for rows.Next() {
		var k KeyInfo
		if err := rows.Scan(&k.KeyID, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, fmt.Errorf("list keys of team %s: %w", teamID, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Authenticate resolves "osk_<id>_<secret>" to its team.
func (s *Store) Authenticate(ctx context.Context, key string) (*Team, error) {
	rest, ok := strings.CutPrefix(key, "osk_")
	keyID, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || keyID == "" || secret == "" {
		return nil, ErrUnauthorized
	}
	s.mu.Lock()
	c, hit := s.keys[keyID]
	s.mu.Unlock()
	if !hit || time.Since(c.at) >= s.cacheTTL {
		rows, err := s.db.Query(chparam.With(ctx, "k", keyID), `SELECT argMax(team_id, version), argMax(secret_hash, version), argMax(revoked_at, version) IS NOT NULL
			FROM team_keys WHERE key_id = {k:String} GROUP BY key_id`)
		if err != nil {
			return nil, fmt.Errorf("look up key %s: %w", keyID, err)
		}
		var row keyRow
		found := rows.Next()
		if found {
			if err := rows.Scan(&row.teamID, &row.hash, &row.revoked); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up key %s: %w", keyID, err)
			}
		}
		rows.Close()
		if !found {
			return nil, ErrUnauthorized
		}
		c = cached[keyRow]{row, time.Now()}
		s.mu.Lock()
		s.keys[keyID] = c
		s.mu.Unlock()
	}
	if c.v.revoked || subtle.ConstantTimeCompare([]byte(c.v.hash), []byte(hashSecret(secret))) != 1 {
		return nil, ErrUnauthorized
	}
	return s.Get(ctx, c.v.teamID)
}

// Middleware authenticates "Authorization: Bearer <key>" and puts the team
// in the request context; it answers 401 otherwise.
func (s *Store) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeErr(w, http.StatusUnauthorized, "authorization: send 'Authorization: Bearer <team API key>'")
			return
		}
		t, err := s.Authenticate(r.Context(), strings.TrimSpace(key))
		switch {
		case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotFound):
			writeErr(w, http.StatusUnauthorized, "authorization: "+ErrUnauthorized.Error())
			return
		case err != nil:
			writeErr(w, http.StatusServiceUnavailable, "authorization: key store unavailable, retry")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithTeam(r.Context(), t)))
	})
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":%q}`+"\n", msg)
}
