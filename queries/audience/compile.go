package audience

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omnistream/omnistream/identity/normalize"
)

// Env is what a compilation needs besides the definition: whose data, and
// when and where "today" is.
type Env struct {
	TeamID   string
	Location *time.Location // the team's time zone; nil means UTC
	Region   string         // the team's region, for phone numbers
	Now      time.Time      // the run time
}

// Query is a compiled audience: SQL selecting the members and the values of
// its server-side parameters. Every value of the definition travels in
// Params; the SQL text holds only identifiers and literals of this package.
// Params holds the values as given; Bind encodes them for ClickHouse.
//
// The SQL returns one row per member with the columns contact_id, name,
// phone, email, member_id, subscribed_at and updated_at.
type Query struct {
	SQL    string
	Params map[string]string
}

// Names of the parameters every query carries.
const (
	paramTeam        = "team"
	paramChannelType = "ct"
	paramChannelID   = "cid"
)

// Compile turns a definition into a parameterized ClickHouse query. It
// validates the definition first and returns Invalid when it is not valid.
func Compile(def Definition, env Env) (Query, error) {
	if err := def.Validate(); err != nil {
		return Query{}, err
	}
	if env.TeamID == "" {
		return Query{}, errors.New("compile audience: team id is empty")
	}
	b := &builder{
		params: map[string]string{
			paramTeam: env.TeamID, paramChannelType: def.Channel.Type, paramChannelID: def.Channel.ID,
		},
		clock:  newClock(env.Now, env.Location),
		region: env.Region,
		attrs:  map[string]string{},
		events: map[string]string{},
	}
	preds := make([]string, 0, len(def.Conditions))
	for _, c := range def.Conditions {
		preds = append(preds, "("+b.condition(c)+")")
	}
	return Query{SQL: b.sql(preds), Params: b.params}, nil
}

// Bind returns ctx carrying the query's parameters for clickhouse-go.
func (q Query) Bind(ctx context.Context) context.Context { return bind(ctx, q.Params) }

// escapeParam encodes a parameter value the way ClickHouse reads query
// parameters: in its escaped text format, where a backslash starts an
// escape sequence and a raw line break ends the value. Without it a value
// holding a backslash would be changed, and one holding a line break
// refused.
func escapeParam(v string) string {
	if !strings.ContainsAny(v, "\\\t\n\r\x00") {
		return v
	}
	var s strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			s.WriteString(`\\`)
		case '\t':
			s.WriteString(`\t`)
		case '\n':
			s.WriteString(`\n`)
		case '\r':
			s.WriteString(`\r`)
		case 0:
			s.WriteString(`\0`)
		default:
			s.WriteByte(c)
		}
	}
	return s.String()
}

// builder accumulates parameters, the joined sources a query needs and the
// aggregate columns of each source.
type builder struct {
	params map[string]string
	n      int
	clock  clock
	region string

	tags    []string          // parameter placeholders of referenced tags
	attrs   map[string]string // attribute key → column alias
	attrSQL []string          // aggregate expressions of the attribute source
	attrIn  []string          // placeholders of the attribute keys
	events  map[string]string // aggregate expression → alias
	evSQL   []string
	evTypes map[string]bool
	orders  bool
	tz      string // placeholder of the time zone name, once used
}

// Parameter types used in placeholders: a closed set.
const (
	tString  = "String"
	tInt64   = "Int64"
	tFloat64 = "Float64"
	tDate32  = "Date32"
	tUInt8   = "UInt8"
	tUInt16  = "UInt16"
)

// param binds value as a new parameter and returns its placeholder.
func (b *builder) param(typ, value string) string {
	b.n++
	name := "p" + strconv.Itoa(b.n)
	b.params[name] = value
	return "{" + name + ":" + typ + "}"
}

func (b *builder) str(v string) string { return b.param(tString, v) }

func (b *builder) list(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = b.str(v)
	}
	return "[" + strings.Join(ph, ", ") + "]"
}

// instant binds an instant as Unix milliseconds.
func (b *builder) instant(t time.Time) string {
	return "fromUnixTimestamp64Milli(" + b.param(tInt64, strconv.FormatInt(t.UnixMilli(), 10)) + ", 'UTC')"
}

func (b *builder) timezone() string {
	if b.tz == "" {
		b.tz = b.str(b.clock.loc.String())
	}
	return b.tz
}

