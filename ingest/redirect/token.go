package redirect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

// Key is an HMAC key for click tokens. It prints as "[redacted]".
type Key []byte

// String returns "[redacted]".
func (Key) String() string { return "[redacted]" }

// Format writes "[redacted]" for every verb.
func (Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// LogValue keeps the key out of slog output.
func (Key) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MinKeyLen is the shortest key accepted, in bytes.
const MinKeyLen = 32

// Link is what a tracked link records about the click it stands for.
type Link struct {
	TeamID      string // required
	SourceKind  string // what sent the message: broadcast, journey, …
	SourceID    string // broadcast or journey id (required for those kinds)
	NodeID      string // journey node
	MessageID   string
	SendID      string
	ChannelType string // required: line, facebook, instagram, whatsapp, …
	ChannelID   string // required
	ContactID   string // required: the channel user id
	ButtonID    string
	ButtonKind  string // url (default), text_link, module or reply
	Target      string // required: absolute http or https URL
	Expires     time.Time
}

// Token errors. Handlers answer 404 for all of them.
var (
	ErrInvalidToken = errors.New("click token is malformed or its signature does not verify")
	ErrExpired      = errors.New("click token has expired")
)

const (
	version  = 1
	tagLen   = 16 // bytes of HMAC-SHA256 kept: 128 bits
	maxField = 2048
)

var tagDomain = []byte("omnistream click token v1\x00")

// Sign mints the token for l with key. It refuses links whose click event
// would not validate and targets that are not absolute http(s) URLs.
func Sign(key Key, l Link) (string, error) {
	if len(key) < MinKeyLen {
		return "", fmt.Errorf("sign click link: key must be at least %d bytes", MinKeyLen)
	}
	if l.ButtonKind == "" {
		l.ButtonKind = event.ButtonURL
	}
	if err := checkTarget(l.Target); err != nil {
		return "", fmt.Errorf("sign click link: target %w", err)
	}
	if err := l.check(); err != nil {
		return "", fmt.Errorf("sign click link: %w", err)
	}
	payload := encode(&l)
	return base64.RawURLEncoding.EncodeToString(append(payload, tag(key, payload)...)), nil
}

// Verify decodes token, checks its tag against every key and its expiry
// against now.
func Verify(keys []Key, token string, now time.Time) (Link, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 1+tagLen {
		return Link{}, ErrInvalidToken
	}
	payload, got := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	ok := false
	for _, k := range keys {
		if len(k) >= MinKeyLen && hmac.Equal(got, tag(k, payload)) {
			ok = true
			break
		}
	}
	if !ok {
		return Link{}, ErrInvalidToken
	}
	l, err := decode(payload)
	if err != nil {
		return Link{}, ErrInvalidToken
	}
	if !l.Expires.IsZero() && !now.Before(l.Expires) {
		return Link{}, ErrExpired
	}
	if checkTarget(l.Target) != nil {
		return Link{}, ErrInvalidToken
	}
	return l, nil
}

func tag(key Key, payload []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(tagDomain)
	mac.Write(payload)
	return mac.Sum(nil)[:tagLen]
}

func (l *Link) fields() []*string {
	return []*string{&l.TeamID, &l.SourceKind, &l.SourceID, &l.NodeID, &l.MessageID, &l.SendID,
		&l.ChannelType, &l.ChannelID, &l.ContactID, &l.ButtonID, &l.ButtonKind, &l.Target}
}

// encode writes version, expiry (Unix seconds, 0 for none) and the fields as
// length-prefixed strings.
func encode(l *Link) []byte {
	b := []byte{version}
	var exp uint64
	if !l.Expires.IsZero() {
		exp = uint64(l.Expires.Unix())
	}
	b = binary.AppendUvarint(b, exp)
	for _, f := range l.fields() {
		b = binary.AppendUvarint(b, uint64(len(*f)))
		b = append(b, *f...)
	}
	return b
}

// decode is the inverse of encode. It is only reached with payloads whose
// tag verified, but it is written for hostile input all the same.
func decode(b []byte) (Link, error) {
	var l Link
	if len(b) == 0 || b[0] != version {
		return l, errors.New("unknown token version")
	}
	b = b[1:]
	exp, n := binary.Uvarint(b)
	if n <= 0 || exp > 1<<40 {
		return l, errors.New("bad expiry")
	}
	b = b[n:]
	if exp != 0 {
		l.Expires = time.Unix(int64(exp), 0).UTC()
	}
	for _, f := range l.fields() {
		size, n := binary.Uvarint(b)
		if n <= 0 || size > maxField || size > uint64(len(b)-n) {
			return Link{}, errors.New("bad field length")
		}
		*f = string(b[n : n+int(size)])
		b = b[n+int(size):]
	}
	if len(b) != 0 {
		return Link{}, errors.New("trailing bytes")
	}
	return l, nil
}

// checkTarget accepts only absolute http and https URLs with a host and no
// user info, so a token can never send a visitor to javascript:, data:,
// a scheme-relative //host or a look-alike user@host.
func checkTarget(target string) error {
	if target == "" {
		return errors.New("is required")
	}
	if len(target) > maxField {
		return fmt.Errorf("is longer than %d bytes", maxField)
	}
	if strings.ContainsAny(target, "\x00\r\n\t\\ ") {
		return errors.New("contains whitespace, control characters or backslashes")
	}
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("is not a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("must not carry user info")
	}
	return nil
}

// check validates the click event l stands for, so every minted token
// produces a valid event.
func (l *Link) check() error {
	e := l.event("check", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if l.TeamID == "" {
		return errors.New("team_id is required")
	}
	if !l.Expires.IsZero() && (l.Expires.Unix() <= 0 || l.Expires.Unix() > 1<<40) {
		return fmt.Errorf("expiry %s is out of range", l.Expires)
	}
	for _, f := range l.fields() {
		if len(*f) > maxField {
			return fmt.Errorf("a field is longer than %d bytes", maxField)
		}
	}
	return e.Validate(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
}
