package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/analytics"
	"github.com/omnistream/omnistream/queries/reports"
	"github.com/omnistream/omnistream/sinks/schema"
)

// QueryData describes the data set of benchmark 7.
type QueryData struct {
	Events   uint64            `json:"events"`
	Replicas int               `json:"replicas"`
	Seconds  float64           `json:"build_seconds"`
	Method   string            `json:"method"`
	Rows     map[string]uint64 `json:"rows"`
}

// QueryResult is one report of benchmark 7.
type QueryResult struct {
	Report  string  `json:"report"`
	Path    string  `json:"example_path"`
	Rows    uint64  `json:"team_events"` // events of the queried team
	Latency Latency `json:"latency"`
	Errors  int     `json:"errors"`
}

// replicaShift is how far each copy is moved in time.
const replicaShift = 28 // days

// idColumns get a per-copy suffix, so copies are distinct contacts,
// customers, broadcasts, journeys, messages and events.
var idColumns = map[string]bool{"event_id": true, "contact_id": true, "customer_id": true, "source_id": true, "message_id": true,
	"send_id": true, "surviving_id": true, "member_id": true, "order_id": true, "target_contact_id": true}

var timeColumns = map[string]bool{"ts": true, "updated_at": true, "ingested_at": true}

// BuildQueryData fills database dst with about r.Cfg.QueryEvents events:
// the processors' output of benchmark 1 (database src: events, identity
// and contact tables, exactly as the pipeline wrote them) copied K times
// with INSERT … SELECT inside ClickHouse, copy k moved 28·k days later with
// every id suffixed "~k" (so each copy is another month of the same teams,
// with new contacts, customers, broadcasts and journeys; the largest team
// keeps its share of about a fifth of all events).
func (r *Runner) BuildQueryData(ctx context.Context, src, dst string) (*QueryData, error) {
	conn, err := r.Env.Conn(ctx, dst)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := schema.Apply(ctx, conn, schema.DefaultConfig(), nil); err != nil {
		return nil, err
	}
	base, err := count(ctx, conn, "SELECT count() FROM "+src+".events")
	if err != nil {
		return nil, err
	}
	if base == 0 {
		return nil, fmt.Errorf("no events in %s.events to copy", src)
	}
	k := int((uint64(r.Cfg.QueryEvents) + base - 1) / base)
	res := &QueryData{Replicas: k, Rows: map[string]uint64{},
		Method: fmt.Sprintf("INSERT INTO %s.<table> SELECT … FROM %s.<table> ARRAY JOIN range(%d) AS k: the pipeline's output copied %d times, copy k shifted %d·k days with ids suffixed ~k", dst, src, k, k, replicaShift)}
	start := time.Now()
	for _, table := range []string{"events", "contact_map", "customers", "merge_log", "contact_updates", "contact_attributes"} {
		cols, err := insertableColumns(ctx, conn, src, table)
		if err != nil {
			return nil, err
		}
		exprs := make([]string, len(cols))
		for i, c := range cols {
			switch {
			case idColumns[c.name] && c.typ == "String":
				exprs[i] = fmt.Sprintf("if(k = 0 OR %[1]s = '', %[1]s, concat(%[1]s, '~', toString(k)))", c.name)
			case c.name == "merged_ids":
				exprs[i] = "if(k = 0, merged_ids, arrayMap(x -> concat(x, '~', toString(k)), merged_ids))"
			case timeColumns[c.name]:
				exprs[i] = fmt.Sprintf("%[1]s + toIntervalDay(%[2]d * k)", c.name, replicaShift)
			default:
				exprs[i] = c.name
			}
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		q := fmt.Sprintf("INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s ARRAY JOIN range(%d) AS k",
			dst, table, strings.Join(names, ", "), strings.Join(exprs, ", "), src, table, k)
		r.Printf("  copying %s.%s ×%d", src, table, k)
		if err := conn.Exec(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_insert_threads": 2, "max_threads": 2})), q); err != nil {
			return nil, fmt.Errorf("copy %s: %w", table, err)
		}
		n, err := count(ctx, conn, "SELECT count() FROM "+dst+"."+table)
		if err != nil {
			return nil, err
		}
		res.Rows[table] = n
	}
	res.Events = res.Rows["events"]
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

type column struct{ name, typ string }

func insertableColumns(ctx context.Context, conn clickhouse.Conn, db, table string) ([]column, error) {
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"db": db, "t": table})),
		"SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL') ORDER BY position")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Queries runs benchmark 7: the report endpoints, served by the report
