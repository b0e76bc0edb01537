package bench_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestSmoke is the small version of `make bench` that `make test` runs: the
// generator's full mix (skewed teams, journeys, orders, interleaved) is
// written straight to Kafka as `omnistream gen -brokers` writes it, every
// processor consumes it, and what reaches ClickHouse is checked exactly
// against the generator's tally; then part of the stream is written again
// and nothing changes. It never looks at a clock's speed.
func TestSmoke(t *testing.T) {
	ctx := context.Background()
	brokers, tc := testenv.Kafka(t)
	db := testenv.Database(t)
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.KafkaBrokers = brokers
	cfg.ClickHouseURL = db.Server.URL
	cfg.Database = db.Name
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Partitions = tc.Partitions
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.Roles = []string{app.RoleProcess, app.RoleServe}
	a, err := app.Start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	defer a.Close()

	g := gen.LoadConfig(20_000, 8)
	g.TeamPrefix = "smoke-"
	key := createTeam(t, a, "smoke-0")
	cl, err := kgo.NewClient(append(gen.ProducerOpts(), kgo.SeedBrokers(brokers...))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	exp, err := gen.ToKafka(ctx, cl, tc.Events, g, gen.Options{})
	if err != nil {
		t.Fatalf("write the stream: %v", err)
	}
	if exp.Events != 20_000 {
		t.Fatalf("generated %d events, want 20000", exp.Events)
	}
	waitEvents(t, db.Conn, uint64(exp.Events))
	checkTypes(t, db.Conn, exp)
	checkOrders(t, db.Conn, exp)
	checkBroadcast(t, a.HTTPURL, key, exp, "smoke-0", "smoke-0-b0")

	// The first 5,000 events again (same ids: a producer retry, a replay),
	// then one marker per team, which lands after the team's duplicates in
	// its partition: once every marker is in, the duplicates were processed.
	again := g
	again.MaxEvents = 5000
	if _, err := gen.ToKafka(ctx, cl, tc.Events, again, gen.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, team := range g.TeamNames() {
		e := event.Event{EventID: "marker", TeamID: team, Type: event.BroadcastCompleted, TS: event.MilliTime(g.Start)}
		v, err := event.AppendJSON(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: tc.Events, Key: []byte(team), Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	waitEvents(t, db.Conn, uint64(exp.Events+g.Teams))
	for _, team := range g.TeamNames() {
		exp.Types[team][event.BroadcastCompleted]++
	}
	checkTypes(t, db.Conn, exp)
	checkOrders(t, db.Conn, exp)
}

func createTeam(t *testing.T, a *app.App, id string) string {
	t.Helper()
	if _, err := a.Teams.Put(context.Background(), teams.New(id, id, "TW")); err != nil {
		t.Fatal(err)
	}
	key, err := a.Teams.CreateKey(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// waitEvents waits for exactly want rows in events; more is a failure.
func waitEvents(t *testing.T, conn clickhouse.Conn, want uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM events").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if n > want || time.Now().After(deadline) {
			t.Fatalf("events has %d rows, want %d", n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkTypes compares the events per team and type with the tally.
func checkTypes(t *testing.T, conn clickhouse.Conn, exp gen.Expected) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT team_id, type, count() FROM events GROUP BY team_id, type")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var team, typ string
		var n uint64
		if err := rows.Scan(&team, &typ, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d", team, typ, n))
	}
	var want []string
	for team, m := range exp.Types {
		for typ, n := range m {
			want = append(want, fmt.Sprintf("%s %s %d", team, typ, n))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Fatalf("events per team and type:\n%s\nwant\n%s", g, w)
	}
}

// checkOrders compares each team's orders and revenue with the tally.
func checkOrders(t *testing.T, conn clickhouse.Conn, exp gen.Expected) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT team_id, count(), toString(sum(amount)) FROM events WHERE type = 'order.placed' GROUP BY team_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var team, sum string
		var n uint64
		if err := rows.Scan(&team, &n, &sum); err != nil {
			t.Fatal(err)
		}
		got[team] = fmt.Sprintf("%d %s", n, sum)
	}
	for team, o := range exp.Orders {
		if o.Count == 0 {
			continue
		}
		if want := fmt.Sprintf("%d %s", o.Count, o.Amount); got[team] != want {
			t.Errorf("orders of %s: %q, want %q", team, got[team], want)
		}
	}
}

// checkBroadcast compares the broadcast report's delivered, failed and
// clicked people per channel with the tally.
func checkBroadcast(t *testing.T, base, key string, exp gen.Expected, team, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/reports/broadcasts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("broadcast report %s: status %s", id, resp.Status)
	}
	var rep struct {
		Channels []struct {
			Channel   string `json:"channel"`
			Delivered uint64 `json:"delivered"`
			Failed    uint64 `json:"failed"`
			Clicked   uint64 `json:"clicked"`
		} `json:"channels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, c := range rep.Channels {
		got = append(got, fmt.Sprintf("%s delivered=%d failed=%d clicked=%d", c.Channel, c.Delivered, c.Failed, c.Clicked))
	}
	for ch, c := range exp.Broadcasts[team][id] {
		want = append(want, fmt.Sprintf("%s delivered=%d failed=%d clicked=%d", ch, c.Delivered, c.Failed, c.Clicked))
	}
	sort.Strings(got)
	sort.Strings(want)
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Fatalf("broadcast %s:\n%s\nwant\n%s", id, g, w)
	}
}
