// Command omnibench runs Omnistream's end-to-end benchmarks (`make bench`)
// on the embedded deployment and writes the report as Markdown and JSON:
// <out>/<date>.md and <out>/<date>.json, with the pipeline's CPU profile
// beside them.
//
//	omnibench [-out bench/results] [-events 10000000] [-phases 1,2,3,4,5,6,7]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/omnistream/omnistream/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "omnibench:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("omnibench", flag.ExitOnError)
	out := fs.String("out", "bench/results", "directory of the reports")
	fs.IntVar(&cfg.Events, "events", cfg.Events, "events of the pipeline stream")
	fs.IntVar(&cfg.Teams, "teams", cfg.Teams, "teams of the stream")
	fs.DurationVar(&cfg.PipelineCap, "pipeline-cap", cfg.PipelineCap, "time cap of the pipeline benchmark")
	fs.IntVar(&cfg.QueryEvents, "query-events", cfg.QueryEvents, "events of the query benchmark's data")
	phases := fs.String("phases", "", "comma-separated benchmarks to run (1-7); empty runs all")
	dir := fs.String("dir", "", "data directory (default: a temporary directory, removed at the end)")
	verbose := fs.Bool("v", false, "log the deployment at info level")
	fs.Parse(os.Args[1:])
	if *phases != "" {
		for _, p := range strings.Split(*phases, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 1 || n > 7 {
				return fmt.Errorf("-phases: %q is not a benchmark number 1-7", p)
			}
			cfg.Phases = append(cfg.Phases, n)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("2006-01-02")
	base := filepath.Join(*out, stamp)
	cfg.ProfileDir = *out
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := *dir
	if d == "" {
		var err error
		if d, err = os.MkdirTemp("", "omnibench-*"); err != nil {
			return err
		}
		defer os.RemoveAll(d)
	}
	r := &bench.Runner{Cfg: cfg, Log: logger, Status: os.Stderr}
	var env *bench.Env
	rep := r.Run(ctx, func() (*bench.Env, error) {
		var err error
		env, err = bench.StartEnv(ctx, d, logger)
		return env, err
	})
	if env != nil {
		env.Close()
	}
	profile := filepath.Join(*out, "pipeline.cpu.pprof")
	top := ""
	if rep.Pipeline != nil {
		if err := os.Rename(profile, base+"-pipeline.cpu.pprof"); err == nil {
			profile = base + "-pipeline.cpu.pprof"
			rep.Pipeline.Profile = profile
			top = profileTop(profile)
		}
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".md", []byte(rep.Markdown(top)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nwrote %s.md and %s.json in %.0f s\n", base, base, rep.Seconds)
	for _, g := range rep.Goals {
		state := "met   "
		if !g.Met {
			state = "MISSED"
		}
		fmt.Fprintf(os.Stderr, "  %s %-45s %-22s %.2f %s\n", state, g.Name, g.Target, g.Value, g.Unit)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("%d benchmarks failed: %s", len(rep.Errors), strings.Join(rep.Errors, "; "))
	}
	return nil
}

// profileTop summarizes a CPU profile with `go tool pprof`, when go is on
// the PATH.
func profileTop(path string) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", exe, path).Output()
	if err != nil {
		return ""
	}
	return string(out)
}
