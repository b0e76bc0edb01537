package chserver_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/chdb"
	"github.com/omnistream/omnistream/internal/testenv"
)

// FuzzStringLiteral checks that no value breaks out of its literal: a value
// bound to a {v:String} parameter over HTTP (escaped by clickhouse-go, bound
// by the engine) and the same value quoted by chdb.QuoteString (what the
// server uses for settings and spool paths) both reach the engine as exactly
// the bytes they were, and the statement around them stays one statement.
func FuzzStringLiteral(f *testing.F) {
	for _, s := range []string{
		"", "plain", `x'); DROP TABLE t; --`, `\'`, `\\'`, "'", "''", `\`, "\x00", "\n\n", "\t\r\n",
		"{v:String}", "$$", "`", `"`, "/*", "*/", "--", "#", ";", "\xff\xfe", "ünïcödé ✓", `\N`, "NULL",
	} {
		f.Add(s)
	}
	db := testenv.Database(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, v string) {
		want := strings.ToUpper(hex.EncodeToString([]byte(v)))

		var got string
		var n uint8
		err := db.Conn.QueryRow(ctx, "SELECT hex({v:String}), 1", clickhouse.Named("v", v)).Scan(&got, &n)
		if err != nil {
			t.Fatalf("bind %q: %v", v, err)
		}
		if got != want || n != 1 {
			t.Fatalf("parameter %q reached the engine as hex %s (and %d), want %s", v, got, n, want)
		}

		err = db.Conn.QueryRow(ctx, "SELECT hex("+chdb.QuoteString(v)+"), 1").Scan(&got, &n)
		if err != nil {
			t.Fatalf("literal %s: %v", chdb.QuoteString(v), err)
		}
		if got != want || n != 1 {
			t.Fatalf("literal %s reached the engine as hex %s (and %d), want %s", chdb.QuoteString(v), got, n, want)
		}
	})
}
