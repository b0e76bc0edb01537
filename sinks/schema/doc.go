// Package schema owns the ClickHouse schema: ordered, idempotent migrations
// kept as SQL templates under migrations/, rendered either for a single node
// (MergeTree family, no cluster clause) or for a cluster (ON CLUSTER,
// Replicated*MergeTree local tables and Distributed tables of the plain name),
// and applied through any ClickHouse connection. Applied versions are
// recorded in the schema_migrations table with the checksum of the rendered
// SQL, so applying twice is a no-op and an edited migration is detected.
//
// Template functions available to migrations:
//
//	{{table "events"}}           the name of the storage table (events or events_local)
//	{{onCluster}}                "" or ON CLUSTER '<cluster>'
//	{{engine "ReplacingMergeTree" "version"}}  the engine, replicated on a cluster
//	{{dedupWindow}}              the insert-deduplication window setting
//	{{distributed "events" "cityHash64(team_id)"}}  a Distributed table on a cluster, nothing on one node
//
// Data enters as the migrations embedded in this package and leaves as DDL
// executed on the connection.
package schema
