package analytics

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/processors/core"
	"github.com/omnistream/omnistream/sinks/chsink"
	"github.com/omnistream/omnistream/sinks/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a fresh database with the schema applied. It writes rows the
// way the processors do: through chsink into the processor's own table
// layouts (core.EventsTable, …), every column set.
type fixture struct {
	t   *testing.T
	db  *testenv.DB
	ctx context.Context
	w   *chsink.Writer
	svc *Service
	seq int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Database(t)
	ctx := context.Background()
	if _, err := schema.Apply(ctx, db.Conn, schema.DefaultConfig(), nil); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	w, err := chsink.NewWriter(db.Conn, chsink.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: db, ctx: ctx, w: w, svc: New(db.Conn, nil)}
}

// team returns a team in zone tz with weeks starting on Monday.
func team(id, tz string) *teams.Team {
	t := teams.New(id, id, "TW")
	t.TimeZone = tz
	return &t
}

// at is a wall-clock time "2006-01-02 15:04[:05]" in team's zone.
func at(tm *teams.Team, s string) time.Time {
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout = "2006-01-02 15:04:05"
	}
	v, err := time.ParseInLocation(layout, s, tm.Location())
	if err != nil {
		panic(err)
	}
	return v
}

func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func span(tm *teams.Team, from, to string) Range {
	return Range{From: day(from), To: day(to), Loc: tm.Location()}
}

// E is one row of events. Zero fields are written as the processor writes
// an absent value.
type E struct {
	Team, ID, Type               string
	TS                           time.Time
	Ch, ChID, Contact, Customer  string
	SourceKind, SourceID, NodeID string
	MessageID, SendID            string
	Reason, InboundKind          string
	ButtonKind, ButtonID, URL    string
	Area, KwGroup, KwCondition   string
	Tag, OrderID, Amount         string
	Currency, MemberID, Method   string
	Campaign                     string
	TargetCh, TargetChID         string
	Target                       string
	TargetNew                    bool
	ContactSource, Actor         string
}

// row renders e as the column values of core.EventsTable.
func (e E) row() map[string]any {
	amount := event.Amount(0)
	if e.Amount != "" {
		a, err := event.ParseAmount(e.Amount)
		if err != nil {
			panic(err)
		}
		amount = a
	}
	return map[string]any{
		"team_id": e.Team, "event_id": e.ID, "type": e.Type, "ts": e.TS,
		"channel_type": e.Ch, "channel_id": e.ChID, "contact_id": e.Contact, "customer_id": e.Customer,
		"source_kind": e.SourceKind, "source_id": e.SourceID, "node_id": e.NodeID,
		"message_id": e.MessageID, "send_id": e.SendID, "reason": e.Reason, "inbound_kind": e.InboundKind,
		"button_kind": e.ButtonKind, "button_id": e.ButtonID, "url": e.URL, "area": e.Area,
		"kw_group": e.KwGroup, "kw_condition": e.KwCondition, "tag": e.Tag, "order_id": e.OrderID,
		"amount": int64(amount), "currency": e.Currency, "member_id": e.MemberID, "method": e.Method,
		"campaign": e.Campaign, "target_channel_type": e.TargetCh, "target_channel_id": e.TargetChID,
		"target_contact_id": e.Target, "target_new": e.TargetNew, "contact_source": e.ContactSource,
		"actor": e.Actor, "props": "{}",
	}
}

// events writes rows of events in one insert, in the order given, with
// event ids e1, e2, … where ID is empty.
func (f *fixture) events(evs ...E) {
	f.t.Helper()
	rows := make([]map[string]any, len(evs))
	for i, e := range evs {
		if e.ID == "" {
			f.seq++
			e.ID = fmt.Sprintf("e%d", f.seq)
		}
		rows[i] = e.row()
		rows[i]["kafka_offset"] = uint64(i)
		rows[i]["ingested_at"] = e.TS
	}
	f.insert(core.EventsTable, rows)
}

// P is a contact profile patch (contact_updates).
type P struct {
	Team, Ch, ChID, Contact string
	TS                      time.Time
	Name, Created           string
	Subscribed              int8 // -1 unset
	Deleted                 bool
}

