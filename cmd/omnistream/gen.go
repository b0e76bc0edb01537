package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/gen"
)

func cmdGen(ctx context.Context, args []string, _ *slog.Logger) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: omnistream gen [flags]

Generates a deterministic stream of events (the same flags give the same
events) and writes it straight to the events topic (-brokers) or through the
ingest API (-url, -key). The stream is generated as it is written, never held
in memory.

`)
		fs.PrintDefaults()
	}
	cfg := gen.DefaultConfig()
	var brokers listFlag
	fs.Var(&brokers, "brokers", "Kafka seed brokers (host:port,...): write straight to the events topic, keyed by team")
	topic := fs.String("topic", "omni.events", "events topic (with -brokers)")
	url := fs.String("url", "http://127.0.0.1:8080", "ingest API base URL (without -brokers)")
	key := fs.String("key", "", "team API key (without -brokers); every generated team's events go to its team")
	events := fs.Int("events", 0, "number of events; sizes the teams unless -contacts is set (0: the whole stream of -contacts)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed: the same seed gives the same events")
	fs.IntVar(&cfg.Teams, "teams", 20, "teams; team i has contacts/(i+1) contacts")
	contacts := fs.Int("contacts", 0, "contacts of the largest team (default: sized from -events, else 500)")
	fs.IntVar(&cfg.Broadcasts, "broadcasts", 3, "broadcasts per team")
	fs.IntVar(&cfg.Journeys, "journeys", 1, "journeys per team")
	fs.BoolVar(&cfg.Commerce, "commerce", true, "add page views, orders, phone bindings, tag removals, unsubscriptions")
	fs.BoolVar(&cfg.Interleave, "interleave", true, "interleave the teams' events as live traffic does")
	rate := fs.Float64("rate", 0, "target events per second (0: as fast as possible)")
	batch := fs.Int("batch", 1000, "events per request (ingest API)")
	conc := fs.Int("concurrency", 4, "requests in flight (ingest API)")
	fs.Parse(args)
	if err := envDefaults(fs); err != nil {
		return err
	}
	switch {
	case *contacts > 0:
		cfg.Contacts = *contacts
		cfg.MaxEvents = *events
	case *events > 0:
		sized := gen.LoadConfig(*events, cfg.Teams)
		cfg.Contacts, cfg.MaxEvents = sized.Contacts, *events
	default:
		cfg.Contacts = 500
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	opts := gen.Options{Rate: *rate, Progress: func(p gen.Progress) {
		fmt.Fprintf(os.Stderr, "\rgen: %s   ", p)
		if p.Done {
			fmt.Fprintln(os.Stderr)
		}
	}}
	start := time.Now()
	var exp gen.Expected
	var err error
	if len(brokers) > 0 {
		cl, cerr := kgo.NewClient(append(gen.ProducerOpts(), kgo.SeedBrokers(brokers...))...)
		if cerr != nil {
			return fmt.Errorf("gen: connect to kafka %v: %w", brokers, cerr)
		}
		defer cl.Close()
		exp, err = gen.ToKafka(ctx, cl, *topic, cfg, opts)
	} else {
		if *key == "" {
			return errors.New("gen: -key is required without -brokers (create one with 'omnistream team create')")
		}
		exp, err = gen.Post(ctx, gen.PostConfig{URL: *url, Key: *key, Batch: *batch, Concurrency: *conc}, cfg, opts)
	}
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d events of %d teams in %s\n", exp.Events, cfg.Teams, time.Since(start).Round(time.Millisecond))
	return nil
}
