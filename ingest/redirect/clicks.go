package redirect

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// clicks remembers recent clicks per link so that a second load within the
// window reuses the first click's event id.
type clicks struct {
	mu     sync.Mutex
	window time.Duration
	last   map[string]click
	ring   []string
	next   int
}

type click struct {
	at time.Time
	id string
}

func newClicks(n int, window time.Duration) *clicks {
	c := &clicks{window: window}
	if n > 0 {
		c.last = make(map[string]click, n)
		c.ring = make([]string, n)
	}
	return c
}

// id returns the event id of a click on the link with tag at now, and
// whether it repeats a click already seen within the window.
func (c *clicks) id(tag []byte, now time.Time) (string, bool) {
	id := clickID(tag, now, c.window)
	if c.ring == nil || c.window <= 0 {
		return id, false
	}
	key := string(tag)
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.last[key]; ok {
		if d := now.Sub(prev.at); d >= 0 && d < c.window {
			return prev.id, true
		}
	} else {
		if old := c.ring[c.next]; old != "" {
			delete(c.last, old)
		}
		c.ring[c.next] = key
		c.next = (c.next + 1) % len(c.ring)
	}
	c.last[key] = click{at: now, id: id}
	return id, false
}

// clickID is deterministic in the link and the window-sized time bucket, so
// two instances seeing the same double load within one bucket agree on the
// id and the pipeline deduplicates.
func clickID(tag []byte, now time.Time, window time.Duration) string {
	var bucket int64
	if window > 0 {
		bucket = now.UnixNano() / int64(window)
	} else {
		bucket = now.UnixNano()
	}
	h := sha256.New()
	h.Write(tag)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(bucket))
	h.Write(b[:])
	return "click-" + hex.EncodeToString(h.Sum(nil)[:16])
}
