package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/testenv"
)

// TestAnalystSQLAccess: an analyst's read-only account queries the team's
// report views with clickhouse-go over HTTP and can neither write nor read
// another team's rows, by any route.
func TestAnalystSQLAccess(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	srv := testenv.ClickHouse(t)
	srv.HTTP.SetLookup(a.Analysts().Lookup)
	defer srv.HTTP.SetLookup(nil)
	for _, team := range []string{"ana0", "anb0"} {
		key := createTeam(t, a, team)
		cfg := smallGen(team)
		if _, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 100, nil); err != nil {
			t.Fatal(err)
		}
	}
	expA, _ := expected(t, smallGen("ana0"))
	expB, _ := expected(t, smallGen("anb0"))
	waitCount(t, a, "ana0", uint64(expA.Events))
	waitCount(t, a, "anb0", uint64(expB.Events))
	user, pass, err := a.Analysts().Provision(context.Background(), "ana0")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Analysts().Provision(context.Background(), "anb0"); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{srv.Addr},
		Auth: clickhouse.Auth{Username: user, Password: pass, Database: "analyst_ana0"}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil || n != uint64(expA.Events) {
		t.Fatalf("own events: %d, %v; want %d", n, err, expA.Events)
	}
	var bcasts uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM broadcasts WHERE channel = 'line'").Scan(&bcasts); err != nil || bcasts != 3 {
		t.Fatalf("broadcasts view: %d, %v", bcasts, err)
	}
	for _, view := range []string{"contacts", "customers", "merges", "tag_applications", "omnilink", "orders"} {
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+view).Scan(&n); err != nil {
			t.Errorf("view %s: %v", view, err)
		}
	}
	for _, q := range []string{
		"SELECT count() FROM " + a.CHOpts.Auth.Database + ".events",
		"SELECT count() FROM analyst_anb0.events",
		"SELECT count() FROM merge('" + a.CHOpts.Auth.Database + "', 'events')",
		"SELECT count() FROM events WHERE event_id IN " + a.CHOpts.Auth.Database + ".events",
		"WITH x AS (SELECT * FROM analyst_anb0.contacts) SELECT count() FROM x",
		"SELECT file('/etc/hostname')",
		"SELECT count() FROM url('http://127.0.0.1/', 'LineAsString')",
		"INSERT INTO events (event_id) VALUES ('x')",
		"DROP TABLE events",
		"SHOW TABLES FROM " + a.CHOpts.Auth.Database,
	} {
		err := conn.Exec(ctx, q)
		if err == nil || !(strings.Contains(err.Error(), "(ACCESS_DENIED)") || strings.Contains(err.Error(), "(READONLY)")) {
			t.Errorf("%s: %v, want ACCESS_DENIED or READONLY", q, err)
		}
	}
	bad, _ := clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{srv.Addr},
		Auth: clickhouse.Auth{Username: user, Password: "wrong", Database: "analyst_ana0"}})
	defer bad.Close()
	if err := bad.QueryRow(ctx, "SELECT 1").Scan(&n); err == nil || !strings.Contains(err.Error(), "AUTHENTICATION_FAILED") {
		t.Fatalf("wrong password: %v", err)
	}
}
