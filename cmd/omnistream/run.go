package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/sinks/schema"
)

func appFlags(fs *flag.FlagSet) *app.Config {
	cfg := app.DefaultConfig()
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the embedded broker and ClickHouse data")
	fs.Var((*listFlag)(&cfg.KafkaBrokers), "kafka-brokers", "external Kafka seed brokers, comma separated (default: embedded broker)")
	fs.IntVar(&cfg.KafkaPort, "kafka-port", cfg.KafkaPort, "port of the embedded broker on 127.0.0.1")
	fs.StringVar(&cfg.ClickHouseURL, "clickhouse-url", cfg.ClickHouseURL, "external ClickHouse HTTP URL, e.g. http://user:pass@host:8123 (default: embedded)")
	fs.IntVar(&cfg.ClickHousePort, "clickhouse-port", cfg.ClickHousePort, "port of the embedded ClickHouse HTTP interface on 127.0.0.1")
	fs.StringVar(&cfg.Database, "database", cfg.Database, "ClickHouse database")
	fs.StringVar(&cfg.Cluster, "cluster", cfg.Cluster, "ClickHouse cluster name for ON CLUSTER DDL (empty: single node)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "listen address of the API, webhooks and dashboard")
	fs.Var((*listFlag)(&cfg.Roles), "roles", "roles of this process: ingest,process,serve,scheduler")
	fs.StringVar(&cfg.AdminToken, "admin-token", cfg.AdminToken, "bearer token of the admin API (empty disables it)")
	fs.BoolVar(&cfg.Kafka.TLS, "kafka-tls", false, "use TLS to the external Kafka")
	fs.StringVar(&cfg.Kafka.CAFile, "kafka-tls-ca", "", "PEM CA bundle for the Kafka TLS connection")
	fs.StringVar(&cfg.Kafka.SASLMechanism, "kafka-sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&cfg.Kafka.SASLUser, "kafka-sasl-user", "", "SASL user")
	fs.StringVar(&cfg.Kafka.SASLPassword, "kafka-sasl-password", "", "SASL password")
	fs.BoolVar(&cfg.ClickHouseTLS, "clickhouse-tls", false, "use TLS to the external ClickHouse (implied by https:// URLs)")
	fs.StringVar(&cfg.ClickHouseCAFile, "clickhouse-tls-ca", "", "PEM CA bundle for the ClickHouse TLS connection")
	fs.StringVar(&cfg.SecretKey, "secret-key", "", "key signing click-redirect links (default: generated in the data dir; share it across instances)")
	fs.DurationVar(&cfg.PublishTimeout, "publish-timeout", cfg.PublishTimeout, "how long ingest waits for Kafka before answering 503")
	fs.DurationVar(&cfg.FlushInterval, "flush-interval", cfg.FlushInterval, "longest a processed record waits before its batch is written")
	fs.Var(int16Flag{&cfg.Replication}, "replication", "replication factor of the topics when this process creates them (use 3 on a cluster)")
	fs.Var(int32Flag{&cfg.Partitions}, "partitions", "partitions of the events and state topics when this process creates them")
	return &cfg
}

func cmdRun(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	cfg := appFlags(fs)
	withDemo := fs.Bool("demo", false, "load a demo team with generated events")
	fs.Parse(args)
	if err := envDefaults(fs); err != nil {
		return err
	}
	a, err := app.Start(ctx, *cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if *withDemo {
		key, err := demo.Load(ctx, a, logger)
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		fmt.Fprintf(os.Stdout, "\nOmnistream is running.\n  API + dashboard: %s\n  demo team key:   %s\n  broadcast report: curl -H 'Authorization: Bearer %s' %s/v1/reports/broadcasts/%s\n  ClickHouse HTTP: http://%s (database %s)\n  Kafka:           %v\n  metrics:         %s/metrics\nPress Ctrl-C to stop.\n\n",
			a.HTTPURL, key, key, a.HTTPURL, demo.BroadcastID, a.CHAddr, cfg.Database, a.Brokers, a.HTTPURL)
	} else {
		fmt.Fprintf(os.Stdout, "\nOmnistream is running: API %s, ClickHouse http://%s, Kafka %v. Ctrl-C stops it.\n\n", a.HTTPURL, a.CHAddr, a.Brokers)
	}
	return a.Wait(ctx)
}

func cmdMigrate(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	cfg := appFlags(fs)
	print := fs.Bool("print", false, "print the DDL (for -cluster: ON CLUSTER, replicated and distributed tables) and exit without connecting")
	fs.Parse(args)
	if err := envDefaults(fs); err != nil {
		return err
	}
	if *print {
		scfg := schema.DefaultConfig()
		scfg.Cluster = cfg.Cluster
		migs, err := schema.Render(scfg)
		if err != nil {
			return err
		}
		for _, m := range migs {
			fmt.Printf("-- %04d_%s\n", m.Version, m.Name)
			for _, st := range m.Statements {
				fmt.Printf("%s;\n\n", st)
			}
		}
		return nil
	}
	cfg.Roles = nil // storage and schema only
	a, err := app.Start(ctx, *cfg, logger)
	if err != nil {
		return err
	}
	a.Close()
	fmt.Println("migrations applied")
	return nil
}

func cmdTeam(ctx context.Context, args []string, logger *slog.Logger) error {
	if len(args) < 1 || (args[0] != "create" && args[0] != "keys") {
		return fmt.Errorf("usage: omnistream team create -id ID -name NAME -region TW | omnistream team keys -id ID [-new] [-revoke KEYID]")
	}
	fs := flag.NewFlagSet("team "+args[0], flag.ExitOnError)
	cfg := appFlags(fs)
	id := fs.String("id", "", "team id")
	name := fs.String("name", "", "team name")
	region := fs.String("region", "TW", "team region (TW, HK, SG, MY, …)")
	newKey := fs.Bool("new", false, "create a new key")
	revoke := fs.String("revoke", "", "revoke the key with this id")
	fs.Parse(args[1:])
	if err := envDefaults(fs); err != nil {
		return err
	}
	cfg.Roles = nil // storage and schema only
	a, err := app.Start(ctx, *cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		t, err := a.Teams.Put(ctx, teams.New(*id, *name, *region))
		if err != nil {
			return err
		}
		key, err := a.Teams.CreateKey(ctx, t.ID)
		if err != nil {
			return err
		}
		fmt.Printf("team %s created (time zone %s, currency %s)\napi key (shown once): %s\n", t.ID, t.TimeZone, t.Currency, key)
	case "keys":
		if *newKey {
			key, err := a.Teams.CreateKey(ctx, *id)
			if err != nil {
				return err
			}
			fmt.Printf("api key (shown once): %s\n", key)
		}
		if *revoke != "" {
			if err := a.Teams.RevokeKey(ctx, *id, *revoke); err != nil {
				return err
			}
			fmt.Printf("key %s revoked\n", *revoke)
		}
		keys, err := a.Teams.Keys(ctx, *id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "active"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Printf("%s  created %s  %s\n", k.KeyID, k.CreatedAt.Format("2006-01-02 15:04"), state)
		}
	}
	return nil
}

type int32Flag struct{ p *int32 }

func (f int32Flag) String() string {
	if f.p == nil {
		return "0"
	}
	return fmt.Sprint(*f.p)
}

func (f int32Flag) Set(v string) error {
	var n int32
	if _, err := fmt.Sscan(v, &n); err != nil {
		return fmt.Errorf("not a number: %q", v)
	}
	*f.p = n
	return nil
}

type int16Flag struct{ p *int16 }

func (f int16Flag) String() string {
	if f.p == nil {
		return "0"
	}
	return fmt.Sprint(*f.p)
}

func (f int16Flag) Set(v string) error {
	var n int16
	if _, err := fmt.Sscan(v, &n); err != nil {
		return fmt.Errorf("not a number: %q", v)
	}
	*f.p = n
	return nil
}
