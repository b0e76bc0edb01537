package chserver_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	chcompress "github.com/ClickHouse/ch-go/compress"

	"github.com/omnistream/omnistream/internal/testenv"
)

// do sends one request shaped like the curl examples of ClickHouse's HTTP
// interface documentation.
func do(t *testing.T, method, rawURL string, body io.Reader, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestHTTPInterfaceLikeCurl(t *testing.T) {
	db := testenv.Database(t)
	base := db.Server.URL
	inDB := base + "/?database=" + db.Name + "&"
	q := url.QueryEscape

	// Setup: a table to insert into.
	if res, body := do(t, "POST", inDB, strings.NewReader("CREATE TABLE t (a UInt8, s String) ENGINE = MergeTree ORDER BY a"), nil); res.StatusCode != 200 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}

	tests := []struct {
		name       string
		method     string
		url        string
		body       string
		header     map[string]string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{name: "GET query", method: "GET", url: base + "/?query=SELECT+1", wantStatus: 200, wantBody: "1\n",
			wantHeader: map[string]string{"X-ClickHouse-Format": "TabSeparated", "Content-Type": "text/tab-separated-values; charset=UTF-8"}},
		{name: "POST body", method: "POST", url: base + "/", body: "SELECT 1", wantStatus: 200, wantBody: "1\n"},
		{name: "query in URL continued by body", method: "POST", url: base + "/?query=SELECT", body: " 1", wantStatus: 200, wantBody: "1\n"},
		{name: "FORMAT clause", method: "POST", url: base + "/", body: "SELECT 1 AS x, 'a' AS y FORMAT JSONEachRow", wantStatus: 200,
			wantBody: `{"x":1,"y":"a"}` + "\n", wantHeader: map[string]string{"X-ClickHouse-Format": "JSONEachRow"}},
		{name: "default_format", method: "GET", url: base + "/?default_format=CSV&query=" + q("SELECT 1, 'b'"), wantStatus: 200,
			wantBody: "1,\"b\"\n", wantHeader: map[string]string{"X-ClickHouse-Format": "CSV"}},
		{name: "query_id echoed", method: "GET", url: base + "/?query_id=my-query-1&query=SELECT+2", wantStatus: 200, wantBody: "2\n",
			wantHeader: map[string]string{"X-ClickHouse-Query-Id": "my-query-1"}},
		{name: "settings as URL params", method: "GET", url: base + "/?max_threads=3&query=" + q("SELECT getSetting('max_threads')"), wantStatus: 200, wantBody: "3\n"},
		{name: "X-ClickHouse-Database header", method: "POST", url: base + "/", body: "SELECT currentDatabase()",
			header: map[string]string{"X-ClickHouse-Database": db.Name}, wantStatus: 200, wantBody: db.Name + "\n"},
		{name: "insert JSONEachRow after the query in the body", method: "POST", url: inDB,
			body:       "INSERT INTO t FORMAT JSONEachRow\n{\"a\":1,\"s\":\"one\"}\n{\"a\":2,\"s\":\"two\"}\n",
			wantStatus: 200, wantBody: ""},
		{name: "insert with query in URL and data as body", method: "POST", url: inDB + "query=" + q("INSERT INTO t FORMAT JSONEachRow"),
			body: "{\"a\":3,\"s\":\"three\"}\n\n\n{\"a\":4,\"s\":\"four\\n\\nfour\"}\n", wantStatus: 200, wantBody: ""},
		{name: "insert VALUES in body", method: "POST", url: inDB, body: "INSERT INTO t VALUES (5, 'five'), (6, 'six')", wantStatus: 200},
		{name: "insert TSV in body after URL query", method: "POST", url: inDB + "query=" + q("INSERT INTO t (a, s) FORMAT TabSeparated"),
			body: "7\tseven\n8\teight\n", wantStatus: 200},
		{name: "read back", method: "GET", url: inDB + "query=" + q("SELECT a, s FROM t ORDER BY a FORMAT TSV"), wantStatus: 200,
			wantBody: "1\tone\n2\ttwo\n3\tthree\n4\tfour\\n\\nfour\n5\tfive\n6\tsix\n7\tseven\n8\teight\n"},
		{name: "GET cannot write", method: "GET", url: inDB + "query=" + q("INSERT INTO t VALUES (9, 'nine')"), wantStatus: 500,
			wantBody: "Code: 164", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "164"}},
		{name: "syntax error", method: "POST", url: base + "/", body: "SELEC 1", wantStatus: 400,
			wantBody: "Code: 62. DB::Exception: Syntax error", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "62"}},
		{name: "unknown table", method: "POST", url: base + "/", body: "SELECT * FROM nowhere", wantStatus: 404,
			wantBody: "Code: 60. DB::Exception:", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "60"}},
		{name: "unknown setting", method: "GET", url: base + "/?no_such_setting=1&query=SELECT+1", wantStatus: 404,
			wantBody: "Code: 115.", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "115"}},
		{name: "empty query", method: "POST", url: base + "/", body: "", wantStatus: 400, wantBody: "Empty query"},
		{name: "wrong password", method: "GET", url: base + "/?user=default&password=nope&query=SELECT+1", wantStatus: 403,
			wantBody: "Code: 516.", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "516"}},
		{name: "unknown user", method: "GET", url: base + "/?query=SELECT+1", header: map[string]string{"X-ClickHouse-User": "mallory"}, wantStatus: 403,
			wantBody: "Authentication failed"},
		{name: "external tables", method: "POST", url: base + "/?query=SELECT+1", body: "--x--",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, wantStatus: 501,
			wantBody: "Code: 48.", wantHeader: map[string]string{"X-ClickHouse-Exception-Code": "48"}},
		{name: "unsupported method", method: "PUT", url: base + "/?query=SELECT+1", wantStatus: 405, wantBody: "Code: 1."},
		{name: "unsupported content encoding", method: "POST", url: base + "/", body: "SELECT 1", header: map[string]string{"Content-Encoding": "snappy"},
			wantStatus: 400, wantBody: "Code: 36."},
		{name: "ping", method: "GET", url: base + "/ping", wantStatus: 200, wantBody: "Ok.\n"},
		{name: "replicas_status", method: "GET", url: base + "/replicas_status", wantStatus: 200, wantBody: "Ok.\n"},
		{name: "unknown handler", method: "GET", url: base + "/nope", wantStatus: 404, wantBody: "There is no handle /nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" || tc.method == "POST" {
				body = strings.NewReader(tc.body)
			}
			res, got := do(t, tc.method, tc.url, body, tc.header)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %q", res.StatusCode, tc.wantStatus, got)
			}
			if tc.wantStatus == 200 && tc.wantBody != "" && got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			if tc.wantStatus != 200 && !strings.Contains(got, tc.wantBody) {
				t.Errorf("body %q does not contain %q", got, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if g := res.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			if strings.HasPrefix(tc.url, base+"/?") || tc.url == base+"/" {
				for _, h := range []string{"X-ClickHouse-Query-Id", "X-ClickHouse-Timezone"} {
					if res.Header.Get(h) == "" {
						t.Errorf("no %s header", h)
					}
				}
			}
		})
	}
}

