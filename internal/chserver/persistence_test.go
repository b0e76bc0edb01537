package chserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/chdb"
	"github.com/omnistream/omnistream/internal/chserver"
	"github.com/omnistream/omnistream/internal/testenv"
)

const (
	persistDirEnv   = "OMNISTREAM_TEST_PERSIST_DIR"
	persistPhaseEnv = "OMNISTREAM_TEST_PERSIST_PHASE"
)

// TestPersistenceAcrossRestart writes through the HTTP interface in one
// process, then reads the rows back exactly from a second process on the
// same data directory. chDB allows one data directory per process and this
// test process may already run testenv's engine, so both halves run in
// child processes (this test binary, re-executed).
func TestPersistenceAcrossRestart(t *testing.T) {
	if os.Getenv(persistPhaseEnv) != "" {
		return // the child runs TestPersistenceChild only; this is its parent
	}
	dir := t.TempDir()
	for _, phase := range []string{"write", "read"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPersistenceChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), persistDirEnv+"="+dir, persistPhaseEnv+"="+phase)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestPersistenceChild") {
			t.Fatalf("%s phase: %v\n%s", phase, err, out)
		}
		t.Logf("%s phase:\n%s", phase, grepLines(string(out), "persist:"))
	}
}

func grepLines(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	return strings.Join(keep, "\n")
}

// startEmbedded opens an engine on dir and serves it on a free port.
func startEmbedded(t *testing.T, dir string) (*chdb.DB, *chserver.Server, clickhouse.Conn) {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := chdb.DefaultConfig()
	if p := os.Getenv(testenv.LibEnv); p != "" {
		cfg.LibPath = p
	}
	cfg.DataDir = dir
	cfg.Logger = logger
	db, err := chdb.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	scfg := chserver.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.Logger = logger
	srv, err := chserver.New(scfg, db)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{addr}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db, srv, conn
}

func stopEmbedded(t *testing.T, db *chdb.DB, srv *chserver.Server, conn clickhouse.Conn) {
	t.Helper()
	if err := conn.Close(); err != nil {
		t.Errorf("close conn: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("close server: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("close engine: %v", err)
	}
}

const persistRows = 50_000

func persistedWant() map[string]*teamSums {
	want := map[string]*teamSums{}
	for i := uint64(0); i < persistRows; i++ {
		team := teams[i%uint64(len(teams))]
		s := want[team]
		if s == nil {
			s = &teamSums{}
			want[team] = s
		}
		s.count++
		s.ids += i
		s.amount += float64(i%1000) / 4
	}
	return want
}

func TestPersistenceChild(t *testing.T) {
	dir, phase := os.Getenv(persistDirEnv), os.Getenv(persistPhaseEnv)
	if dir == "" || phase == "" {
		return // an entry point for the child processes of TestPersistenceAcrossRestart
	}
	ctx := context.Background()
	want := persistedWant()
	switch phase {
	case "write":
		db, srv, conn := startEmbedded(t, dir)
		if err := conn.Exec(ctx, "CREATE DATABASE persist"); err != nil {
			t.Fatal(err)
		}
		createEvents(t, ctx, conn, "persist.events")
		batchInsert(t, ctx, conn, "persist.events", 0, persistRows, nil)
		stopEmbedded(t, db, srv, conn)
		fmt.Println("persist: wrote", persistRows, "rows and closed the engine")

		// Re-open in the same process: chDB allows it on the same path.
		start := time.Now()
		db, srv, conn = startEmbedded(t, dir)
		fmt.Println("persist: re-opened in process in", time.Since(start).Round(time.Millisecond))
		compareSums(t, "after in-process re-open", querySums(t, ctx, conn, "persist.events"), want)
		stopEmbedded(t, db, srv, conn)
	case "read":
		db, srv, conn := startEmbedded(t, dir)
		compareSums(t, "after process restart", querySums(t, ctx, conn, "persist.events"), want)
		stopEmbedded(t, db, srv, conn)
		fmt.Println("persist: read back", persistRows, "rows in a new process")
	default:
		t.Fatalf("unknown phase %q", phase)
	}
}
