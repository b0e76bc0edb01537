package chserver

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's Prometheus collectors. Label values are bounded:
// kind is one of query/insert/ping, code is a ClickHouse error name or
// "other".
type metrics struct {
	requests     *prometheus.CounterVec
	errors       *prometheus.CounterVec
	bytesIn      prometheus.Counter
	bytesOut     prometheus.Counter
	rowsWritten  prometheus.Counter
	queryLatency prometheus.Histogram
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "queries_total",
			Help: "Requests handled by the embedded ClickHouse HTTP server, by kind.",
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "errors_total",
			Help: "Requests that ended in a ClickHouse error, by HTTP status class (\"in-band\" for errors after a streamed response started).",
		}, []string{"status"}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "request_body_bytes_total",
			Help: "Request body bytes received (as sent on the wire).",
		}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "response_body_bytes_total",
			Help: "Response body bytes produced by the engine, before compression.",
		}),
		rowsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "written_rows_total",
			Help: "Rows written by INSERT queries.",
		}),
		queryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "omnistream", Subsystem: "chserver", Name: "query_duration_seconds",
			Help:    "Engine run time of queries.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.errors, m.bytesIn, m.bytesOut, m.rowsWritten, m.queryLatency}
}
