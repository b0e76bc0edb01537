package testenv_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestDatabaseIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := testenv.Database(t), testenv.Database(t)
	if a.Name == b.Name {
		t.Fatalf("two databases share the name %s", a.Name)
	}
	for _, db := range []*testenv.DB{a, b} {
		if err := db.Conn.Exec(ctx, "CREATE TABLE t (x UInt64) ENGINE = MergeTree ORDER BY x"); err != nil {
			t.Fatalf("create table in %s: %v", db.Name, err)
		}
	}
	if err := a.Conn.Exec(ctx, "INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var cur string
	if err := a.Conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&cur); err != nil {
		t.Fatalf("current database: %v", err)
	}
	if cur != a.Name {
		t.Fatalf("currentDatabase() = %q, want %q", cur, a.Name)
	}
	for db, want := range map[*testenv.DB]uint64{a: 2, b: 0} {
		var n uint64
		if err := db.Conn.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil {
			t.Fatalf("count in %s: %v", db.Name, err)
		}
		if n != want {
			t.Errorf("count in %s = %d, want %d", db.Name, n, want)
		}
	}
}

func TestDSNWithDatabaseSQL(t *testing.T) {
	db := testenv.Database(t)
	sqldb, err := sql.Open("clickhouse", db.Server.DSN(db.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var cur string
	var n uint64
	if err := sqldb.QueryRow("SELECT currentDatabase(), {n:UInt64} + 1", clickhouse.Named("n", 41)).Scan(&cur, &n); err != nil {
		t.Fatalf("query through database/sql: %v", err)
	}
	if cur != db.Name || n != 42 {
		t.Fatalf("got (%s, %d), want (%s, 42)", cur, n, db.Name)
	}
}
