package whatsapp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Routes are the patterns the handler serves.
const (
	RouteVerify  = "GET /webhooks/whatsapp/{number}"
	RouteReceive = "POST /webhooks/whatsapp/{number}"
)

// Source names this receiver in dead letters and metrics.
const Source = "whatsapp"

// Handler is the WhatsApp Cloud API webhook receiver.
type Handler struct {
	cfg     Config
	numbers Numbers
	sink    *hook.Sink
	log     *slog.Logger
	metrics *hook.Metrics
	mux     *http.ServeMux
}

// New returns a receiver; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if d.Numbers == nil {
		errs = append(errs, errors.New("whatsapp: Deps.Numbers is required"))
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("whatsapp: Deps.Publisher is required"))
	}
	if d.DeadLetters == nil {
		errs = append(errs, errors.New("whatsapp: Deps.DeadLetters is required"))
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
	log := d.Logger.With(slog.String("component", "webhooks.whatsapp"))
	m := hook.NewMetrics(d.Registerer)
	h := &Handler{
		cfg: cfg, numbers: d.Numbers, log: log, metrics: m,
		sink: &hook.Sink{
			Source: Source, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
			Recent: hook.NewRecent(cfg.RecentIDs), Logger: log, Now: d.Now, Metrics: m,
		},
		mux: http.NewServeMux(),
	}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(RouteVerify, h.verify)
	mux.HandleFunc(RouteReceive, h.receive)
}

// ServeHTTP serves the routes; other paths get 404 and other methods 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) number(w http.ResponseWriter, r *http.Request) (string, NumberConfig, bool) {
	id := r.PathValue("number")
	n, err := h.numbers.WhatsAppNumber(r.Context(), id)
	switch {
	case errors.Is(err, webhooks.ErrNotFound):
		h.metrics.Request(Source, "not_found")
		http.Error(w, "unknown number", http.StatusNotFound)
		return "", NumberConfig{}, false
	case err != nil:
		h.metrics.Request(Source, "unavailable")
		h.log.LogAttrs(r.Context(), slog.LevelError, "look up WhatsApp number", slog.String("number", id), slog.Any("error", err))
		hook.Unavailable(w, h.cfg.RetryAfter, "number lookup unavailable")
		return "", NumberConfig{}, false
	}
	return id, n, true
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	_, n, ok := h.number(w, r)
	if !ok {
		return
	}
	if hook.Handshake(w, r, n.VerifyToken) {
		h.metrics.Request(Source, "handshake_ok")
	} else {
		h.metrics.Request(Source, "handshake_refused")
	}
}

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	id, n, ok := h.number(w, r)
	if !ok {
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
	if !hook.VerifyHub(n.AppSecret, body, r.Header.Get("X-Hub-Signature-256")) {
		h.metrics.Request(Source, "unauthorized")
		http.Error(w, "missing or invalid X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	resolve := func(phoneNumberID string) (string, error) {
		if phoneNumberID == id {
			return n.TeamID, nil
		}
		other, err := h.numbers.WhatsAppNumber(ctx, phoneNumberID)
		return other.TeamID, err
	}
	var b hook.Batch
	if err := mapBody(body, resolve, &b); err != nil {
		h.metrics.Request(Source, "unavailable")
		h.log.LogAttrs(ctx, slog.LevelError, "look up WhatsApp number", slog.String("number", id), slog.Any("error", err))
		hook.Unavailable(w, h.cfg.RetryAfter, "number lookup unavailable")
		return
	}
	h.sink.Respond(w, r, &b, h.cfg.RetryAfter)
}

// Sign returns the X-Hub-Signature-256 header value for body, for tests and
// tools that replay webhooks.
func Sign(secret webhooks.Secret, body []byte) string { return hook.SignHub(secret, body) }
