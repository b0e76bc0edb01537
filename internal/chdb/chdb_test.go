package chdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/chdb"
)

// libPath honours OMNISTREAM_CHDB_LIB as the Makefile exports it.
func libPath() string {
	if p := os.Getenv("OMNISTREAM_CHDB_LIB"); p != "" {
		return p
	}
	return chdb.DefaultLibPath()
}

var (
	shared    *chdb.DB
	sharedDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func quietConfig(dir string) chdb.Config {
	cfg := chdb.DefaultConfig()
	cfg.LibPath = libPath()
	cfg.DataDir = dir
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// engine returns the package's shared engine, opened on first use. Tests
// fail, not skip, when the library is missing.
func engine(t testing.TB) *chdb.DB {
	t.Helper()
	if shared == nil {
		dir, err := os.MkdirTemp("", "omnistream-chdb-test-*")
		if err != nil {
			t.Fatal(err)
		}
		sharedDir = dir
		db, err := chdb.Open(context.Background(), quietConfig(dir))
		if err != nil {
			t.Fatalf("open engine: %v", err)
		}
		shared = db
	}
	return shared
}

func query(t testing.TB, db *chdb.DB, sql string) string {
	t.Helper()
	res, err := db.Query(context.Background(), sql, "TSV")
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return string(res.Data)
}

func TestConfigValidateReportsEverything(t *testing.T) {
	cfg := chdb.Config{Args: []string{"max_threads=1", "--path=/x"}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"LibPath", "DataDir", "MaxConcurrent", "CloseTimeout", "Logger", "max_threads=1", "--path=/x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	good := chdb.DefaultConfig()
	good.DataDir = "/tmp/x"
	if err := good.Validate(); err != nil {
		t.Errorf("default config with DataDir: %v", err)
	}
}

func TestMissingLibraryNamesMakeChdb(t *testing.T) {
	cfg := quietConfig(t.TempDir())
	cfg.LibPath = filepath.Join(t.TempDir(), "libchdb.so")
	_, err := chdb.Open(context.Background(), cfg)
	if !errors.Is(err, chdb.ErrLibraryMissing) || !strings.Contains(err.Error(), "make chdb") {
		t.Fatalf("Open with a missing library: %v; want ErrLibraryMissing naming `make chdb`", err)
	}
}

func TestQueryResultAndStats(t *testing.T) {
	db := engine(t)
	res, err := db.Query(context.Background(), "SELECT number, toString(number) FROM numbers(3)", "JSONEachRow")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"number":0,"toString(number)":"0"}` + "\n" + `{"number":1,"toString(number)":"1"}` + "\n" + `{"number":2,"toString(number)":"2"}` + "\n"
	if string(res.Data) != want {
		t.Errorf("data %q, want %q", res.Data, want)
	}
	if res.RowsRead != 3 || res.Elapsed <= 0 {
		t.Errorf("rows read %d, elapsed %v", res.RowsRead, res.Elapsed)
	}
	// A FORMAT clause wins over the format argument.
	if got := query(t, db, "SELECT 1 AS x FORMAT JSONEachRow"); got != `{"x":1}`+"\n" {
		t.Errorf("FORMAT clause: %q", got)
	}
}

func TestEngineErrors(t *testing.T) {
	db := engine(t)
	tests := []struct {
		sql  string
		code int
		name string
	}{
		{"SELEC 1", 62, "SYNTAX_ERROR"},
		{"SELECT * FROM no_such_table", 60, "UNKNOWN_TABLE"},
		{"SELECT no_such_function()", 46, "UNKNOWN_FUNCTION"},
		{"SELECT throwIf(1, 'boom')", 395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Query(context.Background(), tc.sql, "TSV")
			e, ok := chdb.IsEngineError(err)
			if !ok {
				t.Fatalf("%s: %v is not an engine error", tc.sql, err)
			}
			if e.Code != tc.code || e.Name != tc.name || !strings.HasPrefix(e.Text, fmt.Sprintf("Code: %d. DB::Exception: ", tc.code)) {
				t.Errorf("%s: got code %d name %q text %q", tc.sql, e.Code, e.Name, e.Text)
			}
		})
	}
}

func TestQueryOptionsApplyToOneQueryOnly(t *testing.T) {
	db := engine(t)
	ctx := context.Background()
	query(t, db, "CREATE DATABASE IF NOT EXISTS opts")
	res, err := db.QueryWith(ctx, "SELECT currentDatabase(), getSetting('max_threads'), {n:UInt8} + 1", "TSV", chdb.QueryOptions{
		Database: "opts",
		Settings: map[string]string{"max_threads": "3"},
		Params:   map[string]string{"n": "41"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != "opts\t3\t42\n" {
		t.Errorf("with options: %q", res.Data)
	}
	// Nothing leaks into the next query, SET statements included.
	query(t, db, "SET max_threads = 1")
	query(t, db, "USE opts")
	if got := query(t, db, "SELECT currentDatabase(), getSetting('max_threads') != 1"); got != "default\t1\n" {
		t.Errorf("next query saw %q", got)
	}
	if _, err := db.QueryWith(ctx, "SELECT 1", "TSV", chdb.QueryOptions{Settings: map[string]string{"bad name": "1"}}); err == nil {
		t.Error("invalid setting name accepted")
	}
	// Regression: a setting the engine rejects is an engine error (this
	// once crashed the process while cleaning up the connection).
	_, err = db.QueryWith(ctx, "SELECT 1", "TSV", chdb.QueryOptions{Settings: map[string]string{"no_such_setting": "1"}})
	if e, ok := chdb.IsEngineError(err); !ok || e.Name != "UNKNOWN_SETTING" {
		t.Errorf("unknown setting: %v", err)
	}
	if _, err := db.QueryWith(ctx, "SELECT 1", "TSV", chdb.QueryOptions{Database: "no_such_db"}); err == nil {
		t.Error("unknown database accepted")
	}
}

func TestReadOnly(t *testing.T) {
	db := engine(t)
	ctx := context.Background()
	query(t, db, "CREATE TABLE IF NOT EXISTS ro (x UInt8) ENGINE = Memory")
	ro := chdb.QueryOptions{ReadOnly: true}
	if _, err := db.QueryWith(ctx, "SELECT count() FROM ro", "TSV", ro); err != nil {
		t.Fatalf("read-only select: %v", err)
	}
	for _, sql := range []string{"INSERT INTO ro VALUES (1)", "CREATE TABLE ro2 (x UInt8) ENGINE = Memory", "SET readonly = 0"} {
		_, err := db.QueryWith(ctx, sql, "TSV", ro)
		if e, ok := chdb.IsEngineError(err); !ok || e.Code != 164 {
			t.Errorf("read-only %q: %v, want READONLY", sql, err)
		}
	}
}

// TestInlineDataStopsAtBlankLine documents why insert bodies go through
// files: chDB's statement splitter ends inline data at the first blank line.
// If this starts failing, chDB fixed it and the spooling may be revisited.
func TestInlineDataStopsAtBlankLine(t *testing.T) {
	db := engine(t)
	query(t, db, "CREATE TABLE IF NOT EXISTS inl (a UInt8) ENGINE = Memory")
	_, err := db.Query(context.Background(), "INSERT INTO inl FORMAT JSONEachRow {\"a\":1}\n\n{\"a\":2}\n", "TSV")
	if err == nil {
		t.Fatal("inline data across a blank line accepted: chDB changed, revisit chserver's spooling")
	}
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte("{\"a\":3}\n\n{\"a\":4}\n"), 0o644)
	query(t, db, "INSERT INTO inl FROM INFILE "+chdb.QuoteString(path)+" FORMAT JSONEachRow")
	if got := query(t, db, "SELECT groupArray(a) FROM (SELECT a FROM inl WHERE a >= 3 ORDER BY a)"); got != "[3,4]\n" {
		t.Errorf("rows from file: %q", got)
	}
}

func TestConcurrentQueries(t *testing.T) {
	db := engine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				n := g*1000 + i
				res, err := db.Query(context.Background(), fmt.Sprintf("SELECT sum(number) FROM numbers(%d)", n+1), "TSV")
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprintf("%d\n", n*(n+1)/2); string(res.Data) != want {
					errs <- fmt.Errorf("numbers(%d): got %q want %q", n+1, res.Data, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCancelKillsQuery(t *testing.T) {
	db := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := db.Query(ctx, "SELECT count() FROM numbers(1000000000000) WHERE sipHash64(number) = 0", "TSV")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("long query: %v, want deadline exceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("cancel took %v", took)
	}
	// The killed query leaves the engine: system.processes empties.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := query(t, db, "SELECT count() FROM system.processes WHERE query LIKE '%sipHash64(number) = 0%' AND query NOT LIKE '%system.processes%'")
		if got == "0\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed query still running: %s", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReopenAndSinglePath(t *testing.T) {
	db := engine(t)
	query(t, db, "CREATE TABLE IF NOT EXISTS keep (x UInt64) ENGINE = MergeTree ORDER BY x")
	query(t, db, "INSERT INTO keep SELECT number FROM numbers(1000)")

	// A second path while the first is open is refused.
	if _, err := chdb.Open(context.Background(), quietConfig(t.TempDir())); err == nil {
		t.Fatal("opened a second data dir in one process")
	}
	// The same path may be opened twice.
	again, err := chdb.Open(context.Background(), quietConfig(sharedDir))
	if err != nil {
		t.Fatalf("open the same dir again: %v", err)
	}
	again.Close()

	// Close, re-open: data survives.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(context.Background(), "SELECT 1", "TSV"); !errors.Is(err, chdb.ErrClosed) {
		t.Errorf("query after close: %v", err)
	}
	shared = nil
	reopened, err := chdb.Open(context.Background(), quietConfig(sharedDir))
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	shared = reopened
	if got := query(t, reopened, "SELECT count(), sum(x) FROM keep"); got != "1000\t499500\n" {
		t.Errorf("after re-open: %q", got)
	}
}

func TestQuoteString(t *testing.T) {
	tests := map[string]string{
		"":             "''",
		"a":            "'a'",
		"it's":         `'it\'s'`,
		`back\slash`:   `'back\\slash'`,
		"nl\ntab\t":    `'nl\x0atab\x09'`,
		"\x00\x7f":     `'\x00\x7f'`,
		"ünï":          "'ünï'",
		"x'); DROP --": `'x\'); DROP --'`,
	}
	for in, want := range tests {
		if got := chdb.QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := chdb.QuoteIdent("we`ird"); got != "`we\\`ird`" {
		t.Errorf("QuoteIdent = %s", got)
	}
}

func BenchmarkSelect1(b *testing.B) {
	db := engine(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.Query(ctx, "SELECT 1", "TSV"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelect1Parallel(b *testing.B) {
	db := engine(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Query(ctx, "SELECT 1", "TSV"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestStream(t *testing.T) {
	db := engine(t)
	ctx := context.Background()

	st, err := db.Stream(ctx, "SELECT number FROM numbers(1000000)", "TSV", chdb.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	chunks := 0
	for {
		b, err := st.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chunk %d: %v", chunks, err)
		}
		got.Write(b)
		chunks++
	}
	st.Close()
	want, err := db.Query(ctx, "SELECT number FROM numbers(1000000)", "TSV")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want.Data) || chunks < 2 {
		t.Fatalf("streamed %d bytes in %d chunks, buffered %d bytes", got.Len(), chunks, len(want.Data))
	}

	// An exception after some output arrives from Next.
	st, err = db.Stream(ctx, "SELECT throwIf(number = 150000, 'boom') FROM numbers(200000) SETTINGS max_block_size = 10000", "TSV", chdb.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err = st.Next()
		if err != nil {
			break
		}
	}
	st.Close()
	if e, ok := chdb.IsEngineError(err); !ok || e.Code != 395 {
		t.Fatalf("mid-stream exception: %v", err)
	}

	// Statements without output do not stream.
	if _, err := db.Stream(ctx, "CREATE TABLE IF NOT EXISTS nostream (x UInt8) ENGINE = Memory", "TSV", chdb.QueryOptions{}); !errors.Is(err, chdb.ErrNotStreamable) {
		t.Fatalf("DDL stream: %v, want ErrNotStreamable", err)
	}
	// Errors at start are engine errors.
	if _, err := db.Stream(ctx, "SELEC 1", "TSV", chdb.QueryOptions{}); err == nil {
		t.Fatal("syntax error accepted")
	} else if e, ok := chdb.IsEngineError(err); !ok || e.Code != 62 {
		t.Fatalf("syntax error: %v", err)
	}

	// Closing early cancels and frees the slot: more early closes than slots.
	for i := 0; i < chdb.DefaultConfig().MaxConcurrent+2; i++ {
		st, err := db.Stream(ctx, "SELECT number FROM numbers(100000000000)", "TSV", chdb.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Next(); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}

	// Cancelling the context kills a stream.
	cctx, cancel := context.WithCancel(ctx)
	st, err = db.Stream(cctx, "SELECT number FROM numbers(100000000000)", "TSV", chdb.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err = st.Next()
		if err != nil {
			break
		}
	}
	st.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled stream ended with %v", err)
	}
}

func TestSession(t *testing.T) {
	db := engine(t)
	ctx := context.Background()
	query(t, db, "CREATE DATABASE IF NOT EXISTS sess")
	s, err := db.OpenSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(sql string, o chdb.QueryOptions) string {
		t.Helper()
		res, err := s.QueryWith(ctx, sql, "TSV", o)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return string(res.Data)
	}
	// State persists across queries.
	run("SET max_threads = 3", chdb.QueryOptions{})
	run("CREATE TEMPORARY TABLE tmp (x UInt8)", chdb.QueryOptions{})
	run("INSERT INTO tmp VALUES (1), (2)", chdb.QueryOptions{})
	if got := run("SELECT count(), getSetting('max_threads') FROM tmp", chdb.QueryOptions{}); got != "2\t3\n" {
		t.Errorf("session state: %q", got)
	}
	// Per-query options are undone afterwards.
	if got := run("SELECT getSetting('max_threads'), currentDatabase()", chdb.QueryOptions{Database: "sess", Settings: map[string]string{"max_threads": "5"}}); got != "5\tsess\n" {
		t.Errorf("per-query options: %q", got)
	}
	if got := run("SELECT getSetting('max_threads'), currentDatabase()", chdb.QueryOptions{}); got != "3\tdefault\n" {
		t.Errorf("after per-query options: %q", got)
	}
	// Other sessions and sessionless queries do not see it.
	if _, err := db.Query(ctx, "SELECT count() FROM tmp", "TSV"); err == nil {
		t.Error("temporary table visible outside its session")
	}
	// One query at a time.
	slow := make(chan error, 1)
	go func() {
		_, err := s.QueryWith(ctx, "SELECT sleep(1)", "TSV", chdb.QueryOptions{})
		slow <- err
	}()
	for i := 0; query(t, db, "SELECT count() FROM system.processes WHERE query = 'SELECT sleep(1)'") != "1\n"; i++ {
		if i > 100 {
			t.Fatal("the slow query never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, lockedErr := s.QueryWith(ctx, "SELECT 1", "TSV", chdb.QueryOptions{}); !errors.Is(lockedErr, chdb.ErrSessionLocked) {
		t.Errorf("concurrent query in a session: %v, want ErrSessionLocked", lockedErr)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueryWith(ctx, "SELECT 1", "TSV", chdb.QueryOptions{}); err == nil {
		t.Error("query on a closed session")
	}
}
