package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/demo"
)

func get(t *testing.T, url, key string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestExports(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "exp0")
	other := createTeam(t, a, "exp1")
	cfg := smallGen("exp0")
	exp, _ := expected(t, cfg)
	if _, err := demo.Post(context.Background(), a.HTTPURL, key, cfg, 100, nil); err != nil {
		t.Fatal(err)
	}
	waitCount(t, a, "exp0", uint64(exp.Events))
	base := a.HTTPURL + "/v1/exports/events/stream?from=2025-11-01&to=2026-02-01"

	// CSV: BOM, headers in the caller's language, every event once.
	code, body, hdr := get(t, base+"&format=csv&lang=zh-TW", key)
	if code != 200 || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) || hdr.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %q…", code, body[:min(len(body), 40)])
	}
	rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "時間,事件 ID,類型,渠道,渠道 ID,用戶 ID,顧客 ID,來源,來源 ID" {
		t.Fatalf("zh-TW header: %s", got)
	}
	if len(rows)-1 != exp.Events {
		t.Fatalf("csv rows %d, want %d", len(rows)-1, exp.Events)
	}
	ids := map[string]bool{}
	for _, r := range rows[1:] {
		ids[r[1]] = true
	}
	_, en, _ := get(t, base+"&format=csv", key)
	if !bytes.HasPrefix(en, []byte("\xEF\xBB\xBFTime,Event ID,Type,")) {
		t.Fatalf("english header: %q", en[:40])
	}

	// Arrow IPC and Parquet read back with Arrow's readers to the same rows.
	code, body, _ = get(t, base+"&format=arrow", key)
	if code != 200 {
		t.Fatalf("arrow: %d %s", code, body)
	}
	rdr, err := ipc.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rdr.Next() {
		rec := rdr.Record()
		col := rec.Column(1).(*array.String)
		for i := 0; i < col.Len(); i++ {
			if !ids[col.Value(i)] {
				t.Fatalf("arrow row %s not in the csv", col.Value(i))
			}
			seen++
		}
	}
	if seen != exp.Events {
		t.Fatalf("arrow rows %d, want %d", seen, exp.Events)
	}
	code, body, _ = get(t, base+"&format=parquet", key)
	if code != 200 {
		t.Fatalf("parquet: %d", code)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if int(tbl.NumRows()) != exp.Events || tbl.Schema().Field(1).Name != "event_id" {
		t.Fatalf("parquet: %d rows, schema %s", tbl.NumRows(), tbl.Schema())
	}
	tbl.Release()

	// The tag application log lists the generated tag applications.
	code, body, _ = get(t, a.HTTPURL+"/v1/exports/tag_log/stream?from=2025-11-01&to=2026-02-01", key)
	if tags := strings.Count(string(body), ",sale-2026,"); code != 200 || tags == 0 || tags != exp.Tags["exp0"]["sale-2026"] {
		t.Fatalf("tag log: %d, %d rows with the tag (want %d): %.300s", code, tags, exp.Tags["exp0"]["sale-2026"], body)
	}

	// The seed's rules refuse with the rule's name.
	for _, tc := range []struct{ url, want string }{
		{"/v1/exports/broadcasts/stream?from=2026-01-01&to=2026-01-31", `{"error":"a broadcast report export needs exactly one channel","parameter":"range"}`},
		{"/v1/exports/broadcasts/stream?channel=line", `{"error":"a broadcast report export needs a date range: from and to are required","parameter":"range"}`},
		{"/v1/exports/omnilink/stream?id=c1&from=2026-01-01&to=2026-03-31", `{"error":"an OmniLink export must cover less than 90 days; the range covers 90","parameter":"range"}`},
		{"/v1/exports/cart_orders/stream?from=2026-01-01&to=2026-02-01", `{"error":"a cart-remarketing order export covers at most 31 days: the range covers 32 days; this export allows at most 31","parameter":"range"}`},
		{"/v1/exports/events/stream?from=2026-01-01&to=2026-01-02&format=xlsx", `{"error":"\"xlsx\" unknown (csv, parquet, arrow)","parameter":"format"}`},
		{"/v1/exports/events/stream?from=01/02/2026&to=2026-01-02", `{"error":"\"01/02/2026\" is not a date (YYYY-MM-DD)","parameter":"from"}`},
	} {
		code, body, _ := get(t, a.HTTPURL+tc.url, key)
		if code != 400 || strings.TrimSpace(string(body)) != tc.want {
			t.Errorf("%s: %d %s\nwant 400 %s", tc.url, code, body, tc.want)
		}
	}
	// A broadcast export of one channel lists that channel's broadcasts.
	code, body, _ = get(t, a.HTTPURL+"/v1/exports/broadcasts/stream?from=2026-01-01&to=2026-01-31&channel=line", key)
	if lines := strings.Count(string(body), "\n"); code != 200 || lines != 1+len(exp.Broadcasts["exp0"]) || len(exp.Broadcasts["exp0"]) != 3 {
		t.Fatalf("broadcast export: %d, %d lines: %s", code, lines, body)
	}

	// A job shows progress, finishes, and only its team can see it.
	req, _ := http.NewRequest(http.MethodPost, a.HTTPURL+"/v1/exports", strings.NewReader(`{"kind":"events","format":"parquet","from":"2025-11-01","to":"2026-02-01"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		ID, Status, DownloadURL string `json:"-"`
	}
	var raw map[string]any
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("create job: %d %v", resp.StatusCode, raw)
	}
	job.ID = raw["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, b, _ := get(t, a.HTTPURL+"/v1/exports/"+job.ID, key)
		json.Unmarshal(b, &raw)
		if raw["status"] == "done" {
			if raw["rows_done"].(float64) != float64(exp.Events) || raw["rows_total"].(float64) != float64(exp.Events) {
				t.Fatalf("job progress %v", raw)
			}
			job.DownloadURL = raw["download_url"].(string)
			break
		}
		if raw["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("job: %v", raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, b, _ := get(t, a.HTTPURL+job.DownloadURL, key); code != 200 || !bytes.HasPrefix(b, []byte("PAR1")) {
		t.Fatalf("download: %d", code)
	}
	for _, path := range []string{"/v1/exports/" + job.ID, job.DownloadURL} {
		if code, _, _ := get(t, a.HTTPURL+path, other); code != 404 {
			t.Errorf("another team reading %s: %d, want 404", path, code)
		}
	}
	if code, b, _ := get(t, base+"&format=csv", other); code != 200 || strings.Count(string(b), "\n") != 1 {
		t.Errorf("another team's export of the same range: %d %q, want the header only", code, b)
	}
}
