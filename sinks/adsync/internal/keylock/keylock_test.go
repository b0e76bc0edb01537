package keylock

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOneHolderPerKey(t *testing.T) {
	var l Locks
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := l.Lock(context.Background(), "a")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	// Another key is not blocked meanwhile.
	unlock, err := l.Lock(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once", maxInside.Load())
	}
	if l.Held("a") != 0 || len(l.locks) != 0 {
		t.Errorf("locks left behind: %v", l.locks)
	}
}

func TestWaiterGivesUp(t *testing.T) {
	var l Locks
	unlock, _ := l.Lock(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(ctx, "a"); err == nil {
		t.Fatal("got a held lock")
	}
	if l.Held("a") != 1 {
		t.Errorf("held %d", l.Held("a"))
	}
	unlock()
	if l.Held("a") != 0 {
		t.Errorf("held %d", l.Held("a"))
	}
}