// services over HTTP on database db as the deployment serves them, for the
// largest team (about a fifth of all events): after one unmeasured run,
// each report is asked QueryRuns times (at least 5, then while within
// QueryBudget), for different copies' broadcasts and journeys.
func (r *Runner) Queries(ctx context.Context, db string, replicas int) ([]QueryResult, error) {
	conn, err := r.Env.Conn(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	store := teams.NewStore(conn, time.Minute)
	teamIDs := []string{"team-0"}
	keys := map[string]string{}
	for _, id := range teamIDs {
		if _, err := store.Put(ctx, teams.New(id, id, "TW")); err != nil {
			return nil, err
		}
		key, err := store.CreateKey(ctx, id)
		if err != nil {
			return nil, err
		}
		keys[id] = key
	}
	mux := http.NewServeMux()
	reports.New(conn, r.Log).Register(mux, store.Middleware)
	analytics.New(conn, r.Log).Register(mux, store.Middleware)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	teamRows := map[string]uint64{}
	for _, id := range teamIDs {
		n, err := count(clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"t": id})), conn,
			"SELECT count() FROM events WHERE team_id = {t:String}")
		if err != nil {
			return nil, err
		}
		teamRows[id] = n
	}
	// A month of the data (the first copy's broadcasts are in January 2026).
	const month = "from=2026-01-01&to=2026-01-31"
	copyID := func(id string, i int) string {
		if k := i % replicas; k > 0 {
			return id + "~" + strconv.Itoa(k)
		}
		return id
	}
	type report struct {
		name string
		path func(team string, i int) string
	}
	reps := []report{
		{"broadcast", func(t string, i int) string { return "/v1/reports/broadcasts/" + copyID(t+"-b"+strconv.Itoa(i%3), i/3) }},
		{"journey", func(t string, i int) string {
			return "/v1/reports/journeys/" + copyID(t+"-j0", i) + "?from=2025-12-01&to=" + strconv.Itoa(2026+replicas*replicaShift/365+1) + "-12-31"
		}},
		{"tags", func(t string, i int) string { return "/v1/reports/tags?" + month }},
		{"contacts", func(t string, i int) string { return "/v1/reports/contacts?" + month }},
	}
	lat := make([][]time.Duration, len(reps))
	errs := make([]int, len(reps))
	cl := &http.Client{Timeout: 2 * time.Minute}
	var lastErr error
	team := teamIDs[0]
	for j, rp := range reps {
		prog := r.progress("report "+rp.name, r.Cfg.QueryRuns)
		start := time.Now()
		// One unmeasured run loads the report's columns into the caches.
		if err := get(ctx, cl, base+rp.path(team, r.Cfg.QueryRuns), keys[team]); err != nil {
			errs[j]++
			lastErr = fmt.Errorf("%s: %w", rp.path(team, r.Cfg.QueryRuns), err)
		}
		for i := 0; i < r.Cfg.QueryRuns && (i < 5 || time.Since(start) < r.Cfg.QueryBudget); i++ {
			p := rp.path(team, i)
			t0 := time.Now()
			err := get(ctx, cl, base+p, keys[team])
			if err != nil {
				errs[j]++
				lastErr = fmt.Errorf("%s: %w", p, err)
				continue
			}
			lat[j] = append(lat[j], time.Since(t0))
			prog(progressOf(len(lat[j]), start, false))
		}
		prog(progressOf(len(lat[j]), start, true))
	}
	out := make([]QueryResult, len(reps))
	for j, rp := range reps {
		out[j] = QueryResult{Report: rp.name, Path: rp.path(team, 0), Rows: teamRows[team], Latency: summarize(lat[j]), Errors: errs[j]}
	}
	if lastErr != nil {
		r.Printf("  last query error: %v", lastErr)
	}
	return out, nil
}

func get(ctx context.Context, cl *http.Client, url, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if len(body) > 300 {
			body = body[:300]
		}
		return fmt.Errorf("status %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
