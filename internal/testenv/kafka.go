package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/broker"
	"github.com/omnistream/omnistream/internal/topics"
)

// Kafka starts an embedded broker for one test on a free loopback port,
// with the pipeline's topics (small partition counts) created, and stops it
// when the test ends. It returns the seed addresses and the topic layout.
func Kafka(t testing.TB) ([]string, topics.Config) {
	t.Helper()
	return KafkaIn(t, t.TempDir())
}

// KafkaIn is Kafka on a given data directory, so a test can restart a
// broker on the same data.
func KafkaIn(t testing.TB, dir string) ([]string, topics.Config) {
	t.Helper()
	b, err := broker.Start(broker.Config{DataDir: dir, Port: 0}, nil)
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(b.Close)
	tc := topics.DefaultConfig()
	tc.Partitions = 4
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatalf("kafka admin client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := topics.Ensure(ctx, kadm.NewClient(cl), tc, nil); err != nil {
		t.Fatalf("create topics: %v", err)
	}
	return b.Addrs(), tc
}
