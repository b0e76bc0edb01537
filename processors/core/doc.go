// Package core is the main stream processor: for every record of the events
// topic it decodes and validates the canonical event, drops duplicates of
// an event id, resolves the contact to its omni-customer through the identity
// graph, and emits rows: the event itself (personal data stripped), the
// contact → customer map and customer identifier changes, the merge log,
// contact profile patches and custom attributes.
//
// Records enter through runtime.Task.Process; rows leave in the runtime's
// Output (Arrow batches for ClickHouse); identity state leaves as changes
// for the state topic and comes back through Restore.
//
// Duplicate detection is exact within a window of the last DedupWindow
// distinct events of the partition (rebuilt after a restart from the events
// topic itself through Warm, so it does not depend on process lifetime).
// Report queries count distinct event ids, sends and contacts, so a
// duplicate older than the window still counts once.
//
// Metric windows (24 h clicks, 48 h responses, 30-day attribution, …) are
// evaluated in ClickHouse over event time at query time: a late or
// out-of-order event is simply a row with an older timestamp, so every
// number is the same whatever order events arrived in.
package core
