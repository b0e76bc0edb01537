package meta

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Limits documented by Meta.
const (
	// MaxUsersPerRequest is the most rows one /users or /usersreplace
	// request may carry.
	MaxUsersPerRequest = 10000
	// MaxEventsPerRequest is the most events one Conversions API request
	// may carry.
	MaxEventsPerRequest = 1000
)

// Config configures a Client.
type Config struct {
	// GraphURL is the Graph API base URL. Default https://graph.facebook.com.
	GraphURL string
	// APIVersion is the Graph API version path segment. Default v25.0.
	APIVersion string
	// BatchSize is the rows per audience request, 1…10000. Default 10000.
	BatchSize int
	// EventBatchSize is the events per Conversions API request, 1…1000.
	// Default 1000.
	EventBatchSize int
	// MaxAttempts is how many times one request is tried before its error is
	// returned (rate limits and transient errors only). Default 6.
	MaxAttempts int
	// MinBackoff is the wait after the first failed attempt; it doubles with
	// each further attempt, with jitter. Default 2s.
	MinBackoff time.Duration
	// MaxBackoff caps one wait, also one asked for with Retry-After.
	// Default 2m.
	MaxBackoff time.Duration
	// RequestTimeout bounds one HTTP request. Default 2m.
	RequestTimeout time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		GraphURL:       "https://graph.facebook.com",
		APIVersion:     "v25.0",
		BatchSize:      MaxUsersPerRequest,
		EventBatchSize: MaxEventsPerRequest,
		MaxAttempts:    6,
		MinBackoff:     2 * time.Second,
		MaxBackoff:     2 * time.Minute,
		RequestTimeout: 2 * time.Minute,
	}
}

var versionRe = regexp.MustCompile(`^v\d+\.\d+$`)

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.GraphURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("meta: graph URL %q must be an http(s) URL", c.GraphURL))
	}
	if !versionRe.MatchString(c.APIVersion) {
		errs = append(errs, fmt.Errorf("meta: API version %q must look like v25.0", c.APIVersion))
	}
	if c.BatchSize < 1 || c.BatchSize > MaxUsersPerRequest {
		errs = append(errs, fmt.Errorf("meta: batch size must be 1-%d, got %d", MaxUsersPerRequest, c.BatchSize))
	}
	if c.EventBatchSize < 1 || c.EventBatchSize > MaxEventsPerRequest {
		errs = append(errs, fmt.Errorf("meta: event batch size must be 1-%d, got %d", MaxEventsPerRequest, c.EventBatchSize))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("meta: max attempts must be at least 1, got %d", c.MaxAttempts))
	}
	if c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("meta: backoff must satisfy 0 < min (%v) <= max (%v)", c.MinBackoff, c.MaxBackoff))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("meta: request timeout must be positive, got %v", c.RequestTimeout))
	}
	return errors.Join(errs...)
}
