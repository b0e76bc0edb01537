package deploy

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The deploy files are read into a site: the Kubernetes objects, the
// compose file with its .env, the Dockerfile's defaults, and one list of
// workloads (Deployments, Jobs, compose services) with each container's
// effective environment. The checks work on the site only, so a test can
// build one from modified file contents.

const (
	k8sDir      = "k8s"
	composeFile = "compose/docker-compose.yml"
	// The compose file reads .env, which is not checked in; its documented
	// template stands in for it.
	composeEnvFile = "compose/.env.example"
	clusterSQL     = "clickhouse/cluster.sql"
	readmeFile     = "README.md"
	dockerfile     = "Dockerfile"
)

// readFiles reads every file the checks look at, keyed by its path
// relative to deploy/ (slash separated).
func readFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		switch {
		case strings.HasPrefix(rel, k8sDir+"/") && isYAML(rel),
			rel == composeFile, rel == composeEnvFile, rel == clusterSQL, rel == readmeFile, rel == dockerfile:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = b
		}
		return nil
	})
	return files, err
}

func isYAML(p string) bool { return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") }

// site is the parsed deployment.
type site struct {
	files     map[string][]byte
	facts     *codeFacts
	objects   []*object
	compose   *composeDoc
	dotenv    map[string]string // compose/.env.example
	image     imageDefaults
	workloads []*workload
	// parseErrs are the files or documents that could not be read.
	parseErrs []string
}

// imageDefaults are what the Dockerfile sets for every container.
type imageDefaults struct {
	env map[string]string
	cmd []string // CMD: the arguments after the entrypoint
}

// object is one Kubernetes document.
type object struct {
	file       string
	node       *yaml.Node
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

func (o *object) String() string {
	return fmt.Sprintf("%s %s (k8s/%s)", o.Kind, o.Metadata.Name, strings.TrimPrefix(o.file, k8sDir+"/"))
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	Containers     []containerSpec `yaml:"containers"`
	InitContainers []containerSpec `yaml:"initContainers"`
	Volumes        []volumeSpec    `yaml:"volumes"`
}

type containerSpec struct {
	Name           string          `yaml:"name"`
	Image          string          `yaml:"image"`
	Command        []string        `yaml:"command"`
	Args           []string        `yaml:"args"`
	Env            []envVarSpec    `yaml:"env"`
	EnvFrom        []envFromSpec   `yaml:"envFrom"`
	Ports          []portSpec      `yaml:"ports"`
	LivenessProbe  *probeSpec      `yaml:"livenessProbe"`
	ReadinessProbe *probeSpec      `yaml:"readinessProbe"`
	StartupProbe   *probeSpec      `yaml:"startupProbe"`
	VolumeMounts   []volumeMountSp `yaml:"volumeMounts"`
}

type envVarSpec struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type keyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional bool   `yaml:"optional"`
}

type nameRef struct {
	Name     string `yaml:"name"`
	Optional bool   `yaml:"optional"`
}

type envFromSpec struct {
	Prefix       string   `yaml:"prefix"`
	ConfigMapRef *nameRef `yaml:"configMapRef"`
	SecretRef    *nameRef `yaml:"secretRef"`
}

type portSpec struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
}

type probeSpec struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port intOrString `yaml:"port"`
	} `yaml:"tcpSocket"`
}

type volumeMountSp struct {
	Name string `yaml:"name"`
}

type keyItem struct {
	Key string `yaml:"key"`
}

type volumeSpec struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name     string    `yaml:"name"`
		Items    []keyItem `yaml:"items"`
		Optional bool      `yaml:"optional"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName string    `yaml:"secretName"`
		Items      []keyItem `yaml:"items"`
		Optional   bool      `yaml:"optional"`
	} `yaml:"secret"`
}

// intOrString is a Kubernetes port reference: a number or a port name.
type intOrString struct {
	Int   int
	Str   string
	IsStr bool
}

func (v *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number or a name", n.Line)
	}
	if n.Tag == "!!int" {
		i, err := strconv.Atoi(n.Value)
		v.Int = i
		return err
	}
	v.Str, v.IsStr = n.Value, true
	return nil
}

func (v intOrString) String() string {
	if v.IsStr {
		return strconv.Quote(v.Str)
	}
	return strconv.Itoa(v.Int)
}

type labelSelector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []any             `yaml:"matchExpressions"`
}

type deploymentSpec struct {
	Replicas *int          `yaml:"replicas"`
	Selector labelSelector `yaml:"selector"`
	Strategy struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"`
	Template podTemplate `yaml:"template"`
}

