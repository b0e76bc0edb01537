package runtime

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the runtime.
type Metrics struct {
	records     prometheus.Counter
	batches     prometheus.Counter
	deadLetters prometheus.Counter
	failures    prometheus.Counter
	assigned    prometheus.Gauge
}

// NewMetrics creates unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		records:     prometheus.NewCounter(prometheus.CounterOpts{Name: "omnistream_processor_records_total", Help: "Records processed and committed."}),
		batches:     prometheus.NewCounter(prometheus.CounterOpts{Name: "omnistream_processor_batches_total", Help: "Batches committed."}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "omnistream_processor_dead_letters_total", Help: "Records sent to the dead-letter topic."}),
		failures:    prometheus.NewCounter(prometheus.CounterOpts{Name: "omnistream_processor_worker_failures_total", Help: "Partition workers stopped by an error."}),
		assigned:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "omnistream_processor_partitions", Help: "Partitions assigned to this instance."}),
	}
}

// Register adds the metrics to r.
func (m *Metrics) Register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.records, m.batches, m.deadLetters, m.failures, m.assigned} {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("register processor metrics: %w", err)
		}
	}
	return nil
}
