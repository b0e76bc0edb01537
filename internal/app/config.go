// Package app wires one omnistream process from a Config: the embedded or
// external Kafka and ClickHouse, the schema, the ingest API, the processors
// and the HTTP server. cmd/omnistream fills the Config from flags and the
// environment; tests start whole deployments through it.
package app

import (
	"errors"

	"fmt"
	"github.com/omnistream/omnistream/processors/runtime"
	"slices"
	"strings"
	"time"
)

// Roles a process can take; "all" is every one.
const (
	RoleIngest    = "ingest"
	RoleProcess   = "process"
	RoleServe     = "serve"
	RoleScheduler = "scheduler"
)

// Config configures a process.
type Config struct {
	// DataDir holds the embedded broker's and ClickHouse's data. Default "data".
	DataDir string
	// KafkaBrokers of an external cluster; empty starts the embedded broker.
	KafkaBrokers []string
	// KafkaPort of the embedded broker on 127.0.0.1. Default 9092; 0 picks one.
	KafkaPort int
	// ClickHouseURL of an external ClickHouse HTTP interface
	// (http://user:pass@host:8123/db); empty starts the embedded one.
	ClickHouseURL string
	// ClickHousePort of the embedded ClickHouse HTTP interface on
	// 127.0.0.1. Default 8123; 0 picks one.
	ClickHousePort int
	// Database is the ClickHouse database. Default "omnistream".
	Database string
	// Cluster is the ClickHouse cluster name for cluster DDL; empty for one node.
	Cluster string
	// HTTPAddr is where the API, webhooks and dashboard listen. Default 127.0.0.1:8080.
	HTTPAddr string
	// Roles this process runs. Default all of them. Every process with a
	// role serves /healthz, /readyz and /metrics on HTTPAddr; the API and
	// dashboard come with ingest and serve. No role at all gives a process
	// that only opens storage and applies the schema (migrate, team).
	Roles []string
	// Partitions of the events topic when this process creates it. Default 4.
	Partitions int32
	// Replication of the topics when this process creates them. Default 1
	// (embedded); 3 on a cluster.
	Replication int16
	// AdminToken authenticates the admin API (Authorization: Bearer …).
	// Empty disables the admin API.
	AdminToken string
	// Demo loads a demo team with generated events at start.
	Demo bool
	// FlushInterval of the processors. Default 200ms.
	FlushInterval time.Duration
	// SecretKey signs click-redirect tokens. Default: generated and kept in DataDir.
	SecretKey string
	// Kafka is TLS/SASL towards an external Kafka.
	Kafka KafkaSecurity
	// ClickHouseTLS enables TLS towards an external ClickHouse (https:// URLs
	// turn it on too); ClickHouseCAFile adds a CA bundle.
	ClickHouseTLS    bool
	ClickHouseCAFile string
	// ReadHeaderTimeout bounds how long a client may take to send request
	// headers (slow clients are cut off). Default 10s.
	ReadHeaderTimeout time.Duration
	// PublishTimeout bounds how long the ingest API waits for Kafka before
	// answering 503 with Retry-After. Default 10s.
	PublishTimeout time.Duration
	// ProcessorHooks are fault-injection points, for tests only.
	ProcessorHooks runtime.Hooks
}

// DefaultConfig is the embedded single-node deployment.
func DefaultConfig() Config {
	return Config{DataDir: "data", KafkaPort: 9092, ClickHousePort: 8123, Database: "omnistream",
		HTTPAddr: "127.0.0.1:8080", Roles: []string{RoleIngest, RoleProcess, RoleServe, RoleScheduler},
		Partitions: 4, Replication: 1, FlushInterval: 200 * time.Millisecond, PublishTimeout: 10 * time.Second,
		ReadHeaderTimeout: 10 * time.Second}
}

// Has reports whether the process runs role.
func (c Config) Has(role string) bool { return slices.Contains(c.Roles, role) }

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" && (len(c.KafkaBrokers) == 0 || c.ClickHouseURL == "") {
		errs = append(errs, errors.New("data dir is required for the embedded broker or ClickHouse"))
	}
	for _, r := range c.Roles {
		if !slices.Contains([]string{RoleIngest, RoleProcess, RoleServe, RoleScheduler}, r) {
			errs = append(errs, fmt.Errorf("role %q unknown (ingest, process, serve, scheduler)", r))
		}
	}
	if c.Database == "" || strings.ContainsAny(c.Database, "`'\" .") {
		errs = append(errs, fmt.Errorf("database %q must be a plain identifier", c.Database))
	}
	if c.Replication < 1 {
		errs = append(errs, fmt.Errorf("replication must be at least 1, got %d", c.Replication))
	}
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions must be at least 1, got %d", c.Partitions))
	}
	if err := c.Kafka.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.ReadHeaderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("read header timeout must be positive, got %s", c.ReadHeaderTimeout))
	}
	if c.PublishTimeout <= 0 {
		errs = append(errs, fmt.Errorf("publish timeout must be positive, got %s", c.PublishTimeout))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush interval must be positive, got %s", c.FlushInterval))
	}
	return errors.Join(errs...)
}
