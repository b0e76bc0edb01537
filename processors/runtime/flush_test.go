package runtime

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDue checks the flush policy: a caught-up partition flushes a batch
// after FlushInterval (freshness); a partition behind its end keeps filling
// the batch until MaxBatchAge (throughput); nothing flushes younger than
// FlushInterval.
func TestDue(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlushInterval, cfg.MaxBatchAge = 200*time.Millisecond, 2*time.Second
	for _, tc := range []struct {
		name   string
		age    time.Duration
		behind int64
		queued int
		want   bool
	}{
		{"young batch, caught up", 100 * time.Millisecond, 0, 0, false},
		{"caught up", 300 * time.Millisecond, 0, 0, true},
		{"a few records behind counts as caught up", 300 * time.Millisecond, behindRecords - 1, 0, true},
		{"behind", 300 * time.Millisecond, behindRecords, 0, false},
		{"records queued for the worker", 300 * time.Millisecond, 0, 1, false},
		{"behind but old", 2 * time.Second, 50000, 3, true},
		{"young batch, behind", 100 * time.Millisecond, 50000, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorker(&Runtime{cfg: cfg}, 0)
			w.oldest = time.Now().Add(-tc.age)
			w.behind = tc.behind
			for range tc.queued {
				w.in <- chunk{}
			}
			if got := w.due(); got != tc.want {
				t.Fatalf("due() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDueMaxBatchAgeBelowInterval: a MaxBatchAge under FlushInterval acts
// as FlushInterval.
func TestDueMaxBatchAgeBelowInterval(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlushInterval, cfg.MaxBatchAge = time.Second, 0
	w := newWorker(&Runtime{cfg: cfg}, 0)
	w.behind = 1 << 20
	w.oldest = time.Now().Add(-500 * time.Millisecond)
	if w.due() {
		t.Fatal("due before FlushInterval")
	}
	w.oldest = time.Now().Add(-1100 * time.Millisecond)
	if !w.due() {
		t.Fatal("not due after FlushInterval with MaxBatchAge 0")
	}
}

func TestHandleTracksBehind(t *testing.T) {
	w := newWorker(&Runtime{cfg: DefaultConfig()}, 0)
	w.started = true // skip the rebuild
	w.lastSeen = 1 << 40
	// Records at or below lastSeen are skipped, so handle only updates
	// the partition's distance from its end.
	if err := w.handle(t.Context(), chunk{recs: recsAt(10, 11, 12), end: 5000}); err != nil {
		t.Fatal(err)
	}
	if w.behind != 5000-1-12 {
		t.Fatalf("behind = %d, want %d", w.behind, 5000-1-12)
	}
}

func recsAt(offsets ...int64) []*kgo.Record {
	out := make([]*kgo.Record, len(offsets))
	for i, o := range offsets {
		out[i] = &kgo.Record{Offset: o}
	}
	return out
}
