package event

import (
	"strconv"
	"time"

	"github.com/segmentio/encoding/json"
)

// Event is the canonical envelope. Props keeps the raw JSON object as sent,
// unknown keys included; Fields holds the typed view of the known props.
type Event struct {
	EventID   string          `json:"event_id"`
	TeamID    string          `json:"team_id,omitempty"`
	Type      Type            `json:"type"`
	TS        Time            `json:"ts"`
	Channel   Channel         `json:"channel"`
	Contact   Contact         `json:"contact"`
	Source    Source          `json:"source"`
	MessageID string          `json:"message_id,omitempty"`
	SendID    string          `json:"send_id,omitempty"`
	Props     json.RawMessage `json:"props,omitempty"`

	// Fields is decoded from Props by Decode; it is not part of the wire form.
	Fields Fields `json:"-"`
}

// Channel is the channel account an event happened on.
type Channel struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Contact is the channel identity of the person.
type Contact struct {
	ChannelUserID string `json:"channel_user_id"`
	Name          string `json:"name,omitempty"`
}

// Source says what caused the event.
type Source struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"`
	NodeID string `json:"node_id,omitempty"`
}

// Fields are the known props. Unknown props stay in Event.Props.
type Fields struct {
	// message.*
	MessageKind string `json:"message_kind,omitempty"` // text, text_buttons, carousel, image_carousel, imagemap, rich, coupon, image, …
	Reason      string `json:"reason,omitempty"`       // message.failed, omnilink.failed, contact.unsubscribed (block|unsubscribe)
	Watermark   *Time  `json:"watermark,omitempty"`    // read/delivered receipts covering every message sent up to it
	Kind        string `json:"kind,omitempty"`         // message.inbound: text, image, file, sticker, reaction, …
	ReplyTo     string `json:"reply_to,omitempty"`     // message.inbound reaction: the message reacted to

	// button.clicked, richmenu.clicked
	ButtonKind string `json:"button_kind,omitempty"`
	ButtonID   string `json:"button_id,omitempty"`
	URL        string `json:"url,omitempty"`
	Area       string `json:"area,omitempty"`

	// keyword.triggered
	Group     string `json:"group,omitempty"`
	Condition string `json:"condition,omitempty"`

	// tag.*, attribute.set
	Tag       string          `json:"tag,omitempty"`
	Attribute string          `json:"attribute,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`

	// order.placed, pixel.pageview, identity.*
	OrderID  string `json:"order_id,omitempty"`
	Amount   Amount `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	MemberID string `json:"member_id,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	Method   string `json:"method,omitempty"` // identity.bind: social, phone, omnilink, import, api, email, omo

	// omnilink.*, identity.bind by omnilink
	Campaign     string  `json:"campaign,omitempty"`
	Target       *Target `json:"target,omitempty"`
	TargetNew    bool    `json:"target_new,omitempty"`
	ContactSrc   string  `json:"contact_source,omitempty"` // contact.created: user, import, api, inbound, echo, integration, ctc_ads, keyword_qr, omo_qr, coupon, game, pixel, organic
	Actor        string  `json:"actor,omitempty"`          // the staff user or system that acted
	AudienceSize int64   `json:"audience,omitempty"`       // broadcast.started: contacts targeted after exclusions
}

// Target is the other contact of a cross-channel link.
type Target struct {
	Channel Channel `json:"channel"`
	UserID  string  `json:"channel_user_id"`
}

// Time is an event time with millisecond precision, always UTC. On the wire
// it is an RFC 3339 string (any offset) or an integer of Unix milliseconds.
type Time struct{ time.Time }

// MilliTime returns t truncated to milliseconds in UTC.
func MilliTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// UnixMilli is the event time in Unix milliseconds.
func (t Time) UnixMilli() int64 { return t.Time.UnixMilli() }

const wireLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes RFC 3339 in UTC with milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 26)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, wireLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts an RFC 3339 string or Unix milliseconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return errBadTime
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errBadTime
		}
		*t = MilliTime(v)
		return nil
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return errBadTime
	}
	*t = MilliTime(time.UnixMilli(ms))
	return nil
}

// Amount is a money amount in units of 1/10,000 of the currency unit, so
// sums are exact. On the wire it is a JSON number or a decimal string.
type Amount int64

// AmountScale is the number of Amount units in one currency unit.
const AmountScale = 10000

// String formats the amount as a decimal.
func (a Amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	s := strconv.FormatInt(int64(a)/AmountScale, 10)
	if frac := int64(a) % AmountScale; frac != 0 {
		f := strconv.FormatInt(frac+AmountScale, 10)[1:]
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s += "." + f
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON accepts a number or a decimal string with at most 4 decimals.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*a = 0
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return errBadAmount
		}
		s = u
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAmount parses a decimal string such as "1234.5" or "-0.25".
func ParseAmount(s string) (Amount, error) {
	if s == "" || len(s) > 24 {
		return 0, errBadAmount
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if intPart == "" || len(frac) > 4 || (len(frac) == 0 && len(intPart) != len(s)) {
		return 0, errBadAmount
	}
	var v int64
	for _, c := range []byte(intPart) {
		if c < '0' || c > '9' {
			return 0, errBadAmount
		}
		v = v*10 + int64(c-'0')
		if v > 1e14 {
			return 0, errBadAmount
		}
	}
	v *= AmountScale
	scale := int64(AmountScale / 10)
	for _, c := range []byte(frac) {
		if c < '0' || c > '9' {
			return 0, errBadAmount
		}
		v += int64(c-'0') * scale
		scale /= 10
	}
	if neg {
		v = -v
	}
	return Amount(v), nil
}
