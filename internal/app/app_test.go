package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/queries/reports"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is one deployment under test: a broker of its own and a database of
// its own in the process's embedded ClickHouse.
type env struct {
	cfg     app.Config
	brokers []string
	// logs, when set, receives every log line at debug level.
	logs *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) env {
	t.Helper()
	brokers, _ := testenv.Kafka(t)
	db := testenv.Database(t)
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.KafkaBrokers = brokers
	cfg.ClickHouseURL = db.Server.URL
	cfg.Database = db.Name
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.FlushInterval = 50 * time.Millisecond
	return env{cfg: cfg, brokers: brokers}
}

func (e env) start(t *testing.T, roles ...string) *app.App {
	t.Helper()
	cfg := e.cfg
	if len(roles) > 0 {
		cfg.Roles = roles
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel}))
	}
	if e.logs != nil {
		logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.Start(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	return a
}

func createTeam(t *testing.T, a *app.App, id string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := a.Teams.Put(ctx, teams.New(id, id, "TW")); err != nil {
		t.Fatal(err)
	}
	key, err := a.Teams.CreateKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// smallGen is a ~230-event scenario of one team. The generator names its
// teams prefix+index, so team must end in "0" for the events to belong to
// the team of the key that posts them.
func smallGen(team string) gen.Config {
	if !strings.HasSuffix(team, "0") {
		panic("smallGen: team " + team + " must end in 0")
	}
	cfg := gen.DefaultConfig()
	cfg.TeamPrefix, cfg.Teams, cfg.Contacts, cfg.Broadcasts = strings.TrimSuffix(team, "0"), 1, 24, 3
	return cfg
}

// expected runs the generator and returns its tally for team.
func expected(t *testing.T, cfg gen.Config) (gen.Expected, []event.Event) {
	t.Helper()
	var evs []event.Event
	exp, err := gen.Generate(cfg, func(_ string, e event.Event) error { evs = append(evs, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return exp, evs
}

func getReport(base, key, id string) (*reports.BroadcastReport, int, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/reports/broadcasts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var r reports.BroadcastReport
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return nil, resp.StatusCode, err
		}
	}
	return &r, resp.StatusCode, nil
}

func wantReport(exp gen.Expected, team, id string) string {
	var b strings.Builder
	for _, ch := range []string{"facebook", "instagram", "line", "whatsapp"} {
		c := exp.Broadcasts[team][id][ch]
		if c == nil {
			continue
		}
		// Audience is the contacts sent to; reads exist off LINE, opens on it.
		read, opened := fmt.Sprint(c.Read), "-"
		if ch == "line" {
			read, opened = "-", fmt.Sprint(c.Opened)
		}
		fmt.Fprintf(&b, "%s audience=%d delivered=%d failed=%d read=%s opened=%s clicked=%d\n", ch, c.Sent, c.Delivered, c.Failed, read, opened, c.Clicked)
	}
	return b.String()
}

func gotReport(r *reports.BroadcastReport) string {
	var b strings.Builder
	for _, c := range r.Channels {
		fmt.Fprintf(&b, "%s audience=%d delivered=%d failed=%d read=%s opened=%s clicked=%d\n", c.Channel, c.Audience, c.Delivered, c.Failed, optCount(c.Read), optCount(c.Opened), c.Clicked)
	}
	return b.String()
}

// optCount prints a count that may be absent.
func optCount(n *uint64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// waitReports waits until every broadcast of the tally reports exactly.
func waitReports(t *testing.T, base, key, team string, exp gen.Expected) {
	t.Helper()
	if len(exp.Broadcasts[team]) == 0 {
		t.Fatalf("the scenario has no broadcasts of team %s: nothing to check", team)
	}
	deadline := time.Now().Add(30 * time.Second)
	for id := range exp.Broadcasts[team] {
		want := wantReport(exp, team, id)
		var got string
		for {
			r, code, err := getReport(base, key, id)
			if err == nil && code == http.StatusOK {
				got = gotReport(r)
				if got == want {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("broadcast %s: report\n%s\nwant\n%s(last status %d, err %v)", id, got, want, code, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// eventCount is the number of rows in the events table of a team.
func eventCount(t *testing.T, a *app.App, team string) uint64 {
	t.Helper()
	var n uint64
	ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"team": team}))
	if err := a.DB.QueryRow(ctx, "SELECT count() FROM events WHERE team_id = {team:String}").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScenarioReportAndResend(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "shop0")
	cfg := smallGen("shop0")
	exp, _ := expected(t, cfg)
	if exp.Events < 150 || exp.Events > 400 {
		t.Fatalf("scenario has %d events, want about 200", exp.Events)
	}
	n, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 50, nil)
	if err != nil || n != exp.Events {
		t.Fatalf("posted %d of %d: %v", n, exp.Events, err)
	}
	waitReports(t, a.HTTPURL, key, "shop0", exp)
	if got := eventCount(t, a, "shop0"); got != uint64(exp.Events) {
		t.Fatalf("events table has %d rows, want %d", got, exp.Events)
	}
	// Resending the same events (same ids) changes nothing.
	if _, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 37, nil); err != nil {
		t.Fatal(err)
	}
	// A marker event posted after the resend proves the resend was processed.
	marker := `{"event_id":"marker","type":"broadcast.completed","ts":"2026-01-10T00:00:00Z"}`
	postRaw(t, a.HTTPURL, key, marker, http.StatusAccepted)
	waitCount(t, a, "shop0", uint64(exp.Events)+1)
	waitReports(t, a.HTTPURL, key, "shop0", exp)
}

func waitCount(t *testing.T, a *app.App, team string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := eventCount(t, a, team)
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("events of %s: %d rows, want %d", team, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postRaw(t *testing.T, base, key, body string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/events", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %q: status %d, want %d: %s", body, resp.StatusCode, want, b)
	}
	return strings.TrimSpace(string(b))
}

func endOffsets(t *testing.T, brokers []string, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	ends.Each(func(o kadm.ListedOffset) { sum += o.Offset })
	return sum
}

func TestIngestRefusals(t *testing.T) {
	e := newEnv(t)
	a := e.start(t, app.RoleIngest)
	defer a.Close()
	key := createTeam(t, a, "acme")
	ok := `{"event_id":"e1","type":"message.delivered","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"oa"},"contact":{"channel_user_id":"u1"}}`
	tests := []struct {
		name, key, body string
		code            int
		want            string
	}{
		{"malformed json", key, `[{"event_id":"e1",`, 400, `{"errors":[{"index":-1,"field":"body","message":"body is not a valid JSON array: `},
		{"wrong type", key, `[{"event_id":"e1","type":"message.read","ts":true,"channel":{"type":"line","id":"oa"},"contact":{"channel_user_id":"u"}}]`, 400, `{"errors":[{"index":0,"field":"ts","message":"must be an RFC 3339 time or Unix milliseconds"}]}`},
		{"missing fields, second record", key, ok + "\n" + `{"event_id":"e2","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"oa"},"contact":{"channel_user_id":"u1"}}`, 400, `{"errors":[{"index":1,"field":"props.tag","message":"is required for tag.added"}]}`},
		{"unknown type", key, `{"event_id":"e3","type":"message.teleported","ts":"2026-01-05T10:00:00Z"}`, 400, `{"errors":[{"index":0,"field":"type","message":"unknown event type \"message.teleported\""}]}`},
		{"wrong key", "osk_nope_nope", ok, 401, `{"error":"authorization: missing, unknown or revoked API key"}`},
		{"no key", "", ok, 401, `{"error":"authorization: send 'Authorization: Bearer <team API key>'"}`},
		{"other team", key, `{"event_id":"e4","team_id":"rival","type":"broadcast.started","ts":"2026-01-05T10:00:00Z"}`, 403, `{"error":"record 0: team_id \"rival\" does not match the API key's team"}`},
		{"oversized", key, "[" + strings.Repeat(" ", 9<<20) + "]", 413, `{"error":"body: 9437186 bytes is larger than the limit of 8388608 bytes; split the batch"}`},
	}
	before := endOffsets(t, e.brokers, a.Topics.Events)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := postRaw(t, a.HTTPURL, tc.key, tc.body, tc.code)
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("body\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
	if after := endOffsets(t, e.brokers, a.Topics.Events); after != before {
		t.Fatalf("refused requests wrote %d records to Kafka", after-before)
	}
	if got := postRaw(t, a.HTTPURL, key, ok, 202); got != `{"accepted":1}` {
		t.Fatalf("accepted body %s", got)
	}
	if after := endOffsets(t, e.brokers, a.Topics.Events); after != before+1 {
		t.Fatalf("accepted request wrote %d records, want 1", after-before)
	}
}

func TestDeadLetterKeepsPartitionFlowing(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "dl")
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{a.Topics.DLQ: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Records that reached Kafka but cannot be processed: not JSON, a team
	// that disagrees with the key, an invalid event.
	poison := []*kgo.Record{
		{Topic: a.Topics.Events, Key: []byte("dl"), Value: []byte("{not json")},
		{Topic: a.Topics.Events, Key: []byte("dl"), Value: []byte(`{"event_id":"x1","team_id":"other","type":"broadcast.started","ts":"2026-01-05T10:00:00Z"}`)},
		{Topic: a.Topics.Events, Key: []byte("dl"), Value: []byte(`{"event_id":"x2","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"oa"},"contact":{"channel_user_id":"u"}}`)},
	}
	if err := cl.ProduceSync(context.Background(), poison...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	postRaw(t, a.HTTPURL, key, `{"event_id":"after","type":"broadcast.completed","ts":"2026-01-05T11:00:00Z"}`, 202)
	waitCount(t, a, "dl", 1)
	want := map[string]string{
		"{not json": "invalid event: malformed JSON",
		`{"event_id":"x1","team_id":"other","type":"broadcast.started","ts":"2026-01-05T10:00:00Z"}`:                                             `team_id missing or different from the record key (key "dl", team_id "other")`,
		`{"event_id":"x2","type":"tag.added","ts":"2026-01-05T10:00:00Z","channel":{"type":"line","id":"oa"},"contact":{"channel_user_id":"u"}}`: "invalid event: props.tag: is required for tag.added",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[string]string{}
	for len(got) < len(want) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("dead letters: got %d of %d: %v", len(got), len(want), got)
		}
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == "reason" {
					got[string(r.Value)] = string(h.Value)
				}
			}
		})
	}
	for v, reason := range want {
		if !strings.HasPrefix(got[v], reason) {
			t.Errorf("dead letter %s: reason %q, want prefix %q", v, got[v], reason)
		}
	}
}

var testLogLevel = func() slog.Level {
	if os.Getenv("OMNI_TEST_LOG") == "info" {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}()
