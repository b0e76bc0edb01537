package chsink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/prometheus/client_golang/prometheus"
)

// Inserter is the part of a clickhouse-go connection the writer needs.
type Inserter interface {
	InsertFormat(ctx context.Context, format string, query string, data io.Reader) error
}

// Config tunes retries.
type Config struct {
	// MinBackoff is the first retry delay; it doubles up to MaxBackoff.
	// Defaults 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one INSERT. Default 60s.
	AttemptTimeout time.Duration
}

// DefaultConfig retries from 100ms up to every 10s, 60s per attempt.
func DefaultConfig() Config {
	return Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second, AttemptTimeout: time.Minute}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("chsink: backoff must satisfy 0 < min (%s) <= max (%s)", c.MinBackoff, c.MaxBackoff))
	}
	if c.AttemptTimeout <= 0 {
		errs = append(errs, fmt.Errorf("chsink: attempt timeout must be positive, got %s", c.AttemptTimeout))
	}
	return errors.Join(errs...)
}

// Writer inserts Arrow records.
type Writer struct {
	db      Inserter
	cfg     Config
	logger  *slog.Logger
	metrics *Metrics
}

// NewWriter returns a writer over db. metrics may be nil.
func NewWriter(db Inserter, cfg Config, logger *slog.Logger, metrics *Metrics) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	return &Writer{db: db, cfg: cfg, logger: logger, metrics: metrics}, nil
}

// Encode serializes rec as an Arrow IPC stream.
func Encode(rec arrow.Record) ([]byte, error) {
	// Sized once: growing a buffer of tens of MB by doubling costs more
	// (zeroing and copying) than writing it.
	size := 4096
	for _, col := range rec.Columns() {
		size += dataBytes(col.Data())
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	w := ipc.NewWriter(buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("encode arrow record: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode arrow record: %w", err)
	}
	return buf.Bytes(), nil
}

// dataBytes is the size of an array's buffers and children, padded as
// the IPC format pads them, plus room for their metadata.
func dataBytes(d arrow.ArrayData) int {
	n := 256
	for _, b := range d.Buffers() {
		if b != nil {
			n += (b.Len() + 63) &^ 63
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}

// Insert writes rec into table, retrying until it succeeds or ctx ends. The
// token makes retries idempotent: ClickHouse keeps the first block with a
// given token within the table's deduplication window.
func (w *Writer) Insert(ctx context.Context, t *Table, rec arrow.Record, token string) error {
	if rec.NumRows() == 0 {
		return nil
	}
	body, err := Encode(rec)
	if err != nil {
		return err
	}
	query := "INSERT INTO " + t.Name + " (" + t.ColumnList() + ") FORMAT ArrowStream"
	backoff := w.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, w.cfg.AttemptTimeout)
		actx = clickhouse.Context(actx, clickhouse.WithSettings(clickhouse.Settings{
			"insert_deduplication_token": token,
			"insert_deduplicate":         1,
		}))
		start := time.Now()
		err := w.db.InsertFormat(actx, "ArrowStream", query, bytes.NewReader(body))
		cancel()
		if err == nil {
			w.metrics.observe(t.Name, int(rec.NumRows()), time.Since(start))
			w.metrics.failing.WithLabelValues(t.Name).Set(0)
			return nil
		}
		w.metrics.errors.WithLabelValues(t.Name).Inc()
		w.metrics.failing.WithLabelValues(t.Name).Set(1)
		if ctx.Err() != nil {
			return fmt.Errorf("insert %d rows into %s (token %s): %w (gave up: %v)", rec.NumRows(), t.Name, token, err, ctx.Err())
		}
		w.logger.Warn("insert failed, retrying", "table", t.Name, "rows", rec.NumRows(), "attempt", attempt, "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("insert %d rows into %s (token %s): %w", rec.NumRows(), t.Name, token, err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, w.cfg.MaxBackoff)
	}
}

// Metrics of the sink, labelled by table (a closed set).
type Metrics struct {
	rows     *prometheus.CounterVec
	inserts  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	failing  *prometheus.GaugeVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		rows:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omnistream_sink_rows_total", Help: "Rows inserted into ClickHouse."}, []string{"table"}),
		inserts:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omnistream_sink_inserts_total", Help: "Successful INSERT statements."}, []string{"table"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "omnistream_sink_insert_errors_total", Help: "Failed INSERT attempts (each is retried)."}, []string{"table"}),
		failing:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "omnistream_sink_failing", Help: "1 while the last INSERT into the table failed: alert on it."}, []string{"table"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "omnistream_sink_insert_seconds", Help: "INSERT latency.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"table"}),
	}
}

// Register adds the metrics to r.
func (m *Metrics) Register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.rows, m.inserts, m.errors, m.failing, m.duration} {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("register sink metrics: %w", err)
		}
	}
	return nil
}

// Failing reports the alert gauge for a table, for tests and health checks.
func (m *Metrics) Failing(table string) bool {
	var out bool
	ch := make(chan prometheus.Metric, 1)
	go func() { m.failing.WithLabelValues(table).Collect(ch); close(ch) }()
	for metric := range ch {
		out = gaugeValue(metric) == 1
	}
	return out
}

func (m *Metrics) observe(table string, rows int, d time.Duration) {
	m.rows.WithLabelValues(table).Add(float64(rows))
	m.inserts.WithLabelValues(table).Inc()
	m.duration.WithLabelValues(table).Observe(d.Seconds())
}
