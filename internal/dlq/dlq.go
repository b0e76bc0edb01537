// Package dlq reads and replays the dead-letter topic. Dead letters enter
// the topic from the processors (records that passed ingest but failed
// processing, with their original bytes) and from the native sources
// (payloads that could not be mapped); each carries its reason and origin
// in headers. List reads them back; Replay produces chosen ones to the
// events topic again, optionally under another team key, after the cause is
// fixed. Replays are safe to repeat: event ids are deduplicated downstream.
package dlq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Entry is one dead letter.
type Entry struct {
	Offset          int64     `json:"offset"`
	Key             string    `json:"key"`
	Reason          string    `json:"reason"`
	Source          string    `json:"source"`           // the receiver, for source dead letters
	SourceTopic     string    `json:"source_topic"`     // for processor dead letters
	SourcePartition int32     `json:"source_partition"` // -1 when none
	SourceOffset    int64     `json:"source_offset"`    // -1 when none
	SourceKey       string    `json:"source_key"`
	FailedAt        time.Time `json:"failed_at"`
	Value           []byte    `json:"value"`
}

// Replayable reports whether the entry is a canonical event record that
// can go back to the events topic.
func (e Entry) Replayable() bool { return e.SourceTopic != "" }

func fromRecord(r *kgo.Record) Entry {
	e := Entry{Offset: r.Offset, Key: string(r.Key), Value: r.Value, SourcePartition: -1, SourceOffset: -1}
	for _, h := range r.Headers {
		v := string(h.Value)
		switch h.Key {
		case "reason":
			e.Reason = v
		case "source":
			e.Source = v
		case "source_topic":
			e.SourceTopic = v
		case "source_partition":
			if p, err := strconv.Atoi(v); err == nil {
				e.SourcePartition = int32(p)
			}
		case "source_offset":
			if o, err := strconv.ParseInt(v, 10, 64); err == nil {
				e.SourceOffset = o
			}
		case "source_key":
			e.SourceKey = v
		case "failed_at":
			e.FailedAt, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	return e
}

// List reads every dead letter of topic (partition 0) from offset from,
// oldest first, at most limit (0 = all).
func List(ctx context.Context, brokers []string, topic string, from int64, limit int, opts ...kgo.Opt) ([]Entry, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka: %w", err)
	}
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	cl.Close()
	if err != nil {
		return nil, fmt.Errorf("end offset of %s: %w", topic, err)
	}
	end, ok := ends.Lookup(topic, 0)
	if !ok || end.Err != nil {
		return nil, fmt.Errorf("end offset of %s: %v", topic, end.Err)
	}
	if end.Offset <= from {
		return nil, nil
	}
	rd, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from)}})}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka: %w", err)
	}
	defer rd.Close()
	var out []Entry
	for {
		fs := rd.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return out, fmt.Errorf("read %s: %w", topic, ferr)
		}
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			if done {
				return
			}
			out = append(out, fromRecord(r))
			if r.Offset >= end.Offset-1 || (limit > 0 && len(out) >= limit) {
				done = true
			}
		})
		if done {
			return out, nil
		}
	}
}

// Replay produces the entries' original records to the events topic again,
// keyed by their original team key, or by team when it is not empty.
// Entries that are not event records are refused.
func Replay(ctx context.Context, brokers []string, eventsTopic string, entries []Entry, team string, opts ...kgo.Opt) (int, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.RequiredAcks(kgo.AllISRAcks())}, opts...)...)
	if err != nil {
		return 0, fmt.Errorf("connect to kafka: %w", err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, len(entries))
	for _, e := range entries {
		if !e.Replayable() {
			return 0, fmt.Errorf("dead letter at offset %d came from source %q, not from the events topic: it cannot be replayed as an event", e.Offset, e.Source)
		}
		key := e.SourceKey
		if team != "" {
			key = team
		}
		recs = append(recs, &kgo.Record{Topic: eventsTopic, Key: []byte(key), Value: e.Value,
			Headers: []kgo.RecordHeader{{Key: "replayed_from", Value: []byte(strconv.FormatInt(e.Offset, 10))}}})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return 0, fmt.Errorf("replay %d dead letters: %w", len(recs), err)
	}
	return len(recs), nil
}
