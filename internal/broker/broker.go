// Package broker runs the embedded Kafka-protocol broker of the single-node
// deployment: franz-go's kfake listening on loopback TCP, persisted under a
// data directory. Clients reach it over the real Kafka protocol at Addrs,
// exactly as they would reach an external cluster; nothing else in the
// pipeline knows it is embedded.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Config configures the embedded broker.
type Config struct {
	// DataDir is where topics, offsets and group state persist. Required.
	DataDir string
	// Port is the loopback TCP port; 0 picks a free one. Default 9092.
	Port int
	// SyncWrites fsyncs every produced batch before acknowledging it, so an
	// acknowledged record survives a machine crash, not only a process
	// crash. Default true.
	SyncWrites bool
	// Housekeeping is how often compacted topics (omni.state) are compacted
	// and retention is applied, as a Kafka broker does in the background.
	// Default 10 minutes; 0 disables it.
	Housekeeping time.Duration
}

// DefaultConfig listens on 127.0.0.1:9092 with synchronous writes.
func DefaultConfig() Config {
	return Config{Port: 9092, SyncWrites: true, Housekeeping: 10 * time.Minute}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("broker: data dir is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("broker: port %d out of range", c.Port))
	}
	return errors.Join(errs...)
}

// Broker is a running embedded broker.
type Broker struct {
	c      *kfake.Cluster
	logger *slog.Logger
	stop   chan struct{}
	done   chan struct{}
}

// Start starts the broker, reloading whatever its data directory holds.
func Start(cfg Config, logger *slog.Logger) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create broker data dir %s: %w", cfg.DataDir, err)
	}
	opts := []kfake.Opt{
		kfake.DataDir(cfg.DataDir),
		kfake.Ports(cfg.Port),
		kfake.WithLogger(kfakeLogger{logger}),
		kfake.ClusterID("omnistream-embedded"),
		kfake.BrokerConfigs(map[string]string{"transaction.max.timeout.ms": "900000"}),
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker on port %d in %s: %w", cfg.Port, cfg.DataDir, err)
	}
	logger.Info("embedded broker started", "addrs", c.ListenAddrs(), "data_dir", cfg.DataDir)
	b := &Broker{c: c, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	go b.housekeeping(cfg.Housekeeping)
	return b, nil
}

// housekeeping compacts compacted topics and applies retention, so the
// state topic a restarted processor replays stays near one record per key.
func (b *Broker) housekeeping(every time.Duration) {
	defer close(b.done)
	if every <= 0 {
		<-b.stop
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.c.Compact()
			b.c.ApplyRetention()
		}
	}
}

// Compact compacts compacted topics and applies retention now.
func (b *Broker) Compact() {
	b.c.Compact()
	b.c.ApplyRetention()
}

// Addrs are the seed broker addresses, host:port on loopback.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Close stops the broker and flushes its state to the data directory.
func (b *Broker) Close() {
	close(b.stop)
	<-b.done
	b.c.Close()
	b.logger.Info("embedded broker stopped")
}

type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	var l slog.Level
	switch level {
	case kfake.LogLevelError:
		l = slog.LevelError
	case kfake.LogLevelWarn:
		l = slog.LevelWarn
	default:
		return // request-level chatter is not worth a log line
	}
	k.l.Log(nil, l, "broker: "+fmt.Sprintf(msg, args...))
}