// event adds an aggregate over the contact's events on the channel and
// returns the column that holds it.
func (b *builder) event(expr string, types ...string) string {
	if b.evTypes == nil {
		b.evTypes = map[string]bool{}
	}
	for _, t := range types {
		b.evTypes[t] = true
	}
	if alias, ok := b.events[expr]; ok {
		return "e." + alias
	}
	alias := "x" + strconv.Itoa(len(b.events)+1)
	b.events[expr] = alias
	b.evSQL = append(b.evSQL, expr+" AS "+alias)
	return "e." + alias
}

// attr returns the column holding the current value of a custom attribute
// ("" when unset).
func (b *builder) attr(key string) string {
	if alias, ok := b.attrs[key]; ok {
		return "a." + alias
	}
	alias := "a" + strconv.Itoa(len(b.attrs)+1)
	b.attrs[key] = alias
	ph := b.str(key)
	b.attrIn = append(b.attrIn, ph)
	b.attrSQL = append(b.attrSQL, "anyIf(value, attribute = "+ph+") AS "+alias)
	return "a." + alias
}

// Event types and source kinds the conditions read (PRODUCT.md §2, §5).
const (
	evInteraction = "type IN ('message.inbound', 'button.clicked', 'richmenu.clicked', 'contact.subscribed')"
	evMarketing   = "type = 'message.sent' AND source_kind IN ('broadcast', 'journey', 'cart_remarketing')"
	evManual      = "type = 'message.sent' AND source_kind = 'manual'"
	evOrder       = "type = 'order.placed'"
	recurringKind = "recurring_notification"
)

func (b *builder) condition(c Condition) string {
	switch c.Field {
	case FieldTags:
		ph := make([]string, len(c.Values))
		for i, v := range c.Values {
			ph[i] = b.str(v)
		}
		b.tags = append(b.tags, ph...)
		list := "[" + strings.Join(ph, ", ") + "]"
		switch c.Op {
		case OpHasAny:
			return "hasAny(t.tags, " + list + ")"
		case OpHasAll:
			return "hasAll(t.tags, " + list + ")"
		default:
			return "NOT hasAny(t.tags, " + list + ")"
		}
	case FieldAttribute:
		return b.attribute(c)
	case FieldName:
		return "c.name = " + b.str(c.Value)
	case FieldMemberID:
		return b.identifier("c.member_id", c, c.Value)
	case FieldPhone:
		v := c.Value
		if n, ok := normalize.Phone(v, b.region); ok {
			v = n
		}
		return b.identifier("c.phone", c, v)
	case FieldEmail:
		v := strings.ToLower(strings.TrimSpace(c.Value))
		if n, ok := normalize.Email(c.Value); ok {
			v = n
		}
		return b.identifier("c.email", c, v)
	case FieldSubscribedAt:
		return b.datetime("nullIf(c.subscribed_at, toDateTime64(0, 3, 'UTC'))", c)
	case FieldLastInteraction:
		return b.datetime(b.event("maxIfOrNull(ts, "+evInteraction+")",
			"message.inbound", "button.clicked", "richmenu.clicked", "contact.subscribed"), c)
	case FieldLastMarketing:
		return b.datetime(b.event("maxIfOrNull(ts, "+evMarketing+")", "message.sent"), c)
	case FieldLastManual:
		return b.datetime(b.event("maxIfOrNull(ts, "+evManual+")", "message.sent"), c)
	case FieldLastCheckout:
		b.orders = true
		own := b.event("maxIfOrNull(ts, "+evOrder+")", "order.placed")
		return b.datetime("nullIf(greatest(ifNull("+own+", toDateTime64(0, 3, 'UTC')), o.at), toDateTime64(0, 3, 'UTC'))", c)
	case FieldPhoneBinding:
		return b.state(b.bound("phone"), c)
	case FieldSocialBinding:
		return b.state(b.bound("social"), c)
	case FieldOMOStatus:
		return b.state(b.bound("omo"), c)
	case FieldFBRecurring:
		col := b.event("maxIf(ts, type = 'contact.subscribed' AND source_kind = '"+recurringKind+"') > "+
			"maxIf(ts, type = 'contact.unsubscribed' AND source_kind = '"+recurringKind+"')",
			"contact.subscribed", "contact.unsubscribed")
		return b.state(col, c)
	case FieldOMOStaff, FieldOMOStore:
		what := "actor"
		if c.Field == FieldOMOStore {
			what = "JSONExtractString(props, 'store')"
		}
		val := b.event("argMaxIf("+what+", ts, type = 'identity.bind' AND method = 'omo')", "identity.bind")
		in := b.bound("omo") + " = 1 AND has(" + b.list(c.Values) + ", " + val + ")"
		if c.Op == OpNotIn {
			return "NOT (" + in + ")"
		}
		return in
	case FieldBroadcast:
		return b.broadcast(c)
	}
	panic("audience: condition field not handled: " + c.Field) // Validate admits only handled fields
}