type jobSpec struct {
	Template podTemplate `yaml:"template"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name       string       `yaml:"name"`
		Port       int          `yaml:"port"`
		TargetPort *intOrString `yaml:"targetPort"`
	} `yaml:"ports"`
}

type pdbSpec struct {
	Selector       labelSelector `yaml:"selector"`
	MinAvailable   *intOrString  `yaml:"minAvailable"`
	MaxUnavailable *intOrString  `yaml:"maxUnavailable"`
}

type kustomizationDoc struct {
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// spec decodes the object's spec (or, for data-only kinds, the whole
// document) into v.
func (o *object) spec(v any) error {
	var doc struct {
		Spec yaml.Node `yaml:"spec"`
	}
	if err := o.node.Decode(&doc); err != nil {
		return err
	}
	if doc.Spec.Kind == 0 {
		return fmt.Errorf("%s has no spec", o)
	}
	return doc.Spec.Decode(v)
}

// data returns a ConfigMap's or Secret's keys and values (Secret data
// decoded from base64).
func (o *object) data() (map[string]string, error) {
	var doc struct {
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
	}
	if err := o.node.Decode(&doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range doc.Data {
		if o.Kind == "Secret" {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, fmt.Errorf("%s: data %s is not base64: %w", o, k, err)
			}
			v = string(b)
		}
		out[k] = v
	}
	for k, v := range doc.StringData {
		out[k] = v
	}
	return out, nil
}

// composeDoc is the part of the compose file the checks read.
type composeDoc struct {
	Name     string                     `yaml:"name"`
	Services map[string]*composeService `yaml:"services"`
}

type composeService struct {
	Image       string    `yaml:"image"`
	Command     yaml.Node `yaml:"command"`
	Entrypoint  yaml.Node `yaml:"entrypoint"`
	EnvFile     yaml.Node `yaml:"env_file"`
	Environment yaml.Node `yaml:"environment"`
	Ports       []string  `yaml:"ports"`
	DependsOn   yaml.Node `yaml:"depends_on"`
	Restart     string    `yaml:"restart"`
	Scale       *int      `yaml:"scale"`
	Deploy      struct {
		Replicas *int `yaml:"replicas"`
	} `yaml:"deploy"`
}

// workload is a Deployment, a Job or a compose service.
type workload struct {
	platform    string // "k8s" or "compose"
	kind        string // Deployment, Job, service
	name        string
	where       string
	namespace   string
	replicas    int
	strategy    string
	selector    map[string]string
	labels      map[string]string // of the pods
	annotations map[string]string // of the pods
	podSpec     *podSpec
	containers  []*container
	svc         *composeService
}

func (w *workload) String() string { return w.where }

// container is one container of a workload with what it runs.
type container struct {
	w     *workload
	name  string
	image string
	// args follow the entrypoint (omnistream): args[0] is the subcommand.
	args []string
	env  map[string]envValue
	// ports by name and number (k8s containerPort; for compose the
	// container side of the published ports).
	portNames map[string]int
	portNums  map[int]bool
	published []string // compose "host:container" entries
	probes    []probeRef
}

func (c *container) String() string {
	if c.w.platform == "compose" {
		return c.w.where
	}
	return fmt.Sprintf("%s container %s", c.w.where, c.name)
}

// command is the omnistream subcommand the container runs.
func (c *container) command() string {
	if len(c.args) == 0 {
		return ""
	}
	return c.args[0]
}

type probeRef struct {
	kind string // liveness, readiness, startup
	path string // "" for a TCP probe
	port intOrString
}

// envValue is one variable of a container's effective environment.
type envValue struct {
	value string
	known bool   // false when it comes from a missing ConfigMap/Secret
	from  string // where it is set, for messages
}

// roles returns the roles a `run` container was given (flag or
// environment) and whether they were given at all.
func (c *container) roles() ([]string, bool) {
	raw, ok := c.flagValue("roles")
	if !ok {
		return nil, false
	}
	var out []string
	for _, r := range strings.Split(raw, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out, true
}

// flagValue is the value of a flag from the arguments, else from the
// environment (flags win, as in cmd/omnistream).
func (c *container) flagValue(flag string) (string, bool) {
	for i := 1; i < len(c.args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(c.args[i], "-"), "=")
		if !strings.HasPrefix(c.args[i], "-") || name != flag {
			continue
		}
		if hasVal {
			return val, true
		}
		if i+1 < len(c.args) {
			return c.args[i+1], true
		}
		return "", true
	}
	if v, ok := c.env[envName(flag)]; ok && v.known {
		return v.value, true
	}
	return "", false
}

func (c *container) hasRole(r string) bool {
	roles, given := c.roles()
	if !given {
		return true // default: every role
	}
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// buildSite parses the files. Parse failures are recorded, not fatal, so
// that a check can report them like any other problem.
func buildSite(files map[string][]byte, facts *codeFacts) *site {
	s := &site{files: files, facts: facts}
	s.image = parseDockerfile(files[dockerfile])
	var names []string
	for name := range files {
		if strings.HasPrefix(name, k8sDir+"/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		dec := yaml.NewDecoder(bytes.NewReader(files[name]))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.parseErrs = append(s.parseErrs, fmt.Sprintf("%s: document %d: %v", name, i+1, err))
				break
			}
			if len(n.Content) == 0 || n.Content[0].Tag == "!!null" {
				continue
			}
			o := &object{file: name, node: &n}
			if err := n.Decode(o); err != nil {
				s.parseErrs = append(s.parseErrs, fmt.Sprintf("%s: document %d: %v", name, i+1, err))
				continue
			}
			if o.Kind == "" || o.APIVersion == "" {
				s.parseErrs = append(s.parseErrs, fmt.Sprintf("%s: document %d has no kind or apiVersion", name, i+1))
				continue
			}
			s.objects = append(s.objects, o)
		}
	}
	if b, ok := files[composeEnvFile]; ok {
		env, err := parseDotenv(b)
		if err != nil {
			s.parseErrs = append(s.parseErrs, fmt.Sprintf("%s: %v", composeEnvFile, err))
		}
		s.dotenv = env
	} else {
		s.parseErrs = append(s.parseErrs, composeEnvFile+" is missing")
	}
	if b, ok := files[composeFile]; ok {
		var c composeDoc
		if err := yaml.Unmarshal(b, &c); err != nil {
			s.parseErrs = append(s.parseErrs, fmt.Sprintf("%s: %v", composeFile, err))
		} else {
			s.compose = &c
		}
	} else {
		s.parseErrs = append(s.parseErrs, composeFile+" is missing")
	}
	for _, o := range s.objects {
		if err := s.addK8sWorkload(o); err != nil {
			s.parseErrs = append(s.parseErrs, err.Error())
		}
	}
	if s.compose != nil {
		var svcs []string
		for name := range s.compose.Services {
			svcs = append(svcs, name)
		}
		sort.Strings(svcs)
		for _, name := range svcs {
			if err := s.addComposeWorkload(name, s.compose.Services[name]); err != nil {
				s.parseErrs = append(s.parseErrs, err.Error())
			}
		}
	}
	return s
}

// find returns the object of kind and name in namespace ns.
func (s *site) find(kind, ns, name string) *object {
	for _, o := range s.objects {
		if o.Kind == kind && o.Metadata.Name == name && (kind == "Namespace" || o.Metadata.Namespace == ns) {
			return o
		}
	}
	return nil
}

func (s *site) addK8sWorkload(o *object) error {
	w := &workload{platform: "k8s", kind: o.Kind, name: o.Metadata.Name, where: o.String(), namespace: o.Metadata.Namespace}
	var tmpl podTemplate
	switch o.Kind {
	case "Deployment":
		var spec deploymentSpec
		if err := o.spec(&spec); err != nil {
			return fmt.Errorf("%s: %v", o, err)
		}
		w.replicas = 1
		if spec.Replicas != nil {
			w.replicas = *spec.Replicas
		}
		w.strategy = spec.Strategy.Type
		if w.strategy == "" {
			w.strategy = "RollingUpdate"
		}
		w.selector = spec.Selector.MatchLabels
		tmpl = spec.Template
	case "Job":
		var spec jobSpec
		if err := o.spec(&spec); err != nil {
			return fmt.Errorf("%s: %v", o, err)
		}
		w.replicas = 1
		tmpl = spec.Template
	default:
		return nil
	}
	w.labels, w.annotations, w.podSpec = tmpl.Metadata.Labels, tmpl.Metadata.Annotations, &tmpl.Spec
	for _, cs := range append(append([]containerSpec{}, tmpl.Spec.InitContainers...), tmpl.Spec.Containers...) {
		c := &container{w: w, name: cs.Name, image: cs.Image, portNames: map[string]int{}, portNums: map[int]bool{}}
		c.args = append(c.args, cs.Args...)
		if len(cs.Command) > 0 {
			// An explicit command replaces the image's entrypoint: it must
			// still be omnistream, and CMD no longer applies.
			if path.Base(cs.Command[0]) != "omnistream" {
				return fmt.Errorf("%s: container %s runs %q, not omnistream", o, cs.Name, cs.Command[0])
			}
			c.args = append(append([]string{}, cs.Command[1:]...), cs.Args...)
		} else if len(cs.Args) == 0 {
			c.args = append(c.args, s.image.cmd...)
		}
		c.env = map[string]envValue{}
		for k, v := range s.image.env {
			c.env[k] = envValue{value: v, known: true, from: "the Dockerfile's ENV"}
		}
		for _, ef := range cs.EnvFrom {
			kind, ref := "ConfigMap", ef.ConfigMapRef
			if ef.SecretRef != nil {
				kind, ref = "Secret", ef.SecretRef
			}
			if ref == nil {
				continue
			}
			src := s.find(kind, w.namespace, ref.Name)
			if src == nil {
				continue // reported by the references check
			}
			data, err := src.data()
			if err != nil {
				return err
			}
			for k, v := range data {
				c.env[ef.Prefix+k] = envValue{value: v, known: true, from: src.String()}
			}
		}
		for _, e := range cs.Env {
			switch {
			case e.Value != nil:
				c.env[e.Name] = envValue{value: *e.Value, known: true, from: fmt.Sprintf("env of %s", c)}
			case e.ValueFrom != nil && (e.ValueFrom.ConfigMapKeyRef != nil || e.ValueFrom.SecretKeyRef != nil):
				kind, ref := "ConfigMap", e.ValueFrom.ConfigMapKeyRef
				if ref == nil {
					kind, ref = "Secret", e.ValueFrom.SecretKeyRef
				}
				v := envValue{from: fmt.Sprintf("%s %s key %s", kind, ref.Name, ref.Key)}
				if src := s.find(kind, w.namespace, ref.Name); src != nil {
					data, err := src.data()
					if err != nil {
						return err
					}
					v.value, v.known = data[ref.Key]
					v.from = fmt.Sprintf("%s key %s", src, ref.Key)
				}
				c.env[e.Name] = v
			default:
				c.env[e.Name] = envValue{from: fmt.Sprintf("env of %s (fieldRef or resource)", c)}
			}
		}
		for _, p := range cs.Ports {
			c.portNums[p.ContainerPort] = true
			if p.Name != "" {
				c.portNames[p.Name] = p.ContainerPort
			}
		}
		for _, pr := range []struct {
			kind string
			p    *probeSpec
		}{{"liveness", cs.LivenessProbe}, {"readiness", cs.ReadinessProbe}, {"startup", cs.StartupProbe}} {
			switch {
			case pr.p == nil:
			case pr.p.HTTPGet != nil:
				c.probes = append(c.probes, probeRef{kind: pr.kind, path: pr.p.HTTPGet.Path, port: pr.p.HTTPGet.Port})
			case pr.p.TCPSocket != nil:
				c.probes = append(c.probes, probeRef{kind: pr.kind, port: pr.p.TCPSocket.Port})
			}
		}
		w.containers = append(w.containers, c)
	}
	s.workloads = append(s.workloads, w)
	return nil
}

func (s *site) addComposeWorkload(name string, svc *composeService) error {
	w := &workload{platform: "compose", kind: "service", name: name, where: fmt.Sprintf("compose service %s", name), svc: svc, replicas: 1}
	if svc.Deploy.Replicas != nil {
		w.replicas = *svc.Deploy.Replicas
	}
	if svc.Scale != nil {
		w.replicas = *svc.Scale
	}
	c := &container{w: w, name: name, image: svc.Image, portNames: map[string]int{}, portNums: map[int]bool{}}
	cmd, err := stringList(svc.Command)
	if err != nil {
		return fmt.Errorf("%s: command: %v", w, err)
	}
	if svc.Entrypoint.Kind != 0 {
		return fmt.Errorf("%s: entrypoint is overridden; omnistream must stay the entrypoint", w)
	}
	c.args = cmd
	if len(cmd) == 0 {
		c.args = append([]string{}, s.image.cmd...)
	}
	c.env = map[string]envValue{}
	for k, v := range s.image.env {
		c.env[k] = envValue{value: v, known: true, from: "the Dockerfile's ENV"}
	}
	envFiles, err := stringList(svc.EnvFile)
	if err != nil {
		return fmt.Errorf("%s: env_file: %v", w, err)
	}
	for _, f := range envFiles {
		if path.Clean(f) != ".env" {
			return fmt.Errorf("%s: env_file %s: only .env (documented by %s) is known", w, f, composeEnvFile)
		}
		for k, v := range s.dotenv {
			c.env[k] = envValue{value: v, known: true, from: composeEnvFile}
		}
	}
	switch svc.Environment.Kind {
	case 0:
	case yaml.MappingNode:
		for i := 0; i+1 < len(svc.Environment.Content); i += 2 {
			k, v := svc.Environment.Content[i].Value, svc.Environment.Content[i+1]
			c.env[k] = envValue{value: v.Value, known: v.Tag != "!!null", from: fmt.Sprintf("environment of %s", w)}
		}
	case yaml.SequenceNode:
		for _, item := range svc.Environment.Content {
			k, v, hasVal := strings.Cut(item.Value, "=")
			c.env[k] = envValue{value: v, known: hasVal, from: fmt.Sprintf("environment of %s", w)}
		}
	default:
		return fmt.Errorf("%s: environment must be a mapping or a list", w)
	}
	for _, p := range svc.Ports {
		c.published = append(c.published, p)
		spec := strings.TrimSuffix(strings.TrimSuffix(p, "/tcp"), "/udp")
		target := spec[strings.LastIndex(spec, ":")+1:]
		n, err := strconv.Atoi(target)
		if err != nil {
			return fmt.Errorf("%s: port %q: the container side must be one port", w, p)
		}
		c.portNums[n] = true
	}
	w.containers = []*container{c}
	s.workloads = append(s.workloads, w)
	return nil
}

// stringList reads a compose string-or-list field.
func stringList(n yaml.Node) ([]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		return strings.Fields(n.Value), nil
	case yaml.SequenceNode:
		var out []string
		err := n.Decode(&out)
		return out, err
	}
	return nil, fmt.Errorf("line %d: want a string or a list of strings", n.Line)
}

// parseDotenv reads KEY=VALUE lines; # starts a comment line. Values are
// taken literally (no quotes are used in the template).
func parseDotenv(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok || strings.TrimSpace(k) != k || k == "" {
			return out, fmt.Errorf("line %d: want KEY=VALUE, got %q", line, t)
		}
		if _, dup := out[k]; dup {
			return out, fmt.Errorf("line %d: %s set twice", line, k)
		}
		out[k] = v
	}
	return out, sc.Err()
}

var (
	dockerEnvRe = regexp.MustCompile(`^ENV\s+(.*)$`)
	dockerCmdRe = regexp.MustCompile(`^CMD\s+(\[.*\])\s*$`)
)

// parseDockerfile reads the final stage's ENV (KEY=VALUE form) and CMD
// (exec form).
func parseDockerfile(b []byte) imageDefaults {
	d := imageDefaults{env: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(t, "FROM ") {
			d = imageDefaults{env: map[string]string{}}
		}
		if m := dockerEnvRe.FindStringSubmatch(t); m != nil {
			for _, kv := range strings.Fields(m[1]) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					d.env[k] = strings.Trim(v, `"`)
				}
			}
		}
		if m := dockerCmdRe.FindStringSubmatch(t); m != nil {
			var cmd []string
			if yaml.Unmarshal([]byte(m[1]), &cmd) == nil {
				d.cmd = cmd
			}
		}
	}
	return d
}
