package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/dlq"
	"github.com/omnistream/omnistream/internal/topics"
)

// cmdDLQ lists, inspects and replays dead letters of a running deployment.
func cmdDLQ(ctx context.Context, args []string, _ *slog.Logger) error {
	if len(args) < 1 || (args[0] != "list" && args[0] != "show" && args[0] != "replay") {
		return errors.New("usage: omnistream dlq list [-from OFFSET] [-n N] | dlq show -offset O | dlq replay (-offset O | -all) [-team TEAM]")
	}
	fs := flag.NewFlagSet("dlq "+args[0], flag.ExitOnError)
	var brokers listFlag = []string{"127.0.0.1:9092"}
	fs.Var(&brokers, "kafka-brokers", "Kafka seed brokers")
	tc := topics.DefaultConfig()
	fs.StringVar(&tc.DLQ, "dlq-topic", tc.DLQ, "dead-letter topic")
	fs.StringVar(&tc.Events, "events-topic", tc.Events, "events topic (replay target)")
	from := fs.Int64("from", 0, "first offset to read")
	n := fs.Int("n", 100, "most entries to list (0 = all)")
	offset := fs.Int64("offset", -1, "the dead letter's offset")
	all := fs.Bool("all", false, "replay every replayable dead letter from -from")
	team := fs.String("team", "", "replay under this team key instead of the original one")
	fs.Parse(args[1:])
	if err := envDefaults(fs); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		es, err := dlq.List(ctx, brokers, tc.DLQ, *from, *n)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "OFFSET\tFAILED AT\tORIGIN\tREASON")
		for _, e := range es {
			origin := e.Source
			if e.SourceTopic != "" {
				origin = fmt.Sprintf("%s/%d@%d", e.SourceTopic, e.SourcePartition, e.SourceOffset)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", e.Offset, e.FailedAt.Format("2006-01-02 15:04:05"), origin, oneLine(e.Reason, 100))
		}
		return w.Flush()
	case "show":
		e, err := one(ctx, brokers, tc.DLQ, *offset)
		if err != nil {
			return err
		}
		b, _ := json.MarshalIndent(struct {
			dlq.Entry
			Value string `json:"value"`
		}{e, string(e.Value)}, "", "  ")
		fmt.Println(string(b))
		return nil
	default:
		var es []dlq.Entry
		switch {
		case *all:
			got, err := dlq.List(ctx, brokers, tc.DLQ, *from, 0)
			if err != nil {
				return err
			}
			for _, e := range got {
				if e.Replayable() {
					es = append(es, e)
				}
			}
		case *offset >= 0:
			e, err := one(ctx, brokers, tc.DLQ, *offset)
			if err != nil {
				return err
			}
			es = []dlq.Entry{e}
		default:
			return errors.New("dlq replay: give -offset O or -all")
		}
		n, err := dlq.Replay(ctx, brokers, tc.Events, es, *team)
		if err != nil {
			return err
		}
		fmt.Printf("replayed %d dead letters to %s\n", n, tc.Events)
		return nil
	}
}

func one(ctx context.Context, brokers []string, topic string, offset int64) (dlq.Entry, error) {
	if offset < 0 {
		return dlq.Entry{}, errors.New("-offset is required")
	}
	es, err := dlq.List(ctx, brokers, topic, offset, 1)
	if err != nil {
		return dlq.Entry{}, err
	}
	if len(es) == 0 || es[0].Offset != offset {
		return dlq.Entry{}, fmt.Errorf("no dead letter at offset %d", offset)
	}
	return es[0], nil
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
