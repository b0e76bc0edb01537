package chserver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/chserver"
	"github.com/omnistream/omnistream/internal/testenv"
)

func TestInsertDeduplicationToken(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	err := db.Conn.Exec(ctx, `CREATE TABLE dedup (
		id UInt64, team String, amount Float64, ts DateTime64(3, 'UTC')
	) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000`)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	count := func() uint64 {
		var n uint64
		if err := db.Conn.QueryRow(ctx, "SELECT count() FROM dedup").Scan(&n); err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}
	withToken := func(tok string) context.Context {
		return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_deduplication_token": tok}))
	}
	steps := []struct {
		token string
		want  uint64
	}{
		{"topic-0-0-999", 1000},
		{"topic-0-0-999", 1000}, // the same batch again: stored once
		{"topic-0-1000-1999", 2000},
		{"topic-0-0-999", 2000},
	}
	for i, st := range steps {
		batchInsert(t, withToken(st.token), db.Conn, "dedup", 0, 1000, nil)
		if got := count(); got != st.want {
			t.Fatalf("step %d (token %s): count %d, want %d", i, st.token, got, st.want)
		}
	}
	// The token is applied to its query only: a later insert without one is
	// not deduplicated against anything.
	batchInsert(t, ctx, db.Conn, "dedup", 0, 10, nil)
	if got := count(); got != 2010 {
		t.Fatalf("count after insert without token = %d, want 2010", got)
	}
}

func TestQueryParameters(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	if err := db.Conn.Exec(ctx, "CREATE TABLE t (id UInt32, s String) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatalf("create: %v", err)
	}
	injections := []string{
		`x'); DROP TABLE t; --`,
		`'; DROP TABLE t; SELECT '`,
		`\'); DROP TABLE t; --`,
		"line1\nline2\n\nline4\ttab\\back",
		`{s:String}`,
		"\x00nul",
		"ünïcödé ✓",
	}
	for i, v := range injections {
		err := db.Conn.Exec(ctx, "INSERT INTO t VALUES ({id:UInt32}, {s:String})",
			clickhouse.Named("id", uint32(i)), clickhouse.Named("s", v))
		if err != nil {
			t.Fatalf("insert %q: %v", v, err)
		}
	}
	for i, v := range injections {
		var got string
		if err := db.Conn.QueryRow(ctx, "SELECT s FROM t WHERE id = {id:UInt32}", clickhouse.Named("id", uint32(i))).Scan(&got); err != nil {
			t.Fatalf("select %d: %v", i, err)
		}
		if got != v {
			t.Errorf("stored %q, want %q verbatim", got, v)
		}
		var n uint64
		if err := db.Conn.QueryRow(ctx, "SELECT count() FROM t WHERE s = {s:String}", clickhouse.Named("s", v)).Scan(&n); err != nil {
			t.Fatalf("count by value %q: %v", v, err)
		}
		if n != 1 {
			t.Errorf("count where s = %q is %d, want 1", v, n)
		}
	}

	typed := []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"UInt64", "SELECT toString({n:UInt64} + 1)", []any{clickhouse.Named("n", uint64(41))}, "42"},
		{"Array(String)", "SELECT toString({a:Array(String)})", []any{clickhouse.Named("a", []string{"a", "b'c"})}, `['a','b\'c']`},
		{"DateTime", "SELECT toString({d:DateTime('UTC')})", []any{clickhouse.Named("d", "2026-01-02 03:04:05")}, "2026-01-02 03:04:05"},
		{"Nullable NULL", "SELECT toString(isNull({x:Nullable(String)}))", []any{clickhouse.Named("x", nil)}, "1"},
		{"Identifier", "SELECT toString(count()) FROM {tbl:Identifier}", []any{clickhouse.Named("tbl", "t")}, fmt.Sprint(len(injections))},
	}
	for _, tc := range typed {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := db.Conn.QueryRow(ctx, tc.sql, tc.args...).Scan(&got); err != nil {
				t.Fatalf("%s: %v", tc.sql, err)
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
			}
		})
	}

	// A value that is not of the placeholder's type is an error, not SQL.
	res, body := do(t, "GET", db.Server.URL+"/?database="+db.Name+"&param_n="+url.QueryEscape("1); DROP TABLE t; --")+
		"&query="+url.QueryEscape("SELECT {n:UInt32}"), nil, nil)
	if res.StatusCode == http.StatusOK {
		t.Fatalf("bad UInt32 parameter accepted: %s", body)
	}
	var n uint64
	if err := db.Conn.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil || n != uint64(len(injections)) {
		t.Fatalf("table t after injection attempts: count %d, err %v", n, err)
	}
}

