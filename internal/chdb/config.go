package chdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Version is the chDB library version this package is tested with and that
// `make chdb` installs.
const Version = "26.5.3"

// DefaultLibPath returns where `make chdb` installs libchdb.so:
// ${XDG_CACHE_HOME:-$HOME/.cache}/omnistream/chdb/<Version>/libchdb.so.
func DefaultLibPath() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "omnistream", "chdb", Version, "libchdb.so")
}

// Config configures an embedded engine.
type Config struct {
	// LibPath is the path of libchdb.so. Default: DefaultLibPath().
	LibPath string
	// DataDir is the directory holding the databases. Required; created if
	// missing.
	DataDir string
	// MaxConcurrent bounds the queries running at once; further calls wait.
	// Default: 8.
	MaxConcurrent int
	// CloseTimeout is how long Close waits for running queries before it
	// cancels them, and then again for them to stop. Default: 30 s.
	CloseTimeout time.Duration
	// Args are extra engine start-up options (e.g. "--log-level=warning"),
	// consumed by the first connection. Default: none.
	Args []string
	// Logger receives lifecycle messages. Default: slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default filled in except DataDir.
func DefaultConfig() Config {
	return Config{
		LibPath:       DefaultLibPath(),
		MaxConcurrent: 8,
		CloseTimeout:  30 * time.Second,
		Logger:        slog.Default(),
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.LibPath == "" {
		errs = append(errs, errors.New("LibPath is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir is empty"))
	} else if c.DataDir == ":memory:" {
		errs = append(errs, errors.New("DataDir must be a directory, not :memory:"))
	}
	if c.MaxConcurrent <= 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrent is %d, want > 0", c.MaxConcurrent))
	}
	if c.CloseTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CloseTimeout is %v, want > 0", c.CloseTimeout))
	}
	for _, a := range c.Args {
		if !strings.HasPrefix(a, "--") {
			errs = append(errs, fmt.Errorf("Args: %q does not start with --", a))
		}
		if strings.HasPrefix(a, "--path") {
			errs = append(errs, fmt.Errorf("Args: %q: set DataDir instead", a))
		}
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("Logger is nil"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid chdb config: %w", err)
	}
	return nil
}
