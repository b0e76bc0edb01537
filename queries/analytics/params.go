package analytics

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is a channel account, or every account of a type when ID is "".
// In a request it is written "line" or "line:1657000000".
type Channel struct {
	Type string `json:"channel_type"`
	ID   string `json:"channel_id,omitempty"`
}

var channelTypes = map[string]bool{
	"line": true, "facebook": true, "instagram": true, "whatsapp": true, "web": true, "wechat": true, "sms": true,
}

// ParseChannel reads "type" or "type:id".
func ParseChannel(s string) (Channel, error) {
	typ, id, _ := strings.Cut(s, ":")
	if !channelTypes[typ] {
		return Channel{}, fmt.Errorf("%q is not TYPE or TYPE:ID with TYPE one of line, facebook, instagram, whatsapp, web, wechat, sms", s)
	}
	if len(id) > maxValueLen || !utf8.ValidString(id) {
		return Channel{}, fmt.Errorf("channel id of %q must be at most %d bytes of UTF-8", typ, maxValueLen)
	}
	return Channel{Type: typ, ID: id}, nil
}

// Limits on request parameters.
const (
	maxValueLen   = 128  // bytes of one value (ids, tags, names)
	maxValues     = 50   // values of one list parameter
	maxRangeDays  = 3660 // days of a date range
	maxCompared   = 5    // channels compared in the omni-customer analysis
	defaultPreset = PresetLast30Days
)

// params is the query string of a request, restricted to the parameters
// its report takes.
type params struct {
	v url.Values
}

func readParams(r *http.Request, allowed ...string) (params, error) {
	v := r.URL.Query()
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return params{}, invalid(k, "unknown parameter; this report takes "+strings.Join(allowed, ", "))
		}
	}
	return params{v}, nil
}

// one returns the single value of name, "" when absent.
func (p params) one(name string) (string, error) {
	vs := p.v[name]
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", invalid(name, "must be given once")
	case len(vs[0]) > maxValueLen || !utf8.ValidString(vs[0]):
		return "", invalid(name, fmt.Sprintf("must be at most %d bytes of UTF-8", maxValueLen))
	}
	return vs[0], nil
}

// list returns the values of a repeatable parameter (name=a&name=b).
func (p params) list(name string) ([]string, error) {
	vs := p.v[name]
	if len(vs) > maxValues {
		return nil, invalid(name, fmt.Sprintf("must be given at most %d times", maxValues))
	}
	for _, v := range vs {
		if v == "" || len(v) > maxValueLen || !utf8.ValidString(v) {
			return nil, invalid(name, fmt.Sprintf("values must be 1-%d bytes of UTF-8", maxValueLen))
		}
	}
	return vs, nil
}

// channels reads the repeatable channel parameter.
func (p params) channels(most int) ([]Channel, error) {
	vs := p.v["channel"]
	if len(vs) > most {
		return nil, invalid("channel", fmt.Sprintf("must be given at most %d times", most))
	}
	out := make([]Channel, 0, len(vs))
	for _, v := range vs {
		c, err := ParseChannel(v)
		if err != nil {
			return nil, invalid("channel", err.Error())
		}
		out = append(out, c)
	}
	return out, nil
}

// limit reads the row limit of logs: 1 to MaxLogRows, default MaxLogRows.
func (p params) limit() (int, error) {
	s, err := p.one("limit")
	if err != nil || s == "" {
		return MaxLogRows, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLogRows {
		return 0, invalid("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLogRows))
	}
	return n, nil
}

// dateRange reads from and to (YYYY-MM-DD, inclusive, in the team's time
// zone) or preset. Without any of them the range is the preset def, or all
// time when def is "".
func (p params) dateRange(loc *time.Location, now time.Time, def string) (Range, error) {
	preset, err := p.one("preset")
	if err != nil {
		return Range{}, err
	}
	from, err := p.one("from")
	if err != nil {
		return Range{}, err
	}
	to, err := p.one("to")
	if err != nil {
		return Range{}, err
	}
	switch {
	case preset != "" && (from != "" || to != ""):
		return Range{}, invalid("preset", "give either preset or from and to, not both")
	case preset != "":
		r, ok := PresetRange(preset, now, loc)
		if !ok {
			return Range{}, invalid("preset", fmt.Sprintf("%q is not one of %s", preset, strings.Join([]string{
				PresetToday, PresetYesterday, PresetLast7Days, PresetLast14Days, PresetLast30Days, PresetThisMonth, PresetLastMonth}, ", ")))
		}
		return r, nil
	case from == "" && to == "":
		if def == "" {
			return Range{}, nil
		}
		r, _ := PresetRange(def, now, loc)
		return r, nil
	case from == "":
		return Range{}, invalid("from", "is required with to")
	case to == "":
		return Range{}, invalid("to", "is required with from")
	}
	f, err := ParseDate(from)
	if err != nil {
		return Range{}, invalid("from", err.Error())
	}
	t, err := ParseDate(to)
	if err != nil {
		return Range{}, invalid("to", err.Error())
	}
	if f.Year < 2000 || t.Year > 2200 {
		return Range{}, invalid("from", "dates must be between 2000-01-01 and 2200-12-31")
	}
	if t.Before(f) {
		return Range{}, invalid("to", "is before from")
	}
	if f.AddDays(maxRangeDays).Before(t) {
		return Range{}, invalid("to", fmt.Sprintf("the range may span at most %d days", maxRangeDays))
	}
	return Range{From: f, To: t, Loc: loc}, nil
}

// unit reads the bucket unit of a series: week, month or year.
func (p params) unit(def Unit) (Unit, error) {
	s, err := p.one("unit")
	if err != nil || s == "" {
		return def, err
	}
	switch u := Unit(s); u {
	case Week, Month, Year:
		return u, nil
	}
	return "", invalid("unit", fmt.Sprintf("%q is not week, month or year", s))
}

// pathValue reads a path segment of 1 to maxValueLen bytes.
func pathValue(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" || len(v) > maxValueLen || !utf8.ValidString(v) {
		return "", invalid(name, fmt.Sprintf("must be 1-%d bytes of UTF-8", maxValueLen))
	}
	return v, nil
}
