package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/broker"
	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/dlq"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/internal/topics"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func metric(t *testing.T, a *app.App, line string) bool {
	t.Helper()
	resp, err := http.Get(a.HTTPURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if l == line {
			return true
		}
	}
	return false
}

// TestBrokerRestart stops the embedded broker while ingest and processors
// run: ingest answers 503 with Retry-After and accepts nothing; after the
// broker is back on its data directory everything resumes, exactly.
func TestBrokerRestart(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	b, err := broker.Start(broker.Config{DataDir: dir, Port: port, SyncWrites: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.cfg.KafkaBrokers = b.Addrs()
	e.cfg.PublishTimeout = 2 * time.Second
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "brk0")
	cfg := smallGen("brk0")
	exp, _ := expected(t, cfg)
	if _, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 40, nil); err != nil {
		t.Fatal(err)
	}
	waitCount(t, a, "brk0", uint64(exp.Events))

	b.Close()
	body := `{"event_id":"late-1","type":"broadcast.completed","ts":"2026-01-10T00:00:00Z"}`
	req, _ := http.NewRequest(http.MethodPost, a.HTTPURL+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with the broker down: status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	b2, err := broker.Start(broker.Config{DataDir: dir, Port: port, SyncWrites: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	back := time.Now()
	// The client retries the refused request; the event lands once.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, a.HTTPURL+"/v1/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingest did not recover after the broker restart (last status %v, %v)", resp, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitCount(t, a, "brk0", uint64(exp.Events)+1)
	waitReports(t, a.HTTPURL, key, "brk0", exp)
	t.Logf("fault figures: broker restart: %d events, 0 lost, 0 doubled, recovered in %s", exp.Events+1, time.Since(back).Round(time.Millisecond))
}

// TestClickHouseOutage cuts the processors off ClickHouse for 30 s: they
// back off, consumption pauses (lag grows, nothing more is committed), and
// after ClickHouse returns every event is stored exactly once.
func TestClickHouseOutage(t *testing.T) {
	e := newEnv(t)
	proxy := testenv.NewProxy(t, e.cfg.ClickHouseURL)
	ing := e.start(t, app.RoleIngest, app.RoleServe)
	defer ing.Close()
	key := createTeam(t, ing, "out0")
	pcfg := e.cfg
	pcfg.ClickHouseURL = proxy.URL
	pcfg.Roles = []string{app.RoleProcess}
	proc, err := app.Start(context.Background(), pcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	proxy.Set(testenv.ProxyDown)
	cfg := smallGen("out0")
	cfg.Contacts = 100
	exp, _ := expected(t, cfg)
	if _, err := demo.Post(context.Background(), ing.HTTPURL, key, cfg, 100, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	if got := eventCount(t, ing, "out0"); got != 0 {
		t.Fatalf("%d events stored while ClickHouse was unreachable", got)
	}
	if proxy.Failed.Load() == 0 {
		t.Fatal("the processors never tried ClickHouse during the outage")
	}
	if lag := groupLag(t, e.brokers); lag != int64(exp.Events) {
		t.Fatalf("committed lag during the outage is %d, want all %d events uncommitted", lag, exp.Events)
	}
	proxy.Set(testenv.ProxyUp)
	back := time.Now()
	waitCount(t, ing, "out0", uint64(exp.Events))
	waitReports(t, ing.HTTPURL, key, "out0", exp)
	t.Logf("fault figures: ClickHouse outage 30s: %d events, 0 lost, 0 doubled, recovered in %s", exp.Events, time.Since(back).Round(time.Millisecond))
}

func groupLag(t *testing.T, brokers []string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	lags, err := adm.Lag(context.Background(), "omnistream-processors")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, l := range lags {
		for _, ps := range l.Lag {
			for _, p := range ps {
				if p.Topic == topics.DefaultConfig().Events {
					sum += p.Lag
				}
			}
		}
	}
	return sum
}

// TestInsertFailureRaisesAlert makes every INSERT fail as on a full disk:
// the batch is retried, the alert gauge goes up, and once inserts work the
// data lands exactly and the gauge drops.
func TestInsertFailureRaisesAlert(t *testing.T) {
	e := newEnv(t)
	proxy := testenv.NewProxy(t, e.cfg.ClickHouseURL)
	proxy.Set(testenv.ProxyFailInserts)
	e.cfg.ClickHouseURL = proxy.URL
	a := e.start(t)
	defer a.Close()
	proxy.Set(testenv.ProxyUp)
	key := createTeam(t, a, "disk0")
	proxy.Set(testenv.ProxyFailInserts)
	cfg := smallGen("disk0")
	exp, _ := expected(t, cfg)
	if _, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 100, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !metric(t, a, `omnistream_sink_failing{table="sink_batches"} 1`) {
		if time.Now().After(deadline) {
			t.Fatal("alert gauge omnistream_sink_failing never rose")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := eventCount(t, a, "disk0"); got != 0 {
		t.Fatalf("%d events stored while inserts failed", got)
	}
	proxy.Set(testenv.ProxyUp)
	back := time.Now()
	waitCount(t, a, "disk0", uint64(exp.Events))
	waitReports(t, a.HTTPURL, key, "disk0", exp)
	t.Logf("fault figures: failing inserts: %d events, 0 lost, 0 doubled, recovered in %s", exp.Events, time.Since(back).Round(time.Millisecond))
	if metric(t, a, `omnistream_sink_failing{table="events"} 1`) || !metric(t, a, `omnistream_sink_failing{table="events"} 0`) {
		t.Fatal("alert gauge still raised after inserts recovered")
	}
}

// TestPoisonAndReplay sends poison of every kind straight to Kafka, checks
// each is dead-lettered with its reason while good records flow, then fixes
// one by replaying it under its team.
func TestPoisonAndReplay(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "psn0")
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	poison := []struct{ key, value, reason string }{
		{"psn0", "", "invalid event: record must be a JSON object"},
		{"psn0", "\x00\x01binary", "invalid event: record must be a JSON object"},
		{"psn0", `{"event_id":1}`, "invalid event: event_id: must be a string, got a number"},
		{"psn0", `{"event_id":"p1","type":"nope","ts":"2026-01-05T00:00:00Z"}`, `invalid event: type: unknown event type "nope"`},
		{"psn0", `{"event_id":"p2","type":"broadcast.started","ts":"2999-01-05T00:00:00Z"}`, "invalid event: ts: is more than 24h in the future"},
		{"psn0", `{"event_id":"p3","team_id":"other","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`, "team_id missing or different from the record key"},
		{"", `{"event_id":"p4","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`, "team_id missing or different from the record key"},
		{"psn0", `{"event_id":"p5","type":"order.placed","ts":"2026-01-05T00:00:00Z","props":{"member_id":"m","order_id":"o","amount":"1e9","currency":"TWD"}}`, "invalid event: props.amount: must be a decimal number with at most 4 decimals"},
	}
	var recs []*kgo.Record
	for _, p := range poison {
		recs = append(recs, &kgo.Record{Topic: a.Topics.Events, Key: []byte(p.key), Value: []byte(p.value)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	postRaw(t, a.HTTPURL, key, `{"event_id":"good","type":"broadcast.completed","ts":"2026-01-05T11:00:00Z"}`, 202)
	waitCount(t, a, "psn0", 1)
	var es []dlq.Entry
	deadline := time.Now().Add(20 * time.Second)
	for len(es) < len(poison) {
		es, err = dlq.List(context.Background(), e.brokers, a.Topics.DLQ, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d dead letters, want %d", len(es), len(poison))
		}
		time.Sleep(100 * time.Millisecond)
	}
	byValue := map[string]dlq.Entry{}
	for _, en := range es {
		byValue[string(en.Value)] = en
	}
	for _, p := range poison {
		en, ok := byValue[p.value]
		if !ok || !strings.HasPrefix(en.Reason, p.reason) || en.SourceTopic != a.Topics.Events || en.SourceKey != p.key {
			t.Errorf("poison %q: dead letter %+v, want reason prefix %q", p.value, en, p.reason)
		}
	}
	// The keyless record was fine but for its missing team: replay it under
	// the team and it is processed.
	n, err := dlq.Replay(context.Background(), e.brokers, a.Topics.Events, []dlq.Entry{byValue[poison[6].value]}, "psn0")
	if err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	waitCount(t, a, "psn0", 2)
	if got := queryUint(t, a, `SELECT count() FROM events WHERE team_id = {team:String} AND event_id = 'p4'`, "team", "psn0"); got != 1 {
		t.Fatalf("replayed event stored %d times", got)
	}
}
