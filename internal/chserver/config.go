package chserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// User is an account of the HTTP interface.
type User struct {
	// Name is the user name clients send (X-ClickHouse-User, basic auth or
	// user=).
	Name string
	// Password is compared in constant time; empty means none.
	Password string
	// ReadOnly runs every query of the user with readonly=1: no writes, no
	// DDL, no SET of readonly.
	ReadOnly bool
	// PasswordSHA256, when set, is the hex SHA-256 of the password and is
	// checked instead of Password (for users kept in storage).
	PasswordSHA256 string
	// Database, when set, is the only current database of the user's
	// queries: the database parameter is ignored.
	Database string
	// Databases, when set, confine the user to SELECT queries that read
	// only tables and views of these databases: the server resolves each
	// query (EXPLAIN QUERY TREE) and refuses table functions other than
	// numbers/zeros, functions that read other tables (joinGet, dictGet…,
	// file, …) and any table elsewhere. Implies ReadOnly.
	Databases []string
}

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address. It must be a loopback address; port 0
	// picks a free port (see Server.Start). Default: "127.0.0.1:8123".
	Addr string
	// Users are the accounts. Default: one user "default" with no password
	// and full access.
	Users []User
	// Lookup, when set, finds users that are not in Users (for example
	// accounts created at run time). Default: nil.
	Lookup func(ctx context.Context, name string) (User, bool)
	// TempDir is where each server makes a directory for spooled insert
	// bodies, removed by Close. Default: "<engine data dir>/tmp_http".
	TempDir string
	// MaxBodyBytes bounds a request body (compressed size on the wire and,
	// separately, decompressed size). Default: 4 GiB.
	MaxBodyBytes int64
	// MaxQueryBytes bounds query text read from the body. Default: 16 MiB.
	MaxQueryBytes int64
	// QueryTimeout bounds one query's run time; 0 means none. A client's
	// max_execution_time setting may lower it. Default: 10 minutes.
	QueryTimeout time.Duration
	// ReadHeaderTimeout bounds reading request headers. Default: 10 s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections. Default: 2 minutes.
	IdleTimeout time.Duration
	// MaxSessions bounds the open sessions (session_id=). Default: 100.
	MaxSessions int
	// DefaultSessionTimeout closes a session idle this long, unless the
	// client asks for another session_timeout. Default: 60 s.
	DefaultSessionTimeout time.Duration
	// MaxSessionTimeout is the largest session_timeout a client may ask
	// for. Default: 1 hour.
	MaxSessionTimeout time.Duration
	// ShutdownTimeout bounds how long Close waits for running requests.
	// Default: 30 s.
	ShutdownTimeout time.Duration
	// Logger receives request errors and lifecycle messages. Default:
	// slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Addr:                  "127.0.0.1:8123",
		Users:                 []User{{Name: "default"}},
		MaxBodyBytes:          4 << 30,
		MaxQueryBytes:         16 << 20,
		QueryTimeout:          10 * time.Minute,
		ReadHeaderTimeout:     10 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ShutdownTimeout:       30 * time.Second,
		MaxSessions:           100,
		DefaultSessionTimeout: 60 * time.Second,
		MaxSessionTimeout:     time.Hour,
		Logger:                slog.Default(),
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("Addr %q: %w", c.Addr, err))
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("Addr %q: host must be a loopback address", c.Addr))
	}
	if len(c.Users) == 0 {
		errs = append(errs, errors.New("Users is empty"))
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		if u.Name == "" {
			errs = append(errs, fmt.Errorf("Users[%d]: Name is empty", i))
		}
		if seen[u.Name] {
			errs = append(errs, fmt.Errorf("Users[%d]: duplicate name %q", i, u.Name))
		}
		seen[u.Name] = true
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("MaxBodyBytes is %d, want > 0", c.MaxBodyBytes))
	}
	if c.MaxQueryBytes <= 0 {
		errs = append(errs, fmt.Errorf("MaxQueryBytes is %d, want > 0", c.MaxQueryBytes))
	}
	if c.QueryTimeout < 0 {
		errs = append(errs, fmt.Errorf("QueryTimeout is %v, want >= 0", c.QueryTimeout))
	}
	if c.ReadHeaderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("ReadHeaderTimeout is %v, want > 0", c.ReadHeaderTimeout))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, fmt.Errorf("IdleTimeout is %v, want > 0", c.IdleTimeout))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("ShutdownTimeout is %v, want > 0", c.ShutdownTimeout))
	}
	if c.MaxSessions <= 0 {
		errs = append(errs, fmt.Errorf("MaxSessions is %d, want > 0", c.MaxSessions))
	}
	if c.DefaultSessionTimeout <= 0 || c.DefaultSessionTimeout > c.MaxSessionTimeout {
		errs = append(errs, fmt.Errorf("DefaultSessionTimeout is %v, want > 0 and <= MaxSessionTimeout (%v)", c.DefaultSessionTimeout, c.MaxSessionTimeout))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("Logger is nil"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid chserver config: %w", err)
	}
	return nil
}
