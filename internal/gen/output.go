package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/ingest/event"
)

// Options pace a stream and report its progress.
type Options struct {
	// Rate is the target in events per second; 0 is as fast as possible.
	Rate float64
	// Progress, when set, is called about every ProgressEvery with the
	// events written so far, and once at the end.
	Progress func(Progress)
	// ProgressEvery defaults to one second.
	ProgressEvery time.Duration
}

// Progress is how far a stream got.
type Progress struct {
	Events  int           // acknowledged events
	Bytes   int64         // bytes of their JSON
	Elapsed time.Duration // since the stream started
	Done    bool          // the last report
}

// Rate is events per second so far.
func (p Progress) Rate() float64 { return float64(p.Events) / max(p.Elapsed.Seconds(), 1e-9) }

// String is a progress line: "1234567 events, 123456 events/s, 35.2 MB/s".
func (p Progress) String() string {
	return fmt.Sprintf("%d events, %.0f events/s, %.1f MB/s", p.Events, p.Rate(), float64(p.Bytes)/1e6/max(p.Elapsed.Seconds(), 1e-9))
}

// pacer holds a stream to its rate.
type pacer struct {
	rate  float64
	start time.Time
}

// wait blocks until n events are due.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return ctx.Err()
	}
	due := p.start.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// reporter calls Options.Progress from its own goroutine.
type reporter struct {
	events atomic.Int64
	bytes  atomic.Int64
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
	fn     func(Progress)
}

func newReporter(o Options) *reporter {
	r := &reporter{start: time.Now(), stop: make(chan struct{}), done: make(chan struct{}), fn: o.Progress}
	every := o.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	go func() {
		defer close(r.done)
		if r.fn == nil {
			<-r.stop
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				r.fn(r.progress(false))
			}
		}
	}()
	return r
}

func (r *reporter) progress(done bool) Progress {
	return Progress{Events: int(r.events.Load()), Bytes: r.bytes.Load(), Elapsed: time.Since(r.start), Done: done}
}

func (r *reporter) finish() {
	close(r.stop)
	<-r.done
	if r.fn != nil {
		r.fn(r.progress(true))
	}
}

// ProducerOpts are producer settings for writing streams fast: large lz4
// batches, acks from all in-sync replicas, a short linger. Add them to the
// client's seed brokers.
func ProducerOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		kgo.ProducerBatchMaxBytes(4 << 20),
		kgo.MaxBufferedRecords(200_000),
		kgo.ProducerLinger(5 * time.Millisecond),
	}
}

// slab hands out byte slices carved from large blocks, so that encoding
// millions of records costs few allocations. A block is freed once no
// record refers to it.
type slab struct{ block []byte }

func (s *slab) take(b []byte) []byte {
	if cap(s.block)-len(s.block) < len(b) {
		s.block = make([]byte, 0, max(1<<20, len(b)))
	}
	start := len(s.block)
	s.block = append(s.block, b...)
	return s.block[start:len(s.block):len(s.block)]
}

// ToKafka writes cfg's events to topic through cl, as the ingest API's
// publisher does: keyed by team (one team's events stay in one partition),
// with the event id in an "event_id" header. It returns once every record
// is acknowledged, with the tally of what was written.
func ToKafka(ctx context.Context, cl *kgo.Client, topic string, cfg Config, o Options) (Expected, error) {
	rep := newReporter(o)
	p := &pacer{rate: o.Rate, start: rep.start}
	var (
		firstErr atomic.Pointer[error]
		sl       slab
		buf      []byte
		n        int
		keys     = map[string][]byte{}
	)
	fail := func(err error) { firstErr.CompareAndSwap(nil, &err) }
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			fail(fmt.Errorf("produce event to %s: %w", topic, err))
			return
		}
		rep.events.Add(1)
		rep.bytes.Add(int64(len(r.Value)))
	}
	exp, err := Generate(cfg, func(team string, e event.Event) error {
		if ep := firstErr.Load(); ep != nil {
			return *ep
		}
		if n%256 == 0 {
			if err := p.wait(ctx, n); err != nil {
				return err
			}
		}
		n++
		var err error
		if buf, err = event.AppendJSON(buf[:0], &e); err != nil {
			return err
		}
		key := keys[team]
		if key == nil {
			key = []byte(team)
			keys[team] = key
		}
		v := sl.take(buf)
		r := &kgo.Record{Topic: topic, Key: key, Value: v, Headers: []kgo.RecordHeader{{Key: "event_id", Value: sl.take([]byte(e.EventID))}}}
		cl.Produce(ctx, r, promise)
		return nil
	})
	if ferr := cl.Flush(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	rep.finish()
	if ep := firstErr.Load(); ep != nil && err == nil {
		err = *ep
	}
	return exp, err
}

