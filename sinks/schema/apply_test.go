package schema

import (
	"context"
	"testing"

	"github.com/omnistream/omnistream/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestApplyTwiceIsNoop(t *testing.T) {
	db := testenv.Database(t)
	ctx := context.Background()
	migs, err := Render(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	applied, err := Apply(ctx, db.Conn, DefaultConfig(), nil)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if len(applied) != len(migs) {
		t.Fatalf("first apply ran %v, want all %d migrations", applied, len(migs))
	}
	again, err := Apply(ctx, db.Conn, DefaultConfig(), nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("second apply ran %v, %v; want nothing", again, err)
	}
	got, err := Versions(ctx, db.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(migs) {
		t.Fatalf("version table has %d rows, want %d", len(got), len(migs))
	}
	for _, m := range migs {
		if a := got[m.Version]; a.Name != m.Name || a.Checksum != m.Checksum {
			t.Errorf("version %d recorded as %+v, want %s %s", m.Version, a, m.Name, m.Checksum)
		}
	}
	// A released migration that changes is refused.
	if err := db.Conn.Exec(ctx, "INSERT INTO schema_migrations VALUES (1, 'events', 'edited', now64(3) + 1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, db.Conn, DefaultConfig(), nil); err == nil || err.Error() != "migration 0001_events was changed after it was applied (checksum "+migs[0].Checksum+", recorded edited)" {
		t.Fatalf("edited migration: %v", err)
	}
}
