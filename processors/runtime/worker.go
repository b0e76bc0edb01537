package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/omnistream/omnistream/sinks/chsink"
)

// Output collects what a task makes of records: table rows and records to
// produce. One Output belongs to one batch.
type Output struct {
	batches    map[*chsink.Table]*chsink.Batch
	order      []*chsink.Table
	records    []*kgo.Record
	statements []Statement
}

// Statement is an idempotent ClickHouse statement run after the batch's
// rows are inserted (for example erasing a deleted contact's personal data
// from older rows). Params are bound server-side.
type Statement struct {
	Query  string
	Params map[string]string
}

func newOutput() *Output { return &Output{batches: map[*chsink.Table]*chsink.Batch{}} }

// NewOutput returns an empty Output, for running a Task outside the
// runtime (tests, benchmarks).
func NewOutput() *Output { return newOutput() }

// Batch returns the batch of rows for table t.
func (o *Output) Batch(t *chsink.Table) *chsink.Batch {
	b := o.batches[t]
	if b == nil {
		b = chsink.NewBatch(t)
		o.batches[t] = b
		o.order = append(o.order, t)
	}
	return b
}

// Exec queues a statement to run after the batch's inserts. It must be
// idempotent: a batch replayed after a crash runs it again.
func (o *Output) Exec(st Statement) { o.statements = append(o.statements, st) }

// Produce queues a record to write to Kafka with the batch. Records are
// written to the partition they name (Record.Partition).
func (o *Output) Produce(r *kgo.Record) { o.records = append(o.records, r) }

type span struct{ first, last int64 }

// chunk is fetched records of the partition and the partition's end
// offset (high watermark) at the fetch.
type chunk struct {
	recs []*kgo.Record
	end  int64
}

// behindRecords is how far from its end a partition may be and still count
// as caught up: flushing then favours freshness over batch size.
const behindRecords = 1000

type worker struct {
	r    *Runtime
	p    int32
	task Task

	in       chan chunk
	quit     chan bool // true: flush and commit before leaving
	done     chan struct{}
	started  bool
	plan     []span // batches recorded as intents but not committed
	out      *Output
	first    int64
	last     int64
	epoch    int32
	count    int
	oldest   time.Time
	lastSeen int64
	behind   int64 // records after the last one received, at its fetch
}

func newWorker(r *Runtime, p int32) *worker {
	return &worker{r: r, p: p, in: make(chan chunk, 16), quit: make(chan bool, 1), done: make(chan struct{}), out: newOutput(), first: -1}
}

// shutdown stops the worker and waits for it. With commit, the worker
// drains what it received, flushes and commits first.
func (w *worker) shutdown(commit bool) {
	w.quit <- commit
	<-w.done
}

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(max(w.r.cfg.FlushInterval/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case c := <-w.in:
			if err := w.handle(ctx, c); err != nil {
				w.fail(err)
				return
			}
		case <-tick.C:
			if w.count > 0 && len(w.plan) == 0 && w.due() {
				if err := w.flush(ctx); err != nil {
					w.fail(err)
					return
				}
			}
		case commit := <-w.quit:
			if !commit {
				return
			}
			// Drain what was fetched, then flush with a bounded context
			// of its own so a shutdown still commits finished work.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			for {
				select {
				case c := <-w.in:
					if err := w.handle(fctx, c); err != nil {
						w.fail(err)
						return
					}
					continue
				default:
				}
				break
			}
			if w.count > 0 {
				if err := w.flush(fctx); err != nil {
					w.fail(err)
				}
			}
			return
		}
	}
}

func (w *worker) fail(err error) {
	w.r.metrics.failures.Inc()
	w.r.logger.Error("partition worker stopped; its records will be processed again by the next owner", "partition", w.p, "err", err)
}

// due reports whether the pending batch should be flushed by age: after
// FlushInterval when the partition is caught up, else after MaxBatchAge
// (MaxBatch cuts it sooner).
func (w *worker) due() bool {
	age := time.Since(w.oldest)
	if age < w.r.cfg.FlushInterval {
		return false
	}
	caughtUp := w.behind < behindRecords && len(w.in) == 0
	return caughtUp || age >= max(w.r.cfg.MaxBatchAge, w.r.cfg.FlushInterval)
}