func TestClickHouseGoCompression(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	createEvents(t, ctx, db.Conn, "events")
	methods := []struct {
		name   string
		method clickhouse.CompressionMethod
	}{
		{"gzip", clickhouse.CompressionGZIP},
		{"deflate", clickhouse.CompressionDeflate},
		{"br", clickhouse.CompressionBrotli},
		{"zstd", clickhouse.CompressionZSTD},
		{"lz4", clickhouse.CompressionLZ4},
	}
	want := map[string]*teamSums{}
	var from uint64
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			opts := *db.Options
			opts.Compression = &clickhouse.Compression{Method: m.method}
			// As with ClickHouse, responses are compressed only when asked.
			opts.Settings = clickhouse.Settings{"enable_http_compression": 1}
			conn, err := clickhouse.Open(&opts)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer conn.Close()
			batchInsert(t, ctx, conn, "events", from, from+20_000, want)
			from += 20_000
			compareSums(t, m.name, querySums(t, ctx, conn, "events"), want)

			// Errors stay readable under compression.
			err = conn.Exec(ctx, "SELECT * FROM nowhere_"+m.name)
			var ex *clickhouse.Exception
			if !errors.As(err, &ex) || ex.Code != 60 {
				t.Errorf("error under %s: %v, want exception 60", m.name, err)
			}
		})
	}
}

func TestReadOnlyUser(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	if err := db.Conn.Exec(ctx, "CREATE TABLE r (x UInt8) ENGINE = MergeTree ORDER BY x"); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn.Exec(ctx, "INSERT INTO r VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}

	cfg := chserver.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Users = []chserver.User{{Name: "default"}, {Name: "analyst", Password: "s3cret", ReadOnly: true}}
	srv, err := chserver.New(cfg, db.Server.Engine)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	opts := *db.Options
	opts.Addr = []string{addr}
	opts.Auth = clickhouse.Auth{Database: db.Name, Username: "analyst", Password: "s3cret"}
	analyst, err := clickhouse.Open(&opts)
	if err != nil {
		t.Fatal(err)
	}
	defer analyst.Close()

	var n uint64
	if err := analyst.QueryRow(ctx, "SELECT count() FROM r").Scan(&n); err != nil || n != 2 {
		t.Fatalf("analyst read: %d, %v", n, err)
	}
	for _, sql := range []string{
		"INSERT INTO r VALUES (3)",
		"CREATE TABLE r2 (x UInt8) ENGINE = Memory",
		"DROP TABLE r",
		"SET readonly = 0",
		"SELECT count() FROM file('/etc/hostname', 'LineAsString')",
	} {
		var err error
		if strings.HasPrefix(sql, "SELECT") {
			var n uint64
			err = analyst.QueryRow(ctx, sql).Scan(&n)
		} else {
			err = analyst.Exec(ctx, sql)
		}
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != 164 {
			t.Errorf("analyst %q: %v, want READONLY (164)", sql, err)
		}
	}
	b, err := analyst.PrepareBatch(ctx, "INSERT INTO r")
	if err == nil {
		b.Append(uint8(9))
		err = b.Send()
	}
	if err == nil || !strings.Contains(err.Error(), "164") {
		t.Errorf("analyst batch insert: %v, want READONLY (164)", err)
	}
	// Settings cannot lift readonly.
	res, body := do(t, "GET", "http://"+addr+"/?user=analyst&password=s3cret&readonly=0&query="+url.QueryEscape("SELECT 1"), nil, nil)
	if res.StatusCode == 200 || !strings.Contains(body, "Code: 164") {
		t.Errorf("readonly=0 from analyst: %d %s", res.StatusCode, body)
	}
	// Clients that always send a session_id (clickhouse-connect does) work;
	// read-only users' queries simply run without a session.
	res, body = do(t, "POST", "http://"+addr+"/?user=analyst&password=s3cret&session_id=py-1&database="+db.Name, strings.NewReader("SELECT count() FROM r"), nil)
	if res.StatusCode != 200 || body != "2\n" {
		t.Errorf("analyst with session_id: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "POST", "http://"+addr+"/?user=analyst&password=s3cret&session_id=py-1&database="+db.Name, strings.NewReader("INSERT INTO r VALUES (7)"), nil)
	if res.StatusCode == 200 || !strings.Contains(body, "Code: 164") {
		t.Errorf("analyst insert with session_id: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", "http://"+addr+"/?user=analyst&password=wrong&query=SELECT+1", nil, nil)
	if res.StatusCode != 403 || !strings.Contains(body, "Code: 516") {
		t.Errorf("wrong password: %d %s", res.StatusCode, body)
	}
	if err := db.Conn.QueryRow(ctx, "SELECT count() FROM r").Scan(&n); err != nil || n != 2 {
		t.Fatalf("table after analyst attempts: %d, %v", n, err)
	}
	// The default user of that server still writes.
	opts.Auth = clickhouse.Auth{Database: db.Name}
	admin, err := clickhouse.Open(&opts)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Exec(ctx, "INSERT INTO r VALUES (3)"); err != nil {
		t.Fatalf("default user insert: %v", err)
	}
}
