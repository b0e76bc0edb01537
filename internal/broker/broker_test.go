package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/topics"
)

func produce(t *testing.T, addrs []string, topic string, n, from int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := from; i < from+n; i++ {
		r := &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("team-%d", i%3)), Value: []byte(fmt.Sprint(i))}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
}

// consumeGroup reads with a consumer group until want records arrived and
// commits them.
func consumeGroup(t *testing.T, addrs []string, topic, group string, want int) map[string]bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d: %v", len(got), want, err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	return got
}

func TestProduceConsumeGroupAndPersistence(t *testing.T) {
	dir := t.TempDir()
	b, err := Start(Config{DataDir: dir, Port: 0, SyncWrites: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	tc := topics.DefaultConfig()
	tc.Partitions = 3
	if err := topics.Ensure(context.Background(), kadm.NewClient(cl), tc, nil); err != nil {
		t.Fatal(err)
	}
	// Ensure is idempotent.
	if err := topics.Ensure(context.Background(), kadm.NewClient(cl), tc, nil); err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	cl.Close()
	produce(t, b.Addrs(), tc.Events, 100, 0)
	got := consumeGroup(t, b.Addrs(), tc.Events, "g1", 100)
	if len(got) != 100 {
		t.Fatalf("consumed %d distinct records, want 100", len(got))
	}
	b.Close()

	// Restart on the same data dir: the records and the group's committed
	// offsets are still there, so the group sees only what is new.
	b2, err := Start(Config{DataDir: dir, Port: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	produce(t, b2.Addrs(), tc.Events, 5, 100)
	got = consumeGroup(t, b2.Addrs(), tc.Events, "g1", 5)
	for i := 100; i < 105; i++ {
		if !got[fmt.Sprint(i)] {
			t.Fatalf("record %d missing after restart: %v", i, got)
		}
	}
	if len(got) != 5 {
		t.Fatalf("group re-read old records after restart: got %d records", len(got))
	}
	// A new group reads all 105 from the persisted log.
	all := consumeGroup(t, b2.Addrs(), tc.Events, "g2", 105)
	if len(all) != 105 {
		t.Fatalf("persisted log has %d records, want 105", len(all))
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{Port: 70000}.Validate()
	if err == nil || err.Error() != "broker: data dir is required\nbroker: port 70000 out of range" {
		t.Fatalf("got %v", err)
	}
}

func TestCompactKeepsLastValuePerKey(t *testing.T) {
	b, err := Start(Config{DataDir: t.TempDir(), Port: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tc := topics.DefaultConfig()
	tc.Partitions = 1
	if err := topics.Ensure(context.Background(), kadm.NewClient(cl), tc, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		r := &kgo.Record{Topic: tc.State, Key: []byte(fmt.Sprintf("k%d", i%5)), Value: []byte(fmt.Sprint(i))}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	b.Compact()
	got := consumeGroup(t, b.Addrs(), tc.State, "reader", 5)
	for i := 45; i < 50; i++ {
		if !got[fmt.Sprint(i)] {
			t.Fatalf("latest value %d of its key missing after compaction: %v", i, got)
		}
	}
	// The newest records (the active segment) stay as in Kafka; the old
	// values of the keys are gone.
	for i := 0; i < 40; i++ {
		if got[fmt.Sprint(i)] {
			t.Fatalf("superseded value %d survived compaction: %v", i, got)
		}
	}
}
