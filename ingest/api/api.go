// Package api is the authenticated ingest endpoint POST /v1/events.
//
// A request carries a JSON array of canonical events or NDJSON. The team
// comes from the API key (the teams middleware puts it in the context); a
// body team_id that disagrees is refused with 403. Every record is decoded
// and validated first; if any is invalid the request is refused with 400 and
// a per-record list of errors naming index and field, and nothing of it is
// written — so the caller fixes and resends the whole batch. Otherwise the
// events are published to Kafka and the answer 202 {"accepted": N} comes only
// after every record is acknowledged. Resending is always safe: duplicate
// event ids are dropped downstream.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/teams"
)

// Publisher writes one team's events to the event log and returns once they
// are durable.
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// Config limits requests.
type Config struct {
	// MaxBody is the largest accepted body in bytes. Default 8 MiB.
	MaxBody int64
	// MaxEvents is the most events in one request. Default 10000.
	MaxEvents int
	// PublishTimeout bounds the wait for Kafka. Default 30s.
	PublishTimeout time.Duration
	// RateLimit is the sustained requests per second one team may send;
	// Burst the requests it may send at once. Beyond them: 429 with
	// Retry-After. Defaults 200/s and 400; RateLimit 0 disables the limit.
	RateLimit float64
	Burst     int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxBody: 8 << 20, MaxEvents: 10000, PublishTimeout: 30 * time.Second, RateLimit: 200, Burst: 400}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBody < 1024 {
		errs = append(errs, fmt.Errorf("ingest api: max body must be at least 1024 bytes, got %d", c.MaxBody))
	}
	if c.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("ingest api: max events must be at least 1, got %d", c.MaxEvents))
	}
	if c.PublishTimeout <= 0 {
		errs = append(errs, fmt.Errorf("ingest api: publish timeout must be positive, got %s", c.PublishTimeout))
	}
	if c.RateLimit < 0 || (c.RateLimit > 0 && c.Burst < 1) {
		errs = append(errs, fmt.Errorf("ingest api: rate limit %v/s needs a burst of at least 1, got %d", c.RateLimit, c.Burst))
	}
	return errors.Join(errs...)
}

// Handler serves POST /v1/events.
type Handler struct {
	cfg    Config
	pub    Publisher
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// New returns the handler.
func New(cfg Config, pub Publisher, logger *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, pub: pub, logger: logger, now: time.Now, limiters: map[string]*rate.Limiter{}}, nil
}

// RecordError is one problem of one record.
type RecordError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method: use POST"})
		return
	}
	team, ok := teams.FromContext(r.Context())
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "authorization: send 'Authorization: Bearer <team API key>'"})
		return
	}
	if !h.allow(team.ID) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf("rate: more than %v requests per second for this team; retry after a second", h.cfg.RateLimit)})
		return
	}
	if r.ContentLength > h.cfg.MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body: %d bytes is larger than the limit of %d bytes; split the batch", r.ContentLength, h.cfg.MaxBody)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body: larger than the limit of %d bytes; split the batch", h.cfg.MaxBody)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body: " + err.Error()})
		return
	}
	recs, err := event.DecodeBatch(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string][]RecordError{"errors": {{Index: -1, Field: "body", Message: err.Error()}}})
		return
	}
	if len(recs) > h.cfg.MaxEvents {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body: %d events is more than the limit of %d per request; split the batch", len(recs), h.cfg.MaxEvents)})
		return
	}
	events := make([]event.Event, 0, len(recs))
	var errs []RecordError
	now := h.now()
	for i, raw := range recs {
		e, err := event.Decode(raw)
		if err == nil {
			if e.TeamID != "" && e.TeamID != team.ID {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": fmt.Sprintf("record %d: team_id %q does not match the API key's team", i, e.TeamID)})
				return
			}
			err = e.Validate(now)
		}
		if err != nil {
			var inv event.Invalid
			if errors.As(err, &inv) {
				for _, fe := range inv {
					errs = append(errs, RecordError{Index: i, Field: fe.Field, Message: fe.Message})
				}
			} else {
				errs = append(errs, RecordError{Index: i, Message: err.Error()})
			}
			continue
		}
		events = append(events, e)
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string][]RecordError{"errors": errs})
		return
	}
	if len(events) == 0 {
		writeJSON(w, http.StatusAccepted, map[string]int{"accepted": 0})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.PublishTimeout)
	defer cancel()
	if err := h.pub.Publish(ctx, team.ID, events); err != nil {
		h.logger.Warn("publish failed", "team", team.ID, "events", len(events), "err", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "event log unavailable; the batch was not accepted (part of it may be stored): retry the same request, duplicates are dropped"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": len(events)})
}

// allow takes a token of the team's bucket.
func (h *Handler) allow(team string) bool {
	if h.cfg.RateLimit == 0 {
		return true
	}
	h.mu.Lock()
	l := h.limiters[team]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(h.cfg.RateLimit), h.cfg.Burst)
		h.limiters[team] = l
	}
	h.mu.Unlock()
	return l.Allow()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
