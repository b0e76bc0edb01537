package audience

import (
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

var taipei = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		panic(err)
	}
	return loc
}()

// tp is a wall time in Taipei.
func tp(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, taipei)
	if err != nil {
		panic(err)
	}
	return t
}

// seedMatrix writes the dataset of TestConditionMatrix. Team t1's LINE
// channel C1 has contacts u01…u13; the comments say what each one is for.
// Noise in another channel of t1 and in team t2 reuses the same contact ids
// and must never leak into t1/C1 answers.
func seedMatrix(f *fixture) {
	c := func(id string) where { return where{"t1", "line", "C1", id} }
	joined := tp("2022-01-01 10:00:00")
	for _, p := range []prof{
		{where: c("u01"), name: "Alice", phone: "886911000001", email: "alice@example.com", member: "M1"},
		{where: c("u02"), name: "Bob", email: "bob@example.com"},
		{where: c("u03"), name: "Carol"},
		{where: c("u04"), name: "Dave"},
		{where: c("u05"), name: "Eve"},
		{where: c("u06"), name: "Frank"},
		{where: c("u07"), name: "Grace", member: "M7"},
		{where: c("u08"), name: "Heidi"},
		{where: c("u09"), name: "Ivan", member: "M9"},
		{where: c("u10"), name: "Judy"},
		{where: c("u11"), name: "Ken"},
		{where: c("u12"), name: "Leo"},
		{where: c("u13"), name: "Mallory"},
	} {
		p.subscribed, p.overQuota, p.ts = 1, -1, joined
		if p.contact == "u12" {
			p.ts = tp("2022-12-25 09:00:00") // subscribed recently
		}
		f.profile(p)
	}
	// u03 unsubscribed, u04 over quota, u13 deleted: never members.
	f.profile(prof{where: c("u03"), subscribed: 0, overQuota: -1, ts: tp("2022-06-01 10:00:00")})
	f.profile(prof{where: c("u04"), subscribed: -1, overQuota: 1, ts: tp("2022-06-01 10:00:00")})
	f.profile(prof{where: c("u13"), subscribed: -1, overQuota: -1, deleted: 1, ts: tp("2022-06-01 10:00:00")})

	tag := func(w where, typ, name, at string) {
		f.event(ev{where: w, typ: typ, tag: name, ts: tp(at)})
	}
	for _, id := range []string{"u01", "u03", "u04", "u13"} {
		tag(c(id), "tag.added", "vip", "2022-12-01 10:00:00")
	}
	tag(c("u02"), "tag.added", "vip", "2022-12-01 10:00:00")
	tag(c("u02"), "tag.removed", "vip", "2022-12-10 10:00:00") // removed: no longer vip
	tag(c("u02"), "tag.added", "newsletter", "2022-12-02 10:00:00")
	tag(c("u06"), "tag.added", "vip", "2022-11-01 10:00:00")
	tag(c("u06"), "tag.added", "newsletter", "2022-11-01 10:00:00")
	tag(c("u12"), "tag.added", "vip", "2022-12-01 10:00:00")
	tag(c("u12"), "tag.removed", "vip", "2022-12-05 10:00:00")
	tag(c("u12"), "tag.added", "vip", "2022-12-20 10:00:00") // re-added: vip again
	tag(c("u12"), "tag.added", "gift", "2022-12-01 10:00:00")
	tag(c("u12"), "tag.removed", "gift", "2022-12-01 10:00:00") // removed at the same instant: not current

	for _, a := range []struct{ id, k, v string }{
		{"u01", "tier", "gold"}, {"u01", "age", "30"}, {"u01", "vip_flag", "true"},
		{"u01", "birthday", "1990-01-15"}, {"u01", "renew_at", "2023-01-08 18:00:00"},
		{"u02", "tier", "silver"}, {"u02", "age", "45"}, {"u02", "vip_flag", "false"},
		{"u02", "birthday", "1985-12-03"}, {"u02", "renew_at", "2023-01-08 18:00:01"},
		{"u03", "tier", "gold"}, {"u04", "tier", "gold"},
		{"u05", "age", "not a number"},
	} {
		f.attribute(c(a.id), a.k, a.v)
	}

	e := func(id, typ, at string, mod func(*ev)) {
		x := ev{where: c(id), typ: typ, ts: tp(at)}
		if mod != nil {
			mod(&x)
		}
		f.event(x)
	}
	bc := func(id string) func(*ev) {
		return func(x *ev) { x.sourceKind, x.sourceID = "broadcast", id }
	}
	e("u01", "message.inbound", "2023-01-05 09:00:00", nil) // interacted today
	e("u05", "message.inbound", "2023-01-04 12:00:00", nil) // yesterday
	e("u05", "identity.bind", "2022-11-01 10:00:00", func(x *ev) { x.method = "phone" })
	e("u06", "identity.bind", "2022-11-01 10:00:00", func(x *ev) { x.method = "phone" })
	e("u06", "identity.unbind", "2022-12-01 10:00:00", func(x *ev) { x.method = "phone" }) // unbound again
	e("u06", "identity.bind", "2022-10-01 10:00:00", func(x *ev) { x.method = "social" })
	e("u06", "message.sent", "2022-12-01 10:00:00", func(x *ev) { x.sourceKind = "manual" })
	e("u07", "message.sent", "2023-01-05 09:00:00", bc("B1"))
	e("u07", "message.opened", "2023-01-05 09:30:00", bc("B1"))
	e("u07", "button.clicked", "2023-01-05 10:00:00", func(x *ev) { bc("B1")(x); x.buttonKind = "url" })
	e("u08", "message.sent", "2023-01-05 09:00:00", bc("B1")) // sent B1, never opened it
	e("u08", "message.sent", "2023-01-03 09:00:00", bc("B2"))
	e("u08", "message.read", "2023-01-03 09:05:00", bc("B2"))
	e("u08", "button.clicked", "2023-01-03 09:06:00", func(x *ev) { bc("B2")(x); x.buttonKind = "text_link" }) // not a click
	e("u09", "message.sent", "2022-12-01 10:00:00", func(x *ev) { x.sourceKind = "manual" })
	e("u09", "message.sent", "2022-12-20 10:00:00", func(x *ev) { x.sourceKind = "journey" })
	// u09's order came from the website pixel: no contact, only the member id.
	f.event(ev{where: where{team: "t1", ct: "web"}, typ: "order.placed", memberID: "M9", ts: tp("2023-01-03 10:00:00")})
	e("u10", "order.placed", "2022-06-01 10:00:00", nil)
	e("u10", "identity.bind", "2022-05-01 10:00:00", func(x *ev) { x.method, x.actor, x.props = "omo", "S1", `{"store":"ST1"}` })
	e("u11", "identity.bind", "2022-05-01 10:00:00", func(x *ev) { x.method, x.actor, x.props = "omo", "S2", `{"store":"ST2"}` })
	e("u11", "identity.unbind", "2022-06-01 10:00:00", func(x *ev) { x.method = "omo" })

	// Noise: the same contact ids elsewhere.
	other := where{"t1", "line", "C2", "u05"}
	f.profile(prof{where: other, name: "Eve on C2", subscribed: 1, overQuota: -1, ts: joined})
	f.event(ev{where: other, typ: "tag.added", tag: "vip", ts: tp("2022-12-01 10:00:00")})
	f.event(ev{where: other, typ: "message.opened", sourceKind: "broadcast", sourceID: "B1", ts: tp("2023-01-05 09:30:00")})
	f.attribute(other, "tier", "gold")
	t2 := where{"t2", "line", "C1", "u01"}
	f.profile(prof{where: t2, name: "Alice of t2", subscribed: 1, overQuota: -1, ts: joined})
	f.event(ev{where: t2, typ: "tag.added", tag: "t2only", ts: tp("2022-12-01 10:00:00")})
	f.event(ev{where: t2, typ: "tag.added", tag: "vip", ts: tp("2022-12-01 10:00:00")})
	f.event(ev{where: t2, typ: "order.placed", memberID: "M1", ts: tp("2023-01-04 10:00:00")}) // t2's M1 is not t1's
	f.attribute(t2, "tier", "platinum")
	f.flush()
}

