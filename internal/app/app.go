package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/ingest/publish"
	"github.com/omnistream/omnistream/ingest/redirect"
	"github.com/omnistream/omnistream/internal/broker"
	"github.com/omnistream/omnistream/internal/channels"
	"github.com/omnistream/omnistream/internal/chdb"
	"github.com/omnistream/omnistream/internal/chserver"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/topics"
	"github.com/omnistream/omnistream/processors/runtime"
	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/queries/sqlaccess"
	"github.com/omnistream/omnistream/sinks/adsync"
	"github.com/omnistream/omnistream/sinks/chsink"
	"github.com/omnistream/omnistream/sinks/schema"
)

// App is a started process.
type App struct {
	cfg    Config
	logger *slog.Logger
	reg    *prometheus.Registry

	broker  *broker.Broker
	engine  *chdb.DB
	chsrv   *chserver.Server
	Brokers []string // Kafka seed brokers in use
	CHAddr  string   // ClickHouse HTTP host:port in use
	CHOpts  *clickhouse.Options
	DB      clickhouse.Conn
	Teams   *teams.Store
	// Channels holds the channel accounts and secrets of native sources.
	Channels *channels.Store
	// Redirect is the click redirector (nil without the ingest role); its
	// Sign mints tracked links.
	Redirect *redirect.Handler
	Topics   topics.Config
	// KafkaOpts are the client options every Kafka client of the process uses.
	KafkaOpts []kgo.Opt
	pub       *publish.Publisher

	analysts  atomic.Pointer[sqlaccess.Service]
	audiences *audience.Store
	scheduler *adsync.Scheduler
	rt        *runtime.Runtime
	http      *http.Server
	HTTPURL   string // base URL of the API

	ready  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

// Start brings up everything the config asks for and returns once the
// process serves. Close stops it.
func Start(ctx context.Context, cfg Config, logger *slog.Logger) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a = &App{cfg: cfg, logger: logger, reg: prometheus.NewRegistry(), ready: make(chan struct{}), errs: make(chan error, 8)}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := a.startKafka(ctx); err != nil {
		return nil, err
	}
	if err := a.startClickHouse(ctx); err != nil {
		return nil, err
	}
	a.Teams = teams.NewStore(a.DB, 2*time.Second)
	a.Channels = channels.NewStore(a.DB, 2*time.Second)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	if cfg.Has(RoleIngest) {
		pcfg := publish.DefaultConfig()
		pcfg.Brokers, pcfg.Topic, pcfg.DLQTopic, pcfg.KafkaOpts = a.Brokers, a.Topics.Events, a.Topics.DLQ, a.KafkaOpts
		pcfg.DeliveryTimeout = cfg.PublishTimeout
		if a.pub, err = publish.New(pcfg); err != nil {
			return nil, err
		}
	}
	if cfg.Has(RoleProcess) {
		if err := a.startProcessors(runCtx); err != nil {
			return nil, err
		}
	}
	if cfg.Has(RoleServe) || cfg.Has(RoleScheduler) {
		if err := a.startAudiences(runCtx); err != nil {
			return nil, err
		}
	}
	if len(cfg.Roles) > 0 {
		if err := a.startHTTP(); err != nil {
			return nil, err
		}
	}
	close(a.ready)
	return a, nil
}

func (a *App) startKafka(ctx context.Context) error {
	opts, err := a.cfg.Kafka.opts()
	if err != nil {
		return err
	}
	a.KafkaOpts = opts
	a.Topics = topics.DefaultConfig()
	a.Topics.Partitions, a.Topics.Replication = a.cfg.Partitions, a.cfg.Replication
	a.Brokers = a.cfg.KafkaBrokers
	if len(a.Brokers) == 0 {
		bcfg := broker.DefaultConfig()
		bcfg.DataDir, bcfg.Port = filepath.Join(a.cfg.DataDir, "kafka"), a.cfg.KafkaPort
		b, err := broker.Start(bcfg, a.logger)
		if err != nil {
			return err
		}
		a.broker = b
		a.Brokers = b.Addrs()
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(a.Brokers...)}, a.KafkaOpts...)...)
	if err != nil {
		return fmt.Errorf("connect to kafka %v: %w", a.Brokers, err)
	}
	defer cl.Close()
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return topics.Ensure(tctx, kadm.NewClient(cl), a.Topics, a.logger)
}