// bound is 1 when the latest bind of method is later than its latest unbind.
func (b *builder) bound(method string) string {
	return b.event("maxIf(ts, type = 'identity.bind' AND method = '"+method+"') > "+
		"maxIf(ts, type = 'identity.unbind' AND method IN ('"+method+"', ''))",
		"identity.bind", "identity.unbind")
}

func (b *builder) state(col string, c Condition) string {
	if c.Op == OpIsTrue {
		return col + " = 1"
	}
	return col + " = 0"
}

func (b *builder) identifier(col string, c Condition, v string) string {
	switch c.Op {
	case OpEq:
		return col + " = " + b.str(v)
	case OpNeq:
		return col + " != " + b.str(v)
	case OpIsSet:
		return col + " != ''"
	default:
		return col + " = ''"
	}
}

func (b *builder) broadcast(c Condition) string {
	scope := "source_kind = 'broadcast'"
	if c.Broadcast != "" {
		scope += " AND source_id = " + b.str(c.Broadcast)
	}
	var did string
	switch c.Op {
	case OpBroadcastOpen, OpBroadcastNOpen:
		did = b.event("countIf(type = 'message.opened' AND "+scope+") > 0", "message.opened")
	case OpBroadcastRead, OpBroadcastNRead:
		did = b.event("countIf(type = 'message.read' AND "+scope+") > 0", "message.read")
	default:
		did = b.event("countIf(type = 'button.clicked' AND button_kind IN ('url', 'module') AND "+scope+") > 0", "button.clicked")
	}
	switch c.Op {
	case OpBroadcastOpen, OpBroadcastRead, OpBroadcastClick:
		return did + " = 1"
	}
	// "Did not" is about broadcasts the contact was sent: a contact never
	// sent the broadcast neither opened nor failed to open it.
	got := b.event("countIf(type IN ('message.sent', 'message.delivered') AND "+scope+") > 0", "message.sent", "message.delivered")
	return got + " = 1 AND " + did + " = 0"
}

func (b *builder) attribute(c Condition) string {
	raw := b.attr(c.Attribute)
	switch c.Type {
	case TypeText:
		switch c.Op {
		case OpEq:
			return raw + " = " + b.str(c.Value)
		case OpNeq:
			return raw + " != " + b.str(c.Value)
		case OpContains:
			return "position(" + raw + ", " + b.str(c.Value) + ") > 0"
		case OpNotContains:
			return "position(" + raw + ", " + b.str(c.Value) + ") = 0"
		case OpStartsWith:
			return "startsWith(" + raw + ", " + b.str(c.Value) + ")"
		case OpIsSet:
			return raw + " != ''"
		default:
			return raw + " = ''"
		}
	case TypeNumber:
		num := "toFloat64OrNull(" + raw + ")"
		num64 := func(s string) string {
			f, _ := parseNumber(s)
			return b.param(tFloat64, strconv.FormatFloat(f, 'g', -1, 64))
		}
		switch c.Op {
		case OpEq:
			return num + " = " + num64(c.Value)
		case OpNeq:
			return num + " != " + num64(c.Value)
		case OpGt:
			return num + " > " + num64(c.Value)
		case OpGte:
			return num + " >= " + num64(c.Value)
		case OpLt:
			return num + " < " + num64(c.Value)
		case OpLte:
			return num + " <= " + num64(c.Value)
		case OpBetween:
			return num + " BETWEEN " + num64(c.From) + " AND " + num64(c.To)
		case OpIsSet:
			return num + " IS NOT NULL"
		default:
			return num + " IS NULL"
		}
	case TypeBool:
		switch c.Op {
		case OpIsTrue:
			return "lower(" + raw + ") IN ('true', '1', 'yes')"
		case OpIsFalse:
			return "lower(" + raw + ") IN ('false', '0', 'no')"
		case OpIsSet:
			return raw + " != ''"
		default:
			return raw + " = ''"
		}
	case TypeDate:
		// Dates are read in the team's zone, so a value written with a time
		// of day counts on its local day.
		return b.date("toDate32(parseDateTime64BestEffortOrNull("+raw+", 3, "+b.timezone()+"))", c)
	default:
		return b.datetime("parseDateTime64BestEffortOrNull("+raw+", 3, "+b.timezone()+")", c)
	}
}

