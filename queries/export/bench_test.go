package export

import (
	"context"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/sinks/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// BenchmarkExport1M streams a 1,000,000-row events export as CSV and as
// Parquet and reports the peak Go heap while it runs: it stays near one
// ClickHouse block, not the export's size.
func BenchmarkExport1M(b *testing.B) {
	db := testenv.Database(b)
	ctx := context.Background()
	if _, err := schema.Apply(ctx, db.Conn, schema.DefaultConfig(), nil); err != nil {
		b.Fatal(err)
	}
	if err := db.Conn.Exec(ctx, `INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, customer_id, source_kind, source_id)
		SELECT 'bench', toString(number), 'message.delivered', toDateTime64('2026-01-05 00:00:00', 3, 'UTC') + number / 1000,
		       'line', 'oa', concat('U', toString(number % 100000)), concat('c_', toString(number % 90000)), 'broadcast', concat('b', toString(number % 50))
		FROM numbers(1000000)`); err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, format := range []string{CSV, Parquet, Arrow} {
		b.Run(format, func(b *testing.B) {
			req := Request{Kind: Kinds["events"], Team: "bench", Loc: time.UTC, Format: format,
				Params: Params{From: from, To: from.AddDate(0, 1, 0)}}
			for i := 0; i < b.N; i++ {
				var peak atomic.Uint64
				stop := make(chan struct{})
				go func() {
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > peak.Load() {
							peak.Store(ms.HeapAlloc)
						}
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
						}
					}
				}()
				batches := 0
				n, err := Write(ctx, db.Conn, req, io.Discard, func(int64) { batches++ })
				close(stop)
				if err != nil || n != 1000000 {
					b.Fatalf("wrote %d rows: %v", n, err)
				}
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(batches), "batches")
				b.ReportMetric(float64(n)*float64(i+1)/b.Elapsed().Seconds(), "rows/s")
			}
		})
	}
}
