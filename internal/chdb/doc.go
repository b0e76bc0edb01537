// Package chdb is Omnistream's binding to chDB, the embedded ClickHouse
// engine shipped as libchdb.so.
//
// The library is loaded at run time with dlopen, so building the module never
// needs it; `make chdb` (deploy/scripts/fetch-chdb.sh) installs it at
// DefaultLibPath. Open boots the engine on a data directory; SQL text enters
// through DB.Query/QueryWith together with the name of the output format,
// and the engine's output leaves as the bytes of that format in a Result, or
// chunk by chunk from DB.Stream for row-returning queries. Query parameters
// ({name:Type} placeholders) are bound by the engine, never formatted into
// the SQL text. Each query is tagged through its log_comment setting so that
// a cancelled context kills it (KILL QUERY).
//
// What the engine allows, measured with chDB 26.5:
//
//   - One storage path per process. Several connections to that path may run
//     queries concurrently; each Query uses a connection of its own (opening
//     one costs ~0.2 ms once the engine is up), so settings, the current
//     database and SET statements never leak from one query to the next.
//   - The engine survives Close and a later Open in the same process, on the
//     same path or, once every DB is closed, on another one.
//   - Inline data in the query text ends at the first blank line ("\n\n"),
//     so binary insert bodies must not travel inline: write them to a file
//     and use INSERT INTO t FROM INFILE 'file' FORMAT fmt.
//   - DROP/DETACH ... SYNC never returns (the drop itself happens); leave
//     SYNC out. Settings passed as connection arguments are ignored, so
//     they are applied with SET on the query's own connection.
//   - The streaming API writes each chunk as a whole document of the format
//     (headers and footers repeat), so only formats whose documents
//     concatenate can be streamed as they are.
package chdb
