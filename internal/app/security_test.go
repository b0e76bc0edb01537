package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/omnistream/omnistream/internal/app"
)

// TestKeysAndAdmin: the admin API takes only the admin token; team keys are
// stored hashed, rotate without downtime, and a revoked key stops working.
func TestKeysAndAdmin(t *testing.T) {
	e := newEnv(t)
	e.cfg.AdminToken = "admin-secret"
	a := e.start(t)
	defer a.Close()
	body := `{"ID":"sec0","Name":"Sec","Region":"HK"}`
	for _, tok := range []string{"", "wrong", "osk_abc_def"} {
		if code, _ := request(t, "POST", a.HTTPURL+"/v1/admin/teams", tok, body); code != 401 {
			t.Fatalf("admin API with token %q: %d, want 401", tok, code)
		}
	}
	code, out := request(t, "POST", a.HTTPURL+"/v1/admin/teams", "admin-secret", body)
	var created struct {
		Team   struct{ TeamID, Timezone, Currency string } `json:"team"`
		APIKey string                                      `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &created); code != 201 || err != nil || !strings.HasPrefix(created.APIKey, "osk_") {
		t.Fatalf("create team: %d %s", code, out)
	}
	old := created.APIKey
	ev := `{"event_id":"k1","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`
	if code, _ := request(t, "POST", a.HTTPURL+"/v1/events", old, ev); code != 202 {
		t.Fatalf("first key: %d", code)
	}
	// A team key is no admin token.
	if code, _ := request(t, "POST", a.HTTPURL+"/v1/admin/teams/sec0/keys", old, ""); code != 401 {
		t.Fatalf("team key on the admin API: %d, want 401", code)
	}
	// Only hashes are stored.
	secret := old[strings.LastIndex(old, "_")+1:]
	if n := queryUint(t, a, `SELECT count() FROM team_keys WHERE position(secret_hash, {s:String}) > 0`, "s", secret); n != 0 {
		t.Fatal("a key's secret is stored in clear")
	}
	// Rotate: a second key, then revoke the first.
	code, out = request(t, "POST", a.HTTPURL+"/v1/admin/teams/sec0/keys", "admin-secret", "")
	var nk struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(out), &nk)
	if code != 201 || nk.APIKey == "" || nk.APIKey == old {
		t.Fatalf("new key: %d %s", code, out)
	}
	keyID := strings.Split(old, "_")[1]
	if code, _ := request(t, "DELETE", a.HTTPURL+"/v1/admin/teams/sec0/keys/"+keyID, "admin-secret", ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := request(t, "POST", a.HTTPURL+"/v1/events", nk.APIKey, ev); code != 202 {
		t.Fatalf("new key: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := request(t, "POST", a.HTTPURL+"/v1/events", old, ev)
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still answered %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := http.Get(a.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != want {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !metric(t, a, "omnistream_processor_partitions 4") {
		if time.Now().After(deadline) {
			t.Fatal("metrics do not show the 4 assigned partitions")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A processor-only process serves health and metrics but no API.
	p := e.start(t, app.RoleProcess)
	defer p.Close()
	if resp, err := http.Get(p.HTTPURL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("process role /healthz: %v %v", resp, err)
	}
	if code, _ := request(t, "POST", p.HTTPURL+"/v1/events", "x", "{}"); code != 404 {
		t.Fatalf("process role serves the ingest API: %d", code)
	}
}

// TestSlowClientCutOff: a client that does not finish its headers in time
// is disconnected instead of holding a connection.
func TestSlowClientCutOff(t *testing.T) {
	e := newEnv(t)
	e.cfg.ReadHeaderTimeout = 300 * time.Millisecond
	a := e.start(t, app.RoleIngest)
	defer a.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.HTTPURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /v1/events HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if took := time.Since(start); took > 3*time.Second || (err != nil && !strings.Contains(err.Error(), "reset")) {
		t.Fatalf("slow client kept for %s (%v, %q)", took, err, b)
	}
}

// TestKafkaSASL runs the pipeline against a broker that requires SASL.
func TestKafkaSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "omni", "s3cret"), kfake.SeedTopics(4, "omni.events", "omni.state", "omni.identity"), kfake.SeedTopics(1, "omni.dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := newEnv(t)
	e.cfg.KafkaBrokers = c.ListenAddrs()
	e.cfg.Kafka = app.KafkaSecurity{SASLMechanism: "PLAIN", SASLUser: "omni"}
	e.cfg.Kafka.SASLPassword = "s3cret"
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "sasl0")
	postRaw(t, a.HTTPURL, key, `{"event_id":"s1","type":"broadcast.started","ts":"2026-01-05T00:00:00Z"}`, 202)
	waitCount(t, a, "sasl0", 1)
}
