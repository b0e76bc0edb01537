package chserver_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/omnistream/omnistream/internal/testenv"
)

// BenchmarkBatchInsert measures clickhouse-go PrepareBatch inserts of 100k
// rows (4 columns) through the HTTP server into MergeTree.
func BenchmarkBatchInsert(b *testing.B) {
	ctx := context.Background()
	db := testenv.Database(b)
	if err := db.Conn.Exec(ctx, "CREATE TABLE e (id UInt64, team String, amount Float64, ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id"); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var n uint64
	for b.Loop() {
		batch, err := db.Conn.PrepareBatch(ctx, "INSERT INTO e")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < rows; i++ {
			n++
			if err := batch.Append(n, teams[n%4], float64(n%1000)/4, base.Add(time.Duration(n)*time.Millisecond)); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkArrowInsert measures InsertFormat("ArrowStream") of 100k rows.
func BenchmarkArrowInsert(b *testing.B) {
	ctx := context.Background()
	db := testenv.Database(b)
	if err := db.Conn.Exec(ctx, "CREATE TABLE e (id UInt64, team String, amount Float64, ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id"); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	rec := arrowRecord(0, rows, map[string]*teamSums{})
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		b.Fatal(err)
	}
	w.Close()
	body := buf.Bytes()
	for b.Loop() {
		if err := db.Conn.InsertFormat(ctx, "ArrowStream", "INSERT INTO e", bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkQueryRoundTrip measures a trivial query through clickhouse-go,
// HTTP and the engine.
func BenchmarkQueryRoundTrip(b *testing.B) {
	ctx := context.Background()
	db := testenv.Database(b)
	for b.Loop() {
		var x uint8
		if err := db.Conn.QueryRow(ctx, "SELECT 1").Scan(&x); err != nil {
			b.Fatal(err)
		}
	}
}
