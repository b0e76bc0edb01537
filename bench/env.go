package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/broker"
	"github.com/omnistream/omnistream/internal/chdb"
	"github.com/omnistream/omnistream/internal/chserver"
	"github.com/omnistream/omnistream/internal/topics"
)

// Env is the embedded deployment's infrastructure, started once per
// process: ClickHouse (chDB served over its HTTP interface on loopback) and
// Kafka brokers (kfake on loopback TCP, persisted, synchronous writes, as
// `omnistream run` starts them). Deployments under test are app.Apps
// pointed at them, so a phase can start and stop processors, ingest and
// query services without restarting the engine.
type Env struct {
	Dir    string
	Engine *chdb.DB
	CH     *chserver.Server
	CHAddr string
	logger *slog.Logger

	brokers []*broker.Broker
}

// StartEnv starts ClickHouse under dir.
func StartEnv(ctx context.Context, dir string, logger *slog.Logger) (*Env, error) {
	e := &Env{Dir: dir, logger: logger}
	ccfg := chdb.DefaultConfig()
	ccfg.DataDir = filepath.Join(dir, "clickhouse")
	ccfg.Logger = logger
	if p := os.Getenv("OMNISTREAM_CHDB_LIB"); p != "" {
		ccfg.LibPath = p
	}
	db, err := chdb.Open(ctx, ccfg)
	if err != nil {
		return nil, err
	}
	e.Engine = db
	scfg := chserver.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.Logger = logger
	srv, err := chserver.New(scfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	addr, err := srv.Start(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	e.CH, e.CHAddr = srv, addr
	return e, nil
}

// Broker starts a new embedded broker (its own data directory) with the
// pipeline's topics, partitions partitions each, and returns its seeds.
func (e *Env) Broker(ctx context.Context, name string, partitions int32) ([]string, error) {
	b, err := broker.Start(broker.Config{DataDir: filepath.Join(e.Dir, "kafka-"+name), Port: 0, SyncWrites: true}, e.logger)
	if err != nil {
		return nil, err
	}
	e.brokers = append(e.brokers, b)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	tc := topics.DefaultConfig()
	tc.Partitions = partitions
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := topics.Ensure(tctx, kadm.NewClient(cl), tc, nil); err != nil {
		return nil, err
	}
	return b.Addrs(), nil
}

// Options are clickhouse-go options (HTTP) for database.
func (e *Env) Options(database string) *clickhouse.Options {
	return &clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{e.CHAddr},
		Auth: clickhouse.Auth{Database: database, Username: "default"}, DialTimeout: 10 * time.Second, ReadTimeout: 10 * time.Minute}
}

// Conn opens a connection to database, creating the database first.
func (e *Env) Conn(ctx context.Context, database string) (clickhouse.Conn, error) {
	admin, err := clickhouse.Open(e.Options("default"))
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if err := admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+chdb.QuoteIdent(database)); err != nil {
		return nil, fmt.Errorf("create database %s: %w", database, err)
	}
	return clickhouse.Open(e.Options(database))
}

// App starts a deployment with roles against brokers and database.
func (e *Env) App(ctx context.Context, brokers []string, database string, partitions int32, roles ...string) (*app.App, error) {
	cfg := app.DefaultConfig()
	cfg.DataDir = filepath.Join(e.Dir, "app-"+database)
	cfg.KafkaBrokers = brokers
	cfg.ClickHouseURL = "http://" + e.CHAddr
	cfg.Database = database
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Partitions = partitions
	if len(roles) > 0 {
		cfg.Roles = roles
	}
	return app.Start(ctx, cfg, e.logger)
}

// Close stops the brokers and ClickHouse.
func (e *Env) Close() {
	for _, b := range e.brokers {
		b.Close()
	}
	if e.CH != nil {
		e.CH.Close()
	}
	if e.Engine != nil {
		e.Engine.Close()
	}
}
