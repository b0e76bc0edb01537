package hook

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook receivers' Prometheus counters. Label values are
// bounded: source is one of line, meta, whatsapp; outcome and result are
// closed sets named in the code.
type Metrics struct {
	requests *prometheus.CounterVec
	events   *prometheus.CounterVec
}

// NewMetrics registers the counters with reg (nil: not registered). Several
// receivers share one registry: an already registered collector is reused.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "webhook", Name: "requests_total",
			Help: "Webhook requests by source and outcome (ok, unauthorized, not_found, too_large, bad_request, unavailable, handshake_ok, handshake_refused).",
		}, []string{"source", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "webhook", Name: "events_total",
			Help: "Webhook items by source and result (published, duplicate, dead_letter, skipped, publish_failed).",
		}, []string{"source", "result"}),
	}
	if reg != nil {
		m.requests = register(reg, m.requests)
		m.events = register(reg, m.events)
	}
	return m
}

func register(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		panic("register webhook metrics: " + err.Error()) // a name clash is a programmer bug
	}
	return c
}

// Request counts one request outcome.
func (m *Metrics) Request(source, outcome string) {
	if m != nil {
		m.requests.WithLabelValues(source, outcome).Inc()
	}
}

func (m *Metrics) event(source, result string, n int) {
	if m != nil && n > 0 {
		m.events.WithLabelValues(source, result).Add(float64(n))
	}
}
