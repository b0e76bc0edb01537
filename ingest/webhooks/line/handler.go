package line

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Route is the pattern the handler serves.
const Route = "POST /webhooks/line/{channel}"

// Source names this receiver in dead letters and metrics.
const Source = "line"

// Handler is the LINE webhook receiver.
type Handler struct {
	cfg      Config
	channels Channels
	sink     *hook.Sink
	log      *slog.Logger
	metrics  *hook.Metrics
	mux      *http.ServeMux
}

// New returns a receiver; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if d.Channels == nil {
		errs = append(errs, errors.New("line: Deps.Channels is required"))
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("line: Deps.Publisher is required"))
	}
	if d.DeadLetters == nil {
		errs = append(errs, errors.New("line: Deps.DeadLetters is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Logger.With(slog.String("component", "webhooks.line"))
	m := hook.NewMetrics(d.Registerer)
	h := &Handler{
		cfg:      cfg,
		channels: d.Channels,
		log:      log,
		metrics:  m,
		sink: &hook.Sink{
			Source: Source, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
			Recent: hook.NewRecent(cfg.RecentIDs), Logger: log, Now: d.Now, Metrics: m,
		},
		mux: http.NewServeMux(),
	}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc(Route, h.receive) }

// ServeHTTP serves Route; other paths get 404 and other methods 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	channelID := r.PathValue("channel")
	ch, err := h.channels.LINEChannel(ctx, channelID)
	switch {
	case errors.Is(err, webhooks.ErrNotFound):
		h.metrics.Request(Source, "not_found")
		http.Error(w, "unknown channel", http.StatusNotFound)
		return
	case err != nil:
		h.metrics.Request(Source, "unavailable")
		h.log.LogAttrs(ctx, slog.LevelError, "look up LINE channel", slog.String("channel", channelID), slog.Any("error", err))
		hook.Unavailable(w, h.cfg.RetryAfter, "channel lookup unavailable")
		return
	}
	body, err := hook.ReadBody(w, r, h.cfg.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, hook.ErrTooLarge) {
			h.metrics.Request(Source, "too_large")
			http.Error(w, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		h.metrics.Request(Source, "bad_request")
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if !Verify(ch.Secret, body, r.Header.Get("X-Line-Signature")) {
		h.metrics.Request(Source, "unauthorized")
		http.Error(w, "missing or invalid X-Line-Signature", http.StatusUnauthorized)
		return
	}
	var b hook.Batch
	mapBody(channelID, ch.TeamID, body, &b)
	h.sink.Respond(w, r, &b, h.cfg.RetryAfter)
}

// Verify reports whether signature (the X-Line-Signature header) is the
// base64 HMAC-SHA256 of body keyed with the channel secret. The comparison is
// constant-time; an empty secret never verifies.
func Verify(secret webhooks.Secret, body []byte, signature string) bool {
	if secret.Empty() || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(secret, body))
}

// Sign returns the raw HMAC-SHA256 of body keyed with secret; base64 of it is
// the X-Line-Signature value. For tests and tools that replay webhooks.
func Sign(secret webhooks.Secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret.Bytes())
	mac.Write(body)
	return mac.Sum(nil)
}
