package line

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
	// MaxBodyBytes bounds a webhook body. Default 1 MiB; LINE batches are far smaller.
	MaxBodyBytes int64
	// RecentIDs is how many published event ids are remembered to answer
	// redeliveries without publishing again. Default 100000; 0 disables.
	RecentIDs int
	// RetryAfter is sent with 503 when publishing fails. Default 30s.
	RetryAfter time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 1 << 20, RecentIDs: 100_000, RetryAfter: 30 * time.Second}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error { return hook.Limits(c).Validate(Source) }

// ChannelConfig is what the receiver needs to know about one LINE channel.
type ChannelConfig struct {
	TeamID string
	Secret webhooks.Secret // the channel secret; prints as [redacted]
}

// Channels looks up a LINE channel by the id in the webhook URL. It returns
// an error wrapping webhooks.ErrNotFound for an unknown channel.
type Channels interface {
	LINEChannel(ctx context.Context, channelID string) (ChannelConfig, error)
}

// Publisher writes a team's events durably (Kafka, acks=all).
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// DeadLetters records webhook items that could not become valid events.
type DeadLetters interface {
	DeadLetter(ctx context.Context, source string, raw []byte, reason string) error
}

// Deps are the receiver's collaborators. Channels, Publisher and DeadLetters
// are required; Logger defaults to slog.Default, Now to time.Now, and
// Registerer may be nil (metrics are then not exported).
type Deps struct {
	Channels    Channels
	Publisher   Publisher
	DeadLetters DeadLetters
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Now         func() time.Time
}
