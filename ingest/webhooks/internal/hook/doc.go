// Package hook is the machinery the webhook receivers share: bounded body
// reading, Meta's X-Hub-Signature-256 check and GET handshake, deterministic
// event ids, props encoding, the recent-id cache, and the Sink that validates
// mapped events, drops redeliveries already seen, publishes per team and
// writes dead letters.
//
// Data enters as a Batch filled by a platform mapper and leaves through the
// Publisher and DeadLetters the receiver was built with.
package hook