// TestConditionMatrix runs every condition alone and in combinations over
// the seeded dataset at 2023-01-05 18:00:00 Taipei time; the memberships
// were worked out by hand from seedMatrix.
func TestConditionMatrix(t *testing.T) {
	f := newFixture(t)
	seedMatrix(f)
	team := teams.New("t1", "Team One", "TW")
	s := f.store(tp("2023-01-05 18:00:00"))
	attr := func(k, typ, op string) Condition {
		return Condition{Field: FieldAttribute, Attribute: k, Type: typ, Op: op}
	}
	with := func(c Condition, mod func(*Condition)) Condition { mod(&c); return c }
	cases := []struct {
		name  string
		conds []Condition
		want  string
	}{
		{"tags has any vip", []Condition{{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}}}, "u01,u06,u12"},
		{"tags has all vip newsletter", []Condition{{Field: FieldTags, Op: OpHasAll, Values: []string{"vip", "newsletter"}}}, "u06"},
		{"tags has none vip", []Condition{{Field: FieldTags, Op: OpHasNone, Values: []string{"vip"}}}, "u02,u05,u07,u08,u09,u10,u11"},
		{"tag removed at the instant it was added", []Condition{{Field: FieldTags, Op: OpHasAny, Values: []string{"gift"}}}, ""},
		{"tag of another team", []Condition{{Field: FieldTags, Op: OpHasAny, Values: []string{"t2only"}}}, ""},
		{"text eq", []Condition{with(attr("tier", TypeText, OpEq), func(c *Condition) { c.Value = "gold" })}, "u01"},
		{"text neq counts unset", []Condition{with(attr("tier", TypeText, OpNeq), func(c *Condition) { c.Value = "gold" })}, "u02,u05,u06,u07,u08,u09,u10,u11,u12"},
		{"text contains", []Condition{with(attr("tier", TypeText, OpContains), func(c *Condition) { c.Value = "il" })}, "u02"},
		{"text not contains", []Condition{with(attr("tier", TypeText, OpNotContains), func(c *Condition) { c.Value = "ol" })}, "u02,u05,u06,u07,u08,u09,u10,u11,u12"},
		{"text starts with", []Condition{with(attr("tier", TypeText, OpStartsWith), func(c *Condition) { c.Value = "go" })}, "u01"},
		{"text is set", []Condition{attr("tier", TypeText, OpIsSet)}, "u01,u02"},
		{"number gt", []Condition{with(attr("age", TypeNumber, OpGt), func(c *Condition) { c.Value = "40" })}, "u02"},
		{"number lte", []Condition{with(attr("age", TypeNumber, OpLte), func(c *Condition) { c.Value = "30" })}, "u01"},
		{"number between", []Condition{with(attr("age", TypeNumber, OpBetween), func(c *Condition) { c.From, c.To = "30", "45" })}, "u01,u02"},
		{"number is set ignores text", []Condition{attr("age", TypeNumber, OpIsSet)}, "u01,u02"},
		{"bool true", []Condition{attr("vip_flag", TypeBool, OpIsTrue)}, "u01"},
		{"bool false", []Condition{attr("vip_flag", TypeBool, OpIsFalse)}, "u02"},
		{"date month january any year", []Condition{with(attr("birthday", TypeDate, OpMonth), func(c *Condition) { c.Month = "this" })}, "u01"},
		{"date month last", []Condition{with(attr("birthday", TypeDate, OpMonth), func(c *Condition) { c.Month = "last" })}, "u02"},
		{"date before", []Condition{with(attr("birthday", TypeDate, OpBefore), func(c *Condition) { c.Value = "1990-01-15" })}, "u02"},
		{"datetime within next 3 days", []Condition{with(attr("renew_at", TypeDatetime, OpWithinNext), func(c *Condition) { c.N = 3 })}, "u01"},
		{"datetime 3 days from now onward", []Condition{with(attr("renew_at", TypeDatetime, OpAfterDays), func(c *Condition) { c.N = 3 })}, "u02"},
		{"name exact", []Condition{{Field: FieldName, Op: OpEq, Value: "Alice"}}, "u01"},
		{"name is exact", []Condition{{Field: FieldName, Op: OpEq, Value: "alice"}}, ""},
		{"member id eq", []Condition{{Field: FieldMemberID, Op: OpEq, Value: "M9"}}, "u09"},
		{"member id set", []Condition{{Field: FieldMemberID, Op: OpIsSet}}, "u01,u07,u09"},
		{"member id not set", []Condition{{Field: FieldMemberID, Op: OpIsNotSet}}, "u02,u05,u06,u08,u10,u11,u12"},
		{"phone in national form", []Condition{{Field: FieldPhone, Op: OpEq, Value: "0911-000-001"}}, "u01"},
		{"email untidy", []Condition{{Field: FieldEmail, Op: OpEq, Value: " Alice@Example.COM "}}, "u01"},
		{"subscribed within last 30 days", []Condition{{Field: FieldSubscribedAt, Op: OpWithinLast, N: 30}}, "u12"},
		{"subscribed before", []Condition{{Field: FieldSubscribedAt, Op: OpBefore, Value: "2022-06-01"}}, "u01,u02,u05,u06,u07,u08,u09,u10,u11"},
		{"interaction today", []Condition{{Field: FieldLastInteraction, Op: OpToday}}, "u01,u07"},
		{"interaction the 1st day ago", []Condition{{Field: FieldLastInteraction, Op: OpDaysAgo, N: 1}}, "u05"},
		{"interaction within last 7 days", []Condition{{Field: FieldLastInteraction, Op: OpWithinLast, N: 7}}, "u01,u05,u07,u08"},
		{"never interacted", []Condition{{Field: FieldLastInteraction, Op: OpIsNotSet}}, "u02,u06,u09,u10,u11,u12"},
		{"marketing within last day", []Condition{{Field: FieldLastMarketing, Op: OpWithinLast, N: 1}}, "u07,u08"},
		{"marketing ever", []Condition{{Field: FieldLastMarketing, Op: OpIsSet}}, "u07,u08,u09"},
		{"manual before 2023", []Condition{{Field: FieldLastManual, Op: OpBefore, Value: "2023-01-01"}}, "u06,u09"},
		{"checkout in the last week via member id", []Condition{{Field: FieldLastCheckout, Op: OpWithinLast, N: 7}}, "u09"},
		{"checkout ever", []Condition{{Field: FieldLastCheckout, Op: OpIsSet}}, "u09,u10"},
		{"phone bound", []Condition{{Field: FieldPhoneBinding, Op: OpIsTrue}}, "u05"},
		{"phone not bound", []Condition{{Field: FieldPhoneBinding, Op: OpIsFalse}}, "u01,u02,u06,u07,u08,u09,u10,u11,u12"},
		{"social bound", []Condition{{Field: FieldSocialBinding, Op: OpIsTrue}}, "u06"},
		{"omo bound", []Condition{{Field: FieldOMOStatus, Op: OpIsTrue}}, "u10"},
		{"omo staff", []Condition{{Field: FieldOMOStaff, Op: OpIn, Values: []string{"S1", "S2"}}}, "u10"},
		{"omo store not", []Condition{{Field: FieldOMOStore, Op: OpNotIn, Values: []string{"ST1"}}}, "u01,u02,u05,u06,u07,u08,u09,u11,u12"},
		{"opened any broadcast", []Condition{{Field: FieldBroadcast, Op: OpBroadcastOpen}}, "u07"},
		{"opened B1", []Condition{{Field: FieldBroadcast, Op: OpBroadcastOpen, Broadcast: "B1"}}, "u07"},
		{"did not open B1", []Condition{{Field: FieldBroadcast, Op: OpBroadcastNOpen, Broadcast: "B1"}}, "u08"},
		{"did not open any", []Condition{{Field: FieldBroadcast, Op: OpBroadcastNOpen}}, "u08"},
		{"read any", []Condition{{Field: FieldBroadcast, Op: OpBroadcastRead}}, "u08"},
		{"read B1", []Condition{{Field: FieldBroadcast, Op: OpBroadcastRead, Broadcast: "B1"}}, ""},
		{"did not read any", []Condition{{Field: FieldBroadcast, Op: OpBroadcastNRead}}, "u07"},
		{"clicked any", []Condition{{Field: FieldBroadcast, Op: OpBroadcastClick}}, "u07"},
		{"text link is no click", []Condition{{Field: FieldBroadcast, Op: OpBroadcastClick, Broadcast: "B2"}}, ""},
		{"did not click any", []Condition{{Field: FieldBroadcast, Op: OpBroadcastNClk}}, "u08"},

		{"vip and not socially bound", []Condition{
			{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}},
			{Field: FieldSocialBinding, Op: OpIsFalse}}, "u01,u12"},
		{"gold and interacted today", []Condition{
			with(attr("tier", TypeText, OpEq), func(c *Condition) { c.Value = "gold" }),
			{Field: FieldLastInteraction, Op: OpToday}}, "u01"},
		{"missed B1 though marketed to", []Condition{
			{Field: FieldBroadcast, Op: OpBroadcastNOpen, Broadcast: "B1"},
			{Field: FieldLastMarketing, Op: OpWithinLast, N: 1}}, "u08"},
		{"members without vip", []Condition{
			{Field: FieldMemberID, Op: OpIsSet},
			{Field: FieldTags, Op: OpHasNone, Values: []string{"vip"}}}, "u07,u09"},
		{"buyers bound to staff without vip", []Condition{
			{Field: FieldLastCheckout, Op: OpIsSet},
			{Field: FieldOMOStatus, Op: OpIsTrue},
			{Field: FieldTags, Op: OpHasNone, Values: []string{"vip"}}}, "u10"},
		{"contradiction", []Condition{
			{Field: FieldName, Op: OpEq, Value: "Alice"},
			{Field: FieldTags, Op: OpHasAny, Values: []string{"newsletter"}}}, ""},
		{"every kind of source at once", []Condition{
			{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}},
			with(attr("age", TypeNumber, OpIsSet), func(*Condition) {}),
			{Field: FieldLastInteraction, Op: OpToday},
			{Field: FieldLastCheckout, Op: OpIsNotSet},
			{Field: FieldPhoneBinding, Op: OpIsFalse}}, "u01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def := Definition{Channel: Channel{Type: "line", ID: "C1"}, Conditions: tc.conds}
			got := strings.Join(f.members(s, &team, def), ",")
			if got != tc.want {
				q, _ := Compile(def, s.env(&team))
				t.Errorf("members %q, want %q\n%s", got, tc.want, q.SQL)
			}
		})
	}

	// The same contact ids in team t2 answer for t2 only.
	t2 := teams.New("t2", "Team Two", "TW")
	def := Definition{Channel: Channel{Type: "line", ID: "C1"}, Conditions: []Condition{{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}}}}
	if got := strings.Join(f.members(s, &t2, def), ","); got != "u01" {
		t.Errorf("t2 vip members %q, want u01", got)
	}
	def.Conditions = []Condition{{Field: FieldLastCheckout, Op: OpIsSet}}
	if got := strings.Join(f.members(s, &t2, def), ","); got != "u01" {
		t.Errorf("t2 buyers %q, want u01 (its own order by member id M1)", got)
	}
}

