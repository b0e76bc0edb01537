package webhooks

import (
	"errors"
	"fmt"
	"log/slog"
)

// ErrNotFound is returned (possibly wrapped) by channel, app and number
// lookups when the identifier is not configured. Handlers answer 404 for it
// and 503 for any other lookup error, so the platform retries those.
var ErrNotFound = errors.New("not found")

// Secret is a shared secret: a LINE channel secret, a Meta app secret or a
// webhook verify token. Every formatting path (fmt verbs, slog, JSON) prints
// "[redacted]", so a config struct holding one can be logged safely. Use
// string(s) or Bytes where the value itself is needed.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]" for %#v.
func (Secret) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the secret out of slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the secret out of JSON dumps of configuration.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText keeps the secret out of text encodings.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Bytes returns the secret's value for use as an HMAC key.
func (s Secret) Bytes() []byte { return []byte(s) }

// Empty reports whether no secret is set.
func (s Secret) Empty() bool { return s == "" }
