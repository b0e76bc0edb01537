package meta

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
	RouteVerify  = "GET /webhooks/meta/{app}"
	RouteReceive = "POST /webhooks/meta/{app}"
)

// Source names this receiver in dead letters and metrics.
const Source = "meta"

// Handler is the Messenger and Instagram webhook receiver.
type Handler struct {
	cfg     Config
	apps    Apps
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
	if d.Apps == nil {
		errs = append(errs, errors.New("meta: Deps.Apps is required"))
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("meta: Deps.Publisher is required"))
	}
	if d.DeadLetters == nil {
		errs = append(errs, errors.New("meta: Deps.DeadLetters is required"))
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
	log := d.Logger.With(slog.String("component", "webhooks.meta"))
	m := hook.NewMetrics(d.Registerer)
	h := &Handler{
		cfg: cfg, apps: d.Apps, log: log, metrics: m,
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

// app looks the app up and answers the request itself when it cannot.
func (h *Handler) app(w http.ResponseWriter, r *http.Request) (string, AppConfig, bool) {
	appID := r.PathValue("app")
	app, err := h.apps.MetaApp(r.Context(), appID)
	switch {
	case errors.Is(err, webhooks.ErrNotFound):
		h.metrics.Request(Source, "not_found")
		http.Error(w, "unknown app", http.StatusNotFound)
		return "", AppConfig{}, false
	case err != nil:
		h.metrics.Request(Source, "unavailable")
		h.log.LogAttrs(r.Context(), slog.LevelError, "look up Meta app", slog.String("app", appID), slog.Any("error", err))
		hook.Unavailable(w, h.cfg.RetryAfter, "app lookup unavailable")
		return "", AppConfig{}, false
	}
	return appID, app, true
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	_, app, ok := h.app(w, r)
	if !ok {
		return
	}
	if hook.Handshake(w, r, app.VerifyToken) {
		h.metrics.Request(Source, "handshake_ok")
	} else {
		h.metrics.Request(Source, "handshake_refused")
	}
}

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	appID, app, ok := h.app(w, r)
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
	if !hook.VerifyHub(app.Secret, body, r.Header.Get("X-Hub-Signature-256")) {
		h.metrics.Request(Source, "unauthorized")
		http.Error(w, "missing or invalid X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	resolve := func(channelType, accountID string) (string, error) {
		return h.apps.MetaAccount(ctx, appID, channelType, accountID)
	}
	var b hook.Batch
	if err := mapBody(body, resolve, &b); err != nil {
		h.metrics.Request(Source, "unavailable")
		h.log.LogAttrs(ctx, slog.LevelError, "look up Meta account", slog.String("app", appID), slog.Any("error", err))
		hook.Unavailable(w, h.cfg.RetryAfter, "account lookup unavailable")
		return
	}
	h.sink.Respond(w, r, &b, h.cfg.RetryAfter)
}

// Sign returns the X-Hub-Signature-256 header value for body, for tests and
// tools that replay webhooks.
func Sign(secret webhooks.Secret, body []byte) string { return hook.SignHub(secret, body) }

// MessageID is the message_id Omnistream records for a Meta mid: the mid
// itself, or a stable "sha256:" digest when it is longer than the envelope
// allows (Instagram mids can be). Code that records message.sent for
// Messenger or Instagram must use it too, so receipts join their sends.
func MessageID(mid string) string { return hook.ShortID(mid) }
