// Package publish writes canonical events to the events topic. Events enter
// as decoded event.Events of one team and leave as Kafka records keyed by
// team (so one team's events stay in one partition and in order), with the
// event id in a header. Publish returns only after every record is
// acknowledged by all in-sync replicas, through an idempotent producer.
package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/ingest/event"
)

// Config configures the publisher.
type Config struct {
	Brokers  []string // required
	Topic    string   // default omni.events
	DLQTopic string   // dead letters of the sources; default omni.dlq
	// DeliveryTimeout fails a record not acknowledged in time (the caller
	// answers 503 and the sender retries). Default 10s.
	DeliveryTimeout time.Duration
	KafkaOpts       []kgo.Opt // TLS, SASL
}

// DefaultConfig publishes to omni.events.
func DefaultConfig() Config {
	return Config{Topic: "omni.events", DLQTopic: "omni.dlq", DeliveryTimeout: 10 * time.Second}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("publish: at least one Kafka broker is required"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("publish: topic is required"))
	}
	if c.DeliveryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("publish: delivery timeout must be positive, got %s", c.DeliveryTimeout))
	}
	if c.DLQTopic == "" {
		errs = append(errs, errors.New("publish: dead-letter topic is required"))
	}
	return errors.Join(errs...)
}

// ErrUnavailable wraps failures to reach Kafka: callers answer 503 and the
// sender retries.
var ErrUnavailable = errors.New("event log unavailable")

// Publisher produces events.
type Publisher struct {
	cl    *kgo.Client
	topic string
	dlq   string
}

// New creates a publisher.
func New(cfg Config) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		kgo.ProducerLinger(0),
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
	}, cfg.KafkaOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("create publisher: %w", err)
	}
	return &Publisher{cl: cl, topic: cfg.Topic, dlq: cfg.DLQTopic}, nil
}

// Publish writes the events of one team and waits for every
// acknowledgement. The team id is set on every event.
func (p *Publisher) Publish(ctx context.Context, teamID string, events []event.Event) error {
	recs := make([]*kgo.Record, len(events))
	key := []byte(teamID)
	for i := range events {
		e := &events[i]
		e.TeamID = teamID
		v, err := event.AppendJSON(nil, e)
		if err != nil {
			return err
		}
		recs[i] = &kgo.Record{Topic: p.topic, Key: key, Value: v,
			Headers: []kgo.RecordHeader{{Key: "event_id", Value: []byte(e.EventID)}}}
	}
	return p.produce(ctx, recs, fmt.Sprintf("publish %d events of team %s", len(events), teamID))
}

// produce writes recs and waits for every acknowledgement, or for ctx: an
// in-flight produce to a broker that went away can take long to fail, and
// the caller must answer in time. Records still in flight when ctx ends may
// land later; senders retry and duplicates are dropped downstream.
func (p *Publisher) produce(ctx context.Context, recs []*kgo.Record, what string) error {
	results := make(chan error, len(recs))
	for _, r := range recs {
		p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) { results <- err })
	}
	for range recs {
		select {
		case err := <-results:
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrUnavailable, what, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %v", ErrUnavailable, what, ctx.Err())
		}
	}
	return nil
}

// DeadLetter stores an input that could not be mapped to an event, with
// the reason, in the dead-letter topic (acks=all), so nothing accepted from
// a source is lost. source names the receiver ("line", "meta", …).
func (p *Publisher) DeadLetter(ctx context.Context, source string, raw []byte, reason string) error {
	r := &kgo.Record{Topic: p.dlq, Key: []byte("source/" + source), Value: raw, Headers: []kgo.RecordHeader{
		{Key: "reason", Value: []byte(reason)},
		{Key: "source", Value: []byte(source)},
		{Key: "failed_at", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	}}
	return p.produce(ctx, []*kgo.Record{r}, "dead-letter from "+source)
}

// Close flushes and closes the producer.
func (p *Publisher) Close() { p.cl.Close() }
