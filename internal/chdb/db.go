package chdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// engine tracks the process-wide chDB engine: its storage path and how many
// DBs use it.
var engine struct {
	mu   sync.Mutex
	path string
	open int
}

var dbSeq atomic.Uint64

// DB is an open embedded engine. It is safe for concurrent use.
type DB struct {
	cfg    Config
	log    *slog.Logger
	sem    chan struct{}
	anchor *conn // keeps the engine up for the DB's lifetime

	tagPrefix string        // log_comment prefix of this DB's queries
	seq       atomic.Uint64 // numbers queries for their tags

	mu       sync.RWMutex
	closed   bool
	running  sync.WaitGroup
	sessions map[*Session]struct{}
}

// Open loads the library if needed and boots the engine on cfg.DataDir.
// Only one data directory can be open per process at a time; opening the
// same directory twice is allowed and shares the engine.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open chdb at %s: %w", cfg.DataDir, err)
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open chdb at %s: %w", cfg.DataDir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open chdb: create data dir: %w", err)
	}
	if err := loadLibrary(cfg.LibPath); err != nil {
		return nil, err
	}

	engine.mu.Lock()
	defer engine.mu.Unlock()
	if engine.open > 0 && engine.path != dir {
		return nil, fmt.Errorf("open chdb at %s: engine already open at %s (one data dir per process)", dir, engine.path)
	}
	start := time.Now()
	args := append([]string{"--path=" + dir}, cfg.Args...)
	anchor, err := connect(args)
	if err != nil {
		return nil, fmt.Errorf("open chdb at %s: %w", dir, err)
	}
	engine.path = dir
	engine.open++
	cfg.DataDir = dir
	db := &DB{
		cfg:       cfg,
		log:       cfg.Logger,
		sem:       make(chan struct{}, cfg.MaxConcurrent),
		anchor:    anchor,
		tagPrefix: fmt.Sprintf("omnistream-q-%d-%d-", os.Getpid(), dbSeq.Add(1)),
	}
	db.log.Info("chdb engine open", slog.String("data_dir", dir), slog.Duration("took", time.Since(start)))
	return db, nil
}

// DataDir returns the absolute data directory.
func (db *DB) DataDir() string { return db.cfg.DataDir }

// Close waits for running queries and releases the engine connection. The
// engine itself stays loaded; Open may be called again.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	waited := make(chan struct{})
	go func() { db.running.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(db.cfg.CloseTimeout):
		db.log.Warn("chdb close: cancelling queries still running", slog.Duration("after", db.cfg.CloseTimeout))
		db.kill("")
		select {
		case <-waited:
		case <-time.After(db.cfg.CloseTimeout):
			return fmt.Errorf("close chdb at %s: queries still running after cancel", db.cfg.DataDir)
		}
	}

	db.mu.Lock()
	sessions := make([]*Session, 0, len(db.sessions))
	for s := range db.sessions {
		sessions = append(sessions, s)
	}
	db.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}

	engine.mu.Lock()
	defer engine.mu.Unlock()
	db.anchor.close()
	engine.open--
	db.log.Info("chdb engine closed", slog.String("data_dir", db.cfg.DataDir))
	return nil
}

// Result is what a query returned.
type Result struct {
	// Data is the output, encoded in the requested format.
	Data []byte
	// RowsRead and BytesRead count what the query read (for an INSERT, the
	// rows it consumed from its input).
	RowsRead, BytesRead uint64
	// RowsWritten and BytesWritten count what an INSERT wrote.
	RowsWritten, BytesWritten uint64
	// Elapsed is the engine's own measure of the query's run time.
	Elapsed time.Duration
}

// QueryOptions change how one query runs. The zero value runs the query as
// is, in the database "default".
type QueryOptions struct {
	// Database is the current database for the query. Default: "default".
	Database string
	// Settings are ClickHouse settings applied to this query only.
	Settings map[string]string
	// Params bind {name:Type} placeholders; values are in ClickHouse's
	// escaped text form, as the HTTP interface's param_name= takes them.
	Params map[string]string
	// ReadOnly applies readonly=1 after Settings, so the query can neither
	// write nor change settings.
	ReadOnly bool
}

// Query runs sql and returns its output in format (e.g. "TSV", "JSON",
// "Native", "ArrowStream"; a FORMAT clause in sql takes precedence).
func (db *DB) Query(ctx context.Context, sql, format string) (*Result, error) {
	return db.QueryWith(ctx, sql, format, QueryOptions{})
}

var settingNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// QueryWith runs sql like Query, with options. An exception raised by the
// engine is returned as an *Error.
func (db *DB) QueryWith(ctx context.Context, sql, format string, o QueryOptions) (*Result, error) {
	return db.do(ctx, o, func(tag string) (*Result, error) {
		deadline, hasDeadline := ctx.Deadline()
		c, err := db.prepare(ctx, o, tag, deadline, hasDeadline)
		if err != nil {
			return nil, err
		}
		defer c.close()
		return runOn(c, sql, format, o.Params)
	}, nil)
}

