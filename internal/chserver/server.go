package chserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/internal/chdb"
)

// Engine runs SQL; *chdb.DB implements it. If it also has a
// DataDir() string method, spooled insert bodies default to a directory
// under it.
type Engine interface {
	QueryWith(ctx context.Context, sql, format string, o chdb.QueryOptions) (*chdb.Result, error)
	Stream(ctx context.Context, sql, format string, o chdb.QueryOptions) (*chdb.Stream, error)
	OpenSession() (*chdb.Session, error)
}

// Server serves an Engine over the ClickHouse HTTP interface.
type Server struct {
	cfg     Config
	eng     Engine
	log     *slog.Logger
	m       *metrics
	users   map[string]User
	tempDir string

	sessMu   sync.Mutex
	sessions map[sessionKey]*session
	stopReap context.CancelFunc

	lookup   atomic.Pointer[func(ctx context.Context, name string) (User, bool)]
	mu       sync.Mutex
	tz       string
	srv      *http.Server
	addr     string
	serveErr chan error
	closed   bool
}

// New returns a server for eng. It does not listen until Start or Run.
func New(cfg Config, eng Engine) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if eng == nil {
		return nil, errors.New("new chserver: engine is nil")
	}
	s := &Server{
		cfg:   cfg,
		eng:   eng,
		log:   cfg.Logger,
		m:     newMetrics(),
		users: make(map[string]User, len(cfg.Users)),
		tz:    "UTC",
	}
	for _, u := range cfg.Users {
		s.users[u.Name] = u
	}
	return s, nil
}

// Register adds the server's metrics to reg.
func (s *Server) Register(reg prometheus.Registerer) error {
	for _, c := range s.m.collectors() {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register chserver metrics: %w", err)
		}
	}
	return nil
}

// Handler returns the HTTP handler, for serving it on a listener of the
// caller's own.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on Config.Addr and serves in the background. It returns the
// bound address ("127.0.0.1:NNNNN" when the configured port is 0).
func (s *Server) Start(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("start chserver: server is closed")
	}
	if s.srv != nil {
		return s.addr, nil
	}
	// Each server spools into a directory of its own, which Close removes.
	base := s.cfg.TempDir
	if base == "" {
		base = os.TempDir()
		if d, ok := s.eng.(interface{ DataDir() string }); ok {
			base = filepath.Join(d.DataDir(), "tmp_http")
		}
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", fmt.Errorf("start chserver: create temp dir: %w", err)
	}
	dir, err := os.MkdirTemp(base, "server-*")
	if err != nil {
		return "", fmt.Errorf("start chserver: create temp dir: %w", err)
	}
	s.tempDir = dir
	if res, err := s.eng.QueryWith(ctx, "SELECT timezone()", "TSV", chdb.QueryOptions{}); err == nil {
		if tz := strings.TrimSpace(string(res.Data)); tz != "" {
			s.tz = tz
		}
	} else {
		return "", fmt.Errorf("start chserver: query engine timezone: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("start chserver: listen on %s: %w", s.cfg.Addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	reapCtx, stopReap := context.WithCancel(context.Background())
	s.stopReap = stopReap
	go s.reapSessions(reapCtx, 5*time.Second)
	s.serveErr = make(chan error, 1)
	go func(srv *http.Server) {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}(s.srv)
	s.log.Info("chserver listening", slog.String("addr", s.addr))
	return s.addr, nil
}

// Addr returns the bound address, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run starts the server if needed and serves until ctx is done, then shuts
// it down gracefully.
func (s *Server) Run(ctx context.Context) error {
	if _, err := s.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	errc := s.serveErr
	s.mu.Unlock()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("serve chserver on %s: %w", s.Addr(), err)
		}
		return nil
	case <-ctx.Done():
		return s.Close()
	}
}

// Close stops accepting requests, waits up to ShutdownTimeout for running
// ones, and removes spooled files. It does not close the engine.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err = srv.Shutdown(ctx); err != nil {
			err = fmt.Errorf("shut down chserver: %w", err)
			srv.Close()
		}
	}
	if s.stopReap != nil {
		s.stopReap()
	}
	s.closeSessions()
	if s.tempDir == "" {
		return err
	}
	if rmErr := os.RemoveAll(s.tempDir); rmErr != nil && err == nil {
		err = fmt.Errorf("remove chserver temp dir: %w", rmErr)
	}
	return err
}

// newQueryID returns a random UUID (version 4) string.
func newQueryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// SetLookup replaces Config.Lookup at run time (for accounts whose store
// opens after the server starts).
func (s *Server) SetLookup(fn func(ctx context.Context, name string) (User, bool)) {
	s.lookup.Store(&fn)
}
