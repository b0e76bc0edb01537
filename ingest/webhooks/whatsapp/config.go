package whatsapp

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Config tunes the receiver.
type Config struct {
	// MaxBodyBytes bounds a webhook body. Default 4 MiB.
	MaxBodyBytes int64
	// RecentIDs is how many published event ids are remembered to answer
	// redeliveries without publishing again. Default 100000; 0 disables.
	RecentIDs int
	// RetryAfter is sent with 503 when publishing fails. Default 30s.
	RetryAfter time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 4 << 20, RecentIDs: 100_000, RetryAfter: 30 * time.Second}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error { return hook.Limits(c).Validate(Source) }

// NumberConfig is what the receiver needs to know about one business phone
// number.
type NumberConfig struct {
	TeamID      string
	AppSecret   webhooks.Secret // secret of the Meta app the number's webhooks come from
	VerifyToken webhooks.Secret // hub.verify_token expected in the GET handshake
}

// Numbers looks up a business phone number by its phone number id. It
// returns an error wrapping webhooks.ErrNotFound for an unknown number; any
// other error makes the receiver answer 503.
type Numbers interface {
	WhatsAppNumber(ctx context.Context, phoneNumberID string) (NumberConfig, error)
}

// Publisher writes a team's events durably (Kafka, acks=all).
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// DeadLetters records webhook items that could not become valid events.
type DeadLetters interface {
	DeadLetter(ctx context.Context, source string, raw []byte, reason string) error
}

// Deps are the receiver's collaborators. Numbers, Publisher and DeadLetters
// are required; Logger defaults to slog.Default, Now to time.Now, and
// Registerer may be nil.
type Deps struct {
	Numbers     Numbers
	Publisher   Publisher
	DeadLetters DeadLetters
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Now         func() time.Time
}
