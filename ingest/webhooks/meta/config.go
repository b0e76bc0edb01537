package meta

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
	// MaxBodyBytes bounds a webhook body. Default 4 MiB (Meta batches up to
	// 1000 items per request).
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

// AppConfig is what the receiver needs to know about one Meta app.
type AppConfig struct {
	Secret      webhooks.Secret // app secret, keys X-Hub-Signature-256
	VerifyToken webhooks.Secret // hub.verify_token expected in the GET handshake
}

// Apps looks up Meta apps and the Pages / Instagram accounts they serve.
// Both methods return an error wrapping webhooks.ErrNotFound for an unknown
// app or account; any other error makes the receiver answer 503.
type Apps interface {
	MetaApp(ctx context.Context, appID string) (AppConfig, error)
	// MetaAccount returns the team of a Page (channelType "facebook") or an
	// Instagram professional account (channelType "instagram") of app.
	MetaAccount(ctx context.Context, appID, channelType, accountID string) (teamID string, err error)
}

// Publisher writes a team's events durably (Kafka, acks=all).
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// DeadLetters records webhook items that could not become valid events.
type DeadLetters interface {
	DeadLetter(ctx context.Context, source string, raw []byte, reason string) error
}

// Deps are the receiver's collaborators. Apps, Publisher and DeadLetters
// are required; Logger defaults to slog.Default, Now to time.Now, and
// Registerer may be nil.
type Deps struct {
	Apps        Apps
	Publisher   Publisher
	DeadLetters DeadLetters
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Now         func() time.Time
}
