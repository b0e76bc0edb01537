package pixel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/ingest/event"
)

// Config tunes the pixel.
type Config struct {
	// MaxBodyBytes bounds a report. Default 16 KiB.
	MaxBodyBytes int64
	// ScriptMaxAge is how long browsers and CDNs may cache pixel.js. Default 1h.
	ScriptMaxAge time.Duration
	// PreflightMaxAge is how long browsers may cache a CORS preflight. Default 10m.
	PreflightMaxAge time.Duration
	// RetryAfter is sent with 503 when publishing fails. Default 30s.
	RetryAfter time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 16 << 10, ScriptMaxAge: time.Hour, PreflightMaxAge: 10 * time.Minute, RetryAfter: 30 * time.Second}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("pixel: MaxBodyBytes must be positive, got %d", c.MaxBodyBytes))
	}
	if c.ScriptMaxAge < 0 {
		errs = append(errs, fmt.Errorf("pixel: ScriptMaxAge must not be negative, got %s", c.ScriptMaxAge))
	}
	if c.PreflightMaxAge < 0 {
		errs = append(errs, fmt.Errorf("pixel: PreflightMaxAge must not be negative, got %s", c.PreflightMaxAge))
	}
	if c.RetryAfter < time.Second {
		errs = append(errs, fmt.Errorf("pixel: RetryAfter must be at least 1s, got %s", c.RetryAfter))
	}
	return errors.Join(errs...)
}

// ErrNotFound is returned (possibly wrapped) by Sites for an unknown site key.
var ErrNotFound = errors.New("pixel site not found")

// Site is one website of a team.
type Site struct {
	TeamID string
	SiteID string // the channel id of the site's events
	// AllowedOrigins are the origins that may report for the site:
	// "https://shop.example", or "https://*.shop.example" for any subdomain.
	AllowedOrigins []string
}

// Sites looks up a site by the public key in the script tag.
type Sites interface {
	PixelSite(ctx context.Context, key string) (Site, error)
}

// Publisher writes a team's events durably (Kafka, acks=all).
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// Deps are the pixel's collaborators. Sites and Publisher are required;
// Logger defaults to slog.Default, Now to time.Now, Registerer may be nil.
type Deps struct {
	Sites      Sites
	Publisher  Publisher
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// ValidateOrigins checks a site's AllowedOrigins, for the code that stores sites.
func ValidateOrigins(origins []string) error {
	var errs []error
	for _, o := range origins {
		u, err := url.Parse(o)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("origin %q: %w", o, err))
		case u.Scheme != "https" && u.Scheme != "http":
			errs = append(errs, fmt.Errorf("origin %q: scheme must be http or https", o))
		case u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			errs = append(errs, fmt.Errorf("origin %q: must be scheme://host[:port] only", o))
		case strings.Contains(strings.TrimPrefix(u.Host, "*."), "*"):
			errs = append(errs, fmt.Errorf("origin %q: a wildcard is only allowed as the first label", o))
		}
	}
	return errors.Join(errs...)
}

// originAllowed reports whether origin (an Origin header) matches one of
// allowed. Scheme and host compare case-insensitively; default ports are
// equivalent to none; "*." matches one or more subdomain labels but not the
// bare domain.
func originAllowed(origin string, allowed []string) bool {
	o, ok := normOrigin(origin)
	if !ok {
		return false
	}
	for _, a := range allowed {
		pat, ok := normOrigin(a)
		if !ok {
			continue
		}
		if pat == o {
			return true
		}
		scheme, host, found := strings.Cut(pat, "://*.")
		if found && strings.HasPrefix(o, scheme+"://") && strings.HasSuffix(o, "."+host) {
			return true
		}
	}
	return false
}

func normOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return u.Scheme + "://" + host, true
}