func (a *App) startClickHouse(ctx context.Context) error {
	var opts *clickhouse.Options
	if a.cfg.ClickHouseURL == "" {
		ccfg := chdb.DefaultConfig()
		ccfg.DataDir = filepath.Join(a.cfg.DataDir, "clickhouse")
		ccfg.Logger = a.logger
		if p := chdbLibFromEnv(); p != "" {
			ccfg.LibPath = p
		}
		db, err := chdb.Open(ctx, ccfg)
		if err != nil {
			return err
		}
		a.engine = db
		scfg := chserver.DefaultConfig()
		scfg.Addr = net.JoinHostPort("127.0.0.1", fmt.Sprint(a.cfg.ClickHousePort))
		scfg.Logger = a.logger
		scfg.Lookup = func(ctx context.Context, name string) (chserver.User, bool) {
			if svc := a.analysts.Load(); svc != nil {
				return svc.Lookup(ctx, name)
			}
			return chserver.User{}, false
		}
		srv, err := chserver.New(scfg, db)
		if err != nil {
			return err
		}
		if err := srv.Register(a.reg); err != nil {
			return err
		}
		addr, err := srv.Start(ctx)
		if err != nil {
			return err
		}
		a.chsrv, a.CHAddr = srv, addr
		opts = &clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{addr}, Auth: clickhouse.Auth{Username: "default", Database: "default"}}
	} else {
		o, err := clickhouse.ParseDSN(a.cfg.ClickHouseURL)
		if err != nil {
			return fmt.Errorf("parse clickhouse url: %w", err)
		}
		o.Protocol = clickhouse.HTTP
		o.Auth.Database = "default"
		if a.cfg.ClickHouseTLS || a.cfg.ClickHouseCAFile != "" || strings.HasPrefix(a.cfg.ClickHouseURL, "https://") {
			tc, err := tlsConfig(a.cfg.ClickHouseCAFile)
			if err != nil {
				return fmt.Errorf("clickhouse tls: %w", err)
			}
			o.TLS = tc
		}
		opts = o
		if u, err := url.Parse(a.cfg.ClickHouseURL); err == nil {
			a.CHAddr = u.Host
		}
	}
	opts.DialTimeout = 10 * time.Second
	opts.ReadTimeout = 5 * time.Minute
	admin, err := clickhouse.Open(opts)
	if err != nil {
		return fmt.Errorf("connect to clickhouse %s: %w", a.CHAddr, err)
	}
	onCluster := ""
	if a.cfg.Cluster != "" {
		onCluster = " ON CLUSTER '" + a.cfg.Cluster + "'"
	}
	err = admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+a.cfg.Database+onCluster)
	admin.Close()
	if err != nil {
		return fmt.Errorf("create database %s: %w", a.cfg.Database, err)
	}
	o := *opts
	o.Auth.Database = a.cfg.Database
	a.CHOpts = &o
	if a.DB, err = clickhouse.Open(&o); err != nil {
		return fmt.Errorf("connect to clickhouse database %s: %w", a.cfg.Database, err)
	}
	scfg := schema.DefaultConfig()
	scfg.Cluster = a.cfg.Cluster
	if _, err := schema.Apply(ctx, a.DB, scfg, a.logger); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	svc, err := sqlaccess.New(a.DB, a.cfg.Database)
	if err != nil {
		return err
	}
	a.analysts.Store(svc)
	return nil
}

func (a *App) startProcessors(ctx context.Context) error {
	sinkMetrics := chsink.NewMetrics()
	if err := sinkMetrics.Register(a.reg); err != nil {
		return err
	}
	w, err := chsink.NewWriter(a.DB, chsink.DefaultConfig(), a.logger, sinkMetrics)
	if err != nil {
		return err
	}
	rcfg := runtime.DefaultConfig()
	rcfg.Brokers, rcfg.Topics, rcfg.FlushInterval, rcfg.Hooks = a.Brokers, a.Topics, a.cfg.FlushInterval, a.cfg.ProcessorHooks
	rcfg.KafkaOpts = a.KafkaOpts
	rm := runtime.NewMetrics()
	if err := rm.Register(a.reg); err != nil {
		return err
	}
	rt, err := runtime.New(rcfg, a.DB, w, a.taskFactory(), a.logger, rm)
	if err != nil {
		return err
	}
	a.rt = rt
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := rt.Run(ctx); err != nil {
			a.errs <- fmt.Errorf("processors: %w", err)
		}
	}()
	return nil
}

func (a *App) startHTTP() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
	}
	h, err := a.routes()
	if err != nil {
		ln.Close()
		return err
	}
	a.http = &http.Server{Handler: h, ReadHeaderTimeout: a.cfg.ReadHeaderTimeout, ReadTimeout: time.Minute, WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
	a.HTTPURL = "http://" + ln.Addr().String()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.errs <- fmt.Errorf("http server: %w", err)
		}
	}()
	a.logger.Info("http server listening", "url", a.HTTPURL)
	return nil
}

// Analysts provisions analysts' SQL accounts and looks them up.
func (a *App) Analysts() *sqlaccess.Service { return a.analysts.Load() }

// Wait blocks until ctx ends or a component fails.
func (a *App) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-a.errs:
		return err
	}
}

// Kill cancels the processors without letting them flush, as a crash
// would; Close must still be called.
func (a *App) Kill() {
	if a.rt != nil {
		a.rt.Abort()
	}
	if a.cancel != nil {
		a.cancel()
	}
}

// Close stops everything in reverse order, flushing the processors and
// closing the broker and ClickHouse cleanly.
func (a *App) Close() {
	if a.http != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		a.http.Shutdown(sctx)
		cancel()
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.pub != nil {
		a.pub.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
	if a.chsrv != nil {
		a.chsrv.Close()
	}
	if a.engine != nil {
		a.engine.Close()
	}
	if a.broker != nil {
		a.broker.Close()
	}
}
