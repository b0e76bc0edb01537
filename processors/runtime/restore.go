package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/sinks/chsink"
)

var intentTable = chsink.NewTable("sink_batches",
	chsink.Column{Name: "consumer_group", Kind: chsink.String},
	chsink.Column{Name: "topic", Kind: chsink.String},
	chsink.Column{Name: "partition", Kind: chsink.UInt32},
	chsink.Column{Name: "first_offset", Kind: chsink.UInt64},
	chsink.Column{Name: "last_offset", Kind: chsink.UInt64},
	chsink.Column{Name: "created_at", Kind: chsink.TimeMilli},
)

// start rebuilds the partition's task before its first record at resume.
func (w *worker) start(ctx context.Context, resume int64) error {
	began := time.Now()
	w.task = w.r.factory(w.p)
	restored, err := w.readPartition(ctx, w.r.cfg.Topics.State, 0, -1, func(r *kgo.Record) error {
		return w.task.Restore(r.Key, r.Value)
	})
	if err != nil {
		return fmt.Errorf("restore state of partition %d: %w", w.p, err)
	}
	w.task.Changes() // restored state is not a change
	from := max(0, resume-w.r.cfg.WarmRecords)
	warmed, err := w.readPartition(ctx, w.r.cfg.Topics.Events, from, resume, func(r *kgo.Record) error {
		w.task.Warm(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("warm partition %d from offset %d: %w", w.p, from, err)
	}
	if w.plan, err = w.loadPlan(ctx, resume); err != nil {
		return err
	}
	w.started = true
	w.lastSeen = resume - 1
	w.r.logger.Info("partition ready", "partition", w.p, "resume_offset", resume, "state_records", restored,
		"warm_records", warmed, "planned_batches", len(w.plan), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// readPartition reads topic/partition w.p from offset from up to (not
// including) end, or up to the current end when end < 0.
func (w *worker) readPartition(ctx context.Context, topic string, from, end int64, fn func(*kgo.Record) error) (int, error) {
	if end < 0 {
		ends, err := w.r.adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return 0, fmt.Errorf("list end offsets of %s: %w", topic, err)
		}
		o, ok := ends.Lookup(topic, w.p)
		if !ok || o.Err != nil {
			return 0, fmt.Errorf("end offset of %s/%d: %v", topic, w.p, o.Err)
		}
		end = o.Offset
	}
	if end <= from {
		return 0, nil
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(w.r.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {w.p: kgo.NewOffset().At(from)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	}, w.r.cfg.KafkaOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, fmt.Errorf("create reader of %s/%d: %w", topic, w.p, err)
	}
	defer cl.Close()
	n := 0
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return n, fmt.Errorf("read %s/%d: %w", topic, w.p, ferr)
		}
		done := false
		var perr error
		fs.EachRecord(func(r *kgo.Record) {
			if done || perr != nil {
				return
			}
			if r.Offset >= end {
				done = true
				return
			}
			n++
			perr = fn(r)
			if r.Offset == end-1 {
				done = true
			}
		})
		if perr != nil {
			return n, perr
		}
		if done {
			return n, nil
		}
		// Transaction markers and compacted gaps leave no record at end-1.
		if hw := highWatermark(fs, topic, w.p); hw >= 0 && hw <= end && lastOffset(fs) >= hw-1 {
			return n, nil
		}
	}
}

func highWatermark(fs kgo.Fetches, topic string, p int32) int64 {
	hw := int64(-1)
	fs.EachPartition(func(f kgo.FetchTopicPartition) {
		if f.Topic == topic && f.Partition == p {
			hw = f.HighWatermark
		}
	})
	return hw
}

func lastOffset(fs kgo.Fetches) int64 {
	last := int64(-1)
	fs.EachRecord(func(r *kgo.Record) { last = max(last, r.Offset) })
	return last
}

func (w *worker) loadPlan(ctx context.Context, resume int64) ([]span, error) {
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"g": w.r.cfg.Group, "t": w.r.cfg.Topics.Events, "p": fmt.Sprint(w.p), "o": fmt.Sprint(resume)}))
	rows, err := w.r.db.Query(qctx, `SELECT DISTINCT first_offset, last_offset FROM sink_batches
		WHERE consumer_group = {g:String} AND topic = {t:String} AND partition = {p:UInt32} AND last_offset >= {o:UInt64}
		ORDER BY first_offset`)
	if err != nil {
		return nil, fmt.Errorf("read batch intents of partition %d: %w", w.p, err)
	}
	defer rows.Close()
	var plan []span
	for rows.Next() {
		var f, l uint64
		if err := rows.Scan(&f, &l); err != nil {
			return nil, fmt.Errorf("scan batch intent: %w", err)
		}
		if int64(f) < resume {
			continue // a batch that straddles the resume offset cannot be re-formed; its rows are committed
		}
		plan = append(plan, span{int64(f), int64(l)})
	}
	return plan, rows.Err()
}

func (w *worker) recordIntent(ctx context.Context, first, last int64) error {
	b := chsink.NewBatch(intentTable)
	b.Str(0, w.r.cfg.Group)
	b.Str(1, w.r.cfg.Topics.Events)
	b.U32(2, uint32(w.p))
	b.U64(3, uint64(first))
	b.U64(4, uint64(last))
	b.Time(5, time.Now())
	b.EndRow()
	rec := b.Record()
	defer rec.Release()
	if err := w.r.writer.Insert(ctx, intentTable, rec, w.token(first, last, "intent")); err != nil {
		return fmt.Errorf("record intent of partition %d offsets %d-%d: %w", w.p, first, last, err)
	}
	return nil
}
