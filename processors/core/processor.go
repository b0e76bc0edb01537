package core

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/identity"
	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/processors/runtime"
	"github.com/omnistream/omnistream/sinks/chsink"
)

// Graph is the identity graph of one partition.
type Graph interface {
	Apply(e *event.Event) (identity.Outcome, error)
	// Load restores one state record; Changes returns what changed since
	// the last call, in the same form.
	Load(key, value []byte) error
	Changes() []runtime.Change
}

// Config configures the processor.
type Config struct {
	// DedupWindow is how many distinct recent events per partition are
	// remembered for duplicate detection. Default 200000 (about 6 MB).
	DedupWindow int
	// IdentityTopic receives every identity change (merge, refusal, split)
	// as a JSON record keyed by team, on the partition of the events that
	// caused it. Empty disables it. Default "omni.identity".
	IdentityTopic string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{DedupWindow: 200000, IdentityTopic: "omni.identity"} }

// Validate reports every problem at once.
func (c Config) Validate() error {
	if c.DedupWindow < 1 {
		return fmt.Errorf("core: dedup window must be at least 1, got %d", c.DedupWindow)
	}
	return nil
}

// Task is the processor of one partition.
type Task struct {
	cfg       Config
	partition int32
	graph     Graph
	dedup     *dedup
	stats     *Stats
	// ev is the event being processed: reused from record to record so
	// that decoding does not allocate an Event each time. Nothing keeps a
	// pointer to it after Process returns.
	ev event.Event
}

// Stats counts what the processor saw, for metrics and tests.
type Stats struct {
	Processed, Duplicates int64
}

// NewTask returns the processor of a partition.
func NewTask(cfg Config, partition int32, g Graph) *Task {
	return &Task{cfg: cfg, partition: partition, graph: g, dedup: newDedup(cfg.DedupWindow), stats: &Stats{}}
}

// Stats returns the task's counters.
func (t *Task) Stats() Stats { return *t.stats }

// Restore implements runtime.Task.
func (t *Task) Restore(key, value []byte) error { return t.graph.Load(key, value) }

// Changes implements runtime.Task.
func (t *Task) Changes() []runtime.Change { return t.graph.Changes() }

// Warm implements runtime.Task: it remembers the record's event id.
func (t *Task) Warm(r *kgo.Record) {
	team, id := string(r.Key), headerValue(r, "event_id")
	if id == "" {
		e, err := event.Decode(r.Value)
		if err != nil {
			return
		}
		id = e.EventID
		if e.TeamID != "" {
			team = e.TeamID
		}
	}
	t.dedup.seen(eventKey(team, id))
}

