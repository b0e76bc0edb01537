package pixel

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/pixel/bot"
)

// Routes are the patterns the handler serves.
const (
	RouteScript    = "GET /pixel.js"
	RouteCollect   = "POST /v1/pixel"
	RoutePreflight = "OPTIONS /v1/pixel"
)

//go:embed pixel.js
var script []byte

var scriptETag = func() string {
	sum := sha256.Sum256(script)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// Script returns the JavaScript served at /pixel.js.
func Script() []byte { return bytes.Clone(script) }

// Handler serves the pixel script and collects its reports.
type Handler struct {
	cfg     Config
	sites   Sites
	pub     Publisher
	log     *slog.Logger
	now     func() time.Time
	metrics *prometheus.CounterVec
	mux     *http.ServeMux
}

// New returns a pixel handler; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if d.Sites == nil {
		errs = append(errs, errors.New("pixel: Deps.Sites is required"))
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("pixel: Deps.Publisher is required"))
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
	m := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "omnistream", Subsystem: "pixel", Name: "reports_total",
		Help: "Pixel reports by outcome (pageview, order, bot, invalid, origin_refused, unknown_site, unavailable).",
	}, []string{"outcome"})
	if d.Registerer != nil {
		if err := d.Registerer.Register(m); err != nil {
			return nil, errors.New("pixel: register metrics: " + err.Error())
		}
	}
	h := &Handler{cfg: cfg, sites: d.Sites, pub: d.Publisher, log: d.Logger.With(slog.String("component", "pixel")),
		now: d.Now, metrics: m, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(RouteScript, h.serveScript)
	mux.HandleFunc(RouteCollect, h.collect)
	mux.HandleFunc(RoutePreflight, h.preflight)
}

// ServeHTTP serves the routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) serveScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.cfg.ScriptMaxAge/time.Second)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("ETag", scriptETag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, scriptETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(script)
}

// problem is a refusal: the status, and a message naming the field.
type problem struct {
	status  int
	field   string
	message string
}

func (p *problem) Error() string { return p.field + ": " + p.message }

func refuse(status int, field, format string, args ...any) *problem {
	return &problem{status: status, field: field, message: fmt.Sprintf(format, args...)}
}

func (h *Handler) fail(w http.ResponseWriter, p *problem, outcome string) {
	h.metrics.WithLabelValues(outcome).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.status)
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
		Field string `json:"field,omitempty"`
	}{p.message, p.field})
	_, _ = w.Write(append(b, '\n'))
}

// site resolves the site key of the query and checks the request's origin
// against the site's allowed origins. On success it sets the CORS headers.
func (h *Handler) site(w http.ResponseWriter, r *http.Request) (Site, *problem, string) {
	w.Header().Add("Vary", "Origin")
	key := r.URL.Query().Get("site")
	if key == "" {
		return Site{}, refuse(http.StatusBadRequest, "site", "the site key is required (?site=KEY, from the script tag's data-site)"), "invalid"
	}
	s, err := h.sites.PixelSite(r.Context(), key)
	switch {
	case errors.Is(err, ErrNotFound):
		return Site{}, refuse(http.StatusBadRequest, "site", "unknown site key %q", truncate(key, 64)), "unknown_site"
	case err != nil:
		h.log.LogAttrs(r.Context(), slog.LevelError, "look up pixel site", slog.Any("error", err))
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RetryAfter/time.Second)))
		return Site{}, refuse(http.StatusServiceUnavailable, "", "site lookup unavailable, retry later"), "unavailable"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		if ref := r.Referer(); ref != "" {
			if o, ok := refererOrigin(ref); ok {
				origin = o
			}
		}
	}
	if origin == "" {
		return Site{}, refuse(http.StatusForbidden, "Origin", "the Origin header is required"), "origin_refused"
	}
	if !originAllowed(origin, s.AllowedOrigins) {
		return Site{}, refuse(http.StatusForbidden, "Origin", "origin %q is not allowed to report for this site", truncate(origin, 128)), "origin_refused"
	}
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
	}
	return s, nil, ""
}

func refererOrigin(ref string) (string, bool) {
	scheme, rest, ok := strings.Cut(ref, "://")
	if !ok {
		return "", false
	}
	host, _, _ := strings.Cut(rest, "/")
	return normOrigin(scheme + "://" + host)
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if _, p, outcome := h.site(w, r); p != nil {
		h.fail(w, p, outcome)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	w.Header().Set("Access-Control-Max-Age", strconv.Itoa(int(h.cfg.PreflightMaxAge/time.Second)))
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) collect(w http.ResponseWriter, r *http.Request) {
	s, p, outcome := h.site(w, r)
	if p != nil {
		h.fail(w, p, outcome)
		return
	}
	if sig, isBot := bot.Match(r.UserAgent()); isBot {
		h.fail(w, refuse(http.StatusBadRequest, "User-Agent", "automated clients are not counted (matched %q)", sig), "bot")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "text/plain" && mt != "application/json") {
			h.fail(w, refuse(http.StatusUnsupportedMediaType, "Content-Type", "send JSON as text/plain or application/json, not %q", truncate(ct, 64)), "invalid")
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, refuse(http.StatusRequestEntityTooLarge, "", "the report is larger than %d bytes", h.cfg.MaxBodyBytes), "invalid")
			return
		}
		h.fail(w, refuse(http.StatusBadRequest, "", "could not read the body"), "invalid")
		return
	}
	e, p := h.build(&s, r.URL.Query().Get("site"), body)
	if p != nil {
		h.fail(w, p, "invalid")
		return
	}
	if err := h.pub.Publish(r.Context(), s.TeamID, []event.Event{e}); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "publish pixel report", slog.String("team", s.TeamID), slog.Any("error", err))
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RetryAfter/time.Second)))
		h.fail(w, refuse(http.StatusServiceUnavailable, "", "temporarily unavailable, retry later"), "unavailable")
		return
	}
	if e.Type == event.OrderPlaced {
		h.metrics.WithLabelValues("order").Inc()
	} else {
		h.metrics.WithLabelValues("pageview").Inc()
	}
	w.WriteHeader(http.StatusNoContent)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// newEventID returns a random id for reports without a usable client id.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "px-" + hex.EncodeToString(b[:])
}
