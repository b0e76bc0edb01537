package hook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/ingest/webhooks"
)

// Limits are the fields every receiver's Config holds, in the same order and
// of the same types, so a receiver converts its Config with Limits(cfg).
type Limits struct {
	MaxBodyBytes int64         // bound of a webhook body, bytes
	RecentIDs    int           // size of the recent-id cache; 0 disables it
	RetryAfter   time.Duration // sent with 503
}

// Validate reports every problem of l at once, each prefixed with source.
func (l Limits) Validate(source string) error {
	var errs []error
	if l.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("%s: MaxBodyBytes must be positive, got %d", source, l.MaxBodyBytes))
	}
	if l.RecentIDs < 0 {
		errs = append(errs, fmt.Errorf("%s: RecentIDs must not be negative, got %d", source, l.RecentIDs))
	}
	if l.RetryAfter < time.Second {
		errs = append(errs, fmt.Errorf("%s: RetryAfter must be at least 1s, got %s", source, l.RetryAfter))
	}
	return errors.Join(errs...)
}

// Platform is what differs between receivers; C is the configuration of the
// channel, app or number named in the request path.
type Platform[C any] struct {
	// Source is "line", "meta" or "whatsapp": the dead-letter source, metric
	// label, error prefix and, as "webhooks."+Source, the log component.
	Source string
	// Name is the platform as log messages spell it: "LINE", "Meta", "WhatsApp".
	Name string
	// Param is the path wildcard holding the configured id ("channel", "app",
	// "number"). It also names the id in answers ("unknown app") and log attributes.
	Param string
	// LookupField is the Deps field holding the lookup, for the error New
	// returns when it is missing: "Channels", "Apps", "Numbers".
	LookupField string
	// Lookup returns the configuration of id, or an error wrapping
	// webhooks.ErrNotFound (answered 404); any other error is answered 503.
	Lookup func(ctx context.Context, id string) (C, error)
	// VerifyToken returns the hub.verify_token of the GET handshake; nil when
	// the platform has no handshake.
	VerifyToken func(c C) webhooks.Secret
	// SignatureHeader is the header carrying the body's signature.
	SignatureHeader string
	// Verify reports whether signature (the header's value) signs body.
	Verify func(c C, body []byte, signature string) bool
	// Map fills b from a verified body. An error means a lookup Map needed
	// failed, and is answered 503 "<Resolves> lookup unavailable".
	Map func(ctx context.Context, id string, c C, body []byte, b *Batch) error
	// Resolves names what Map looks up ("account", "number"), in answers and logs.
	Resolves string
}

// Deps are a receiver's collaborators, as the receivers' own Deps hold them.
// Lookup (the receiver's Channels, Apps or Numbers, only checked for nil),
// Publisher and DeadLetters are required; Logger defaults to slog.Default,
// Now to time.Now, and Registerer may be nil.
type Deps struct {
	Lookup      any
	Publisher   Publisher
	DeadLetters DeadLetters
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Now         func() time.Time
}

// Receiver is the request plumbing of one webhook receiver: look up the
// configuration named in the path, read the bounded body, verify its
// signature, map it, and deliver the Batch through a Sink.
type Receiver[C any] struct {
	p       Platform[C]
	lim     Limits
	sink    *Sink
	log     *slog.Logger
	metrics *Metrics
}

// NewReceiver returns the receiver of p; it fails with every problem at once
// if lim is invalid or a required dependency is missing.
func NewReceiver[C any](p Platform[C], lim Limits, d Deps) (*Receiver[C], error) {
	var errs []error
	if err := lim.Validate(p.Source); err != nil {
		errs = append(errs, err)
	}
	if d.Lookup == nil {
		errs = append(errs, fmt.Errorf("%s: Deps.%s is required", p.Source, p.LookupField))
	}
	if d.Publisher == nil {
		errs = append(errs, fmt.Errorf("%s: Deps.Publisher is required", p.Source))
	}
	if d.DeadLetters == nil {
		errs = append(errs, fmt.Errorf("%s: Deps.DeadLetters is required", p.Source))
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
	log := d.Logger.With(slog.String("component", "webhooks."+p.Source))
	m := NewMetrics(d.Registerer)
	return &Receiver[C]{
		p: p, lim: lim, log: log, metrics: m,
		sink: &Sink{
			Source: p.Source, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
			Recent: NewRecent(lim.RecentIDs), Logger: log, Now: d.Now, Metrics: m,
		},
	}, nil
}

// lookup finds the configuration named in the path and answers the request
// itself when it cannot: 404 for an unknown id, 503 for a failed lookup.
func (rc *Receiver[C]) lookup(w http.ResponseWriter, r *http.Request) (string, C, bool) {
	id := r.PathValue(rc.p.Param)
	c, err := rc.p.Lookup(r.Context(), id)
	switch {
	case errors.Is(err, webhooks.ErrNotFound):
		rc.metrics.Request(rc.p.Source, "not_found")
		http.Error(w, "unknown "+rc.p.Param, http.StatusNotFound)
		return "", c, false
	case err != nil:
		rc.unavailable(w, r, id, rc.p.Param, err)
		return "", c, false
	}
	return id, c, true
}

// unavailable logs a failed lookup of what and answers 503 with Retry-After.
func (rc *Receiver[C]) unavailable(w http.ResponseWriter, r *http.Request, id, what string, err error) {
	rc.metrics.Request(rc.p.Source, "unavailable")
	rc.log.LogAttrs(r.Context(), slog.LevelError, "look up "+rc.p.Name+" "+what,
		slog.String(rc.p.Param, id), slog.Any("error", err))
	Unavailable(w, rc.lim.RetryAfter, what+" lookup unavailable")
}

// Handshake serves the GET subscription handshake (see the package function
// Handshake) with the verify token of the configuration named in the path.
func (rc *Receiver[C]) Handshake(w http.ResponseWriter, r *http.Request) {
	_, c, ok := rc.lookup(w, r)
	if !ok {
		return
	}
	if Handshake(w, r, rc.p.VerifyToken(c)) {
		rc.metrics.Request(rc.p.Source, "handshake_ok")
	} else {
		rc.metrics.Request(rc.p.Source, "handshake_refused")
	}
}

// Receive serves a webhook POST: 404 for an unknown id, 413 for a body over
// MaxBodyBytes, 400 for one that cannot be read, 401 for a missing or wrong
// signature (checked before anything is parsed), 503 when a lookup fails;
// otherwise the Sink delivers the mapped Batch and answers.
func (rc *Receiver[C]) Receive(w http.ResponseWriter, r *http.Request) {
	id, c, ok := rc.lookup(w, r)
	if !ok {
		return
	}
	body, err := ReadBody(w, r, rc.lim.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			rc.metrics.Request(rc.p.Source, "too_large")
			http.Error(w, fmt.Sprintf("body larger than %d bytes", rc.lim.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		rc.metrics.Request(rc.p.Source, "bad_request")
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if !rc.p.Verify(c, body, r.Header.Get(rc.p.SignatureHeader)) {
		rc.metrics.Request(rc.p.Source, "unauthorized")
		http.Error(w, "missing or invalid "+rc.p.SignatureHeader, http.StatusUnauthorized)
		return
	}
	var b Batch
	if err := rc.p.Map(r.Context(), id, c, body, &b); err != nil {
		rc.unavailable(w, r, id, rc.p.Resolves, err)
		return
	}
	rc.sink.Respond(w, r, &b, rc.lim.RetryAfter)
}
