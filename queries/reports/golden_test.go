package reports_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/queries/reports"
)

// The expected reports of golden(), computed by hand from its comments.
// Rates are printed with 4 decimals, "-" is null.
var goldenBroadcasts = map[string]string{
	"b1": `b1 completed sent=2026-03-02T10:00:00+08:00 scheduled=2026-03-01T10:00:00+08:00 ended=2026-03-02T10:10:00+08:00
  line audience=10 delivered=5 success=0.5000 failed=2 map[blocked:1 invalid_user:1]
    read=- (-) opened=2 (0.4000) clicked=1 (0.2000) responded=2 (0.4000)
    orders=1 revenue=[TWD 50 ×1] deliveries=6 cost=TWD 1.2
    button module/btn-c clicked=1 clicks=1 (0.2000)
    button url/btn-a clicked=1 clicks=1 (0.2000) https://shop.example/btn-a
    button url/btn-b clicked=1 clicks=1 (0.2000) https://shop.example/btn-b
`,
	"b2": `b2 completed sent=2026-03-12T00:30:00+08:00 scheduled=- ended=2026-03-12T00:35:00+08:00
  line audience=2 delivered=2 success=1.0000 failed=0 map[]
    read=- (-) opened=- (-) clicked=0 (0.0000) responded=1 (0.5000)
    orders=0 revenue=[] deliveries=2 cost=TWD 0.4
`,
	"b3": `b3 failed sent=2026-03-02T10:00:00+08:00 scheduled=- ended=2026-03-02T11:00:00+08:00
  facebook audience=3 delivered=2 success=0.6667 failed=0 map[]
    read=1 (0.5000) opened=- (-) clicked=0 (0.0000) responded=0 (0.0000)
    orders=0 revenue=[] deliveries=4 cost=-
`,
	"b4": `b4 completed sent=2026-03-02T10:00:00+08:00 scheduled=2026-03-02T08:00:00+08:00 ended=2026-03-02T11:00:00+08:00
  whatsapp audience=5 delivered=4 success=0.8000 failed=1 map[Message undeliverable:1]
    read=2 (0.5000) opened=- (-) clicked=1 (0.2500) responded=1 (0.2500)
    orders=2 revenue=[TWD 100 ×1 USD 9.99 ×1] deliveries=4 cost=TWD 10.896
    button url/btn-shop clicked=1 clicks=1 (0.2500) https://shop.example/btn-shop
`,
}

const goldenJourney = `j1
  total sends=5 failed=1 opened=1 (0.2500) read=1 (1.0000) clicked=2 (0.4000) r12=2 (0.4000) r24=3 (0.6000) r48=3 (0.6000) unsub=1 (0.2000)
  n1 sends=4 failed=1 opened=1 (0.2500) read=- (-) clicked=1 (0.2500) r12=1 (0.2500) r24=2 (0.5000) r48=2 (0.5000) unsub=1 (0.2500)
  n2 sends=1 failed=0 opened=- (-) read=1 (1.0000) clicked=1 (1.0000) r12=1 (1.0000) r24=1 (1.0000) r48=1 (1.0000) unsub=0 (0.0000)
`

func optN(n *uint64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

func optR(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *r)
}

func optT(t interface{ Format(string) string }, ok bool) string {
	if !ok {
		return "-"
	}
	return t.Format("2006-01-02T15:04:05Z07:00")
}