// PostConfig says where Post sends events.
type PostConfig struct {
	// URL is the base URL of the ingest API (POST URL/v1/events).
	URL string
	// Keys maps a team to its API key; Key is used for teams not in Keys.
	// With a single Key, every team's events go to that key's team.
	Keys map[string]string
	Key  string
	// Batch is events per request. Default 1000.
	Batch int
	// Concurrency is requests in flight. Default 4.
	Concurrency int
	// Client defaults to a client with keep-alive connections for
	// Concurrency requests.
	Client *http.Client
}

// Post sends cfg's events to the ingest API, in NDJSON requests of one
// team's events each, without team_id (the key says the team). A 503 is
// retried with the same body (the API accepted nothing of it); any other
// refusal stops the stream. It returns the tally of what was generated.
func Post(ctx context.Context, pc PostConfig, cfg Config, o Options) (Expected, error) {
	if pc.Batch <= 0 {
		pc.Batch = 1000
	}
	if pc.Concurrency <= 0 {
		pc.Concurrency = 4
	}
	if pc.Client == nil {
		pc.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: pc.Concurrency, MaxConnsPerHost: pc.Concurrency}}
	}
	type request struct {
		key  string
		body []byte
		n    int
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep := newReporter(o)
	p := &pacer{rate: o.Rate, start: rep.start}
	reqs := make(chan request, pc.Concurrency)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		postErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { postErr = err; cancel() })
	}
	for range pc.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rq := range reqs {
				if err := postBatch(ctx, pc.Client, pc.URL, rq.key, rq.body, rq.n); err != nil {
					fail(err)
					continue
				}
				rep.events.Add(int64(rq.n))
				rep.bytes.Add(int64(len(rq.body)))
			}
		}()
	}
	type pending struct {
		buf []byte
		n   int
	}
	batches := map[string]*pending{}
	sent := 0
	flush := func(team string, b *pending) error {
		if b.n == 0 {
			return nil
		}
		key := pc.Keys[team]
		if key == "" {
			key = pc.Key
		}
		if key == "" {
			return fmt.Errorf("post events: no API key for team %s", team)
		}
		if err := p.wait(ctx, sent); err != nil {
			return err
		}
		select {
		case reqs <- request{key: key, body: b.buf, n: b.n}:
		case <-ctx.Done():
			return ctx.Err()
		}
		sent += b.n
		b.buf, b.n = nil, 0
		return nil
	}
	exp, err := Generate(cfg, func(team string, e event.Event) error {
		b := batches[team]
		if b == nil {
			b = &pending{}
			batches[team] = b
		}
		e.TeamID = ""
		var err error
		if b.buf, err = event.AppendJSON(b.buf, &e); err != nil {
			return err
		}
		b.buf = append(b.buf, '\n')
		b.n++
		if b.n >= pc.Batch {
			return flush(team, b)
		}
		return nil
	})
	for _, team := range cfg.TeamNames() {
		if b := batches[team]; b != nil && err == nil {
			err = flush(team, b)
		}
	}
	close(reqs)
	wg.Wait()
	rep.finish()
	if postErr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = postErr
	}
	return exp, err
}

// postBatch posts one NDJSON body, retrying while the API answers 503.
func postBatch(ctx context.Context, cl *http.Client, base, key string, body []byte, n int) error {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/events", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := cl.Do(req)
		if err != nil {
			return fmt.Errorf("post %d events: %w", n, err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusAccepted:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 20:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		default:
			return fmt.Errorf("post %d events: status %s: %s", n, resp.Status, bytes.TrimSpace(msg))
		}
	}
}
