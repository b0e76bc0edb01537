// Package deploy holds what an operator needs to run omnistream on an
// existing Kafka (or Redpanda) cluster and an existing ClickHouse cluster:
// the container image (Dockerfile), a compose file, Kubernetes manifests,
// the cluster DDL and the operator's guide (README.md).
//
// The package has no code. Its tests validate the files, since no container
// engine runs in the test environment: every YAML document parses, every
// environment variable is a flag of the command the container runs, every
// ConfigMap, Secret, selector, port and probe reference resolves, exactly
// one scheduler runs, and clickhouse/cluster.sql is the DDL that
// `omnistream migrate -print -cluster NAME` renders.
package deploy
