// Package chsink writes columnar batches into ClickHouse.
//
// Rows enter through a Batch, a set of reusable Arrow column builders for one
// table (Table describes the columns). A Writer sends the batch as one
// INSERT … FORMAT ArrowStream over clickhouse-go's HTTP protocol, with a
// deterministic insert_deduplication_token, so a batch retried after a crash
// or a timeout is stored once. Failed inserts are retried with exponential
// backoff until the context ends; the failing gauge stays raised while a
// table cannot be written, for alerting.
package chsink
