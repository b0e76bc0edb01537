package app_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/processors/runtime"
)

// loadScenario posts the scenario through an ingest-only process so every
// event is in Kafka before any processor starts.
func loadScenario(t *testing.T, e env, team string) (string, func(*testing.T, *app.App)) {
	t.Helper()
	ing := e.start(t, app.RoleIngest, app.RoleServe)
	key := createTeam(t, ing, team)
	cfg := smallGen(team)
	cfg.Contacts = 60
	exp, _ := expected(t, cfg)
	if _, err := demo.Post(context.Background(), ing.HTTPURL, key, cfg, 40, nil); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, proc *app.App) {
		t.Helper()
		waitCount(t, proc, team, uint64(exp.Events))
		waitReports(t, ing.HTTPURL, key, team, exp)
		time.Sleep(300 * time.Millisecond) // nothing more may arrive
		if got := eventCount(t, proc, team); got != uint64(exp.Events) {
			t.Fatalf("events: %d rows, want %d", got, exp.Events)
		}
	}
	t.Cleanup(ing.Close)
	return key, check
}

func TestCrashInProcess(t *testing.T) {
	for _, point := range []string{"after insert, before commit", "after consume, before insert"} {
		t.Run(point, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Partitions = 4
			_, check := loadScenario(t, e, "crash0")
			var (
				once   sync.Once
				killed = make(chan struct{})
				proc   *app.App
				ready  = make(chan struct{})
			)
			kill := func(int32, int64, int64) {
				once.Do(func() {
					<-ready
					proc.Kill()
					close(killed)
				})
			}
			cfg := e.cfg
			if point == "after insert, before commit" {
				cfg.ProcessorHooks = runtime.Hooks{AfterInsert: kill}
			} else {
				cfg.ProcessorHooks = runtime.Hooks{BeforeInsert: kill}
			}
			var err error
			proc, err = app.Start(context.Background(), withRoles(cfg, app.RoleProcess), nil)
			if err != nil {
				t.Fatal(err)
			}
			close(ready)
			select {
			case <-killed:
			case <-time.After(20 * time.Second):
				t.Fatal("the fault point was never reached")
			}
			proc.Close()
			again, err := app.Start(context.Background(), withRoles(e.cfg, app.RoleProcess), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			check(t, again)
		})
	}
}

func withRoles(cfg app.Config, roles ...string) app.Config {
	cfg.Roles = roles
	return cfg
}

// TestCrashSIGKILL kills a real processor process with SIGKILL while it
// writes, then lets a new one finish: numbers are exact.
func TestCrashSIGKILL(t *testing.T) {
	e := newEnv(t)
	_, check := loadScenario(t, e, "kill0")
	probe := e.start(t, app.RoleScheduler) // a connection to count rows
	defer probe.Close()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcessorChild$")
		cmd.Env = append(os.Environ(), "OMNI_CHILD=1",
			"OMNI_BROKERS="+strings.Join(e.cfg.KafkaBrokers, ","), "OMNI_CH="+e.cfg.ClickHouseURL, "OMNI_DB="+e.cfg.Database)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	cmd := child()
	deadline := time.Now().Add(60 * time.Second)
	for eventCount(t, probe, "kill0") == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child never wrote")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed := time.Now()
	again, err := app.Start(context.Background(), withRoles(e.cfg, app.RoleProcess), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	check(t, again)
	t.Logf("fault figures: SIGKILL mid-batch: 0 lost, 0 doubled, exact %s after the kill", time.Since(killed).Round(time.Millisecond))
}

// TestThreeProcessesKilled runs three processor processes in one group,
// SIGKILLs one mid-stream, restarts it, then kills another: exact numbers.
func TestThreeProcessesKilled(t *testing.T) {
	e := newEnv(t)
	_, check := loadScenario(t, e, "three0")
	probe := e.start(t, app.RoleScheduler)
	defer probe.Close()
	spawn := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcessorChild$")
		cmd.Env = append(os.Environ(), "OMNI_CHILD=1",
			"OMNI_BROKERS="+strings.Join(e.cfg.KafkaBrokers, ","), "OMNI_CH="+e.cfg.ClickHouseURL, "OMNI_DB="+e.cfg.Database)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	kids := []*exec.Cmd{spawn(), spawn(), spawn()}
	deadline := time.Now().Add(60 * time.Second)
	for eventCount(t, probe, "three0") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no child wrote")
		}
		time.Sleep(20 * time.Millisecond)
	}
	kids[0].Process.Signal(syscall.SIGKILL)
	kids[0].Wait()
	kids[0] = spawn()
	time.Sleep(500 * time.Millisecond)
	kids[1].Process.Signal(syscall.SIGKILL)
	kids[1].Wait()
	killed := time.Now()
	check(t, probe)
	t.Logf("fault figures: three processes, two SIGKILLed: 0 lost, 0 doubled, exact %s after the second kill", time.Since(killed).Round(time.Millisecond))
}

// TestProcessorChild is the processor process of TestCrashSIGKILL; it does
// nothing unless started by it. Each batch pauses between the ClickHouse
// insert and the commit, where the kill is most likely to land.
func TestProcessorChild(t *testing.T) {
	if os.Getenv("OMNI_CHILD") != "1" {
		return
	}
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.KafkaBrokers = strings.Split(os.Getenv("OMNI_BROKERS"), ",")
	cfg.ClickHouseURL, cfg.Database = os.Getenv("OMNI_CH"), os.Getenv("OMNI_DB")
	cfg.Roles = []string{app.RoleProcess}
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.ProcessorHooks = runtime.Hooks{AfterInsert: func(int32, int64, int64) { time.Sleep(200 * time.Millisecond) }}
	a, err := app.Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	time.Sleep(2 * time.Minute)
}

// TestTwoInstancesShareAndHandOver runs two processors in one group; one
// stops midway and the other takes its partitions over.
func TestTwoInstancesShareAndHandOver(t *testing.T) {
	e := newEnv(t)
	_, check := loadScenario(t, e, "pair0")
	p1, err := app.Start(context.Background(), withRoles(e.cfg, app.RoleProcess), nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := app.Start(context.Background(), withRoles(e.cfg, app.RoleProcess), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	time.Sleep(300 * time.Millisecond)
	p1.Close()
	check(t, p2)
}
