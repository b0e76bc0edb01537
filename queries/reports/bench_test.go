package reports_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/queries/reports"
	"github.com/omnistream/omnistream/sinks/schema"
)

// benchSize is the number of broadcasts of the benchmark team (each to
// 20,000 of its 200,000 contacts, about 51,000 events); the team's chat
// traffic, journeys and orders and the other teams bring the total to
// about 111,000 events per broadcast (20: 2.2 M).
// OMNISTREAM_REPORTS_BENCH_BROADCASTS overrides it: 450 is about 50 M events.
func benchSize() int {
	if v, err := strconv.Atoi(os.Getenv("OMNISTREAM_REPORTS_BENCH_BROADCASTS")); err == nil && v > 0 {
		return v
	}
	return 20
}

// fillBench writes synthetic events straight into ClickHouse (INSERT …
// SELECT from numbers(), deterministic): per broadcast and recipient a
// send, a delivery (19 in 20) or a failure, a read or open (2 in 5), url
// and module clicks (1 in 10), replies (1 in 20) and orders; the same
// contacts' inbound chat traffic outside broadcasts; journeys; and as many
// events of other teams.
func fillBench(b *testing.B, conn clickhouse.Conn, broadcasts int) uint64 {
	b.Helper()
	ctx := clickhouse.Context(context.Background(), clickhouse.WithSettings(clickhouse.Settings{"max_insert_threads": 2}))
	const per = 20000
	n := broadcasts * per
	stmts := []string{
		// Broadcasts: b = i / per, recipient r = i % per, contact hashed
		// over 200,000; LINE for even broadcasts, WhatsApp for odd ones.
		fmt.Sprintf(`INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, customer_id,
		    source_kind, source_id, message_id, message_kind, reason, button_kind, button_id, url, watermark)
		SELECT 'bench', concat('e', toString(i), '-', toString(k)), t,
		       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalHour(b * 6) + toIntervalSecond(r %% 3600) + toIntervalSecond(k * 60),
		       if(b %% 2 = 0, 'line', 'whatsapp'), if(b %% 2 = 0, 'oa', 'wa'), concat('u', toString(c)), concat('c', toString(c)),
		       'broadcast', concat('b', toString(b)), concat('m', toString(i)), 'text_buttons',
		       if(t = 'message.failed', 'blocked', ''), if(t = 'button.clicked', if(k = 3, 'url', 'module'), ''),
		       if(t = 'button.clicked', concat('btn', toString(k)), ''), if(t = 'button.clicked', 'https://shop.example/x', ''),
		       toDateTime64(0, 3, 'UTC')
		FROM (
		    SELECT i, b, r, c, x.1 AS t, x.2 AS k
		    FROM (
		        SELECT number AS i, intDiv(number, %[1]d) AS b, number %% %[1]d AS r,
		               cityHash64(intDiv(number, %[1]d), number %% %[1]d) %% 200000 AS c, cityHash64(number) %% 100 AS h
		        FROM numbers(%[2]d)
		    )
		    ARRAY JOIN arrayFilter(y -> y.1 != '', [
		        ('message.sent', 0),
		        (if(h < 95, 'message.delivered', 'message.failed'), 1),
		        (if(h < 40, if(b %% 2 = 0, 'message.opened', 'message.read'), ''), 2),
		        (if(h < 10, 'button.clicked', ''), 3),
		        (if(h < 5, 'button.clicked', ''), 4)]) AS x
		)`, per, n),
		// Replies to broadcasts, and chat traffic of the same contacts.
		fmt.Sprintf(`INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, customer_id, inbound_kind, watermark)
		SELECT 'bench', concat('in', toString(number)), 'message.inbound',
		       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(cityHash64(number, 1) %% (%[1]d * 6 * 3600 + 86400)),
		       if(number %% 2 = 0, 'line', 'whatsapp'), if(number %% 2 = 0, 'oa', 'wa'),
		       concat('u', toString(cityHash64(number) %% 200000)), concat('c', toString(cityHash64(number) %% 200000)), 'text',
		       toDateTime64(0, 3, 'UTC')
		FROM numbers(%[2]d)`, broadcasts, n/2),
		// Journeys: 10 nodes, sends spread over the same time.
		fmt.Sprintf(`INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, customer_id,
		    source_kind, source_id, node_id, send_id, message_kind, watermark)
		SELECT 'bench', concat('j', toString(number), '-', toString(k)), if(k = 0, 'message.sent', 'message.delivered'),
		       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(cityHash64(number, 2) %% (%[1]d * 6 * 3600)) + toIntervalSecond(k),
		       'line', 'oa', concat('u', toString(cityHash64(number) %% 200000)), concat('c', toString(cityHash64(number) %% 200000)),
		       'journey', concat('j', toString(number %% 5)), concat('n', toString(number %% 10)), concat('s', toString(number)),
		       'carousel', toDateTime64(0, 3, 'UTC')
		FROM numbers(%[2]d) ARRAY JOIN [0, 1] AS k`, broadcasts, n/4),
		// Orders, some by member id only.
		fmt.Sprintf(`INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, customer_id,
		    source_kind, order_id, amount, currency, member_id, watermark)
		SELECT 'bench', concat('o', toString(number)), 'order.placed',
		       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(cityHash64(number, 3) %% (%[1]d * 6 * 3600 + 86400 * 30)),
		       'line', 'oa', concat('u', toString(cityHash64(number) %% 200000)), concat('c', toString(cityHash64(number) %% 200000)),
		       'pixel', concat('o', toString(number)), toDecimal64(100 + number %% 900, 4), 'TWD', '', toDateTime64(0, 3, 'UTC')
		FROM numbers(%[2]d)`, broadcasts, n/50),
		`INSERT INTO contact_map (team_id, channel_type, channel_id, contact_id, customer_id, version, deleted, updated_at)
		SELECT 'bench', ch, if(ch = 'line', 'oa', 'wa'), concat('u', toString(number)), concat('c', toString(number)), 1, 0, now64(3)
		FROM numbers(200000) ARRAY JOIN ['line', 'whatsapp'] AS ch`,
		// Other teams: the same volume again, which the reports must skip.
		fmt.Sprintf(`INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, source_kind, source_id, message_id, watermark)
		SELECT concat('other-', toString(number %% 7)), concat('x', toString(number)),
		       ['message.sent', 'message.delivered', 'message.inbound', 'button.clicked'][number %% 4 + 1],
		       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number %% (%[1]d * 6 * 3600)),
		       'line', 'oa', concat('u', toString(number %% 300000)), 'broadcast', concat('b', toString(number %% 97)),
		       concat('m', toString(number)), toDateTime64(0, 3, 'UTC')
		FROM numbers(%[2]d)`, broadcasts, n*2),
	}
	for _, q := range stmts {
		if err := conn.Exec(ctx, q); err != nil {
			b.Fatalf("fill: %v\n%s", err, q)
		}
	}
	if err := conn.Exec(ctx, "OPTIMIZE TABLE events FINAL"); err != nil {
		b.Logf("optimize: %v", err)
	}
	var total uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&total); err != nil {
		b.Fatal(err)
	}
	return total
}