// do runs fn in a query slot on a goroutine of its own, so that a caller
// whose ctx ends returns at once while the query, tagged tag, is killed.
// after, if not nil, runs when fn has returned.
func (db *DB) do(ctx context.Context, o QueryOptions, fn func(tag string) (*Result, error), after func()) (*Result, error) {
	if err := db.admit(ctx, o); err != nil {
		if after != nil {
			after()
		}
		return nil, err
	}
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	tag := db.newTag()
	go func() {
		// The engine call owns the slot until it returns, even if the caller
		// has gone; a cancelled caller has it killed by its tag. Slot and
		// after are released before the caller hears back, so that it may
		// run its next query at once.
		res, err := fn(tag)
		db.release()
		if after != nil {
			after()
		}
		done <- outcome{res, err}
	}()
	select {
	case out := <-done:
		return out.res, out.err
	case <-ctx.Done():
		db.kill(tag)
		return nil, fmt.Errorf("run query: %w", ctx.Err())
	}
}

// runOn runs sql on c and converts the outcome.
func runOn(c *conn, sql, format string, params map[string]string) (*Result, error) {
	r, err := c.query(sql, format, params)
	if err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	if r.hasErr {
		return nil, parseError(r.errText)
	}
	return &Result{
		Data:         r.data,
		RowsRead:     r.rowsRead,
		BytesRead:    r.bytesRead,
		RowsWritten:  r.rowsWritten,
		BytesWritten: r.bytesWritten,
		Elapsed:      r.elapsed,
	}, nil
}

// admit checks o and waits for a query slot; the caller must release it
// with db.release.
func (db *DB) admit(ctx context.Context, o QueryOptions) error {
	for name := range o.Settings {
		if !settingNameRe.MatchString(name) {
			return fmt.Errorf("run query: invalid setting name %q", name)
		}
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	db.running.Add(1)
	db.mu.RUnlock()

	select {
	case db.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		db.running.Done()
		return fmt.Errorf("run query: wait for a free slot: %w", ctx.Err())
	}
}

func (db *DB) release() {
	<-db.sem
	db.running.Done()
}

func (db *DB) newTag() string { return fmt.Sprintf("%s%d", db.tagPrefix, db.seq.Add(1)) }

// kill asks the engine to cancel the query tagged tag (or, with tag "",
// every query of this DB). It does not wait.
func (db *DB) kill(tag string) {
	c, err := connect([]string{"--path=" + db.cfg.DataDir})
	if err != nil {
		db.log.Warn("cancel query: connect", slog.String("error", err.Error()))
		return
	}
	defer c.close()
	cond := "endsWith(Settings['log_comment'], " + QuoteString(tag) + ")"
	if tag == "" {
		cond = "position(Settings['log_comment'], " + QuoteString(db.tagPrefix) + ") > 0"
	}
	r, err := c.query("KILL QUERY WHERE "+cond+" ASYNC FORMAT Null", "TSV", nil)
	if err == nil && r.hasErr {
		err = parseError(r.errText)
	}
	if err != nil {
		db.log.Warn("cancel query", slog.String("error", err.Error()))
	}
}

// prepare opens a connection of its own for one query and applies the
// query's database, settings, tag, deadline and read-only mode to it.
func (db *DB) prepare(ctx context.Context, o QueryOptions, tag string, deadline time.Time, hasDeadline bool) (*conn, error) {
	c, err := connect([]string{"--path=" + db.cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			c.close()
		}
	}()

	if o.Database != "" && o.Database != "default" {
		if err := exec(c, "USE "+QuoteIdent(o.Database)); err != nil {
			return nil, fmt.Errorf("use database %s: %w", o.Database, err)
		}
	}
	if err := exec(c, setStatement(querySettings(o.Settings, tag, deadline, hasDeadline))); err != nil {
		return nil, fmt.Errorf("apply settings: %w", err)
	}
	if o.ReadOnly {
		if err := exec(c, "SET readonly = 1"); err != nil {
			return nil, fmt.Errorf("apply readonly: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	ok = true
	return c, nil
}

// exec runs a statement without output on c.
func exec(c *conn, stmt string) error {
	r, err := c.query(stmt, "TSV", nil)
	if err != nil {
		return err
	}
	if r.hasErr {
		return parseError(r.errText)
	}
	return nil
}

// querySettings returns the settings one query runs with: the caller's, a
// log_comment carrying the query's tag (so that it can be found in
// system.processes and killed; a caller's own comment is kept in front of
// it) and, with a deadline, max_execution_time unless the caller set it.
func querySettings(settings map[string]string, tag string, deadline time.Time, hasDeadline bool) map[string]string {
	comment := tag
	if c, ok := settings["log_comment"]; ok {
		comment = c + " " + tag
	}
	out := mapWith(settings, "log_comment", comment)
	if _, set := out["max_execution_time"]; hasDeadline && !set {
		secs := math.Ceil(time.Until(deadline).Seconds())
		out["max_execution_time"] = fmt.Sprint(max(secs, 1))
	}
	return out
}

// setStatement returns "SET a = 'x', b = 'y'" for settings, in name order.
func setStatement(settings map[string]string) string {
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("SET ")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString(" = ")
		b.WriteString(QuoteString(settings[k]))
	}
	return b.String()
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// IsEngineError reports whether err carries an exception raised by the
// engine and returns it.
func IsEngineError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
