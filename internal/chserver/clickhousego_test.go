package chserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/omnistream/omnistream/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var teams = []string{"acme", "globex", "initech", "umbrella"}

// teamSums are the exact aggregates a test expects per team.
type teamSums struct {
	count  uint64
	ids    uint64
	amount float64 // sums of multiples of 0.25 stay exact in float64
}

// batchInsert inserts rows [from, to) with PrepareBatch and adds them to want.
func batchInsert(t *testing.T, ctx context.Context, conn clickhouse.Conn, table string, from, to uint64, want map[string]*teamSums) {
	t.Helper()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
	if err != nil {
		t.Fatalf("prepare batch: %v", err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := from; i < to; i++ {
		team := teams[i%uint64(len(teams))]
		amount := float64(i%1000) / 4
		if err := b.Append(i, team, amount, base.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatalf("append row %d: %v", i, err)
		}
		if want != nil {
			s := want[team]
			if s == nil {
				s = &teamSums{}
				want[team] = s
			}
			s.count++
			s.ids += i
			s.amount += amount
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("send batch: %v", err)
	}
}

func createEvents(t *testing.T, ctx context.Context, conn clickhouse.Conn, table string) {
	t.Helper()
	err := conn.Exec(ctx, "CREATE TABLE "+table+` (
		id UInt64, team String, amount Float64, ts DateTime64(3, 'UTC')
	) ENGINE = MergeTree ORDER BY id`)
	if err != nil {
		t.Fatalf("create table %s: %v", table, err)
	}
}

func querySums(t *testing.T, ctx context.Context, conn clickhouse.Conn, table string) map[string]*teamSums {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT team, count(), sum(id), sum(amount) FROM "+table+" GROUP BY team ORDER BY team")
	if err != nil {
		t.Fatalf("query sums: %v", err)
	}
	defer rows.Close()
	got := map[string]*teamSums{}
	for rows.Next() {
		var team string
		var s teamSums
		if err := rows.Scan(&team, &s.count, &s.ids, &s.amount); err != nil {
			t.Fatalf("scan: %v", err)
		}
		got[team] = &s
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return got
}

func compareSums(t *testing.T, how string, got, want map[string]*teamSums) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d teams, want %d", how, len(got), len(want))
	}
	for team, w := range want {
		g := got[team]
		if g == nil {
			t.Errorf("%s: team %s missing", how, team)
			continue
		}
		if *g != *w {
			t.Errorf("%s: team %s = %+v, want %+v", how, team, *g, *w)
		}
	}
}

func arrowRecord(from, n uint64, want map[string]*teamSums) arrow.Record {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "team", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i++ {
		team := teams[(i*7)%uint64(len(teams))]
		amount := float64(i%333) / 2
		b.Field(0).(*array.Uint64Builder).Append(i)
		b.Field(1).(*array.StringBuilder).Append(team)
		b.Field(2).(*array.Float64Builder).Append(amount)
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMilli()))
		s := want[team]
		if s == nil {
			s = &teamSums{}
			want[team] = s
		}
		s.count++
		s.ids += i
		s.amount += amount
	}
	return b.NewRecord()
}

