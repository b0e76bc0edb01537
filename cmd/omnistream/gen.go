package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/gen"
)

func cmdGen(ctx context.Context, args []string, _ *slog.Logger) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	cfg := gen.DefaultConfig()
	url := fs.String("url", "http://127.0.0.1:8080", "ingest API base URL")
	key := fs.String("key", "", "team API key (required)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed: the same seed gives the same events")
	fs.IntVar(&cfg.Contacts, "contacts", cfg.Contacts, "contacts of the team")
	fs.IntVar(&cfg.Broadcasts, "broadcasts", cfg.Broadcasts, "broadcasts")
	batch := fs.Int("batch", 1000, "events per request")
	fs.Parse(args)
	if err := envDefaults(fs); err != nil {
		return err
	}
	if *key == "" {
		return errors.New("gen: -key is required (create one with 'omnistream team create')")
	}
	cfg.Teams = 1
	start := time.Now()
	n, err := demo.Post(ctx, *url, *key, cfg, *batch, func(done int) {
		el := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "\rposted %d events (%.0f events/s)", done, float64(done)/max(el, 0.001))
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("posted %d events in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