func TestHTTPSummaryHeader(t *testing.T) {
	db := testenv.Database(t)
	inDB := db.Server.URL + "/?database=" + db.Name
	do(t, "POST", inDB, strings.NewReader("CREATE TABLE s (x UInt64) ENGINE = MergeTree ORDER BY x"), nil)
	res, body := do(t, "POST", inDB+"&query="+url.QueryEscape("INSERT INTO s FORMAT TSV"), strings.NewReader("1\n2\n3\n"), nil)
	if res.StatusCode != 200 {
		t.Fatalf("insert: %d %s", res.StatusCode, body)
	}
	var summary map[string]string
	if err := json.Unmarshal([]byte(res.Header.Get("X-ClickHouse-Summary")), &summary); err != nil {
		t.Fatalf("X-ClickHouse-Summary %q: %v", res.Header.Get("X-ClickHouse-Summary"), err)
	}
	if summary["written_rows"] != "3" {
		t.Errorf("written_rows = %q, want 3 (summary %v)", summary["written_rows"], summary)
	}
}

func TestHTTPCompression(t *testing.T) {
	db := testenv.Database(t)
	inDB := db.Server.URL + "/?database=" + db.Name
	do(t, "POST", inDB, strings.NewReader("CREATE TABLE c (x UInt64) ENGINE = MergeTree ORDER BY x"), nil)

	// gzip request body.
	var rows strings.Builder
	var want uint64
	for i := uint64(1); i <= 10000; i++ {
		fmt.Fprintf(&rows, "%d\n", i)
		want += i
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(rows.String()))
	zw.Close()
	res, body := do(t, "POST", inDB+"&query="+url.QueryEscape("INSERT INTO c FORMAT TSV"), &gz, map[string]string{"Content-Encoding": "gzip"})
	if res.StatusCode != 200 {
		t.Fatalf("gzip insert: %d %s", res.StatusCode, body)
	}

	// gzip response, only with enable_http_compression=1 as in ClickHouse.
	sumURL := inDB + "&query=" + url.QueryEscape("SELECT sum(x) FROM c")
	res, body = do(t, "GET", sumURL, nil, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "" || body != fmt.Sprintf("%d\n", want) {
		t.Fatalf("without enable_http_compression: encoding %q body %q", res.Header.Get("Content-Encoding"), body)
	}
	res, body = do(t, "GET", sumURL+"&enable_http_compression=1", nil, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, zr); got != fmt.Sprintf("%d\n", want) {
		t.Fatalf("gzip body %q", got)
	}

	// ClickHouse block compression of the response (compress=1).
	res, body = do(t, "GET", sumURL+"&compress=1", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("compress=1: %d %s", res.StatusCode, body)
	}
	if got := readBlocks(t, body); got != fmt.Sprintf("%d\n", want) {
		t.Fatalf("compress=1 body %q", got)
	}

	// ClickHouse block compression of the request (decompress=1).
	w := chcompress.NewWriter(chcompress.LevelZero, chcompress.ZSTD)
	if err := w.Compress([]byte("10001\n10002\n")); err != nil {
		t.Fatal(err)
	}
	res, body = do(t, "POST", inDB+"&decompress=1&query="+url.QueryEscape("INSERT INTO c FORMAT TSV"), bytes.NewReader(w.Data), nil)
	if res.StatusCode != 200 {
		t.Fatalf("decompress=1 insert: %d %s", res.StatusCode, body)
	}
	_, body = do(t, "GET", sumURL, nil, nil)
	if body != fmt.Sprintf("%d\n", want+10001+10002) {
		t.Fatalf("sum after decompress=1 insert = %q", body)
	}
}

// readBlocks decodes a body framed in ClickHouse compressed blocks.
func readBlocks(t *testing.T, body string) string {
	t.Helper()
	b, err := io.ReadAll(chcompress.NewReader(strings.NewReader(body)))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("decode compressed blocks: %v", err)
	}
	return string(b)
}
