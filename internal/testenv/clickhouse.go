// Package testenv starts the shared test infrastructure of Omnistream's
// integration tests, once per test process.
//
// ClickHouse is the embedded chDB engine served by chserver on a loopback
// port, started lazily by the first test that asks for it, with its data in
// a temporary directory that Main removes when the tests end. Database gives
// each test a fresh database of its own, so tests never see each other's
// tables, and a clickhouse-go connection (Protocol HTTP) to it. Tests talk to
// ClickHouse only over the wire, as production code does.
//
// The chDB library is looked for at OMNISTREAM_CHDB_LIB, else at
// chdb.DefaultLibPath(); when it is missing, tests fail (they are not skipped)
// with a message naming `make chdb`.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/chdb"
	"github.com/omnistream/omnistream/internal/chserver"
)

// LibEnv names the environment variable that overrides where libchdb.so is.
const LibEnv = "OMNISTREAM_CHDB_LIB"

// ClickHouseServer describes the process's embedded ClickHouse.
type ClickHouseServer struct {
	// Addr is the loopback host:port of the HTTP interface.
	Addr string
	// URL is "http://" + Addr.
	URL string
	// DataDir is the engine's data directory.
	DataDir string
	// Engine is the in-process engine, for tests of code below the wire.
	Engine *chdb.DB
	// HTTP is the server, e.g. to register its metrics.
	HTTP *chserver.Server
}

// Options returns clickhouse-go options (HTTP protocol) for database.
func (s *ClickHouseServer) Options(database string) *clickhouse.Options {
	return &clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{s.Addr},
		Auth:        clickhouse.Auth{Database: database, Username: "default"},
		DialTimeout: 10 * time.Second,
		ReadTimeout: 5 * time.Minute,
	}
}

// DSN returns a clickhouse-go DSN (HTTP protocol) for database.
func (s *ClickHouseServer) DSN(database string) string {
	return fmt.Sprintf("http://%s/%s", s.Addr, database)
}

var ch struct {
	once sync.Once
	srv  *ClickHouseServer
	dir  string
	err  error
}

// ClickHouse returns the process's embedded ClickHouse, starting it on first
// use. It fails the test if the engine cannot start.
func ClickHouse(t testing.TB) *ClickHouseServer {
	t.Helper()
	ch.once.Do(startClickHouse)
	if ch.err != nil {
		t.Fatalf("testenv: embedded ClickHouse unavailable: %v", ch.err)
	}
	return ch.srv
}

func startClickHouse() {
	dir, err := os.MkdirTemp("", "omnistream-testenv-*")
	if err != nil {
		ch.err = fmt.Errorf("create data dir: %w", err)
		return
	}
	ch.dir = dir
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	cfg := chdb.DefaultConfig()
	if p := os.Getenv(LibEnv); p != "" {
		cfg.LibPath = p
	}
	cfg.DataDir = dir + "/chdb"
	cfg.Logger = logger
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := chdb.Open(ctx, cfg)
	if err != nil {
		if errors.Is(err, chdb.ErrLibraryMissing) {
			ch.err = fmt.Errorf("%w (or set %s)", err, LibEnv)
		} else {
			ch.err = fmt.Errorf("%w (library %s; `make chdb` fetches it, %s overrides the path)", err, cfg.LibPath, LibEnv)
		}
		return
	}
	scfg := chserver.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.Logger = logger
	srv, err := chserver.New(scfg, db)
	if err != nil {
		db.Close()
		ch.err = err
		return
	}
	addr, err := srv.Start(ctx)
	if err != nil {
		db.Close()
		ch.err = err
		return
	}
	ch.srv = &ClickHouseServer{Addr: addr, URL: "http://" + addr, DataDir: cfg.DataDir, Engine: db, HTTP: srv}
}

// stopClickHouse closes the server and engine and removes the data dir.
func stopClickHouse() {
	if ch.srv != nil {
		ch.srv.HTTP.Close()
		ch.srv.Engine.Close()
	}
	if ch.dir != "" {
		os.RemoveAll(ch.dir)
	}
}

// Main runs the tests and then stops what testenv started. Use it from
// TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	stopClickHouse()
	os.Exit(code)
}

// DB is a fresh database of one test.
type DB struct {
	// Name is the database's name.
	Name string
	// Options are clickhouse-go options (HTTP) with Name as the database.
	Options *clickhouse.Options
	// Conn is an open connection to it, closed when the test ends.
	Conn clickhouse.Conn
	// Server is the embedded ClickHouse holding it.
	Server *ClickHouseServer
}

var dbSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// Database creates a database for t alone and returns a connection to it.
// The database is dropped when the test ends.
func Database(t testing.TB) *DB {
	t.Helper()
	srv := ClickHouse(t)
	base := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), strings.Trim(base, "_"))

	admin, err := clickhouse.Open(srv.Options("default"))
	if err != nil {
		t.Fatalf("testenv: connect to embedded ClickHouse: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	if err := admin.Exec(ctx, "CREATE DATABASE "+chdb.QuoteIdent(name)); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	opts := srv.Options(name)
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatalf("testenv: connect to database %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn.Close()
		if admin, err := clickhouse.Open(srv.Options("default")); err == nil {
			if err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+chdb.QuoteIdent(name)+""); err != nil {
				t.Logf("testenv: drop database %s: %v", name, err)
			}
			admin.Close()
		}
	})
	return &DB{Name: name, Options: opts, Conn: conn, Server: srv}
}
