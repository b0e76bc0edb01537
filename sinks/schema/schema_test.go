package schema

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func renderAll(t *testing.T, cfg Config) string {
	t.Helper()
	migs, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range migs {
		b.WriteString("-- " + m.Name + "\n")
		for _, s := range m.Statements {
			b.WriteString(s + ";\n\n")
		}
	}
	return b.String()
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"single.sql", DefaultConfig()},
		{"cluster.sql", Config{Cluster: "omni", DedupWindow: 10000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderAll(t, tc.cfg)
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("rendering differs from %s (run go test ./sinks/schema -update to accept)", path)
			}
		})
	}
}

func TestClusterRendering(t *testing.T) {
	sql := renderAll(t, Config{Cluster: "omni", DedupWindow: 100})
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS events_local ON CLUSTER 'omni'",
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)",
		"CREATE TABLE IF NOT EXISTS events ON CLUSTER 'omni' AS events_local ENGINE = Distributed('omni', currentDatabase(), 'events_local', cityHash64(team_id))",
		"replicated_deduplication_window = 100",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	if strings.Contains(sql, "non_replicated") {
		t.Error("cluster DDL uses the single-node dedup setting")
	}
	single := renderAll(t, DefaultConfig())
	for _, bad := range []string{"ON CLUSTER", "Replicated", "Distributed", "_local"} {
		if strings.Contains(single, bad) {
			t.Errorf("single-node DDL contains %q", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{Cluster: "a b'", DedupWindow: 0}.Validate()
	if err == nil || err.Error() != "schema: cluster \"a b'\" must be an identifier\nschema: dedup window must be at least 1, got 0" {
		t.Fatalf("got %v", err)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- c\nCREATE A;\n\n  ;\nSELECT ';'\nFROM x;\n")
	if len(got) != 2 || got[0] != "CREATE A" || got[1] != "SELECT ';'\nFROM x" {
		t.Fatalf("%q", got)
	}
}
