// Package event defines the canonical Omnistream event envelope: the one JSON
// shape every interaction takes on the wire and in Kafka.
//
// Data enters as JSON bytes (Decode, DecodeBatch) from the ingest API, the
// webhook mappers, the pixel and the click redirector, and leaves as JSON
// bytes (AppendJSON) into Kafka records keyed by team. Validation reports
// every problem of a record at once, each naming the offending field
// ("props.amount", "channel.type", …), so senders can fix and resend.
//
// This is a leaf package: it imports nothing else of Omnistream.
package event
