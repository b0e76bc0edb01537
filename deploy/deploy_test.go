package deploy

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/clickhouse/cluster.sql from the schema")

var (
	factsOnce sync.Once
	facts     *codeFacts
	factsErr  error
)

// codeFactsT reads the flags, roles and routes from the module's sources.
func codeFactsT(t *testing.T) *codeFacts {
	t.Helper()
	factsOnce.Do(func() { facts, factsErr = loadFacts("..") })
	if factsErr != nil {
		t.Fatalf("read flags, roles and routes from the sources: %v", factsErr)
	}
	return facts
}

func readFilesT(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := readFiles(".")
	if err != nil {
		t.Fatalf("read deploy files: %v", err)
	}
	return files
}

// TestManifests validates the checked-in deploy files; each check is a
// subtest reporting every problem it finds.
func TestManifests(t *testing.T) {
	facts := codeFactsT(t)
	files := readFilesT(t)
	s := buildSite(files, facts)
	if *update {
		name, probs := s.clusterName()
		if len(probs) > 0 {
			t.Fatalf("cannot update %s: %v", clusterSQL, probs)
		}
		b, err := renderClusterSQL(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(clusterSQL), b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[clusterSQL] = b
		s = buildSite(files, facts)
	}
	problems := runChecks(s)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range problems[c.name] {
				t.Error(p)
			}
		})
	}
}

// TestFacts guards the parsing of the sources: if it finds too little, the
// other checks would pass vacuously.
func TestFacts(t *testing.T) {
	facts := codeFactsT(t)
	for _, tc := range []struct {
		cmd, flag string
		kind      flagKind
	}{
		{"run", "kafka-brokers", kindList},
		{"run", "roles", kindList},
		{"run", "kafka-tls", kindBool},
		{"run", "partitions", kindInt},
		{"run", "publish-timeout", kindDuration},
		{"run", "demo", kindBool},
		{"migrate", "cluster", kindString},
		{"migrate", "print", kindBool},
		{"dlq", "kafka-brokers", kindList},
	} {
		if got, ok := facts.commands[tc.cmd][tc.flag]; !ok || got != tc.kind {
			t.Errorf("omnistream %s -%s: got kind %q (found %v), want %q", tc.cmd, tc.flag, got, ok, tc.kind)
		}
	}
	if _, ok := facts.commands["migrate"]["demo"]; ok {
		t.Error("-demo is a flag of run only, but was found for migrate")
	}
	if strings.Join(facts.roles, ",") != "ingest,process,serve,scheduler" {
		t.Errorf("roles: got %v", facts.roles)
	}
	for _, r := range []string{"/healthz", "/readyz", "/metrics"} {
		if !facts.routes[r] {
			t.Errorf("route %s not found in internal/app/routes.go", r)
		}
	}
}

