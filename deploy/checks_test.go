package deploy

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omnistream/omnistream/sinks/schema"
)

// check is one named validation of a site; it returns every problem it
// finds, each a sentence saying what is wrong and where.
type check struct {
	name string
	run  func(s *site) []string
}

// checks run in this order; TestManifests makes each a subtest.
var checks = []check{
	{"files parse", checkParse},
	{"env vars are flags", checkEnvNames},
	{"env values parse", checkEnvValues},
	{"commands and args", checkCommands},
	{"config references resolve", checkReferences},
	{"secrets come from the Secret", checkSecrets},
	{"selectors match pods", checkSelectors},
	{"probes use container ports", checkProbes},
	{"http listener", checkHTTP},
	{"prometheus annotations", checkPrometheus},
	{"roles are valid", checkRoles},
	{"every role is deployed", checkCoverage},
	{"one scheduler", checkScheduler},
	{"processors within partitions", checkPartitions},
	{"images are consistent", checkImages},
	{"kustomization", checkKustomization},
	{"compose", checkCompose},
	{"cluster DDL is current", checkClusterSQL},
	{"README documents every flag", checkReadme},
}

// runChecks runs every check on s; problems are deduplicated per check
// (a ConfigMap shared by five containers is reported once).
func runChecks(s *site) map[string][]string {
	out := map[string][]string{}
	for _, c := range checks {
		seen := map[string]bool{}
		for _, p := range c.run(s) {
			if !seen[p] {
				seen[p] = true
				out[c.name] = append(out[c.name], p)
			}
		}
	}
	return out
}

// httpRoles start the HTTP listener (/healthz, /readyz, /metrics):
// internal/app.Start serves HTTP for any process with a role.
var httpRoles = []string{"ingest", "process", "serve", "scheduler"}

// secretEnv are settings that must come from a Secret on Kubernetes.
var secretEnv = []string{"OMNISTREAM_CLICKHOUSE_URL", "OMNISTREAM_ADMIN_TOKEN", "OMNISTREAM_SECRET_KEY", "OMNISTREAM_KAFKA_SASL_PASSWORD"}

func (s *site) containers() []*container {
	var out []*container
	for _, w := range s.workloads {
		out = append(out, w.containers...)
	}
	return out
}