func (f *fixture) profiles(ps ...P) {
	f.t.Helper()
	rows := make([]map[string]any, len(ps))
	for i, p := range ps {
		f.seq++
		rows[i] = map[string]any{
			"team_id": p.Team, "channel_type": p.Ch, "channel_id": p.ChID, "contact_id": p.Contact,
			"version": uint64(p.TS.UnixMilli())<<20 | uint64(f.seq), "ts": p.TS, "name": p.Name,
			"created_source": p.Created, "subscribed": p.Subscribed, "over_quota": int8(-1), "deleted": p.Deleted,
		}
	}
	f.insert(core.ContactUpdatesTable, rows)
}

// M is a row of the contact → customer map.
type M struct {
	Team, Ch, ChID, Contact, Customer string
	Deleted                           bool
}

func (f *fixture) contactMap(ms ...M) {
	f.t.Helper()
	rows := make([]map[string]any, len(ms))
	for i, m := range ms {
		f.seq++
		rows[i] = map[string]any{
			"team_id": m.Team, "channel_type": m.Ch, "channel_id": m.ChID, "contact_id": m.Contact,
			"customer_id": m.Customer, "version": uint64(f.seq), "deleted": m.Deleted, "updated_at": time.Unix(0, 0),
		}
	}
	f.insert(core.ContactMapTable, rows)
}

// C is a row of customers.
type C struct {
	Team, Customer, MemberID string
	Methods                  []string
	Deleted                  bool
}

func (f *fixture) customers(cs ...C) {
	f.t.Helper()
	rows := make([]map[string]any, len(cs))
	for i, c := range cs {
		f.seq++
		rows[i] = map[string]any{
			"team_id": c.Team, "customer_id": c.Customer, "member_id": c.MemberID, "phones": []string{}, "emails": []string{},
			"methods": c.Methods, "version": uint64(f.seq), "deleted": c.Deleted, "updated_at": time.Unix(0, 0),
		}
	}
	f.insert(core.CustomersTable, rows)
}

// L is a merge-log record.
type L struct {
	Team      string
	TS        time.Time
	Surviving string
	Merged    []string
	Cause     string
	EventID   string
	Actor     string
	OK        bool
	Reason    string
}

func (f *fixture) mergeLog(ls ...L) {
	f.t.Helper()
	rows := make([]map[string]any, len(ls))
	for i, l := range ls {
		rows[i] = map[string]any{
			"team_id": l.Team, "ts": l.TS, "surviving_id": l.Surviving, "merged_ids": l.Merged, "cause": l.Cause,
			"event_id": l.EventID, "actor": l.Actor, "ok": l.OK, "reason": l.Reason,
		}
	}
	f.insert(core.MergeLogTable, rows)
}

// insert writes rows into t with a token of their own, so that only
// ClickHouse's block deduplication of identical retries applies.
func (f *fixture) insert(t *chsink.Table, rows []map[string]any) {
	f.t.Helper()
	if len(rows) == 0 {
		return
	}
	b := chsink.NewBatch(t)
	for _, r := range rows {
		for i, c := range t.Columns {
			v := r[c.Name]
			switch c.Kind {
			case chsink.String:
				s, _ := v.(string)
				b.Str(i, s)
			case chsink.UInt8:
				switch x := v.(type) {
				case bool:
					if x {
						b.U8(i, 1)
					} else {
						b.U8(i, 0)
					}
				case uint8:
					b.U8(i, x)
				default:
					b.U8(i, 0)
				}
			case chsink.Int8:
				x, _ := v.(int8)
				b.I8(i, x)
			case chsink.UInt32:
				x, _ := v.(uint32)
				b.U32(i, x)
			case chsink.UInt64:
				x, _ := v.(uint64)
				b.U64(i, x)
			case chsink.Int64:
				x, _ := v.(int64)
				b.I64(i, x)
			case chsink.TimeMilli:
				x, _ := v.(time.Time)
				b.Time(i, x)
			case chsink.Decimal4:
				x, _ := v.(int64)
				b.Dec(i, x)
			case chsink.StringArray:
				x, _ := v.([]string)
				b.Strs(i, x)
			}
		}
		b.EndRow()
	}
	rec := b.Record()
	defer rec.Release()
	f.seq++
	token := fmt.Sprintf("%s-%s-%d", f.t.Name(), t.Name, f.seq)
	if err := f.w.Insert(f.ctx, t, rec, token); err != nil {
		f.t.Fatalf("insert into %s: %v", t.Name, err)
	}
}

// same fails the test unless got and want encode to the same JSON, and
// shows both.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// equal fails the test unless got and want are deeply equal.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func timeSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