// date applies a date operator to a Nullable(Date32) expression.
func (b *builder) date(x string, c Condition) string {
	switch c.Op {
	case OpIsSet:
		return x + " IS NOT NULL"
	case OpIsNotSet:
		return x + " IS NULL"
	case OpMonth:
		m := b.clock.month(c)
		return "toMonth(" + x + ") = " + b.param(tUInt8, strconv.Itoa(int(m.month))) +
			" AND toYear(" + x + ") BETWEEN " + b.param(tUInt16, strconv.Itoa(m.fromYear)) +
			" AND " + b.param(tUInt16, strconv.Itoa(m.toYear))
	}
	r, _ := b.clock.days(c)
	var parts []string
	if r.hasFrom {
		parts = append(parts, x+" >= "+b.param(tDate32, r.from.String()))
	}
	if r.hasTo {
		parts = append(parts, x+" <= "+b.param(tDate32, r.to.String()))
	}
	return strings.Join(parts, " AND ")
}

// datetime applies a date operator to a Nullable(DateTime64) expression.
func (b *builder) datetime(x string, c Condition) string {
	switch c.Op {
	case OpIsSet:
		return x + " IS NOT NULL"
	case OpIsNotSet:
		return x + " IS NULL"
	case OpMonth:
		m := b.clock.month(c)
		tz := b.timezone()
		return "toMonth(" + x + ", " + tz + ") = " + b.param(tUInt8, strconv.Itoa(int(m.month))) +
			" AND toYear(" + x + ", " + tz + ") BETWEEN " + b.param(tUInt16, strconv.Itoa(m.fromYear)) +
			" AND " + b.param(tUInt16, strconv.Itoa(m.toYear))
	}
	r, _ := b.clock.instants(c)
	var parts []string
	if r.hasFrom {
		parts = append(parts, x+" >= "+b.instant(r.from))
	}
	if r.hasTo {
		parts = append(parts, x+" < "+b.instant(r.to))
	}
	return strings.Join(parts, " AND ")
}

// scope restricts a source to the team and the channel of the audience.
const scope = "team_id = {" + paramTeam + ":String} AND channel_type = {" + paramChannelType + ":String} AND channel_id = {" + paramChannelID + ":String}"

// sql assembles the query from the sources the conditions used.
func (b *builder) sql(preds []string) string {
	var s strings.Builder
	s.WriteString("SELECT c.contact_id AS contact_id, c.name AS name, c.phone AS phone, c.email AS email,\n")
	s.WriteString("       c.member_id AS member_id, nullIf(c.subscribed_at, toDateTime64(0, 3, 'UTC')) AS subscribed_at, c.updated_at AS updated_at\n")
	s.WriteString("FROM (SELECT * FROM contacts_current WHERE " + scope + ") AS c\n")
	if len(b.tags) > 0 {
		fmt.Fprintf(&s, `LEFT JOIN (
    SELECT contact_id, groupArray(tag) AS tags FROM (
        SELECT contact_id, tag FROM events
        WHERE %s AND type IN ('tag.added', 'tag.removed') AND tag IN (%s)
        GROUP BY contact_id, tag
        HAVING maxIf(ts, type = 'tag.added') > maxIf(ts, type = 'tag.removed')
    ) GROUP BY contact_id
) AS t ON t.contact_id = c.contact_id
`, scope, strings.Join(b.tags, ", "))
	}
	if len(b.attrSQL) > 0 {
		fmt.Fprintf(&s, `LEFT JOIN (
    SELECT contact_id, %s
    FROM contact_attributes_current
    WHERE %s AND attribute IN (%s)
    GROUP BY contact_id
) AS a ON a.contact_id = c.contact_id
`, strings.Join(b.attrSQL, ", "), scope, strings.Join(b.attrIn, ", "))
	}
	if len(b.evSQL) > 0 {
		types := make([]string, 0, len(b.evTypes))
		for t := range b.evTypes {
			types = append(types, "'"+t+"'")
		}
		sort.Strings(types)
		fmt.Fprintf(&s, `LEFT JOIN (
    SELECT contact_id,
        %s
    FROM events
    WHERE %s AND type IN (%s)
    GROUP BY contact_id
) AS e ON e.contact_id = c.contact_id
`, strings.Join(b.evSQL, ",\n        "), scope, strings.Join(types, ", "))
	}
	if b.orders {
		s.WriteString(`LEFT JOIN (
    SELECT member_id, max(ts) AS at FROM events
    WHERE team_id = {` + paramTeam + `:String} AND type = 'order.placed' AND member_id != ''
    GROUP BY member_id
) AS o ON o.member_id = c.member_id
`)
	}
	s.WriteString("WHERE c.subscribed = 1 AND c.over_quota = 0")
	for _, p := range preds {
		s.WriteString("\n  AND " + p)
	}
	return s.String()
}