// BenchmarkReports measures the report calls (as the HTTP handlers make
// them, without HTTP) on a team with many broadcasts among other teams'
// events; it reports p50 and p95 latency. The goal is p95 ≤ 100 ms at
// 50 M events.
func BenchmarkReports(b *testing.B) {
	db := testenv.Database(b)
	ctx := context.Background()
	if _, err := schema.Apply(ctx, db.Conn, schema.DefaultConfig(), nil); err != nil {
		b.Fatal(err)
	}
	nb := benchSize()
	start := time.Now()
	total := fillBench(b, db.Conn, nb)
	b.Logf("%d events in %v", total, time.Since(start).Round(time.Millisecond))
	s := reports.New(db.Conn, nil)
	team := teams.New("bench", "bench", "TW")
	calls := []struct {
		name string
		call func(i int) error
	}{
		{"broadcast", func(i int) error {
			_, err := s.Broadcast(ctx, &team, "b"+strconv.Itoa(i%nb))
			return err
		}},
		{"recipients", func(i int) error {
			_, err := s.Recipients(ctx, &team, "b"+strconv.Itoa(i%nb), reports.RecipientQuery{State: reports.StateClicked, Limit: 100})
			return err
		}},
		{"list", func(i int) error {
			_, err := s.Broadcasts(ctx, &team, reports.ListQuery{Limit: 20})
			return err
		}},
		{"journey", func(i int) error {
			_, err := s.Journey(ctx, &team, "j"+strconv.Itoa(i%5), reports.Range{})
			return err
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				if err := c.call(i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(total), "events")
		})
	}
}
