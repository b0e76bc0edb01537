package audience

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/sinks/schema"
)

// benchContacts is the size of the benchmark channel: every contact has a
// profile, half carry the vip tag, a third a tier attribute, and each one an
// inbound message.
const benchContacts = 100000

func seedBench(b *testing.B) (*Store, *teams.Team) {
	b.Helper()
	db := testenv.Database(b)
	ctx := context.Background()
	if _, err := schema.Apply(ctx, db.Conn, schema.DefaultConfig(), nil); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	cu, _ := db.Conn.PrepareBatch(ctx, `INSERT INTO contact_updates (team_id, channel_type, channel_id, contact_id, version, ts,
        name, phone, email, member_id, created_source, subscribed, over_quota, deleted)`)
	ev, _ := db.Conn.PrepareBatch(ctx, `INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, tag)`)
	ca, _ := db.Conn.PrepareBatch(ctx, `INSERT INTO contact_attributes (team_id, channel_type, channel_id, contact_id, attribute, value, version, deleted)`)
	for i := range benchContacts {
		id := fmt.Sprintf("U%032x", i)
		ts := at.Add(time.Duration(i) * time.Second)
		cu.Append("t1", "line", "C1", id, uint64(i+1), ts, fmt.Sprintf("name %d", i), fmt.Sprintf("8869%08d", i),
			fmt.Sprintf("user%d@example.com", i), "", "user", int8(1), int8(-1), uint8(0))
		if i%2 == 0 {
			ev.Append("t1", fmt.Sprintf("t%d", i), "tag.added", ts, "line", "C1", id, "vip")
		}
		ev.Append("t1", fmt.Sprintf("m%d", i), "message.inbound", ts, "line", "C1", id, "")
		if i%3 == 0 {
			ca.Append("t1", "line", "C1", id, "tier", "gold", uint64(1), uint8(0))
		}
	}
	for _, batch := range []interface{ Send() error }{cu, ev, ca} {
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Clock = func() time.Time { return time.Date(2023, 1, 5, 10, 0, 0, 0, time.UTC) }
	s, err := NewStore(db.Conn, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	team := teams.New("t1", "Team", "TW")
	return s, &team
}

var benchDef = Definition{Channel: Channel{Type: "line", ID: "C1"}, Conditions: []Condition{
	{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}},
	{Field: FieldAttribute, Attribute: "tier", Type: TypeText, Op: OpEq, Value: "gold"},
	{Field: FieldLastInteraction, Op: OpBefore, Value: "2023-01-01"},
}}

// BenchmarkAudience measures, over 100,000 contacts on the embedded
// engine, the size of a three-condition audience (16,667 members), its
// first preview page, and a materialization.
func BenchmarkAudience(b *testing.B) {
	s, team := seedBench(b)
	ctx := context.Background()
	b.Run("size", func(b *testing.B) {
		for b.Loop() {
			n, err := s.Size(ctx, team, benchDef)
			if err != nil || n != 16667 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("preview", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Preview(ctx, team, benchDef, "", 50); err != nil {
				b.Fatal(err)
			}
		}
	})
	a, err := s.Create(ctx, team, Input{Name: "bench", Channel: benchDef.Channel, Conditions: benchDef.Conditions})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("materialize", func(b *testing.B) {
		for b.Loop() {
			snap, err := s.Materialize(ctx, team, a.ID, "bench")
			if err != nil || snap.Size != 16667 {
				b.Fatal(snap, err)
			}
		}
	})
}
