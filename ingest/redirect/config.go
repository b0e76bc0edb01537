package redirect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/ingest/event"
)

// Param is a query parameter added to every target. Value may contain
// placeholders filled from the link: {channel} (channel type), {channel_id},
// {source_kind}, {source_id}, {node_id}, {message_id}, {button_id}. A
// parameter whose value ends up empty is not added.
type Param struct {
	Name, Value string
}

// Config configures the redirector.
type Config struct {
	// Keys verify tokens; Keys[0] is the one senders sign with. Required,
	// each at least MinKeyLen bytes. Rotate by prepending a new key and
	// dropping the oldest once its links have expired.
	Keys []Key
	// UTM parameters added to targets that do not already carry them.
	// Default: utm_source={channel}, utm_medium={source_kind}, utm_campaign={source_id}.
	UTM []Param
	// DedupWindow: the same link opened again within it counts as one click.
	// Default 1s.
	DedupWindow time.Duration
	// RecentClicks bounds the in-memory table of recent clicks. Default 100000.
	RecentClicks int
	// PublishTimeout bounds how long a visitor waits on publishing the click
	// before being redirected anyway. Default 2s.
	PublishTimeout time.Duration
	// MaxTokenLen bounds the token's length in characters. Default 4096.
	MaxTokenLen int
}

// DefaultConfig returns the defaults documented on Config (without keys).
func DefaultConfig() Config {
	return Config{
		UTM: []Param{
			{Name: "utm_source", Value: "{channel}"},
			{Name: "utm_medium", Value: "{source_kind}"},
			{Name: "utm_campaign", Value: "{source_id}"},
		},
		DedupWindow:    time.Second,
		RecentClicks:   100_000,
		PublishTimeout: 2 * time.Second,
		MaxTokenLen:    4096,
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Keys) == 0 {
		errs = append(errs, errors.New("redirect: at least one key is required"))
	}
	for i, k := range c.Keys {
		if len(k) < MinKeyLen {
			errs = append(errs, fmt.Errorf("redirect: key %d is %d bytes, want at least %d", i, len(k), MinKeyLen))
		}
	}
	for i, p := range c.UTM {
		if p.Name == "" || strings.ContainsAny(p.Name, "&=# ") {
			errs = append(errs, fmt.Errorf("redirect: UTM parameter %d has an invalid name %q", i, p.Name))
		}
	}
	if c.DedupWindow < 0 {
		errs = append(errs, fmt.Errorf("redirect: DedupWindow must not be negative, got %s", c.DedupWindow))
	}
	if c.RecentClicks < 0 {
		errs = append(errs, fmt.Errorf("redirect: RecentClicks must not be negative, got %d", c.RecentClicks))
	}
	if c.PublishTimeout <= 0 {
		errs = append(errs, fmt.Errorf("redirect: PublishTimeout must be positive, got %s", c.PublishTimeout))
	}
	if c.MaxTokenLen < 64 {
		errs = append(errs, fmt.Errorf("redirect: MaxTokenLen must be at least 64, got %d", c.MaxTokenLen))
	}
	return errors.Join(errs...)
}

// Publisher writes a team's events durably (Kafka, acks=all).
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// Deps are the redirector's collaborators. Publisher is required; Logger
// defaults to slog.Default, Now to time.Now, Registerer may be nil.
type Deps struct {
	Publisher  Publisher
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}
