package pixel

import (
	"crypto/sha256"
	"encoding/hex"
	stdjson "encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

// report is what the script posts.
type report struct {
	Site      string          `json:"site"`
	Type      string          `json:"type"`
	VisitorID string          `json:"visitor_id"`
	EventID   string          `json:"event_id"`
	URL       string          `json:"url"`
	Referrer  string          `json:"referrer"`
	Title     string          `json:"title"`
	MemberID  json.RawMessage `json:"member_id"`
	OrderID   json.RawMessage `json:"order_id"`
	Amount    json.RawMessage `json:"amount"`
	Currency  string          `json:"currency"`
}

type pageviewProps struct {
	URL      string `json:"url"`
	MemberID string `json:"member_id,omitempty"`
	Referrer string `json:"referrer,omitempty"`
	Title    string `json:"title,omitempty"`
}

type orderProps struct {
	OrderID  string       `json:"order_id"`
	Amount   event.Amount `json:"amount"`
	Currency string       `json:"currency"`
	MemberID string       `json:"member_id,omitempty"`
	URL      string       `json:"url,omitempty"`
}

const (
	maxURLLen   = 2048
	maxTitleLen = 512
)

// problems collects field errors and turns them into one 400.
type problems []event.FieldError

func (ps *problems) add(field, msg string) {
	*ps = append(*ps, event.FieldError{Field: field, Message: msg})
}

func (ps problems) problem() *problem {
	if len(ps) == 0 {
		return nil
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Error()
	}
	return &problem{status: http.StatusBadRequest, field: ps[0].Field, message: strings.Join(parts, "; ")}
}

// build validates a report and turns it into its event.
func (h *Handler) build(s *Site, key string, body []byte) (event.Event, *problem) {
	var rep report
	if err := json.Unmarshal(body, &rep); err != nil {
		return event.Event{}, decodeProblem(body)
	}
	var ps problems
	if rep.Site != "" && rep.Site != key {
		ps.add("site", "differs from the site key in the URL")
	}
	switch rep.Type {
	case "pageview", "order":
	case "":
		ps.add("type", "is required (pageview or order)")
	default:
		ps.add("type", "must be pageview or order, got "+strconv.Quote(truncate(rep.Type, 32)))
	}
	if msg := checkID(rep.VisitorID, 8, 128); msg != "" {
		ps.add("visitor_id", msg)
	}
	if rep.EventID != "" && checkID(rep.EventID, 8, 64) != "" {
		ps.add("event_id", checkID(rep.EventID, 8, 64))
	}
	member, msg := flexString(rep.MemberID)
	if msg != "" {
		ps.add("member_id", msg)
	} else if len(member) > event.MaxIDLen {
		ps.add("member_id", "is longer than 128 bytes")
	}
	if rep.URL == "" {
		if rep.Type == "pageview" {
			ps.add("url", "is required for a page view")
		}
	} else if msg := checkURL(rep.URL); msg != "" {
		ps.add("url", msg)
	}
	if len(rep.Referrer) > maxURLLen {
		ps.add("referrer", "is longer than 2048 bytes")
	}
	now := h.now()
	e := event.Event{
		Type:    event.PixelPageview,
		TS:      event.MilliTime(now),
		TeamID:  s.TeamID,
		Channel: event.Channel{Type: event.ChannelWeb, ID: s.SiteID},
		Contact: event.Contact{ChannelUserID: rep.VisitorID},
		Source:  event.Source{Kind: "pixel"},
	}
	var props any
	if rep.Type == "order" {
		e.Type = event.OrderPlaced
		op := orderProps{MemberID: member, URL: rep.URL, Currency: strings.ToUpper(strings.TrimSpace(rep.Currency))}
		op.OrderID, msg = flexString(rep.OrderID)
		switch {
		case msg != "":
			ps.add("order_id", msg)
		case op.OrderID == "":
			ps.add("order_id", "is required for an order")
		case len(op.OrderID) > event.MaxIDLen:
			ps.add("order_id", "is longer than 128 bytes")
		}
		if len(rep.Amount) == 0 || string(rep.Amount) == "null" {
			ps.add("amount", "is required for an order")
		} else if err := op.Amount.UnmarshalJSON(rep.Amount); err != nil {
			ps.add("amount", "must be a decimal number with at most 4 decimals, such as \"1280.50\"")
		} else if op.Amount < 0 {
			ps.add("amount", "must not be negative")
		}
		if len(op.Currency) != 3 || strings.Trim(op.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			ps.add("currency", "must be a 3-letter ISO 4217 code such as TWD")
		}
		e.Fields = event.Fields{OrderID: op.OrderID, Amount: op.Amount, Currency: op.Currency, MemberID: member, URL: rep.URL}
		// The same order reported again (a reloaded thank-you page) is the same event.
		e.EventID = "order-" + digest(s.TeamID, s.SiteID, op.OrderID)
		props = op
	} else {
		pv := pageviewProps{URL: rep.URL, MemberID: member, Referrer: rep.Referrer, Title: clip(rep.Title, maxTitleLen)}
		e.Fields = event.Fields{URL: rep.URL, MemberID: member}
		e.EventID = newEventID()
		if rep.EventID != "" {
			e.EventID = "px-" + digest(s.TeamID, s.SiteID, rep.VisitorID, rep.EventID) // a resent beacon is the same event
		}
		props = pv
	}
	if p := ps.problem(); p != nil {
		return event.Event{}, p
	}
	b, err := json.Marshal(props)
	if err != nil {
		return event.Event{}, &problem{status: http.StatusBadRequest, message: "could not encode the report"}
	}
	e.Props = b
	if err := e.Validate(now); err != nil {
		var inv event.Invalid
		if errors.As(err, &inv) {
			return event.Event{}, problems(inv).problem()
		}
		return event.Event{}, &problem{status: http.StatusBadRequest, message: err.Error()}
	}
	return e, nil
}

// decodeProblem explains why body is not a report, naming the field when
// the JSON is well formed but a value has the wrong type.
func decodeProblem(body []byte) *problem {
	var rep report
	err := stdjson.Unmarshal(body, &rep)
	var te *stdjson.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return refuse(http.StatusBadRequest, te.Field, "must be a %s, got a JSON %s", te.Type.Kind(), te.Value)
	}
	return refuse(http.StatusBadRequest, "", "the body must be a JSON object")
}

// checkID accepts ids made of letters, digits, '-', '_' and '.'.
func checkID(id string, min, max int) string {
	switch {
	case id == "":
		return "is required"
	case len(id) < min || len(id) > max:
		return "must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "may contain only letters, digits, '-', '_' and '.'"
		}
	}
	return ""
}

func checkURL(s string) string {
	if len(s) > maxURLLen {
		return "is longer than 2048 bytes"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}

// flexString accepts a JSON string or number (member and order ids are
// often numeric on shop platforms).
func flexString(raw json.RawMessage) (string, string) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return "", ""
	case s[0] == '"':
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", "must be a string"
		}
		return strings.TrimSpace(v), ""
	case s[0] == '-' || (s[0] >= '0' && s[0] <= '9'):
		if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, ".eE") {
			return s, ""
		}
	}
	return "", "must be a string or an integer"
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
