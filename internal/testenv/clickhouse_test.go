package testenv_test

import (
	"context"
	"testing"

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
