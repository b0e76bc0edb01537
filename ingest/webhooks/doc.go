// Package webhooks holds what the platform webhook receivers share: the
// redacting Secret type for channel secrets, app secrets and verify tokens,
// and ErrNotFound, which lookups return for an unknown channel, app or number.
//
// The receivers themselves live in the subpackages line, meta (Messenger and
// Instagram) and whatsapp. Each is an http.Handler: a platform's raw webhook
// request enters, is verified against the platform's signature before it is
// parsed, is mapped to canonical event.Events, and leaves through the
// handler's Publisher (Kafka in production). Items that cannot be mapped or
// validated leave through DeadLetters instead, so one bad item never makes the
// platform redeliver the good ones.
package webhooks
