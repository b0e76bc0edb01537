package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/topics"
	"github.com/omnistream/omnistream/sinks/chsink"
)

// Task processes the records of one partition. It is used by one goroutine.
type Task interface {
	// Restore applies one record of the partition's state topic, in order;
	// a nil value is a tombstone.
	Restore(key, value []byte) error
	// Warm shows a record from before the resume offset; it must not
	// produce output.
	Warm(r *kgo.Record)
	// Process turns a record into rows and records in out. An error sends
	// the record to the dead-letter topic with the error as reason.
	Process(r *kgo.Record, out *Output) error
	// Changes returns state changes since the last call, to be written to
	// the state topic.
	Changes() []Change
}

// Change is one state-topic record; a nil Value deletes the key.
type Change struct {
	Key, Value []byte
}

// Factory makes the task of a partition.
type Factory func(partition int32) Task

// Hooks let tests inject faults at the protocol's steps.
type Hooks struct {
	// BeforeInsert runs after a batch is formed, before its intent is written.
	BeforeInsert func(partition int32, first, last int64)
	// AfterInsert runs after the batch's rows are in ClickHouse, before its
	// state changes and offset are written.
	AfterInsert func(partition int32, first, last int64)
	// AfterCommit runs after the batch's offset is committed.
	AfterCommit func(partition int32, first, last int64)
}

// Config configures the runtime.
type Config struct {
	// Brokers are the Kafka seed brokers. Required.
	Brokers []string
	// Group is the consumer group. Default "omnistream-processors".
	Group string
	// Topics is the topic layout.
	Topics topics.Config
	// MaxBatch is how many records a partition batches before flushing.
	// Default 100000.
	MaxBatch int
	// FlushInterval is the longest a record waits in a batch while the
	// partition is caught up (fewer than 1,000 records behind its end).
	// Default 200ms.
	FlushInterval time.Duration
	// MaxBatchAge is the longest a record waits in a batch while the
	// partition is behind: the batch keeps filling up to MaxBatch, since
	// every flush has a fixed cost (an INSERT per table, a part to merge)
	// that small batches cannot carry under backlog. Less than
	// FlushInterval means FlushInterval. Default 2s.
	MaxBatchAge time.Duration
	// WarmRecords is how many records before the resume offset are replayed
	// through Task.Warm. Default 100000.
	WarmRecords int64
	// KafkaOpts are extra client options (TLS, SASL).
	KafkaOpts []kgo.Opt
	// Hooks are fault-injection points for tests.
	Hooks Hooks
}

// DefaultConfig returns the defaults; Brokers must still be set.
func DefaultConfig() Config {
	return Config{Group: "omnistream-processors", Topics: topics.DefaultConfig(), MaxBatch: 100000,
		FlushInterval: 200 * time.Millisecond, MaxBatchAge: 2 * time.Second, WarmRecords: 100000}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("runtime: at least one Kafka broker is required"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("runtime: consumer group is required"))
	}
	if c.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("runtime: max batch must be at least 1, got %d", c.MaxBatch))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("runtime: flush interval must be positive, got %s", c.FlushInterval))
	}
	if c.MaxBatchAge < 0 {
		errs = append(errs, fmt.Errorf("runtime: max batch age must not be negative, got %s", c.MaxBatchAge))
	}
	if c.WarmRecords < 0 {
		errs = append(errs, fmt.Errorf("runtime: warm records must not be negative, got %d", c.WarmRecords))
	}
	if err := c.Topics.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Querier reads batch intents back from ClickHouse and runs statements.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
	Exec(ctx context.Context, query string, args ...any) error
}

