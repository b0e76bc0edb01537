package line

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Limits documented by LINE.
const (
	// MaxIDsPerRequest is the most user ids one Messaging API audience
	// request may carry.
	MaxIDsPerRequest = 10000
	// MaxDescription is the most characters of an audience's name.
	MaxDescription = 120
)

// Config configures a Client.
type Config struct {
	// APIURL is the Messaging API base URL. Default https://api.line.me.
	APIURL string
	// AdsURL is the LINE Ads API base URL. Default https://ads.line.me.
	AdsURL string
	// BatchSize is the user ids per Messaging API request, 1…10000.
	// Default 10000.
	BatchSize int
	// AdsFileRows is the hashes per LINE Ads upload file. LINE caps a file
	// at 62,914,560 bytes, about 960,000 hashes. Default 900000.
	AdsFileRows int
	// MaxAttempts is how many times one request is tried (rate limits and
	// server errors only). Default 6.
	MaxAttempts int
	// MinBackoff is the first wait between attempts; it doubles each time,
	// with jitter. Default 2s.
	MinBackoff time.Duration
	// MaxBackoff caps a wait. Default 2m.
	MaxBackoff time.Duration
	// RequestTimeout bounds one HTTP request. Default 2m.
	RequestTimeout time.Duration
	// Now gives the time LINE Ads requests are signed with; nil means
	// time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		APIURL: "https://api.line.me", AdsURL: "https://ads.line.me",
		BatchSize: MaxIDsPerRequest, AdsFileRows: 900000,
		MaxAttempts: 6, MinBackoff: 2 * time.Second, MaxBackoff: 2 * time.Minute, RequestTimeout: 2 * time.Minute,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"API URL": c.APIURL, "Ads URL": c.AdsURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("line: %s %q must be an http(s) URL", name, v))
		}
	}
	if c.BatchSize < 1 || c.BatchSize > MaxIDsPerRequest {
		errs = append(errs, fmt.Errorf("line: batch size must be 1-%d, got %d", MaxIDsPerRequest, c.BatchSize))
	}
	if c.AdsFileRows < 1 || c.AdsFileRows > 960000 {
		errs = append(errs, fmt.Errorf("line: ads file rows must be 1-960000, got %d", c.AdsFileRows))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("line: max attempts must be at least 1, got %d", c.MaxAttempts))
	}
	if c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("line: backoff must satisfy 0 < min (%v) <= max (%v)", c.MinBackoff, c.MaxBackoff))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("line: request timeout must be positive, got %v", c.RequestTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
