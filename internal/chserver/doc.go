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
// clause, or TabSeparated), optionally compressed; errors leave as ClickHouse
// writes them: a 4xx/5xx status, X-ClickHouse-Exception-Code and a
// "Code: N. DB::Exception: ..." body.
package chserver