// TestFacebookRecurringNotification needs a facebook channel.
func TestFacebookRecurringNotification(t *testing.T) {
	f := newFixture(t)
	c := func(id string) where { return where{"t1", "facebook", "P1", id} }
	for _, id := range []string{"f1", "f2", "f3"} {
		f.profile(prof{where: c(id), name: id, subscribed: 1, overQuota: -1, ts: tp("2022-01-01 10:00:00")})
	}
	rn := func(id, typ, at string) {
		f.event(ev{where: c(id), typ: typ, sourceKind: recurringKind, ts: tp(at)})
	}
	rn("f1", "contact.subscribed", "2022-12-01 10:00:00")
	rn("f2", "contact.subscribed", "2022-12-01 10:00:00")
	rn("f2", "contact.unsubscribed", "2022-12-02 10:00:00")
	f.event(ev{where: c("f3"), typ: "contact.subscribed", ts: tp("2022-12-01 10:00:00")}) // a page subscription, not recurring notifications
	f.flush()
	team := teams.New("t1", "Team One", "TW")
	s := f.store(tp("2023-01-05 18:00:00"))
	for op, want := range map[string]string{OpIsTrue: "f1", OpIsFalse: "f2,f3"} {
		def := Definition{Channel: Channel{Type: "facebook", ID: "P1"}, Conditions: []Condition{{Field: FieldFBRecurring, Op: op}}}
		if got := strings.Join(f.members(s, &team, def), ","); got != want {
			t.Errorf("%s: got %q, want %q", op, got, want)
		}
	}
}