// runContainers are the containers running `omnistream run`.
func (s *site) runContainers() []*container {
	var out []*container
	for _, c := range s.containers() {
		if c.command() == "run" {
			out = append(out, c)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkParse(s *site) []string {
	out := append([]string{}, s.parseErrs...)
	if len(s.objects) == 0 {
		out = append(out, "no Kubernetes documents under deploy/k8s")
	}
	for _, f := range []string{dockerfile, clusterSQL, readmeFile} {
		if _, ok := s.files[f]; !ok {
			out = append(out, fmt.Sprintf("deploy/%s is missing", f))
		}
	}
	return out
}

// checkEnvNames: every OMNISTREAM_* variable a container gets is the
// environment name of a flag of the subcommand it runs; other names are
// read by nothing (compose's .env may hold ${...} variables of the compose
// file itself, checked by the compose check).
func checkEnvNames(s *site) []string {
	var out []string
	for _, c := range s.containers() {
		cmd := c.command()
		if _, ok := s.facts.commands[cmd]; !ok {
			continue // reported by the commands check
		}
		for _, name := range sortedKeys(c.env) {
			v := c.env[name]
			if !strings.HasPrefix(name, "OMNISTREAM_") {
				if v.from == composeEnvFile {
					continue
				}
				out = append(out, fmt.Sprintf("%s: variable %s (from %s) is not read by omnistream: only OMNISTREAM_<FLAG> names are", c, name, v.from))
				continue
			}
			if _, _, ok := s.facts.envFlag(cmd, name); !ok {
				out = append(out, fmt.Sprintf("%s: %s (from %s) is not the environment name of any flag of `omnistream %s` (flags: %s)",
					c, name, v.from, cmd, strings.Join(s.facts.flagNames(cmd), ", ")))
			}
		}
	}
	return out
}

// checkEnvValues: every value parses as its flag's type. An empty value is
// still "set" for envDefaults, so it must parse too.
func checkEnvValues(s *site) []string {
	var out []string
	for _, c := range s.containers() {
		for _, name := range sortedKeys(c.env) {
			v := c.env[name]
			flag, kind, ok := s.facts.envFlag(c.command(), name)
			if !ok || !v.known {
				continue
			}
			if err := parseAs(kind, v.value); err != nil {
				out = append(out, fmt.Sprintf("%s (from %s, flag -%s) = %q does not parse as a %s: %v", name, v.from, flag, v.value, kind, err))
			}
		}
	}
	return out
}

func parseAs(kind flagKind, v string) error {
	var err error
	switch kind {
	case kindBool:
		_, err = strconv.ParseBool(v)
	case kindInt:
		_, err = strconv.ParseInt(v, 0, 64)
	case kindFloat:
		_, err = strconv.ParseFloat(v, 64)
	case kindDuration:
		_, err = time.ParseDuration(v)
	}
	if err != nil && v == "" {
		return fmt.Errorf("empty (an empty variable is still set; leave it out to get the default)")
	}
	return err
}

// checkCommands: each container runs a known subcommand with known flags;
// Deployments and long-running compose services run `run`, Jobs and the
// compose migrate service `migrate`.
func checkCommands(s *site) []string {
	var out []string
	for _, c := range s.containers() {
		cmd := c.command()
		flags, ok := s.facts.commands[cmd]
		if !ok {
			out = append(out, fmt.Sprintf("%s runs `omnistream %s`: not a subcommand (known: %s)", c, strings.Join(c.args, " "), strings.Join(sortedKeys(s.facts.commands), ", ")))
			continue
		}
		for _, a := range c.args[1:] {
			if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if _, ok := flags[name]; !ok {
				out = append(out, fmt.Sprintf("%s: argument %s is not a flag of `omnistream %s`", c, a, cmd))
			}
		}
		want := "run"
		if c.w.kind == "Job" || (c.w.platform == "compose" && c.w.name == "migrate") {
			want = "migrate"
		}
		if cmd != want {
			out = append(out, fmt.Sprintf("%s runs `omnistream %s`, want `omnistream %s`", c, cmd, want))
		}
	}
	return out
}

// checkReferences: namespaces exist; every ConfigMap and Secret a pod
// names exists in its namespace, with every key it names.
func checkReferences(s *site) []string {
	var out []string
	for _, o := range s.objects {
		switch o.Kind {
		case "Namespace", "Kustomization":
			continue
		}
		if o.Metadata.Namespace == "" {
			out = append(out, fmt.Sprintf("%s has no metadata.namespace", o))
		} else if s.find("Namespace", "", o.Metadata.Namespace) == nil {
			out = append(out, fmt.Sprintf("%s is in namespace %s, which no manifest creates", o, o.Metadata.Namespace))
		}
	}
	need := func(w *workload, what, kind, name string, keys ...string) {
		src := s.find(kind, w.namespace, name)
		if src == nil {
			out = append(out, fmt.Sprintf("%s: %s refers to %s %q, which does not exist in namespace %s", w, what, kind, name, w.namespace))
			return
		}
		data, err := src.data()
		if err != nil {
			out = append(out, err.Error())
			return
		}
		for _, k := range keys {
			if _, ok := data[k]; !ok {
				out = append(out, fmt.Sprintf("%s: %s refers to key %q of %s, which has no such key (keys: %s)", w, what, k, src, strings.Join(sortedKeys(data), ", ")))
			}
		}
	}
	for _, w := range s.workloads {
		if w.podSpec == nil {
			continue
		}
		for _, cs := range append(append([]containerSpec{}, w.podSpec.InitContainers...), w.podSpec.Containers...) {
			for _, ef := range cs.EnvFrom {
				switch {
				case ef.ConfigMapRef != nil && !ef.ConfigMapRef.Optional:
					need(w, "envFrom of container "+cs.Name, "ConfigMap", ef.ConfigMapRef.Name)
				case ef.SecretRef != nil && !ef.SecretRef.Optional:
					need(w, "envFrom of container "+cs.Name, "Secret", ef.SecretRef.Name)
				}
			}
			for _, e := range cs.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !r.Optional {
					need(w, "env "+e.Name, "ConfigMap", r.Name, r.Key)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil && !r.Optional {
					need(w, "env "+e.Name, "Secret", r.Name, r.Key)
				}
			}
			vols := map[string]bool{}
			for _, v := range w.podSpec.Volumes {
				vols[v.Name] = true
			}
			for _, m := range cs.VolumeMounts {
				if !vols[m.Name] {
					out = append(out, fmt.Sprintf("%s: container %s mounts volume %q, which the pod does not define", w, cs.Name, m.Name))
				}
			}
		}
		for _, v := range w.podSpec.Volumes {
			if v.ConfigMap != nil && !v.ConfigMap.Optional {
				var keys []string
				for _, it := range v.ConfigMap.Items {
					keys = append(keys, it.Key)
				}
				need(w, "volume "+v.Name, "ConfigMap", v.ConfigMap.Name, keys...)
			}
			if v.Secret != nil && !v.Secret.Optional {
				var keys []string
				for _, it := range v.Secret.Items {
					keys = append(keys, it.Key)
				}
				need(w, "volume "+v.Name, "Secret", v.Secret.SecretName, keys...)
			}
		}
	}
	return out
}

// checkSecrets: on Kubernetes, credentials and keys come from a Secret,
// never from a ConfigMap or the manifest; every ingest instance of a
// platform has the same click-redirect key (else links signed by one fail
// on the others, and a missing key is generated per instance).
func checkSecrets(s *site) []string {
	var out []string
	for _, o := range s.objects {
		if o.Kind != "ConfigMap" {
			continue
		}
		data, err := o.data()
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, name := range secretEnv {
			if _, ok := data[name]; ok {
				out = append(out, fmt.Sprintf("%s holds %s; secrets belong in a Secret", o, name))
			}
		}
	}
	keys := map[string]map[string][]string{} // platform → source of the key → containers
	for _, c := range s.runContainers() {
		if c.w.platform == "k8s" {
			for _, name := range secretEnv {
				if v, ok := c.env[name]; ok && !strings.HasPrefix(v.from, "Secret ") {
					out = append(out, fmt.Sprintf("%s: %s comes from %s; secrets belong in a Secret", c, name, v.from))
				}
			}
		}
		if !c.hasRole("ingest") {
			continue
		}
		v, ok := c.env["OMNISTREAM_SECRET_KEY"]
		if !ok || !v.known || v.value == "" {
			out = append(out, fmt.Sprintf("%s runs ingest without OMNISTREAM_SECRET_KEY: each instance would generate its own click-redirect key", c))
			continue
		}
		if keys[c.w.platform] == nil {
			keys[c.w.platform] = map[string][]string{}
		}
		src := v.from + " = " + v.value
		keys[c.w.platform][src] = append(keys[c.w.platform][src], c.String())
	}
	for _, p := range sortedKeys(keys) {
		if len(keys[p]) > 1 {
			out = append(out, fmt.Sprintf("%s: ingest instances get different click-redirect keys: %v", p, keys[p]))
		}
	}
	return out
}

func matches(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// resolvePort finds a Service targetPort or probe port among c's ports.
func resolvePort(c *container, p intOrString) (int, bool) {
	if p.IsStr {
		n, ok := c.portNames[p.Str]
		return n, ok
	}
	return p.Int, c.portNums[p.Int]
}

// checkSelectors: each Deployment's selector picks its own pods and no
// other Deployment's; each Service selects at least one Deployment whose
// containers have the target port (and, for a Service of a role, only pods
// running that role); each PodDisruptionBudget selects a Deployment.
func checkSelectors(s *site) []string {
	var out []string
	var deps []*workload
	for _, w := range s.workloads {
		if w.platform == "k8s" && w.kind == "Deployment" {
			deps = append(deps, w)
		}
	}
	for _, d := range deps {
		if len(d.selector) == 0 {
			out = append(out, fmt.Sprintf("%s has no spec.selector.matchLabels", d))
			continue
		}
		if !matches(d.selector, d.labels) {
			out = append(out, fmt.Sprintf("%s: selector %v does not match its own pod labels %v", d, d.selector, d.labels))
		}
		for _, other := range deps {
			if other != d && other.namespace == d.namespace && matches(d.selector, other.labels) {
				out = append(out, fmt.Sprintf("%s: selector %v also matches the pods of %s", d, d.selector, other))
			}
		}
	}
	for _, o := range s.objects {
		switch o.Kind {
		case "Service":
			var spec serviceSpec
			if err := o.spec(&spec); err != nil {
				out = append(out, fmt.Sprintf("%s: %v", o, err))
				continue
			}
			var hit []*workload
			for _, d := range deps {
				if d.namespace == o.Metadata.Namespace && matches(spec.Selector, d.labels) {
					hit = append(hit, d)
				}
			}
			if len(hit) == 0 {
				out = append(out, fmt.Sprintf("%s: selector %v matches the pods of no Deployment", o, spec.Selector))
				continue
			}
			role := o.Metadata.Labels["app.kubernetes.io/component"]
			for _, d := range hit {
				for _, p := range spec.Ports {
					target := intOrString{Int: p.Port}
					if p.TargetPort != nil {
						target = *p.TargetPort
					}
					found := false
					for _, c := range d.containers {
						if _, ok := resolvePort(c, target); ok {
							found = true
						}
					}
					if !found {
						out = append(out, fmt.Sprintf("%s: port %s targets %s, which no container of %s declares", o, p.Name, target, d))
					}
				}
				if s.facts.validRole(role) {
					for _, c := range d.containers {
						if !c.hasRole(role) {
							out = append(out, fmt.Sprintf("%s is the %s Service but selects %s, which does not run the %s role", o, role, c, role))
						}
					}
				}
			}
		case "PodDisruptionBudget":
			var spec pdbSpec
			if err := o.spec(&spec); err != nil {
				out = append(out, fmt.Sprintf("%s: %v", o, err))
				continue
			}
			n := 0
			for _, d := range deps {
				if d.namespace == o.Metadata.Namespace && matches(spec.Selector.MatchLabels, d.labels) {
					n++
				}
			}
			if n == 0 {
				out = append(out, fmt.Sprintf("%s: selector %v matches the pods of no Deployment", o, spec.Selector.MatchLabels))
			}
		}
	}
	return out
}

// checkProbes: every probe's port is a declared container port and its
// path a route the process serves; liveness (and startup) use /healthz, not
// /readyz, which fails while ClickHouse is away (restarting every pod then
// would not help).
func checkProbes(s *site) []string {
	var out []string
	for _, c := range s.containers() {
		if c.w.platform != "k8s" || c.w.kind != "Deployment" {
			continue
		}
		kinds := map[string]bool{}
		for _, p := range c.probes {
			kinds[p.kind] = true
			if _, ok := resolvePort(c, p.port); !ok {
				out = append(out, fmt.Sprintf("%s: %s probe uses port %s, which the container does not declare (ports: %v)", c, p.kind, p.port, sortedKeys(c.portNames)))
			}
			if p.path != "" && !s.facts.routes[p.path] {
				out = append(out, fmt.Sprintf("%s: %s probe path %s is not a GET route of internal/app/routes.go", c, p.kind, p.path))
			}
			if p.kind != "readiness" && p.path == "/readyz" {
				out = append(out, fmt.Sprintf("%s: %s probe uses /readyz; use /healthz (readyz fails while ClickHouse is unreachable)", c, p.kind))
			}
		}
		if !kinds["liveness"] || !kinds["readiness"] {
			out = append(out, fmt.Sprintf("%s needs both a liveness (/healthz) and a readiness (/readyz) probe", c))
		}
	}
	return out
}

// checkHTTP: containers with probes, ports or scrape annotations run a role
// that starts the HTTP listener; the listen address is reachable from
// outside the container and its port is the declared (or published) one.
func checkHTTP(s *site) []string {
	var out []string
	for _, c := range s.runContainers() {
		serves := false
		for _, r := range httpRoles {
			serves = serves || c.hasRole(r)
		}
		exposed := len(c.probes) > 0 || len(c.portNums) > 0 || c.w.annotations["prometheus.io/scrape"] == "true"
		if exposed && !serves {
			roles, _ := c.roles()
			out = append(out, fmt.Sprintf("%s has probes, ports or a scrape annotation but its roles %v start no HTTP listener (only %v do; see internal/app.Start)", c, roles, httpRoles))
		}
		if !serves {
			continue
		}
		addr, ok := c.flagValue("http-addr")
		if !ok {
			out = append(out, fmt.Sprintf("%s: OMNISTREAM_HTTP_ADDR is not set; the default listens on loopback only", c))
			continue
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: http addr %q: %v", c, addr, err))
			continue
		}
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			out = append(out, fmt.Sprintf("%s: http addr %q listens on loopback: unreachable from outside the container", c, addr))
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: http addr %q has no numeric port", c, addr))
			continue
		}
		if c.w.platform == "k8s" && !c.portNums[n] {
			out = append(out, fmt.Sprintf("%s listens on port %d but declares container ports %v", c, n, sortedInts(c.portNums)))
		}
		for p := range c.portNums {
			if c.w.platform == "compose" && p != n {
				out = append(out, fmt.Sprintf("%s publishes container port %d but listens on %d", c, p, n))
			}
		}
	}
	return out
}

func sortedInts(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// checkPrometheus: every Deployment serving HTTP is scraped, on a declared
// port and the /metrics route.
func checkPrometheus(s *site) []string {
	var out []string
	for _, w := range s.workloads {
		if w.platform != "k8s" || w.kind != "Deployment" {
			continue
		}
		a := w.annotations
		if a["prometheus.io/scrape"] != "true" {
			out = append(out, fmt.Sprintf("%s: pod template lacks the annotation prometheus.io/scrape: \"true\"", w))
			continue
		}
		if p := a["prometheus.io/path"]; p != "/metrics" || !s.facts.routes[p] {
			out = append(out, fmt.Sprintf("%s: prometheus.io/path is %q, want /metrics (a GET route of internal/app/routes.go)", w, p))
		}
		n, err := strconv.Atoi(a["prometheus.io/port"])
		if err != nil {
			out = append(out, fmt.Sprintf("%s: prometheus.io/port %q is not a port number", w, a["prometheus.io/port"]))
			continue
		}
		for _, c := range w.containers {
			if !c.portNums[n] {
				out = append(out, fmt.Sprintf("%s: prometheus.io/port %d is not a port of container %s", w, n, c.name))
			}
		}
	}
	return out
}

// checkRoles: every `run` container names its roles (the default, all of
// them, would run a scheduler in every replica), each valid, none twice.
func checkRoles(s *site) []string {
	var out []string
	for _, c := range s.runContainers() {
		roles, given := c.roles()
		if !given || len(roles) == 0 {
			out = append(out, fmt.Sprintf("%s sets no roles (OMNISTREAM_ROLES or -roles): it would run all of them", c))
			continue
		}
		seen := map[string]bool{}
		for _, r := range roles {
			if !s.facts.validRole(r) {
				out = append(out, fmt.Sprintf("%s: role %q is not one of %v", c, r, s.facts.roles))
			}
			if seen[r] {
				out = append(out, fmt.Sprintf("%s: role %q given twice", c, r))
			}
			seen[r] = true
		}
	}
	return out
}

// checkCoverage: on each platform every role runs somewhere and a
// migration (Job or compose service) exists, so that the other checks
// cannot pass for want of anything to check.
func checkCoverage(s *site) []string {
	var out []string
	for _, platform := range []string{"k8s", "compose"} {
		migrate := false
		for _, c := range s.containers() {
			migrate = migrate || (c.w.platform == platform && c.command() == "migrate")
		}
		if !migrate {
			out = append(out, fmt.Sprintf("%s: nothing runs `omnistream migrate`", platform))
		}
		for _, r := range s.facts.roles {
			n := 0
			for _, c := range s.runContainers() {
				if roles, given := c.roles(); c.w.platform == platform && given && slices.Contains(roles, r) {
					n++
				}
			}
			if n == 0 {
				out = append(out, fmt.Sprintf("%s: no workload runs the %s role", platform, r))
			}
		}
	}
	return out
}

// checkScheduler: on each platform exactly one workload runs the scheduler
// role, with one replica; on Kubernetes with strategy Recreate, so that a
// rollout never runs two.
func checkScheduler(s *site) []string {
	var out []string
	for _, platform := range []string{"k8s", "compose"} {
		var found []*workload
		for _, c := range s.runContainers() {
			if c.w.platform == platform && c.hasRole("scheduler") {
				found = append(found, c.w)
			}
		}
		if len(found) != 1 {
			out = append(out, fmt.Sprintf("%s: %d workloads run the scheduler role (%v), want exactly 1", platform, len(found), found))
		}
		for _, w := range found {
			if w.replicas != 1 {
				out = append(out, fmt.Sprintf("%s runs the scheduler with %d replicas, want 1", w, w.replicas))
			}
			if platform == "k8s" && w.strategy != "Recreate" {
				out = append(out, fmt.Sprintf("%s runs the scheduler with strategy %s: a rollout would run two; want Recreate", w, w.strategy))
			}
		}
	}
	return out
}

// checkPartitions: processors beyond the partition count would sit idle.
func checkPartitions(s *site) []string {
	var out []string
	for _, platform := range []string{"k8s", "compose"} {
		total, partitions := 0, -1
		for _, c := range s.runContainers() {
			if c.w.platform != platform || !c.hasRole("process") {
				continue
			}
			total += c.w.replicas
			if v, ok := c.flagValue("partitions"); ok {
				if n, err := strconv.Atoi(v); err == nil {
					partitions = n
				}
			}
		}
		if total == 0 {
			out = append(out, fmt.Sprintf("%s: no workload runs the process role", platform))
		}
		if partitions > 0 && total > partitions {
			out = append(out, fmt.Sprintf("%s: %d process instances but %d partitions: %d would be idle", platform, total, partitions, total-partitions))
		}
	}
	return out
}

// imageRepo strips the tag from an image reference (a compose ${VAR}
// counts as part of the tag).
func imageRepo(ref string) string {
	ref = interpRe.ReplaceAllString(ref, "VAR")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// checkImages: one image everywhere on Kubernetes, one in compose, the same
// repository in both, and the kustomization's image override names it.
func checkImages(s *site) []string {
	var out []string
	images := map[string]map[string][]string{} // platform → image → containers
	for _, c := range s.containers() {
		if images[c.w.platform] == nil {
			images[c.w.platform] = map[string][]string{}
		}
		if c.image == "" {
			out = append(out, fmt.Sprintf("%s has no image", c))
			continue
		}
		images[c.w.platform][c.image] = append(images[c.w.platform][c.image], c.String())
	}
	repos := map[string]bool{}
	for _, p := range sortedKeys(images) {
		if len(images[p]) > 1 {
			out = append(out, fmt.Sprintf("%s: containers use different images: %v", p, images[p]))
		}
		for img := range images[p] {
			repos[imageRepo(img)] = true
		}
	}
	if len(repos) > 1 {
		out = append(out, fmt.Sprintf("Kubernetes and compose use different image repositories: %v", sortedKeys(repos)))
	}
	for _, o := range s.objects {
		if o.Kind != "Kustomization" {
			continue
		}
		var k kustomizationDoc
		if err := o.node.Decode(&k); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", o, err))
			continue
		}
		for _, img := range k.Images {
			if len(images["k8s"]) > 0 && images["k8s"][img.Name] == nil && !repos[img.Name] {
				out = append(out, fmt.Sprintf("%s overrides image %s, which no container uses (%v)", o, img.Name, sortedKeys(images["k8s"])))
			}
		}
	}
	return out
}

// checkKustomization: the kustomization lists files that exist, and every
// manifest it leaves out is one applied on its own (the Secret template,
// the migration Job).
func checkKustomization(s *site) []string {
	var out []string
	var kust *object
	for _, o := range s.objects {
		if o.Kind == "Kustomization" {
			kust = o
		}
	}
	if kust == nil {
		return []string{"deploy/k8s has no kustomization.yaml"}
	}
	var k kustomizationDoc
	if err := kust.node.Decode(&k); err != nil {
		return []string{fmt.Sprintf("%s: %v", kust, err)}
	}
	listed := map[string]bool{kust.file: true}
	for _, r := range k.Resources {
		p := k8sDir + "/" + r
		if _, ok := s.files[p]; !ok {
			out = append(out, fmt.Sprintf("%s lists %s, which does not exist", kust, r))
		}
		listed[p] = true
	}
	for _, o := range s.objects {
		if !listed[o.file] && o.Kind != "Secret" && o.Kind != "Job" {
			out = append(out, fmt.Sprintf("%s is not listed in %s (only the Secret template and the migration Job are applied on their own)", o, kust.file))
		}
	}
	return out
}

var interpRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}`)

// checkCompose: migrate runs once before everything else; the replica
// counts; every ${VAR} of the compose file is defined in .env or has a
// default, and every non-flag variable of .env is used by the compose file.
func checkCompose(s *site) []string {
	if s.compose == nil {
		return nil
	}
	var out []string
	want := map[string]int{"migrate": 1, "ingest": 2, "process": 3, "serve": 2, "scheduler": 1}
	byName := map[string]*workload{}
	for _, w := range s.workloads {
		if w.platform == "compose" {
			byName[w.name] = w
		}
	}
	for _, name := range sortedKeys(want) {
		w, ok := byName[name]
		if !ok {
			out = append(out, fmt.Sprintf("compose file has no %s service", name))
			continue
		}
		if w.replicas != want[name] {
			out = append(out, fmt.Sprintf("%s has %d replicas, want %d", w, w.replicas, want[name]))
		}
	}
	for _, name := range sortedKeys(byName) {
		w := byName[name]
		if name == "migrate" {
			if r := w.svc.Restart; r != "no" && r != "on-failure" {
				out = append(out, fmt.Sprintf("%s has restart %q; a one-shot service needs \"no\" or \"on-failure\"", w, r))
			}
			continue
		}
		var deps map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := w.svc.DependsOn.Decode(&deps); err != nil || deps["migrate"].Condition != "service_completed_successfully" {
			out = append(out, fmt.Sprintf("%s must depend on migrate with condition service_completed_successfully", w))
		}
	}
	used := map[string]bool{}
	for _, m := range interpRe.FindAllSubmatch(s.files[composeFile], -1) {
		name := string(m[1])
		used[name] = true
		if _, ok := s.dotenv[name]; !ok && !bytes.HasPrefix(m[2], []byte(":-")) && !bytes.HasPrefix(m[2], []byte("-")) {
			out = append(out, fmt.Sprintf("%s uses ${%s}, which %s does not define and which has no default", composeFile, name, composeEnvFile))
		}
	}
	for _, k := range sortedKeys(s.dotenv) {
		if !strings.HasPrefix(k, "OMNISTREAM_") && !used[k] {
			out = append(out, fmt.Sprintf("%s defines %s, which is neither a flag's variable nor used by %s", composeEnvFile, k, composeFile))
		}
	}
	return out
}

// clusterName is the ClickHouse cluster the deployment uses; the compose
// .env and the Kubernetes ConfigMap must agree.
func (s *site) clusterName() (string, []string) {
	names := map[string][]string{}
	for _, c := range s.runContainers() {
		if v, ok := c.flagValue("cluster"); ok {
			names[v] = append(names[v], c.String())
		}
	}
	switch len(names) {
	case 0:
		return "", []string{"no container sets OMNISTREAM_CLUSTER: cluster mode needs the ClickHouse cluster name"}
	case 1:
		n := sortedKeys(names)[0]
		if n == "" {
			return "", []string{"OMNISTREAM_CLUSTER is empty: cluster mode needs the ClickHouse cluster name"}
		}
		return n, nil
	}
	return "", []string{fmt.Sprintf("containers use different ClickHouse clusters: %v", names)}
}

// renderClusterSQL renders the DDL as `omnistream migrate -print -cluster
// NAME` prints it (cmd/omnistream/run.go).
func renderClusterSQL(cluster string) ([]byte, error) {
	migs, err := schema.Render(schema.Config{Cluster: cluster, DedupWindow: 10000})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, m := range migs {
		fmt.Fprintf(&b, "-- %04d_%s\n", m.Version, m.Name)
		for _, st := range m.Statements {
			fmt.Fprintf(&b, "%s;\n\n", st)
		}
	}
	return b.Bytes(), nil
}

// checkClusterSQL: deploy/clickhouse/cluster.sql is the DDL rendered for
// the deployment's cluster name.
func checkClusterSQL(s *site) []string {
	name, probs := s.clusterName()
	if len(probs) > 0 {
		return probs
	}
	want, err := renderClusterSQL(name)
	if err != nil {
		return []string{fmt.Sprintf("render the cluster DDL for %q: %v", name, err)}
	}
	got, ok := s.files[clusterSQL]
	if !ok {
		return nil // reported by the parse check
	}
	if bytes.Equal(got, want) {
		return nil
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
		line++
	}
	g, w := "<end of file>", "<end of file>"
	if line < len(gl) {
		g = gl[line]
	}
	if line < len(wl) {
		w = wl[line]
	}
	return []string{fmt.Sprintf("deploy/%s differs from `omnistream migrate -print -cluster %s` at line %d: has %q, want %q (regenerate with `go test ./deploy -run TestManifests -update`)",
		clusterSQL, name, line+1, g, w)}
}

// checkReadme: the configuration reference names every flag of the
// commands an operator runs, and the environment name of each flag of run
// and migrate.
func checkReadme(s *site) []string {
	readme := string(s.files[readmeFile])
	if readme == "" {
		return nil
	}
	var out []string
	for _, cmd := range []string{"run", "migrate", "dlq"} {
		for _, f := range s.facts.flagNames(cmd) {
			if !strings.Contains(readme, "`-"+f+"`") {
				out = append(out, fmt.Sprintf("deploy/README.md does not document flag `-%s` of `omnistream %s`", f, cmd))
			}
			if cmd != "dlq" && !strings.Contains(readme, "`"+envName(f)+"`") {
				out = append(out, fmt.Sprintf("deploy/README.md does not name `%s` (flag -%s of `omnistream %s`)", envName(f), f, cmd))
			}
		}
	}
	return out
}
