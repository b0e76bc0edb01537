package chserver_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/omnistream/omnistream/internal/testenv"
)

// Results larger than the server's buffer are streamed; these tests read
// such results back exactly and see exceptions raised after streaming began.

const bigRows = 500_000

func TestStreamedResults(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	want := uint64(bigRows) * (bigRows - 1) / 2

	for _, m := range []struct {
		name string
		c    *clickhouse.Compression
	}{{"plain", nil}, {"lz4", &clickhouse.Compression{Method: clickhouse.CompressionLZ4}}, {"gzip", &clickhouse.Compression{Method: clickhouse.CompressionGZIP}}} {
		t.Run("Native "+m.name, func(t *testing.T) {
			opts := *db.Options
			opts.Compression = m.c
			opts.Settings = clickhouse.Settings{"enable_http_compression": 1}
			conn, err := clickhouse.Open(&opts)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			rows, err := conn.Query(ctx, "SELECT number, toString(number) FROM numbers({n:UInt64})", clickhouse.Named("n", uint64(bigRows)))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var n, sum uint64
			for rows.Next() {
				var x uint64
				var s string
				if err := rows.Scan(&x, &s); err != nil {
					t.Fatal(err)
				}
				if x != n {
					t.Fatalf("row %d holds %d", n, x)
				}
				n++
				sum += x
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != bigRows || sum != want {
				t.Fatalf("read %d rows summing to %d, want %d and %d", n, sum, bigRows, want)
			}
		})
	}

	t.Run("ArrowStream", func(t *testing.T) {
		rc, err := db.Conn.QueryFormat(ctx, "ArrowStream", "SELECT number FROM numbers(500000)")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		rd, err := ipc.NewReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		var n, sum uint64
		for rd.Next() {
			col := rd.Record().Column(0).(*array.Uint64)
			for i := 0; i < col.Len(); i++ {
				sum += col.Value(i)
				n++
			}
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		if n != bigRows || sum != want {
			t.Fatalf("read %d rows summing to %d", n, sum)
		}
	})
}

const failLate = "SELECT number, throwIf(number = 400000, 'late failure') FROM numbers(500000) SETTINGS max_block_size = 10000"

func TestStreamedException(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)

	t.Run("clickhouse-go Native", func(t *testing.T) {
		rows, err := db.Conn.Query(ctx, failLate)
		if err != nil {
			t.Fatalf("error before streaming: %v", err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		err = rows.Err()
		rows.Close()
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != 395 || !strings.Contains(err.Error(), "late failure") {
			t.Fatalf("after %d rows: %v, want exception 395 'late failure'", n, err)
		}
	})

	t.Run("clickhouse-go QueryFormat", func(t *testing.T) {
		rc, err := db.Conn.QueryFormat(ctx, "TSV", failLate)
		if err != nil {
			t.Fatalf("error before streaming: %v", err)
		}
		_, err = readAllErr(rc)
		rc.Close()
		if err == nil || !strings.Contains(err.Error(), "late failure") {
			t.Fatalf("QueryFormat: %v, want the late failure", err)
		}
	})

	t.Run("curl with gzip", func(t *testing.T) {
		res, body := do(t, "GET", db.Server.URL+"/?enable_http_compression=1&query="+url.QueryEscape(failLate), nil, map[string]string{"Accept-Encoding": "gzip"})
		tag := res.Header.Get("X-ClickHouse-Exception-Tag")
		if res.StatusCode != 200 || tag == "" || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("status %d, tag %q, encoding %q", res.StatusCode, tag, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		text := readAll(t, zr)
		i := strings.Index(text, "\r\n__exception__\r\n"+tag+"\r\n")
		if i < 0 || !strings.Contains(text[i:], "Code: 395.") || !strings.HasSuffix(text, tag+"\r\n__exception__\r\n") {
			t.Fatalf("no framed exception at the end of %d bytes: %q", len(text), text[max(0, len(text)-400):])
		}
	})

	t.Run("wait_end_of_query", func(t *testing.T) {
		res, body := do(t, "GET", db.Server.URL+"/?wait_end_of_query=1&query="+url.QueryEscape(failLate), nil, nil)
		if res.StatusCode != 500 || !strings.HasPrefix(body, "Code: 395.") {
			t.Fatalf("status %d, body %.200q", res.StatusCode, body)
		}
	})
}

func readAllErr(r interface{ Read([]byte) (int, error) }) (int, error) {
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := r.Read(buf)
		total += n
		if err != nil {
			if err.Error() == "EOF" {
				return total, nil
			}
			return total, err
		}
	}
}

// Formats whose chunks do not concatenate are sent whole and stay valid.
func TestLargeResultsInEveryFormatFamily(t *testing.T) {
	db := testenv.Database(t)
	const n = 300_000
	get := func(format string) string {
		res, body := do(t, "GET", db.Server.URL+"/?default_format="+format+"&query="+url.QueryEscape("SELECT number FROM numbers(300000)"), nil, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %.200s", format, res.StatusCode, body)
		}
		return body
	}
	var doc struct {
		Data []struct{ Number uint64 } `json:"data"`
		Rows int                       `json:"rows"`
	}
	if err := json.Unmarshal([]byte(get("JSON")), &doc); err != nil || doc.Rows != n || len(doc.Data) != n || doc.Data[n-1].Number != n-1 {
		t.Fatalf("JSON: %v, rows %d, data %d", err, doc.Rows, len(doc.Data))
	}
	if body := get("CSVWithNames"); strings.Count(body, `"number"`) != 1 || strings.Count(body, "\n") != n+1 {
		t.Fatalf("CSVWithNames: %d headers, %d lines", strings.Count(body, `"number"`), strings.Count(body, "\n"))
	}
	if body := get("TSV"); strings.Count(body, "\n") != n || !strings.HasSuffix(body, "\n299999\n") {
		t.Fatalf("TSV: %d lines", strings.Count(body, "\n"))
	}
	if body := get("JSONEachRow"); strings.Count(body, "\n") != n || !strings.HasSuffix(body, `{"number":299999}`+"\n") {
		t.Fatalf("JSONEachRow: %d lines", strings.Count(body, "\n"))
	}
}