// exec runs a statement, retrying with backoff until it succeeds or ctx ends.
func (r *Runtime) exec(ctx context.Context, st Statement) error {
	p := clickhouse.Parameters{}
	for k, v := range st.Params {
		p[k] = v
	}
	backoff := 100 * time.Millisecond
	for {
		err := r.db.Exec(clickhouse.Context(ctx, clickhouse.WithParameters(p)), st.Query)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("run statement: %w", err)
		}
		r.logger.Warn("statement failed, retrying", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("run statement: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// Runtime is a member of the processors' consumer group.
type Runtime struct {
	cfg     Config
	db      Querier
	writer  *chsink.Writer
	factory Factory
	logger  *slog.Logger
	metrics *Metrics

	cl  *kgo.Client
	adm *kadm.Client

	mu      sync.Mutex
	workers map[int32]*worker

	// workCtx bounds the partition workers' writes. It outlives Run's
	// context so a graceful stop finishes the batch in flight; Abort (or
	// the end of Run) cancels it.
	workCtx    context.Context
	workCancel context.CancelFunc
}

// New creates a runtime. Run starts it.
func New(cfg Config, db Querier, writer *chsink.Writer, factory Factory, logger *slog.Logger, metrics *Metrics) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	r := &Runtime{cfg: cfg, db: db, writer: writer, factory: factory, logger: logger, metrics: metrics, workers: map[int32]*worker{}}
	r.workCtx, r.workCancel = context.WithCancel(context.Background())
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics.Events),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(r.assigned),
		kgo.OnPartitionsRevoked(r.revoked),
		kgo.OnPartitionsLost(r.lost),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		// State records go to the partition of the events they belong to.
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.SessionTimeout(10 * time.Second),
		kgo.RebalanceTimeout(60 * time.Second),
	}, cfg.KafkaOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create processor kafka client: %w", err)
	}
	r.cl = cl
	r.adm = kadm.NewClient(cl)
	return r, nil
}

// Run consumes until ctx ends, then drains every partition (flushing and
// committing what it had) and leaves the group.
func (r *Runtime) Run(ctx context.Context) error {
	defer r.workCancel()
	defer r.cl.Close()
	for {
		fetches := r.cl.PollRecords(ctx, 5000)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			break
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				r.logger.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
			if len(ftp.Records) == 0 {
				return
			}
			r.mu.Lock()
			w := r.workers[ftp.Partition]
			r.mu.Unlock()
			if w == nil {
				return // revoked meanwhile; the next owner re-reads it
			}
			// Reading committed records, the partition's end is its last
			// stable offset (the high watermark without open transactions).
			end := ftp.LastStableOffset
			if end <= 0 {
				end = ftp.HighWatermark
			}
			select {
			case w.in <- chunk{recs: ftp.Records, end: end}:
			case <-w.done:
			case <-ctx.Done():
			}
		})
		r.cl.AllowRebalance()
	}
	r.stopAll(true)
	r.cl.AllowRebalance()
	return nil
}

// Abort stops the workers at once, without finishing the batches in
// flight, as a crash would. Run still returns only after they stopped.
func (r *Runtime) Abort() { r.workCancel() }

func (r *Runtime) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range m[r.cfg.Topics.Events] {
		if r.workers[p] != nil {
			continue
		}
		w := newWorker(r, p)
		r.workers[p] = w
		r.metrics.assigned.Inc()
		go w.run(r.workCtx)
		r.logger.Info("partition assigned", "partition", p)
	}
}

func (r *Runtime) revoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	r.stop(m[r.cfg.Topics.Events], true)
}

func (r *Runtime) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	r.stop(m[r.cfg.Topics.Events], false)
}

func (r *Runtime) stop(ps []int32, commit bool) {
	r.mu.Lock()
	var ws []*worker
	for _, p := range ps {
		if w := r.workers[p]; w != nil {
			ws = append(ws, w)
			delete(r.workers, p)
		}
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.shutdown(commit)
		r.metrics.assigned.Dec()
		r.logger.Info("partition released", "partition", w.p, "committed", commit)
	}
}

func (r *Runtime) stopAll(commit bool) {
	r.mu.Lock()
	ps := make([]int32, 0, len(r.workers))
	for p := range r.workers {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	r.stop(ps, commit)
}
