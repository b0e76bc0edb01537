// Package chdb is Omnistream's binding to chDB, the embedded ClickHouse
// engine shipped as libchdb.so.
//
// The library is loaded at run time with dlopen, so building the module never
// needs it; `make chdb` (deploy/scripts/fetch-chdb.sh) installs it at
// DefaultLibPath. Open boots the engine on a data directory; SQL text enters
// through DB.Query together with the name of the output format, and the
// engine's output leaves as the bytes of that format in a Result. Query
// parameters ({name:Type} placeholders) are bound by the engine, never
// formatted into the SQL text.
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
package chdb
