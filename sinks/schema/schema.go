package schema

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Config says how to render the DDL.
type Config struct {
	// Cluster is the ClickHouse cluster name for ON CLUSTER DDL and
	// Distributed tables. Empty (the default) renders single-node DDL.
	Cluster string
	// DedupWindow is how many recent insert blocks each pipeline table
	// remembers for insert deduplication. Default 10000.
	DedupWindow int
}

// DefaultConfig renders single-node DDL with a 10,000-block dedup window.
func DefaultConfig() Config { return Config{DedupWindow: 10000} }

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Cluster != "" && !identRe.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("schema: cluster %q must be an identifier", c.Cluster))
	}
	if c.DedupWindow < 1 {
		errs = append(errs, fmt.Errorf("schema: dedup window must be at least 1, got %d", c.DedupWindow))
	}
	return errors.Join(errs...)
}

// Migration is one rendered migration.
type Migration struct {
	Version    int
	Name       string
	Statements []string
	Checksum   string
}

var fileRe = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Render renders every migration in version order.
func Render(cfg Config) ([]Migration, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := fileRe.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration version %d used by %s and %s", v, prev, e.Name())
		}
		seen[v] = e.Name()
		src, err := fs.ReadFile(migrationFS, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		stmts, err := renderFile(cfg, e.Name(), string(src))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(strings.Join(stmts, ";\n")))
		out = append(out, Migration{Version: v, Name: m[2], Statements: stmts, Checksum: hex.EncodeToString(sum[:8])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func renderFile(cfg Config, name, src string) ([]string, error) {
	cluster := cfg.Cluster != ""
	funcs := template.FuncMap{
		"table": func(t string) string {
			if cluster {
				return t + "_local"
			}
			return t
		},
		"onCluster": func() string {
			if cluster {
				return "ON CLUSTER '" + cfg.Cluster + "'"
			}
			return ""
		},
		"engine": func(engine string, args ...string) string {
			if !cluster {
				return engine + "(" + strings.Join(args, ", ") + ")"
			}
			return "Replicated" + engine + "(" + strings.Join(append([]string{
				"'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"}, args...), ", ") + ")"
		},
		"dedupWindow": func() string {
			if cluster {
				return "replicated_deduplication_window = " + strconv.Itoa(cfg.DedupWindow)
			}
			return "non_replicated_deduplication_window = " + strconv.Itoa(cfg.DedupWindow)
		},
		"distributed": func(t, shardKey string) string {
			if !cluster {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER '%s' AS %s_local ENGINE = Distributed('%s', currentDatabase(), '%s_local', %s)",
				t, cfg.Cluster, t, cfg.Cluster, t, shardKey)
		},
	}
	tmpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parse migration %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("render migration %s: %w", name, err)
	}
	return splitStatements(buf.String()), nil
}

// splitStatements splits on semicolons that end a line; comment-only and
// empty statements are dropped.
func splitStatements(sql string) []string {
	var out []string
	for _, part := range regexp.MustCompile(`;\s*\n`).Split(sql+"\n", -1) {
		var lines []string
		for _, l := range strings.Split(part, "\n") {
			t := strings.TrimSpace(l)
			if t == "" || strings.HasPrefix(t, "--") {
				continue
			}
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
		if s := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Conn is the part of a clickhouse-go connection migrations need.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Apply renders and applies every migration not yet recorded, in order, and
// returns the versions it applied. A recorded migration whose checksum
// differs from the rendered one is an error: released migrations are never
// edited, a new one is added instead.
func Apply(ctx context.Context, db Conn, cfg Config, logger *slog.Logger) ([]int, error) {
	migs, err := Render(cfg)
	if err != nil {
		return nil, err
	}
	onCluster, engine := "", "ReplacingMergeTree(applied_at)"
	if cfg.Cluster != "" {
		onCluster = " ON CLUSTER '" + cfg.Cluster + "'"
		engine = "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', applied_at)"
	}
	if err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations"+onCluster+
		" (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))"+
		" ENGINE = "+engine+" ORDER BY version"); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := Versions(ctx, db)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migs {
		if a, ok := done[m.Version]; ok {
			if a.Checksum != m.Checksum {
				return applied, fmt.Errorf("migration %04d_%s was changed after it was applied (checksum %s, recorded %s)", m.Version, m.Name, m.Checksum, a.Checksum)
			}
			continue
		}
		for i, stmt := range m.Statements {
			if err := db.Exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("apply migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
			"v": strconv.Itoa(m.Version), "n": m.Name, "c": m.Checksum}))
		if err := db.Exec(pctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ({v:UInt32}, {n:String}, {c:String}, now64(3))"); err != nil {
			return applied, fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if logger != nil {
			logger.Info("applied migration", "version", m.Version, "name", m.Name)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// Applied is one row of the version table.
type Applied struct {
	Version  int
	Name     string
	Checksum string
}

// Versions reads the version table.
func Versions(ctx context.Context, db Conn) (map[int]Applied, error) {
	rows, err := db.Query(ctx, "SELECT version, argMax(name, applied_at), argMax(checksum, applied_at) FROM schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]Applied{}
	for rows.Next() {
		var v uint32
		var a Applied
		if err := rows.Scan(&v, &a.Name, &a.Checksum); err != nil {
			return nil, fmt.Errorf("scan schema_migrations: %w", err)
		}
		a.Version = int(v)
		out[a.Version] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return out, nil
}
