// Package chserver serves an embedded chDB engine over the ClickHouse HTTP
// interface on a loopback address, so that clickhouse-go (Protocol HTTP),
// curl and any other ClickHouse HTTP client talk to it as to a ClickHouse
// server.
//
// Requests enter as HTTP: the query in the URL's query= parameter and/or the
// POST body, settings and param_name= query parameters in the URL, insert
// data in the body (optionally compressed with Content-Encoding or, with
// decompress=1, ClickHouse's block compression). Insert bodies are spooled to
// a file under the data directory and handed to the engine with
// INSERT ... FROM INFILE, because chDB cuts inline data at the first blank
// line. Results leave in the requested format (default_format, a FORMAT
// clause, or TabSeparated), optionally compressed; results over 1 MiB of
// row-returning queries in stream-friendly formats are streamed as the
// engine produces them unless wait_end_of_query=1. Errors leave as
// ClickHouse writes them: a 4xx/5xx status, X-ClickHouse-Exception-Code and
// a "Code: N. DB::Exception: ..." body, or, once a streamed response has
// started, an in-band "__exception__" frame tagged as announced in
// X-ClickHouse-Exception-Tag.
//
// Sessions (session_id=) keep SET values, USE and temporary tables across
// requests; their results are sent whole. Not supported, answered with a
// ClickHouse-style NOT_IMPLEMENTED error: external tables (multipart bodies).
package chserver
