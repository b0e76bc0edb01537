// Command omnistream runs the Omnistream pipeline.
//
//	omnistream run        start the deployment (embedded broker and ClickHouse unless told otherwise)
//	omnistream migrate    apply ClickHouse migrations and exit
//	omnistream team       create teams and manage their API keys
//	omnistream gen        generate demo or load events
//	omnistream dlq        list, inspect and replay dead letters
//
// Every flag has an environment variable (OMNISTREAM_<FLAG>, upper case,
// dashes as underscores); flags win.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(ctx, os.Args[2:], logger)
	case "migrate":
		err = cmdMigrate(ctx, os.Args[2:], logger)
	case "team":
		err = cmdTeam(ctx, os.Args[2:], logger)
	case "gen":
		err = cmdGen(ctx, os.Args[2:], logger)
	case "dlq":
		err = cmdDLQ(ctx, os.Args[2:], logger)
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "omnistream: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "omnistream:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: omnistream <command> [flags]

commands:
  run       start the deployment (embedded Kafka and ClickHouse by default)
  migrate   apply the ClickHouse schema and exit
  team      create a team (team create) or manage keys (team keys)
  gen       generate demo/load events into the ingest API or Kafka
  dlq       list, show and replay dead letters

Run 'omnistream <command> -h' for its flags.
`)
}

// envDefaults fills unset flags from OMNISTREAM_* variables.
func envDefaults(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := "OMNISTREAM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	return errors.Join(errs...)
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
