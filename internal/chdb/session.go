package chdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrSessionLocked is returned when a session is asked to run a query while
// it runs another, as ClickHouse answers a concurrent request in a session.
var ErrSessionLocked = errors.New("chdb: session is locked by a concurrent query")

// Session is one connection kept across queries, like a ClickHouse HTTP
// session: SET statements, USE and temporary tables persist from one query
// to the next. Options given with a query (database, settings) apply to
// that query only and are undone after it. A session runs one query at a
// time. Read-only sessions are not supported: a read-only caller gains
// nothing from one, since it can neither SET nor create tables.
type Session struct {
	db *DB
	c  *conn

	busy   sync.Mutex // held while a query runs, by the query's goroutine
	mu     sync.Mutex
	closed bool
}

// OpenSession opens a session on the engine. Close it when done; Close of
// the DB closes it too.
func (db *DB) OpenSession() (*Session, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil, ErrClosed
	}
	c, err := connect([]string{"--path=" + db.cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	s := &Session{db: db, c: c}
	if db.sessions == nil {
		db.sessions = map[*Session]struct{}{}
	}
	db.sessions[s] = struct{}{}
	return s, nil
}

// QueryWith runs sql in the session. It returns ErrSessionLocked if another
// query of the session is running.
func (s *Session) QueryWith(ctx context.Context, sql, format string, o QueryOptions) (*Result, error) {
	if o.ReadOnly {
		return nil, errors.New("run query in session: read-only sessions are not supported")
	}
	if !s.busy.TryLock() {
		return nil, ErrSessionLocked
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.busy.Unlock()
		return nil, errors.New("run query in session: session is closed")
	}
	return s.db.do(ctx, o, func(tag string) (*Result, error) {
		deadline, hasDeadline := ctx.Deadline()
		return s.run(sql, format, o, querySettings(o.Settings, tag, deadline, hasDeadline))
	}, s.busy.Unlock)
}

func (s *Session) run(sql, format string, o QueryOptions, settings map[string]string) (res *Result, err error) {
	if o.Database != "" {
		cur, err := s.scalars("SELECT currentDatabase()")
		if err != nil {
			return nil, fmt.Errorf("read session database: %w", err)
		}
		if cur[0] != o.Database {
			if err := exec(s.c, "USE "+QuoteIdent(o.Database)); err != nil {
				return nil, fmt.Errorf("use database %s: %w", o.Database, err)
			}
			defer func() {
				if rerr := exec(s.c, "USE "+QuoteIdent(cur[0])); rerr != nil && err == nil {
					err = fmt.Errorf("restore session database: %w", rerr)
				}
			}()
		}
	}

	// Remember the session's values of the settings this query changes, to
	// put them back afterwards.
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	var q strings.Builder
	q.WriteString("SELECT ")
	for i, k := range names {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("toString(getSetting(" + QuoteString(k) + "))")
	}
	prev, err := s.scalars(q.String())
	if err != nil {
		return nil, fmt.Errorf("read session settings: %w", err)
	}
	if err := exec(s.c, setStatement(settings)); err != nil {
		return nil, fmt.Errorf("apply settings: %w", err)
	}
	defer func() {
		restore := make(map[string]string, len(names))
		for i, k := range names {
			restore[k] = prev[i]
		}
		if rerr := exec(s.c, setStatement(restore)); rerr != nil && err == nil {
			err = fmt.Errorf("restore session settings: %w", rerr)
		}
	}()
	return runOn(s.c, sql, format, o.Params)
}

// scalars runs a one-row query and returns its columns as strings.
func (s *Session) scalars(sql string) ([]string, error) {
	r, err := s.c.query(sql, "JSONCompactEachRow", nil)
	if err != nil {
		return nil, err
	}
	if r.hasErr {
		return nil, parseError(r.errText)
	}
	var row []string
	if err := json.Unmarshal(r.data, &row); err != nil {
		return nil, fmt.Errorf("decode %q: %w", r.data, err)
	}
	return row, nil
}

// Close waits for a running query of the session and closes its
// connection; temporary tables go with it.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.busy.Lock()
	defer s.busy.Unlock()
	s.c.close()
	s.db.mu.Lock()
	delete(s.db.sessions, s)
	s.db.mu.Unlock()
	return nil
}
