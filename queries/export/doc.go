// Package export streams report data out of ClickHouse as CSV (UTF-8 with
// a byte-order mark, header row in English or Traditional Chinese), Parquet
// or Arrow IPC.
//
// Data enters as Arrow record batches read with QueryFormat("ArrowStream")
// from a parameterized query scoped to the caller's team, and leaves batch
// by batch to the writer of the chosen format: memory is bounded by one
// ClickHouse block, whatever the export's size. Small exports stream
// directly (GET /v1/exports/{kind}); large ones run as jobs
// (POST /v1/exports, GET /v1/exports/{id} for progress, then the download
// URL). Each kind carries the seed's rules (a broadcast export needs a date
// range and exactly one channel; OmniLink exports cover less than 90 days;
// cart-remarketing order exports at most 31 days) and refusals name the rule.
package export
