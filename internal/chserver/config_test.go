package chserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnistream/omnistream/internal/chserver"
	"github.com/omnistream/omnistream/internal/testenv"
)

func TestConfigValidateReportsEverything(t *testing.T) {
	cfg := chserver.Config{Addr: "0.0.0.0:8123", Users: []chserver.User{{Name: ""}, {Name: "a"}, {Name: "a"}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"loopback", "Name is empty", "duplicate name", "MaxBodyBytes", "MaxQueryBytes",
		"ReadHeaderTimeout", "IdleTimeout", "ShutdownTimeout", "MaxSessions", "DefaultSessionTimeout", "Logger"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if err := chserver.DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	db := testenv.Database(t)
	cfg := chserver.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := chserver.New(cfg, db.Server.Engine)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := srv.Register(reg); err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	do(t, "GET", "http://"+addr+"/?query=SELECT+1", nil, nil)
	do(t, "GET", "http://"+addr+"/?query=SELEC+1", nil, nil)
	do(t, "POST", "http://"+addr+"/?query=SELECT+count()+FROM+numbers(10)", strings.NewReader(""), nil)
	if n := counterSum(t, reg, "omnistream_chserver_queries_total"); n != 3 {
		t.Errorf("queries_total = %v, want 3", n)
	}
	if n := counterSum(t, reg, "omnistream_chserver_errors_total"); n != 1 {
		t.Errorf("errors_total = %v, want 1", n)
	}
	if n := counterSum(t, reg, "omnistream_chserver_response_body_bytes_total"); n != float64(len("1\n")+len("10\n")) {
		t.Errorf("response_body_bytes_total = %v, want 5", n)
	}
}

func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