// TestCheckerCatches breaks one reference at a time in memory and expects
// the named check to say so; the unmodified files pass (TestManifests).
func TestCheckerCatches(t *testing.T) {
	facts := codeFactsT(t)
	base := readFilesT(t)
	for _, tc := range []struct {
		name, file, old, new string
		check, want          string
	}{
		{"missing ConfigMap", "k8s/ingest.yaml", "name: omnistream-config", "name: omnistream-conf",
			"config references resolve", `ConfigMap "omnistream-conf", which does not exist`},
		{"missing Secret key", "k8s/ingest.yaml", "          envFrom:\n",
			"            - name: OMNISTREAM_SECRET_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: omnistream-secrets\n                  key: REDIRECT_KEY\n          envFrom:\n",
			"config references resolve", `key "REDIRECT_KEY" of Secret omnistream-secrets`},
		{"env var that is no flag", "k8s/configmap.yaml", "OMNISTREAM_FLUSH_INTERVAL:", "OMNISTREAM_FLUSH_EVERY:",
			"env vars are flags", "OMNISTREAM_FLUSH_EVERY"},
		{"compose env var that is no flag", "compose/.env.example", "OMNISTREAM_KAFKA_TLS=", "OMNISTREAM_KAFKA_SSL=",
			"env vars are flags", "OMNISTREAM_KAFKA_SSL"},
		{"bool that does not parse", "k8s/configmap.yaml", `OMNISTREAM_KAFKA_TLS: "false"`, `OMNISTREAM_KAFKA_TLS: "no thanks"`,
			"env values parse", "does not parse as a bool"},
		{"empty duration", "compose/.env.example", "OMNISTREAM_PUBLISH_TIMEOUT=10s", "OMNISTREAM_PUBLISH_TIMEOUT=",
			"env values parse", "empty"},
		{"unknown subcommand", "k8s/serve.yaml", `args: ["run"]`, `args: ["serve"]`,
			"commands and args", "not a subcommand"},
		{"unknown flag in args", "k8s/migrate-job.yaml", `args: ["migrate"]`, `args: ["migrate", "-dry-run"]`,
			"commands and args", "-dry-run is not a flag"},
		{"Service selects nothing", "k8s/serve.yaml", "  selector:\n    app.kubernetes.io/name: omnistream\n    app.kubernetes.io/component: serve",
			"  selector:\n    app.kubernetes.io/name: omnistream\n    app.kubernetes.io/component: query",
			"selectors match pods", "matches the pods of no Deployment"},
		{"Service target port missing", "k8s/ingest.yaml", "      targetPort: http", "      targetPort: web",
			"selectors match pods", `targets "web"`},
		{"PDB selects nothing", "k8s/process.yaml", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: omnistream\n      app.kubernetes.io/component: process",
			"  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: omnistream\n      app.kubernetes.io/component: processor",
			"selectors match pods", "PodDisruptionBudget omnistream-process"},
		{"probe on an undeclared port", "k8s/serve.yaml", "              path: /readyz\n              port: http", "              path: /readyz\n              port: 9090",
			"probes use container ports", "readiness probe uses port 9090"},
		{"liveness on readyz", "k8s/ingest.yaml", "          livenessProbe:\n            httpGet:\n              path: /healthz", "          livenessProbe:\n            httpGet:\n              path: /readyz",
			"probes use container ports", "liveness probe uses /readyz"},
		{"probe path not served", "k8s/scheduler.yaml", "path: /healthz", "path: /health",
			"probes use container ports", "/health is not a GET route"},
		{"listen port differs", "k8s/configmap.yaml", `OMNISTREAM_HTTP_ADDR: "0.0.0.0:8080"`, `OMNISTREAM_HTTP_ADDR: "0.0.0.0:9000"`,
			"http listener", "listens on port 9000"},
		{"loopback listener", "compose/.env.example", "OMNISTREAM_HTTP_ADDR=0.0.0.0:8080", "OMNISTREAM_HTTP_ADDR=127.0.0.1:8080",
			"http listener", "loopback"},
		{"invalid role", "k8s/ingest.yaml", "value: ingest", "value: ingest,processor",
			"roles are valid", `role "processor" is not one of`},
		{"roles left out", "compose/docker-compose.yml", "      OMNISTREAM_ROLES: serve\n", "      OMNISTREAM_LOG: serve\n",
			"roles are valid", "sets no roles"},
		{"two scheduler replicas", "k8s/scheduler.yaml", "spec:\n  replicas: 1", "spec:\n  replicas: 2",
			"one scheduler", "with 2 replicas"},
		{"scheduler rolling update", "k8s/scheduler.yaml", "type: Recreate", "type: RollingUpdate",
			"one scheduler", "want Recreate"},
		{"second scheduler in compose", "compose/docker-compose.yml", "OMNISTREAM_ROLES: process\n", "OMNISTREAM_ROLES: process,scheduler\n",
			"one scheduler", "2 workloads run the scheduler role"},
		{"role not deployed", "k8s/ingest.yaml", "value: ingest", "value: serve",
			"every role is deployed", "k8s: no workload runs the ingest role"},
		{"more processors than partitions", "k8s/process.yaml", "replicas: 3", "replicas: 30",
			"processors within partitions", "30 process instances but 24 partitions"},
		{"image mismatch", "k8s/process.yaml", "image: omnistream/omnistream:latest", "image: omnistream/omnistream:v0",
			"images are consistent", "different images"},
		{"click key missing", "k8s/secret.example.yaml", "  OMNISTREAM_SECRET_KEY: \"CHANGE_ME\"\n", "",
			"secrets come from the Secret", "without OMNISTREAM_SECRET_KEY"},
		{"secret in the ConfigMap", "k8s/configmap.yaml", "  OMNISTREAM_DATABASE:", "  OMNISTREAM_ADMIN_TOKEN: \"hunter2\"\n  OMNISTREAM_DATABASE:",
			"secrets come from the Secret", "ConfigMap omnistream-config (k8s/configmap.yaml) holds OMNISTREAM_ADMIN_TOKEN"},
		{"secret as a literal", "k8s/serve.yaml", "          envFrom:\n", "            - name: OMNISTREAM_CLICKHOUSE_URL\n              value: http://u:p@ch:8123\n          envFrom:\n",
			"secrets come from the Secret", "OMNISTREAM_CLICKHOUSE_URL comes from env of"},
		{"manifest not in kustomization", "k8s/kustomization.yaml", "  - serve.yaml\n", "",
			"kustomization", "Deployment omnistream-serve"},
		{"migrate not awaited", "compose/docker-compose.yml", "condition: service_completed_successfully", "condition: service_started",
			"compose", "must depend on migrate"},
		{"cluster DDL stale", "clickhouse/cluster.sql", "replicated_deduplication_window = 10000", "replicated_deduplication_window = 100",
			"cluster DDL is current", "differs from `omnistream migrate -print -cluster omnistream`"},
		{"cluster names disagree", "compose/.env.example", "OMNISTREAM_CLUSTER=omnistream", "OMNISTREAM_CLUSTER=other",
			"cluster DDL is current", "different ClickHouse clusters"},
		{"flag undocumented", "README.md", "`-flush-interval`", "`-flush-every`",
			"README documents every flag", "flag `-flush-interval`"},
		{"broken YAML", "k8s/serve.yaml", "kind: Service", "kind: [Service",
			"files parse", "k8s/serve.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(base)
			src := string(files[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("test setup: %s does not contain %q", tc.file, tc.old)
			}
			files[tc.file] = []byte(strings.Replace(src, tc.old, tc.new, 1))
			problems := runChecks(buildSite(files, facts))
			for _, p := range problems[tc.check] {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("after editing %s (%q → %q), check %q did not report %q; it reported %q",
				tc.file, tc.old, tc.new, tc.check, tc.want, problems[tc.check])
		})
	}
}