func renderBroadcast(r *reports.BroadcastReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s sent=%s scheduled=%s ended=%s\n", r.BroadcastID, r.Status,
		optT(r.SentAt, r.SentAt != nil), optT(r.ScheduledAt, r.ScheduledAt != nil), optT(r.EndedAt, r.EndedAt != nil))
	for _, c := range r.Channels {
		fmt.Fprintf(&b, "  %s audience=%d delivered=%d success=%s failed=%d %v\n", c.Channel, c.Audience, c.Delivered, optR(c.SuccessRate), c.Failed, c.FailedByReason)
		fmt.Fprintf(&b, "    read=%s (%s) opened=%s (%s) clicked=%d (%s) responded=%d (%s)\n", optN(c.Read), optR(c.ReadRate),
			optN(c.Opened), optR(c.OpenRate), c.Clicked, optR(c.ClickRate), c.Responded, optR(c.ResponseRate))
		var rev []string
		for _, x := range c.Revenue {
			rev = append(rev, fmt.Sprintf("%s %s ×%d", x.Currency, x.Amount, x.Orders))
		}
		cost := "-"
		if c.EstimatedCost != nil {
			cost = c.EstimatedCost.Currency + " " + c.EstimatedCost.Amount
		}
		fmt.Fprintf(&b, "    orders=%d revenue=[%s] deliveries=%d cost=%s\n", c.Orders, strings.Join(rev, " "), c.Deliveries, cost)
		for _, x := range c.Buttons {
			fmt.Fprintf(&b, "    button %s/%s clicked=%d clicks=%d (%s)", x.Kind, x.ButtonID, x.Clicked, x.Clicks, optR(x.ClickRate))
			if x.URL != "" {
				fmt.Fprintf(&b, " %s", x.URL)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func renderNode(name string, n reports.JourneyNode) string {
	return fmt.Sprintf("  %s sends=%d failed=%d opened=%s (%s) read=%s (%s) clicked=%d (%s) r12=%d (%s) r24=%d (%s) r48=%d (%s) unsub=%d (%s)\n",
		name, n.Sends, n.Failed, optN(n.Opened), optR(n.OpenRate), optN(n.Read), optR(n.ReadRate), n.Clicked, optR(n.ClickRate),
		n.Responded12h, optR(n.ResponseRate12h), n.Responded24h, optR(n.ResponseRate24h), n.Responded48h, optR(n.ResponseRate48h),
		n.Unsubscribed, optR(n.UnsubscribeRate))
}

func renderJourney(r *reports.JourneyReport) string {
	var b strings.Builder
	b.WriteString(r.JourneyID + "\n")
	b.WriteString(renderNode("total", r.Total))
	for _, n := range r.Nodes {
		b.WriteString(renderNode(n.NodeID, n))
	}
	return b.String()
}

// orderings of the golden scenario: as built, shuffled, and shuffled with
// every event sent twice and every stored row copied once more (a duplicate
// older than the processor's dedup window).
var orderings = []struct {
	team      string
	shuffle   bool
	duplicate bool
}{
	{"inorder", false, false},
	{"shuffled", true, false},
	{"duplicated", true, true},
}

// loadGolden loads the golden scenario into one team per ordering.
func loadGolden(t *testing.T, d *deployment) {
	t.Helper()
	evs := golden()
	for i, o := range orderings {
		d.team(o.team)
		batch := slices.Clone(evs)
		if o.shuffle {
			rng := rand.New(rand.NewPCG(uint64(i+1), 42))
			rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		}
		if o.duplicate {
			again := slices.Clone(batch)
			rand.New(rand.NewPCG(7, 7)).Shuffle(len(again), func(a, b int) { again[a], again[b] = again[b], again[a] })
			batch = append(batch, again...)
		}
		d.post(o.team, batch)
	}
	for _, o := range orderings {
		d.settle(o.team)
		if o.duplicate {
			duplicateRows(t, d, o.team)
		}
	}
}

// duplicateRows stores every event row of team a second time, as a
// duplicate arriving after the processor forgot the first would be.
func duplicateRows(t *testing.T, d *deployment, team string) {
	t.Helper()
	ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"team": team}))
	var before, after uint64
	count := func(n *uint64) {
		if err := d.a.DB.QueryRow(ctx, "SELECT count() FROM events WHERE team_id = {team:String}").Scan(n); err != nil {
			t.Fatal(err)
		}
	}
	count(&before)
	if err := d.a.DB.Exec(ctx, `INSERT INTO events SELECT * REPLACE (kafka_offset + 1000000 AS kafka_offset, now64(3) AS ingested_at)
		FROM events WHERE team_id = {team:String}`); err != nil {
		t.Fatal(err)
	}
	count(&after)
	if after != 2*before {
		t.Fatalf("team %s: %d rows after copying %d", team, after, before)
	}
}

func TestGoldenScenario(t *testing.T) {
	d := start(t)
	loadGolden(t, d)
	for _, o := range orderings {
		t.Run(o.team, func(t *testing.T) {
			for _, id := range []string{"b1", "b2", "b3", "b4"} {
				var r reports.BroadcastReport
				d.mustGet(t, o.team, "/v1/reports/broadcasts/"+id, nil, &r)
				if got, want := renderBroadcast(&r), goldenBroadcasts[id]; got != want {
					t.Errorf("broadcast %s:\n got: %s\nwant: %s", id, got, want)
				}
			}
			var j reports.JourneyReport
			d.mustGet(t, o.team, "/v1/reports/journeys/j1", nil, &j)
			if got := renderJourney(&j); got != goldenJourney {
				t.Errorf("journey j1:\n got: %s\nwant: %s", got, goldenJourney)
			}
		})
	}
}

// The events as built must be the ones the test means: validate them as
// the ingest API would.
func TestGoldenEventsValid(t *testing.T) {
	for _, e := range golden() {
		b, err := event.AppendJSON(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := event.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", e.EventID, err)
		}
		if err := d.Validate(d.TS.Time.Add(1)); err != nil {
			t.Fatalf("%s (%s): %v", e.EventID, e.Type, err)
		}
	}
}