func (w *worker) handle(ctx context.Context, c chunk) error {
	recs := c.recs
	if n := len(recs); n > 0 && c.end > 0 {
		w.behind = c.end - 1 - recs[n-1].Offset
	}
	if !w.started {
		// Rebuilding needs ClickHouse and Kafka: wait for them rather than
		// give up the partition.
		backoff := 100 * time.Millisecond
		for {
			err := w.start(ctx, recs[0].Offset)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return err
			}
			w.r.logger.Warn("partition restore failed, retrying", "partition", w.p, "err", err, "backoff", backoff)
			select {
			case <-ctx.Done():
				return err
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	}
	for _, rec := range recs {
		if rec.Offset <= w.lastSeen {
			continue // re-delivered after a fetch reset
		}
		// A planned batch ends at its recorded last offset, never elsewhere.
		for len(w.plan) > 0 && rec.Offset > w.plan[0].last {
			if w.count > 0 {
				if err := w.flush(ctx); err != nil {
					return err
				}
			} else {
				w.plan = w.plan[1:]
			}
		}
		w.add(rec)
		switch {
		case len(w.plan) > 0:
			if rec.Offset == w.plan[0].last {
				if err := w.flush(ctx); err != nil {
					return err
				}
			}
		case w.count >= w.r.cfg.MaxBatch:
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *worker) add(rec *kgo.Record) {
	if w.count == 0 {
		w.first = rec.Offset
		w.oldest = time.Now()
	}
	w.last, w.epoch, w.lastSeen = rec.Offset, rec.LeaderEpoch, rec.Offset
	w.count++
	if err := w.process(rec); err != nil {
		w.r.metrics.deadLetters.Inc()
		w.out.Produce(w.deadLetter(rec, err.Error()))
	}
}

// process runs the task, turning a panic into a dead letter: one poison
// record must never stop the partition.
func (w *worker) process(rec *kgo.Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("processor panic: %v", v)
			w.r.logger.Error("processor panic", "partition", w.p, "offset", rec.Offset, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return w.task.Process(rec, w.out)
}

func (w *worker) deadLetter(rec *kgo.Record, reason string) *kgo.Record {
	return &kgo.Record{
		Topic:     w.r.cfg.Topics.DLQ,
		Partition: 0,
		Key:       []byte(rec.Topic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10)),
		Value:     rec.Value,
		Headers: []kgo.RecordHeader{
			{Key: "reason", Value: []byte(reason)},
			{Key: "source_topic", Value: []byte(rec.Topic)},
			{Key: "source_partition", Value: []byte(strconv.Itoa(int(rec.Partition)))},
			{Key: "source_offset", Value: []byte(strconv.FormatInt(rec.Offset, 10))},
			{Key: "source_key", Value: rec.Key},
			{Key: "failed_at", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
		},
	}
}

func (w *worker) token(first, last int64, table string) string {
	return fmt.Sprintf("%s/%s/%d/%d-%d/%s", w.r.cfg.Group, w.r.cfg.Topics.Events, w.p, first, last, table)
}

// flush runs the commit protocol for the pending batch.
func (w *worker) flush(ctx context.Context) error {
	first, last := w.first, w.last
	planned := len(w.plan) > 0 && w.plan[0].first <= first && last <= w.plan[0].last
	if h := w.r.cfg.Hooks.BeforeInsert; h != nil {
		h(w.p, first, last)
	}
	if !planned {
		if err := w.recordIntent(ctx, first, last); err != nil {
			return err
		}
	}
	// The tables' inserts are independent (each is idempotent through its
	// own token), so they run at once: a flush takes as long as its
	// largest insert, not the sum of them.
	errs := make([]error, len(w.out.order))
	var wg sync.WaitGroup
	for i, t := range w.out.order {
		b := w.out.batches[t]
		if b.Len() == 0 {
			continue
		}
		rec := b.Record()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rec.Release()
			errs[i] = w.r.writer.Insert(ctx, t, rec, w.token(first, last, t.Name))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flush partition %d offsets %d-%d: %w", w.p, first, last, err)
	}
	for _, st := range w.out.statements {
		if err := w.r.exec(ctx, st); err != nil {
			return fmt.Errorf("flush partition %d offsets %d-%d: %w", w.p, first, last, err)
		}
	}
	w.out.statements = w.out.statements[:0]
	if h := w.r.cfg.Hooks.AfterInsert; h != nil {
		h(w.p, first, last)
	}
	recs := w.out.records
	for _, c := range w.task.Changes() {
		recs = append(recs, &kgo.Record{Topic: w.r.cfg.Topics.State, Partition: w.p, Key: c.Key, Value: c.Value})
	}
	if len(recs) > 0 {
		if err := w.r.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("write state and dead letters of partition %d offsets %d-%d: %w", w.p, first, last, err)
		}
	}
	offsets := map[string]map[int32]kgo.EpochOffset{w.r.cfg.Topics.Events: {w.p: {Epoch: w.epoch, Offset: last + 1}}}
	var commitErr error
	for attempt := 0; attempt < 5; attempt++ {
		w.r.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			commitErr = commitError(resp, err)
		})
		if commitErr == nil || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
		}
	}
	if commitErr != nil {
		return fmt.Errorf("commit partition %d offset %d: %w", w.p, last+1, commitErr)
	}
	if h := w.r.cfg.Hooks.AfterCommit; h != nil {
		h(w.p, first, last)
	}
	w.r.metrics.records.Add(float64(w.count))
	w.r.metrics.batches.Inc()
	w.out.records = w.out.records[:0]
	w.count = 0
	if planned && last >= w.plan[0].last {
		w.plan = w.plan[1:]
	}
	return nil
}

func commitError(resp *kmsg.OffsetCommitResponse, err error) error {
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if e := kerr.ErrorForCode(p.ErrorCode); e != nil {
				return e
			}
		}
	}
	return nil
}
