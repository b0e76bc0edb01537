package analytics

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Querier is the part of a ClickHouse connection the reports need.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// stmt collects the server-side parameters of one query. Every value a
// caller supplies travels here; SQL text only ever holds placeholders and
// fragments chosen by this package.
type stmt struct {
	params clickhouse.Parameters
}

func newStmt(team string) *stmt {
	s := &stmt{params: clickhouse.Parameters{}}
	s.str("team", team)
	return s
}

// str binds a String parameter.
func (s *stmt) str(name, v string) { s.params[name] = escapeParam(v) }

// strs binds an Array(String) parameter.
func (s *stmt) strs(name string, vs []string) { s.params[name] = arrayLiteral(vs) }

// ints binds an Array(Int64) parameter.
func (s *stmt) ints(name string, vs []int64) {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(']')
	s.params[name] = b.String()
}

// num binds an integer parameter.
func (s *stmt) num(name string, v int64) { s.params[name] = strconv.FormatInt(v, 10) }

// time binds a DateTime64(3, 'UTC') parameter.
func (s *stmt) time(name string, t time.Time) {
	s.params[name] = t.UTC().Format("2006-01-02 15:04:05.000")
}

// period binds start and end, the half-open bounds of r; for an unbounded
// range they span every accepted event time.
func (s *stmt) period(r Range) {
	if !r.Bounded() {
		s.time("start", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
		s.time("end", time.Date(2299, 12, 31, 0, 0, 0, 0, time.UTC))
		s.str("tz", "UTC")
		return
	}
	s.time("start", r.Start())
	s.time("end", r.End())
	s.str("tz", r.Loc.String())
}

func (s *stmt) bind(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithParameters(s.params))
}

// SQL fragments over the bound parameters.
const (
	inPeriod = "ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}"
	dayOfTS  = "toString(toDate(ts, {tz:String}))"
)

// escapeParam encodes a parameter value the way ClickHouse reads query
// parameters: in its escaped text format, where a backslash starts an
// escape sequence and a raw line break ends the value.
func escapeParam(v string) string {
	if !strings.ContainsAny(v, "\\\t\n\r\x00") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// arrayLiteral renders strings as the text of an Array(String) parameter;
// the server parses it as data, never as SQL.
func arrayLiteral(vs []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		for j := 0; j < len(v); j++ {
			switch c := v[j]; c {
			case '\\':
				b.WriteString(`\\`)
			case '\'':
				b.WriteString(`\'`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case 0:
				b.WriteString(`\0`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('\'')
	}
	b.WriteByte(']')
	return b.String()
}

// query runs sql with st's parameters and calls scan for every row.
func (s *Service) query(ctx context.Context, what string, st *stmt, sql string, scan func(driver.Rows) error) error {
	rows, err := s.db.Query(st.bind(ctx), sql)
	if err != nil {
		return fmt.Errorf("query %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// filter is a set of optional conditions on a report's records. where
// renders the ones that are set as " AND …" over the named columns, binding
// their values in st.
type filter struct {
	Channels []Channel
	Sources  []string
	Users    []string
	Contact  string
}

// columns names the columns a filter applies to; an empty name means the
// records have no such column and the condition is not applied.
type columns struct {
	channelType, channelID, contact, source, user string
}

var eventColumns = columns{channelType: "channel_type", channelID: "channel_id", contact: "contact_id", source: "source_kind", user: "actor"}

func (f filter) where(st *stmt, c columns) string {
	var b strings.Builder
	if len(f.Channels) > 0 && c.channelType != "" {
		types, ids := make([]string, len(f.Channels)), make([]string, len(f.Channels))
		for i, ch := range f.Channels {
			types[i], ids[i] = ch.Type, ch.ID
		}
		st.strs("ch_types", types)
		st.strs("ch_ids", ids)
		fmt.Fprintf(&b, " AND arrayExists((t, i) -> t = %s AND (i = '' OR i = %s), {ch_types:Array(String)}, {ch_ids:Array(String)})",
			c.channelType, c.channelID)
	}
	if len(f.Sources) > 0 && c.source != "" {
		st.strs("sources", f.Sources)
		fmt.Fprintf(&b, " AND has({sources:Array(String)}, %s)", c.source)
	}
	if len(f.Users) > 0 && c.user != "" {
		st.strs("users", f.Users)
		fmt.Fprintf(&b, " AND has({users:Array(String)}, %s)", c.user)
	}
	if f.Contact != "" && c.contact != "" {
		// A contact is searched by its channel user id or by its name.
		st.str("contact", f.Contact)
		fmt.Fprintf(&b, ` AND (%[2]s = {contact:String} OR (%[1]s, %[3]s, %[2]s) IN (
        SELECT channel_type, channel_id, contact_id FROM contacts_current
        WHERE team_id = {team:String} AND name != '' AND positionCaseInsensitiveUTF8(name, {contact:String}) > 0))`,
			c.channelType, c.contact, c.channelID)
	}
	return b.String()
}

// trimDecimal removes the trailing zeros of a decimal's text.
func trimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

// share is num/den, or nil when den is 0.
func share(num, den uint64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}
