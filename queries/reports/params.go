package reports

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// channelTypes are the channel types a filter may name.
var channelTypes = []string{"line", "facebook", "instagram", "whatsapp", "web", "wechat", "sms"}

// Range is a half-open interval of event time [From, To). The zero Range
// is unbounded.
type Range struct {
	From, To time.Time
}

// bounded reports whether r restricts anything.
func (r Range) bounded() bool { return !r.From.IsZero() || !r.To.IsZero() }

// params returns the range as DateTime64 parameters, unbounded ends
// replaced by far dates.
func (r Range) params() (from, to string) {
	f, t := r.From, r.To
	if f.IsZero() {
		f = time.Unix(0, 0)
	}
	if t.IsZero() {
		t = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return chTime(f), chTime(t)
}

func (r Range) contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// chTime is the text of a DateTime64(3, 'UTC') parameter.
func chTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

const dateLayout = "2006-01-02"

// parseRange reads from and to: dates (YYYY-MM-DD) in loc, both inclusive.
func parseRange(q url.Values, loc *time.Location) (Range, error) {
	var r Range
	var from, to time.Time
	if v := q.Get("from"); v != "" {
		d, err := time.ParseInLocation(dateLayout, v, loc)
		if err != nil {
			return r, badParam("from", "must be a date YYYY-MM-DD in the team's time zone")
		}
		from = d
		r.From = d
	}
	if v := q.Get("to"); v != "" {
		d, err := time.ParseInLocation(dateLayout, v, loc)
		if err != nil {
			return r, badParam("to", "must be a date YYYY-MM-DD in the team's time zone")
		}
		to = d
		r.To = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return r, badParam("to", "must not be before from")
	}
	return r, nil
}

// onlyParams refuses query parameters other than the allowed ones, and
// repeated ones.
func onlyParams(r *http.Request, allowed ...string) error {
	for k, vs := range r.URL.Query() {
		if !slices.Contains(allowed, k) {
			return badParam(k, "unknown parameter (allowed: "+strings.Join(allowed, ", ")+")")
		}
		if len(vs) > 1 {
			return badParam(k, "must be given once")
		}
	}
	return nil
}

// listOf parses a comma-separated list of values from a closed set.
func listOf(q url.Values, param string, allowed []string) ([]string, error) {
	v := q.Get(param)
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, x := range strings.Split(v, ",") {
		x = strings.TrimSpace(x)
		if !slices.Contains(allowed, x) {
			return nil, badParam(param, strconv.Quote(x)+" is not one of "+strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out, nil
}

// parseLimit reads limit in [1, most], def when absent.
func parseLimit(q url.Values, def, most int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, badParam("limit", "must be an integer from 1 to "+strconv.Itoa(most))
	}
	return n, nil
}

// Cursors are opaque to clients: base64url of NUL-separated fields.
func encodeCursor(fields ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, "\x00")))
}

func decodeCursor(s string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, badParam("cursor", "is not a cursor of this list")
	}
	f := strings.Split(string(b), "\x00")
	if len(f) != n {
		return nil, badParam("cursor", "is not a cursor of this list")
	}
	return f, nil
}

// ListQuery selects broadcasts for the list.
type ListQuery struct {
	// Range restricts the broadcast time (see BroadcastReport.SentAt).
	Range Range
	// Channels and Statuses, when not empty, keep broadcasts with a send on
	// one of the channel types / with one of the statuses.
	Channels, Statuses []string
	// Limit is the page size, 1-100; default 20.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

func parseListQuery(r *http.Request, loc *time.Location) (ListQuery, error) {
	q := r.URL.Query()
	var lq ListQuery
	var err error
	if lq.Range, err = parseRange(q, loc); err != nil {
		return lq, err
	}
	if lq.Channels, err = listOf(q, "channel", channelTypes); err != nil {
		return lq, err
	}
	if lq.Statuses, err = listOf(q, "status", statuses); err != nil {
		return lq, err
	}
	if lq.Limit, err = parseLimit(q, 20, 100); err != nil {
		return lq, err
	}
	lq.Cursor = q.Get("cursor")
	if lq.Cursor != "" {
		if _, _, err := listCursor(lq.Cursor); err != nil {
			return lq, err
		}
	}
	return lq, nil
}

func listCursor(c string) (time.Time, string, error) {
	f, err := decodeCursor(c, 2)
	if err != nil {
		return time.Time{}, "", err
	}
	ms, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return time.Time{}, "", badParam("cursor", "is not a cursor of this list")
	}
	return time.UnixMilli(ms).UTC(), f[1], nil
}

// Recipient states.
const (
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateOpened    = "opened"
	StateRead      = "read"
	StateClicked   = "clicked"
	StateResponded = "responded"
)

var recipientStates = []string{StateDelivered, StateFailed, StateOpened, StateRead, StateClicked, StateResponded}

// RecipientQuery selects one page of a recipient list.
type RecipientQuery struct {
	State string
	// Channel, when set, keeps one channel type.
	Channel string
	// Limit is the page size, 1-1000; default 100.
	Limit  int
	Cursor string
}

func parseRecipientQuery(r *http.Request) (RecipientQuery, error) {
	q := r.URL.Query()
	var rq RecipientQuery
	rq.State = q.Get("state")
	if rq.State == "" {
		return rq, badParam("state", "is required: one of "+strings.Join(recipientStates, ", "))
	}
	if !slices.Contains(recipientStates, rq.State) {
		return rq, badParam("state", strconv.Quote(rq.State)+" is not one of "+strings.Join(recipientStates, ", "))
	}
	rq.Channel = q.Get("channel")
	if rq.Channel != "" && !slices.Contains(channelTypes, rq.Channel) {
		return rq, badParam("channel", strconv.Quote(rq.Channel)+" is not one of "+strings.Join(channelTypes, ", "))
	}
	var err error
	if rq.Limit, err = parseLimit(q, 100, 1000); err != nil {
		return rq, err
	}
	rq.Cursor = q.Get("cursor")
	if rq.Cursor != "" {
		if _, err := decodeCursor(rq.Cursor, 3); err != nil {
			return rq, err
		}
	}
	return rq, nil
}