func headerValue(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// errTeam is a record whose team is missing or disagrees with its key.
var errTeam = errors.New("team_id missing or different from the record key")

// Process implements runtime.Task.
func (t *Task) Process(r *kgo.Record, out *runtime.Output) error {
	var err error
	if t.ev, err = event.Decode(r.Value); err != nil {
		return err
	}
	e := &t.ev
	if e.TeamID == "" {
		e.TeamID = string(r.Key)
	}
	if e.TeamID == "" || (len(r.Key) > 0 && string(r.Key) != e.TeamID) {
		return fmt.Errorf("%w (key %q, team_id %q)", errTeam, r.Key, e.TeamID)
	}
	// Validate against the record's own time so a replay decides the same.
	if err := e.Validate(r.Timestamp); err != nil {
		return err
	}
	if t.dedup.seen(eventKey(e.TeamID, e.EventID)) {
		t.stats.Duplicates++
		return nil
	}
	t.stats.Processed++
	o, err := t.graph.Apply(e)
	if err != nil {
		return fmt.Errorf("resolve identity: %w", err)
	}
	t.emitEvent(e, o.CustomerID, r, out)
	emitIdentity(e, &o, out)
	t.publishIdentity(e, &o, out)
	emitProfile(e, r.Offset, out)
	return nil
}

var piiKeys = [][]byte{[]byte(`"phone"`), []byte(`"email"`), []byte(`"name"`)}

// stripPII removes personal data from props before it is stored with the
// event: phone, email and name live only in contact profiles.
func stripPII(props []byte) string {
	found := false
	for _, k := range piiKeys {
		if bytes.Contains(props, k) {
			found = true
			break
		}
	}
	if !found {
		return string(props)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(props, &m) != nil {
		return ""
	}
	delete(m, "phone")
	delete(m, "email")
	delete(m, "name")
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

func (t *Task) emitEvent(e *event.Event, customer string, r *kgo.Record, out *runtime.Output) {
	b := out.Batch(EventsTable)
	f := &e.Fields
	b.Str(evTeam, e.TeamID)
	b.Str(evEventID, e.EventID)
	b.Str(evType, string(e.Type))
	b.Time(evTS, e.TS.Time)
	b.Str(evChannelType, e.Channel.Type)
	b.Str(evChannelID, e.Channel.ID)
	b.Str(evContact, e.Contact.ChannelUserID)
	b.Str(evCustomer, customer)
	b.Str(evSourceKind, e.Source.Kind)
	b.Str(evSourceID, e.Source.ID)
	b.Str(evNode, e.Source.NodeID)
	b.Str(evMessageID, e.MessageID)
	b.Str(evSendID, e.SendID)
	b.Str(evMessageKind, f.MessageKind)
	b.Str(evReason, f.Reason)
	var wm time.Time
	if f.Watermark != nil {
		wm = f.Watermark.Time
	}
	b.Time(evWatermark, wm)
	b.Str(evInboundKind, f.Kind)
	b.Str(evReplyTo, f.ReplyTo)
	b.Str(evButtonKind, f.ButtonKind)
	b.Str(evButtonID, f.ButtonID)
	b.Str(evURL, f.URL)
	b.Str(evArea, f.Area)
	b.Str(evKwGroup, f.Group)
	b.Str(evKwCondition, f.Condition)
	b.Str(evTag, strings.TrimSpace(f.Tag))
	b.Str(evAttribute, f.Attribute)
	b.Str(evValue, attrValue(f.Value))
	b.Str(evOrderID, f.OrderID)
	b.Dec(evAmount, int64(f.Amount))
	b.Str(evCurrency, f.Currency)
	b.Str(evMemberID, f.MemberID)
	b.Str(evMethod, f.Method)
	b.Str(evCampaign, f.Campaign)
	var tgt event.Target
	if f.Target != nil {
		tgt = *f.Target
	}
	b.Str(evTargetChannelType, tgt.Channel.Type)
	b.Str(evTargetChannelID, tgt.Channel.ID)
	b.Str(evTargetContact, tgt.UserID)
	b.U8(evTargetNew, boolU8(f.TargetNew))
	b.Str(evContactSource, f.ContactSrc)
	b.Str(evActor, f.Actor)
	b.U64(evAudience, uint64(max(f.AudienceSize, 0)))
	b.Str(evProps, stripPII(e.Props))
	b.U32(evPartition, uint32(r.Partition))
	b.U64(evOffset, uint64(r.Offset))
	b.Time(evIngested, r.Timestamp)
	b.EndRow()
}

// attrValue renders an attribute value: strings unquoted, anything else as
// its JSON text.
func attrValue(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func emitIdentity(e *event.Event, o *identity.Outcome, out *runtime.Output) {
	now := e.TS.Time
	for _, c := range o.Contacts {
		b := out.Batch(ContactMapTable)
		b.Str(0, c.Team)
		b.Str(1, c.ChannelType)
		b.Str(2, c.ChannelID)
		b.Str(3, c.ContactID)
		b.Str(4, c.CustomerID)
		b.U64(5, c.Version)
		b.U8(6, boolU8(c.Deleted))
		b.Time(7, now)
		b.EndRow()
	}
	for _, c := range o.Customers {
		b := out.Batch(CustomersTable)
		b.Str(0, c.Team)
		b.Str(1, c.CustomerID)
		b.Str(2, c.MemberID)
		b.Strs(3, c.Phones)
		b.Strs(4, c.Emails)
		b.Strs(5, c.Methods)
		b.U64(6, c.Version)
		b.U8(7, boolU8(c.Deleted))
		b.Time(8, now)
		b.EndRow()
	}
	for _, m := range o.Merges {
		mergeLogRow(out.Batch(MergeLogTable), m.Team, m.Time, m.SurvivorID, m.MergedIDs, m.Cause, m.EventID, m.Actor, m.OK, m.Reason)
	}
	for _, sp := range o.Splits {
		mergeLogRow(out.Batch(MergeLogTable), sp.Team, sp.Time, sp.CustomerID, sp.IntoIDs, sp.Cause, sp.EventID, sp.Actor, true, "split")
	}
}

// mergeLogRow writes one merge_log row: a merge, a refusal or a split.
func mergeLogRow(b *chsink.Batch, team string, ts time.Time, customer string, others []string, cause, eventID, actor string, ok bool, reason string) {
	b.Str(0, team)
	b.Time(1, ts)
	b.Str(2, customer)
	b.Strs(3, others)
	b.Str(4, cause)
	b.Str(5, eventID)
	b.Str(6, actor)
	b.U8(7, boolU8(ok))
	b.Str(8, reason)
	b.EndRow()
}

// profileVersion orders profile patches by event time, then by offset.
func profileVersion(e *event.Event, offset int64) uint64 {
	return uint64(e.TS.UnixMilli())<<20 | uint64(offset)&0xFFFFF
}

func emitProfile(e *event.Event, offset int64, out *runtime.Output) {
	if e.Contact.ChannelUserID == "" {
		return
	}
	f := &e.Fields
	var name, phone, email, member, created string
	subscribed, deleted := int8(-1), uint8(0)
	name = e.Contact.Name
	switch e.Type {
	case event.ContactCreated:
		created = f.ContactSrc
		if created == "" {
			created = "organic"
		}
	case event.ContactSubscribed:
		subscribed = 1
	case event.ContactUnsubscribed:
		subscribed = 0
	case event.ContactDeleted:
		deleted, name = 1, ""
		// Erase the personal data of the contact's earlier profile rows and
		// attributes; the tombstone row written below hides the contact.
		v := fmt.Sprint(profileVersion(e, offset))
		params := map[string]string{"team": e.TeamID, "ct": e.Channel.Type, "ch": e.Channel.ID, "c": e.Contact.ChannelUserID, "v": v}
		for _, table := range []string{ContactUpdatesTable.Name, ContactAttributesTable.Name} {
			out.Exec(runtime.Statement{Params: params, Query: "DELETE FROM " + table +
				" WHERE team_id = {team:String} AND channel_type = {ct:String} AND channel_id = {ch:String} AND contact_id = {c:String} AND version < {v:UInt64}"})
		}
	case event.IdentityBind:
		phone, email, member = f.Phone, strings.ToLower(strings.TrimSpace(f.Email)), f.MemberID
	case event.AttributeSet:
		b := out.Batch(ContactAttributesTable)
		b.Str(0, e.TeamID)
		b.Str(1, e.Channel.Type)
		b.Str(2, e.Channel.ID)
		b.Str(3, e.Contact.ChannelUserID)
		b.Str(4, f.Attribute)
		b.Str(5, attrValue(f.Value))
		b.U64(6, profileVersion(e, offset))
		b.U8(7, boolU8(len(f.Value) == 0 || string(f.Value) == "null"))
		b.EndRow()
	}
	if name == "" && phone == "" && email == "" && member == "" && created == "" && subscribed < 0 && deleted == 0 {
		return
	}
	b := out.Batch(ContactUpdatesTable)
	b.Str(0, e.TeamID)
	b.Str(1, e.Channel.Type)
	b.Str(2, e.Channel.ID)
	b.Str(3, e.Contact.ChannelUserID)
	b.U64(4, profileVersion(e, offset))
	b.Time(5, e.TS.Time)
	b.Str(6, name)
	b.Str(7, phone)
	b.Str(8, email)
	b.Str(9, member)
	b.Str(10, created)
	b.I8(11, subscribed)
	b.I8(12, -1)
	b.U8(13, deleted)
	b.EndRow()
}

// IdentityChange is the record of the identity topic.
type IdentityChange struct {
	Kind       string    `json:"kind"` // merge, refused, split
	Team       string    `json:"team_id"`
	Time       time.Time `json:"ts"`
	CustomerID string    `json:"customer_id"` // the surviving or split customer
	Others     []string  `json:"others"`      // merged, refused or resulting customers
	Cause      string    `json:"cause"`
	EventID    string    `json:"event_id"`
	Actor      string    `json:"actor,omitempty"`
	Reason     string    `json:"reason,omitempty"`
}

func (t *Task) publishIdentity(e *event.Event, o *identity.Outcome, out *runtime.Output) {
	if t.cfg.IdentityTopic == "" || (len(o.Merges) == 0 && len(o.Splits) == 0) {
		return
	}
	add := func(c IdentityChange) {
		b, err := json.Marshal(c)
		if err != nil {
			return
		}
		out.Produce(&kgo.Record{Topic: t.cfg.IdentityTopic, Partition: t.partition, Key: []byte(c.Team), Value: b,
			Headers: []kgo.RecordHeader{{Key: "event_id", Value: []byte(e.EventID)}}})
	}
	for _, m := range o.Merges {
		kind := "merge"
		if !m.OK {
			kind = "refused"
		}
		add(IdentityChange{Kind: kind, Team: m.Team, Time: m.Time.UTC(), CustomerID: m.SurvivorID, Others: m.MergedIDs,
			Cause: m.Cause, EventID: m.EventID, Actor: m.Actor, Reason: m.Reason})
	}
	for _, sp := range o.Splits {
		add(IdentityChange{Kind: "split", Team: sp.Team, Time: sp.Time.UTC(), CustomerID: sp.CustomerID, Others: sp.IntoIDs,
			Cause: sp.Cause, EventID: sp.EventID, Actor: sp.Actor})
	}
}
