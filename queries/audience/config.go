package audience

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the audience store and its HTTP handler.
type Config struct {
	// PreviewPageSize is how many members a preview page holds when the
	// caller does not say. Default 50.
	PreviewPageSize int
	// MaxPreviewPageSize caps the page size a caller may ask for. Default 500.
	MaxPreviewPageSize int
	// QueryTimeout bounds one evaluation (size, preview, list). Default 60s.
	QueryTimeout time.Duration
	// MaterializeTimeout bounds writing one snapshot. Default 10m.
	MaterializeTimeout time.Duration
	// MaxBodyBytes caps an HTTP request body. Default 1 MiB.
	MaxBodyBytes int64
	// Clock gives the time date conditions are evaluated at and audiences
	// are stamped with; nil means time.Now. Tests set it to run date
	// conditions at a fixed time. Snapshots always carry the wall clock,
	// because they expire 90 days after they are written.
	Clock func() time.Time
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		PreviewPageSize:    50,
		MaxPreviewPageSize: 500,
		QueryTimeout:       60 * time.Second,
		MaterializeTimeout: 10 * time.Minute,
		MaxBodyBytes:       1 << 20,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.PreviewPageSize < 1 {
		errs = append(errs, fmt.Errorf("audience: preview page size must be at least 1, got %d", c.PreviewPageSize))
	}
	if c.MaxPreviewPageSize < c.PreviewPageSize {
		errs = append(errs, fmt.Errorf("audience: max preview page size %d is below the default page size %d", c.MaxPreviewPageSize, c.PreviewPageSize))
	}
	if c.QueryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("audience: query timeout must be positive, got %v", c.QueryTimeout))
	}
	if c.MaterializeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("audience: materialize timeout must be positive, got %v", c.MaterializeTimeout))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("audience: max body bytes must be at least 1024, got %d", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}

func (c Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}
