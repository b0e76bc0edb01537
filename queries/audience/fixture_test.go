package audience

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/sinks/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a fresh database with the schema applied, and helpers that
// write contacts, attributes and events the way the processors do.
type fixture struct {
	t     *testing.T
	db    *testenv.DB
	ctx   context.Context
	evs   []ev
	profs []prof
	attrs []attr
	seq   atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Database(t)
	ctx := context.Background()
	if _, err := schema.Apply(ctx, db.Conn, schema.DefaultConfig(), nil); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	return &fixture{t: t, db: db, ctx: ctx}
}

// where is a contact: team, channel and channel user id.
type where struct{ team, ct, cid, contact string }

type ev struct {
	where
	typ, sourceKind, sourceID, buttonKind, tag, method, actor, memberID, props string
	ts                                                                         time.Time
}

type prof struct {
	where
	name, phone, email, member string
	subscribed, overQuota      int8
	deleted                    uint8
	ts                         time.Time
}

type attr struct {
	where
	key, value string
	version    uint64
}

func (f *fixture) event(e ev) { f.evs = append(f.evs, e) }

func (f *fixture) profile(p prof) { f.profs = append(f.profs, p) }

func (f *fixture) attribute(w where, key, value string) {
	f.attrs = append(f.attrs, attr{where: w, key: key, value: value, version: uint64(f.seq.Add(1))})
}

// flush writes everything recorded so far.
func (f *fixture) flush() {
	f.t.Helper()
	if len(f.evs) > 0 {
		b, err := f.db.Conn.PrepareBatch(f.ctx, `INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id,
            source_kind, source_id, button_kind, tag, method, actor, member_id, props)`)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, e := range f.evs {
			id := fmt.Sprintf("e%d", f.seq.Add(1))
			props := e.props
			if props == "" {
				props = "{}"
			}
			if err := b.Append(e.team, id, e.typ, e.ts, e.ct, e.cid, e.contact, e.sourceKind, e.sourceID, e.buttonKind,
				e.tag, e.method, e.actor, e.memberID, props); err != nil {
				f.t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			f.t.Fatalf("insert events: %v", err)
		}
		f.evs = nil
	}
	if len(f.profs) > 0 {
		b, err := f.db.Conn.PrepareBatch(f.ctx, `INSERT INTO contact_updates (team_id, channel_type, channel_id, contact_id, version, ts,
            name, phone, email, member_id, created_source, subscribed, over_quota, deleted)`)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, p := range f.profs {
			if err := b.Append(p.team, p.ct, p.cid, p.contact, uint64(p.ts.UnixMilli())<<20|uint64(f.seq.Add(1)), p.ts,
				p.name, p.phone, p.email, p.member, "user", p.subscribed, p.overQuota, p.deleted); err != nil {
				f.t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			f.t.Fatalf("insert contact updates: %v", err)
		}
		f.profs = nil
	}
	if len(f.attrs) > 0 {
		b, err := f.db.Conn.PrepareBatch(f.ctx, `INSERT INTO contact_attributes (team_id, channel_type, channel_id, contact_id,
            attribute, value, version, deleted)`)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, a := range f.attrs {
			if err := b.Append(a.team, a.ct, a.cid, a.contact, a.key, a.value, a.version, uint8(0)); err != nil {
				f.t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			f.t.Fatalf("insert contact attributes: %v", err)
		}
		f.attrs = nil
	}
}

// store returns a store whose clock is fixed at now.
func (f *fixture) store(now time.Time, inUse ...InUse) *Store {
	f.t.Helper()
	cfg := DefaultConfig()
	cfg.Clock = func() time.Time { return now }
	s, err := NewStore(f.db.Conn, cfg, nil, inUse...)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// members lists the contact ids a definition selects, sorted.
func (f *fixture) members(s *Store, team *teams.Team, def Definition) []string {
	f.t.Helper()
	page, err := s.Preview(f.ctx, team, def, "", 500)
	if err != nil {
		f.t.Fatalf("preview: %v", err)
	}
	ids := make([]string, 0, len(page.Members))
	for _, m := range page.Members {
		ids = append(ids, m.ContactID)
	}
	if uint64(len(ids)) != page.Size {
		f.t.Errorf("preview lists %d members but counts %d", len(ids), page.Size)
	}
	sort.Strings(ids)
	return ids
}

func list(ids ...string) string {
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
