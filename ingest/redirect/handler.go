package redirect

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/pixel/bot"
)

// Route is the pattern the handler serves (GET, and HEAD without an event).
const Route = "GET /r/{token}"

// Handler is the click redirector.
type Handler struct {
	cfg     Config
	pub     Publisher
	log     *slog.Logger
	now     func() time.Time
	clicks  *clicks
	metrics *prometheus.CounterVec
}

// New returns a redirector; it fails if cfg is invalid or Publisher is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if d.Publisher == nil {
		errs = append(errs, errors.New("redirect: Deps.Publisher is required"))
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
		Namespace: "omnistream", Subsystem: "redirect", Name: "requests_total",
		Help: "Tracked link requests by outcome (click, repeat, bot, head, not_found, publish_failed).",
	}, []string{"outcome"})
	if d.Registerer != nil {
		if err := d.Registerer.Register(m); err != nil {
			return nil, errors.New("redirect: register metrics: " + err.Error())
		}
	}
	h := &Handler{
		cfg: cfg, pub: d.Publisher, log: d.Logger.With(slog.String("component", "redirect")), now: d.Now,
		clicks: newClicks(cfg.RecentClicks, cfg.DedupWindow), metrics: m,
	}
	return h, nil
}

// Register adds the handler's route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc(Route, h.redirect) }

// ServeHTTP serves /r/{token} for GET and HEAD. Paths are not cleaned or
// redirected: anything but a single token segment (/r//evil.test included)
// gets 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/r/")
	if !ok || token == "" || strings.Contains(token, "/") {
		h.notFound(w)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.SetPathValue("token", token)
	h.redirect(w, r)
}

// Sign mints a token with the signing key (Keys[0]).
func (h *Handler) Sign(l Link) (string, error) { return Sign(h.cfg.Keys[0], l) }

func (h *Handler) redirect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store, private")
	token := r.PathValue("token")
	now := h.now()
	if len(token) > h.cfg.MaxTokenLen {
		h.notFound(w)
		return
	}
	l, err := Verify(h.cfg.Keys, token, now)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "refused click token", slog.String("reason", err.Error()))
		h.notFound(w)
		return
	}
	target := withUTM(l.Target, h.params(&l))
	switch _, isBot := bot.Match(r.UserAgent()); {
	case r.Method == http.MethodHead:
		h.metrics.WithLabelValues("head").Inc()
	case isBot:
		h.metrics.WithLabelValues("bot").Inc()
	default:
		h.emit(r.Context(), token, &l, now)
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func (h *Handler) notFound(w http.ResponseWriter) {
	h.metrics.WithLabelValues("not_found").Inc()
	http.Error(w, "link not found", http.StatusNotFound)
}

func (h *Handler) emit(ctx context.Context, token string, l *Link, now time.Time) {
	raw, _ := base64.RawURLEncoding.DecodeString(token) // verified above
	id, repeat := h.clicks.id(raw[len(raw)-tagLen:], now)
	if repeat {
		h.metrics.WithLabelValues("repeat").Inc()
		return
	}
	e := l.event(id, now)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.PublishTimeout)
	defer cancel()
	if err := h.pub.Publish(ctx, l.TeamID, []event.Event{e}); err != nil {
		h.metrics.WithLabelValues("publish_failed").Inc()
		h.log.LogAttrs(ctx, slog.LevelError, "publish click; visitor redirected without it",
			slog.String("team", l.TeamID), slog.String("event_id", id), slog.Any("error", err))
		return
	}
	h.metrics.WithLabelValues("click").Inc()
}

// event is the button.clicked event of a click on l at ts.
func (l *Link) event(id string, ts time.Time) event.Event {
	kind := l.ButtonKind
	if kind == "" {
		kind = event.ButtonURL
	}
	f := event.Fields{ButtonKind: kind, ButtonID: l.ButtonID, URL: l.Target}
	props, _ := json.Marshal(&f) // a struct of strings cannot fail to encode
	return event.Event{
		EventID:   id,
		TeamID:    l.TeamID,
		Type:      event.ButtonClicked,
		TS:        event.MilliTime(ts),
		Channel:   event.Channel{Type: l.ChannelType, ID: l.ChannelID},
		Contact:   event.Contact{ChannelUserID: l.ContactID},
		Source:    event.Source{Kind: l.SourceKind, ID: l.SourceID, NodeID: l.NodeID},
		MessageID: l.MessageID,
		SendID:    l.SendID,
		Props:     props,
		Fields:    f,
	}
}

func (h *Handler) params(l *Link) []Param {
	rep := strings.NewReplacer(
		"{channel}", l.ChannelType, "{channel_id}", l.ChannelID, "{source_kind}", l.SourceKind,
		"{source_id}", l.SourceID, "{node_id}", l.NodeID, "{message_id}", l.MessageID, "{button_id}", l.ButtonID)
	out := make([]Param, 0, len(h.cfg.UTM))
	for _, p := range h.cfg.UTM {
		if v := rep.Replace(p.Value); v != "" {
			out = append(out, Param{Name: p.Name, Value: v})
		}
	}
	return out
}

// withUTM appends params that target's query does not already have. The
// target is edited as a string, so its existing query and fragment are kept
// byte for byte; the new parameters go at the end of the query.
func withUTM(target string, params []Param) string {
	base, frag, hasFrag := strings.Cut(target, "#")
	path, query, hasQuery := strings.Cut(base, "?")
	existing, _ := url.ParseQuery(query) // what parses is enough to know the names
	var add []string
	for _, p := range params {
		if _, ok := existing[p.Name]; ok {
			continue
		}
		add = append(add, url.QueryEscape(p.Name)+"="+url.QueryEscape(p.Value))
	}
	if len(add) == 0 {
		return target
	}
	switch {
	case !hasQuery || query == "":
		query = strings.Join(add, "&")
	case strings.HasSuffix(query, "&"):
		query += strings.Join(add, "&")
	default:
		query += "&" + strings.Join(add, "&")
	}
	out := path + "?" + query
	if hasFrag {
		out += "#" + frag
	}
	return out
}