func TestClickHouseGoBatchArrowAndQuery(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	createEvents(t, ctx, db.Conn, "events")

	want := map[string]*teamSums{}
	batchInsert(t, ctx, db.Conn, "events", 0, 100_000, want)

	rec := arrowRecord(1_000_000, 5_000, want)
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		t.Fatalf("encode arrow: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close arrow writer: %v", err)
	}
	if err := db.Conn.InsertFormat(ctx, "ArrowStream", "INSERT INTO events", &buf); err != nil {
		t.Fatalf("insert ArrowStream: %v", err)
	}

	compareSums(t, "Query", querySums(t, ctx, db.Conn, "events"), want)

	// The same through ArrowStream, decoded with arrow's IPC reader.
	rc, err := db.Conn.QueryFormat(ctx, "ArrowStream",
		"SELECT team, count() AS n, sum(id) AS ids, sum(amount) AS amount FROM events GROUP BY team ORDER BY team")
	if err != nil {
		t.Fatalf("query ArrowStream: %v", err)
	}
	defer rc.Close()
	rd, err := ipc.NewReader(rc)
	if err != nil {
		t.Fatalf("read arrow stream: %v", err)
	}
	defer rd.Release()
	got := map[string]*teamSums{}
	for rd.Next() {
		r := rd.Record()
		teamCol := r.Column(0)
		for i := 0; i < int(r.NumRows()); i++ {
			var team string
			switch c := teamCol.(type) {
			case *array.String:
				team = c.Value(i)
			case *array.Binary:
				team = string(c.Value(i))
			default:
				t.Fatalf("team column is %T", teamCol)
			}
			got[team] = &teamSums{
				count:  r.Column(1).(*array.Uint64).Value(i),
				ids:    r.Column(2).(*array.Uint64).Value(i),
				amount: r.Column(3).(*array.Float64).Value(i),
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatalf("arrow stream: %v", err)
	}
	compareSums(t, "QueryFormat(ArrowStream)", got, want)

	// A row read back exactly, timestamps included.
	var (
		id     uint64
		team   string
		amount float64
		ts     time.Time
	)
	if err := db.Conn.QueryRow(ctx, "SELECT id, team, amount, ts FROM events WHERE id = 99999").Scan(&id, &team, &amount, &ts); err != nil {
		t.Fatalf("query row: %v", err)
	}
	wantTS := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(99999 * time.Millisecond)
	if id != 99999 || team != teams[99999%4] || amount != float64(99999%1000)/4 || !ts.Equal(wantTS) {
		t.Errorf("row 99999 = (%d, %s, %v, %v), want (99999, %s, %v, %v)", id, team, amount, ts, teams[99999%4], float64(99999%1000)/4, wantTS)
	}
}

func TestClickHouseGoTypes(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	err := db.Conn.Exec(ctx, `CREATE TABLE typed (
		id UInt32,
		name LowCardinality(String),
		maybe Nullable(String),
		tags Array(String),
		attrs Map(String, UInt64),
		pair Tuple(a Int16, b String),
		lcn LowCardinality(Nullable(String)),
		uid UUID,
		price Decimal(18, 4),
		day Date,
		fixed FixedString(3)
	) ENGINE = MergeTree ORDER BY id`)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	b, err := db.Conn.PrepareBatch(ctx, "INSERT INTO typed")
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	const n = 2000
	for i := 0; i < n; i++ {
		var maybe *string
		if i%3 == 0 {
			s := fmt.Sprint("m", i)
			maybe = &s
		}
		err := b.Append(uint32(i), teams[i%4], maybe, []string{"x", fmt.Sprint(i)},
			map[string]uint64{"k": uint64(i)}, []any{int16(i % 100), fmt.Sprint("b", i)},
			maybe, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), fmt.Sprintf("%d.25", i),
			time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "abc")
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("send: %v", err)
	}
	rows, err := db.Conn.Query(ctx, "SELECT id, name, maybe, tags, attrs, pair, lcn, toString(uid), toString(price), day, fixed FROM typed ORDER BY id")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var (
			id    uint32
			name  string
			maybe *string
			tags  []string
			attrs map[string]uint64
			pair  []any
			lcn   *string
			uid   string
			price string
			day   time.Time
			fixed string
		)
		if err := rows.Scan(&id, &name, &maybe, &tags, &attrs, &pair, &lcn, &uid, &price, &day, &fixed); err != nil {
			t.Fatalf("scan row %d: %v", i, err)
		}
		if id != uint32(i) || name != teams[i%4] || (maybe == nil) != (i%3 != 0) || (lcn == nil) != (i%3 != 0) ||
			len(tags) != 2 || tags[1] != fmt.Sprint(i) || attrs["k"] != uint64(i) ||
			fmt.Sprint(pair) != fmt.Sprintf("[%d b%d]", i%100, i) ||
			uid != fmt.Sprintf("00000000-0000-4000-8000-%012d", i) || price != fmt.Sprintf("%d.25", i) ||
			!day.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || fixed != "abc" {
			t.Fatalf("row %d read back as %v %v %v %v %v %v %v %v %v %v %v", i, id, name, maybe, tags, attrs, pair, lcn, uid, price, day, fixed)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	if i != n {
		t.Fatalf("read %d rows, want %d", i, n)
	}
}

func TestClickHouseGoErrors(t *testing.T) {
	ctx := context.Background()
	db := testenv.Database(t)
	tests := []struct {
		name string
		run  func() error
		code int32
		text string
	}{
		{"syntax", func() error { return db.Conn.Exec(ctx, "SELEC 1") }, 62, "Syntax error"},
		{"unknown table", func() error {
			_, err := db.Conn.Query(ctx, "SELECT * FROM no_such_table")
			return err
		}, 60, "no_such_table"},
		{"unknown function", func() error {
			var x uint8
			return db.Conn.QueryRow(ctx, "SELECT nonexistent_fn(1)").Scan(&x)
		}, 46, "nonexistent_fn"},
		{"batch into missing table", func() error {
			_, err := db.Conn.PrepareBatch(ctx, "INSERT INTO missing_table")
			return err
		}, 60, "missing_table"},
		{"bad arrow body", func() error {
			if err := db.Conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS small (x UInt8) ENGINE = Memory"); err != nil {
				return err
			}
			return db.Conn.InsertFormat(ctx, "ArrowStream", "INSERT INTO small", strings.NewReader("not arrow at all"))
		}, 117, "Not an Arrow IPC stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
			if tc.code == 0 {
				return
			}
			var ex *clickhouse.Exception
			if !errors.As(err, &ex) {
				t.Fatalf("error %v (%T) is not a *clickhouse.Exception", err, err)
			}
			if ex.Code != tc.code {
				t.Errorf("exception code %d, want %d (%v)", ex.Code, tc.code, err)
			}
		})
	}
	// The connection still works after errors.
	var one uint8
	if err := db.Conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 after errors = %d, %v", one, err)
	}
}

func TestClickHouseGoPing(t *testing.T) {
	db := testenv.Database(t)
	if err := db.Conn.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	v, err := db.Conn.ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.Version.Major < 26 {
		t.Errorf("server version %v, want 26.x", v.Version)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
