package adsync

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the runner, the scheduler and the HTTP API.
type Config struct {
	// PageSize is how many snapshot members one ClickHouse read returns
	// while uploading. Default 10000.
	PageSize int
	// ProgressEvery is the least time between two progress updates of a
	// running run's history row. Default 2s.
	ProgressEvery time.Duration
	// RunTimeout bounds one run, waiting for the previous run of the same
	// audience included. Default 3h.
	RunTimeout time.Duration
	// NextRuns is how many upcoming runs the API lists. Default 10.
	NextRuns int
	// HistoryLimit is how many runs the history endpoint returns. Default 100.
	HistoryLimit int
	// CatchUp runs a schedule once when the scheduler starts if its last
	// due run was missed while the process was down (however many were
	// missed). Default true.
	CatchUp bool
	// MaxBodyBytes caps an HTTP request body. Default 64 KiB.
	MaxBodyBytes int64
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		PageSize: 10000, ProgressEvery: 2 * time.Second, RunTimeout: 3 * time.Hour,
		NextRuns: 10, HistoryLimit: 100, CatchUp: true, MaxBodyBytes: 64 << 10,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.PageSize < 1 || c.PageSize > 1000000 {
		errs = append(errs, fmt.Errorf("adsync: page size must be 1-1000000, got %d", c.PageSize))
	}
	if c.ProgressEvery < 0 {
		errs = append(errs, fmt.Errorf("adsync: progress interval must not be negative, got %v", c.ProgressEvery))
	}
	if c.RunTimeout <= 0 {
		errs = append(errs, fmt.Errorf("adsync: run timeout must be positive, got %v", c.RunTimeout))
	}
	if c.NextRuns < 1 || c.NextRuns > 1000 {
		errs = append(errs, fmt.Errorf("adsync: next runs must be 1-1000, got %d", c.NextRuns))
	}
	if c.HistoryLimit < 1 {
		errs = append(errs, fmt.Errorf("adsync: history limit must be at least 1, got %d", c.HistoryLimit))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("adsync: max body bytes must be at least 1024, got %d", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}
