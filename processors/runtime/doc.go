// Package runtime runs stream processors over the events topic with
// exactly-once results in ClickHouse.
//
// Records enter from a Kafka consumer group (one goroutine per assigned
// partition). A Task turns each record into rows of ClickHouse tables and
// into state changes; rows leave as Arrow batches through chsink, state
// changes as records of the compacted state topic, dead letters as records
// of the DLQ topic with the reason in headers.
//
// The commit protocol of one batch of partition p, offsets [first, last]:
//
//  1. record the batch boundaries in sink_batches (the "intent");
//  2. insert each table's rows with insert_deduplication_token
//     "<group>/<topic>/<p>/<first>-<last>/<table>";
//  3. write the state changes and dead letters to Kafka (acks=all);
//  4. commit offset last+1.
//
// A process killed anywhere in between resumes at the committed offset with
// state restored from the state topic, finds the intents of batches it had
// started, and re-forms exactly those batches: their inserts carry the same
// tokens, so ClickHouse keeps one copy. Tasks keep their state changes
// idempotent, so state written in step 3 before a crash in step 4 is
// harmless when the batch is processed again. Nothing is lost (offsets move
// only after ClickHouse acknowledged) and nothing is counted twice.
//
// On assignment a partition's task is rebuilt before it sees new records:
// Restore replays its state topic partition, then Warm replays the last
// WarmRecords records of the events partition before the resume offset
// (for windows such as event-id deduplication).
package runtime
