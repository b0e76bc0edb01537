package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// deployment is a whole embedded pipeline (ingest API, Kafka, processors,
// ClickHouse, report API) of one test: scenario events go in through the
// public ingest API and come out of the report API, so the rows the reports
// read are exactly the ones the processor writes.
type deployment struct {
	t    *testing.T
	a    *app.App
	keys map[string]string // team → API key
}

func start(t *testing.T) *deployment {
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
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.Start(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return &deployment{t: t, a: a, keys: map[string]string{}}
}

// team creates a team (region TW: Asia/Taipei, TWD, LINE 0.2, WhatsApp
// 2.724) and returns its API key.
func (d *deployment) team(id string) string {
	d.t.Helper()
	ctx := context.Background()
	if _, err := d.a.Teams.Put(ctx, teams.New(id, id, "TW")); err != nil {
		d.t.Fatal(err)
	}
	key, err := d.a.Teams.CreateKey(ctx, id)
	if err != nil {
		d.t.Fatal(err)
	}
	d.keys[id] = key
	return key
}

// post sends events to the ingest API as NDJSON, in order, in batches.
func (d *deployment) post(team string, evs []event.Event) {
	d.t.Helper()
	for i := 0; i < len(evs); i += 50 {
		var buf bytes.Buffer
		for _, e := range evs[i:min(i+50, len(evs))] {
			e.TeamID = ""
			b, err := event.AppendJSON(nil, &e)
			if err != nil {
				d.t.Fatal(err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		req, _ := http.NewRequest(http.MethodPost, d.a.HTTPURL+"/v1/events", &buf)
		req.Header.Set("Authorization", "Bearer "+d.keys[team])
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			d.t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			d.t.Fatalf("post events: %s: %s", resp.Status, body.String())
		}
	}
}

// settle posts a marker event after everything else and waits until the
// processor has stored it: the team's events go through one partition in
// order, so every earlier event (and its identity rows) is stored too.
func (d *deployment) settle(team string) {
	d.t.Helper()
	id := fmt.Sprintf("marker-%d", time.Now().UnixNano())
	d.post(team, []event.Event{{EventID: id, Type: event.TagAdded, TS: event.MilliTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		Channel: event.Channel{Type: "web", ID: "marker"}, Contact: event.Contact{ChannelUserID: "marker"}, Props: json.RawMessage(`{"tag":"marker"}`)}})
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n uint64
		ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"team": team, "id": id}))
		if err := d.a.DB.QueryRow(ctx, "SELECT count() FROM events WHERE team_id = {team:String} AND event_id = {id:String}").Scan(&n); err != nil {
			d.t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("marker of team %s not stored after 30s", team)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get calls the report API as team and decodes a 200 answer into v; it
// returns the status and the raw body.
func (d *deployment) get(t testing.TB, team, path string, q url.Values, v any) (int, string) {
	t.Helper()
	u := d.a.HTTPURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+d.keys[team])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(body.Bytes(), v); err != nil {
			t.Fatalf("decode %s: %v: %s", path, err, body.String())
		}
	}
	return resp.StatusCode, body.String()
}

// mustGet is get that fails the test unless the answer is 200.
func (d *deployment) mustGet(t testing.TB, team, path string, q url.Values, v any) {
	t.Helper()
	if code, body := d.get(t, team, path, q, v); code != http.StatusOK {
		t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), code, body)
	}
}
