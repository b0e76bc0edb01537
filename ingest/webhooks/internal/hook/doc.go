// Package hook is the machinery the webhook receivers share: the Receiver
// that serves a platform's webhook requests (look up the channel, app or
// number in the path, read the bounded body, verify its signature, map it,
// deliver it and answer), parameterized by a Platform; Limits, the fields and
// validation every receiver's Config shares; Meta's X-Hub-Signature-256 check
// and GET handshake; deterministic event ids, props encoding, the recent-id
// cache, and the Sink that validates mapped events, drops redeliveries
// already seen, publishes per team and writes dead letters.
//
// Data enters as an HTTP request to a Receiver (or a Batch filled by a
// platform mapper, handed to a Sink) and leaves through the Publisher and
// DeadLetters the receiver was built with, and as the HTTP answer.
package hook
