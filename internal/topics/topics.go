// Package topics names the Kafka topics of the pipeline and creates them
// with the partition counts and configs it needs, on the embedded broker or
// on an external cluster alike (through the Kafka admin API).
//
// Layout:
//
//	omni.events        canonical events, keyed by team (one team per partition)
//	omni.state         processor state changelog, compacted, partitioned like omni.events
//	omni.identity      identity changes (merges, splits, refusals), keyed by team
//	omni.dlq           dead letters: the original bytes and the reason in headers
package topics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Config sets topic names and sizes.
type Config struct {
	Events   string // default omni.events
	State    string // default omni.state; must have as many partitions as Events
	Identity string // default omni.identity
	DLQ      string // default omni.dlq
	// Partitions of the events and state topics. Default 12: enough
	// consumer-group members to spread load, few enough for one machine.
	Partitions int32
	// Replication factor; default 1 (embedded). Use 3 on a cluster.
	Replication int16
	// RetentionMs of events, identity and DLQ topics; default 14 days.
	RetentionMs int64
}

// DefaultConfig is the embedded layout.
func DefaultConfig() Config {
	return Config{Events: "omni.events", State: "omni.state", Identity: "omni.identity", DLQ: "omni.dlq",
		Partitions: 12, Replication: 1, RetentionMs: 14 * 24 * 3600 * 1000}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"events": c.Events, "state": c.State, "identity": c.Identity, "dlq": c.DLQ} {
		if v == "" {
			errs = append(errs, fmt.Errorf("topics: %s topic name is required", name))
		}
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("topics: partitions must be at least 1, got %d", c.Partitions))
	}
	if c.Replication < 1 {
		errs = append(errs, fmt.Errorf("topics: replication must be at least 1, got %d", c.Replication))
	}
	return errors.Join(errs...)
}

// Ensure creates missing topics and checks existing ones: the state topic
// must match the events topic's partition count, or recovered state would
// belong to the wrong partition.
func Ensure(ctx context.Context, adm *kadm.Client, cfg Config, logger *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ret := fmt.Sprint(cfg.RetentionMs)
	compact := "compact"
	del := "delete"
	specs := []struct {
		name       string
		partitions int32
		configs    map[string]*string
	}{
		{cfg.Events, cfg.Partitions, map[string]*string{"retention.ms": &ret, "cleanup.policy": &del}},
		{cfg.State, cfg.Partitions, map[string]*string{"cleanup.policy": &compact}},
		{cfg.Identity, cfg.Partitions, map[string]*string{"retention.ms": &ret, "cleanup.policy": &del}},
		{cfg.DLQ, 1, map[string]*string{"retention.ms": &ret, "cleanup.policy": &del}},
	}
	for _, s := range specs {
		res, err := adm.CreateTopic(ctx, s.partitions, cfg.Replication, s.configs, s.name)
		switch {
		case err == nil && res.Err == nil:
			if logger != nil {
				logger.Info("created topic", "topic", s.name, "partitions", s.partitions)
			}
		case errors.Is(err, kerr.TopicAlreadyExists) || errors.Is(res.Err, kerr.TopicAlreadyExists):
		case err != nil:
			return fmt.Errorf("create topic %s: %w", s.name, err)
		default:
			return fmt.Errorf("create topic %s: %w", s.name, res.Err)
		}
	}
	details, err := adm.ListTopics(ctx, cfg.Events, cfg.State)
	if err != nil {
		return fmt.Errorf("describe topics %s, %s: %w", cfg.Events, cfg.State, err)
	}
	ev, st := len(details[cfg.Events].Partitions), len(details[cfg.State].Partitions)
	if ev != st {
		return fmt.Errorf("topic %s has %d partitions but %s has %d: they must match", cfg.State, st, cfg.Events, ev)
	}
	return nil
}
