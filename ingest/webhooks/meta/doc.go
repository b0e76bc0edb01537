// Package meta receives Messenger Platform and Instagram messaging webhooks
// and turns them into canonical events.
//
// Data enters as GET /webhooks/meta/{app} (the subscription handshake:
// hub.mode=subscribe with the app's verify token echoes hub.challenge,
// anything else gets 403) and POST /webhooks/meta/{app} with the platform's
// JSON body. The raw bytes of a POST are checked against X-Hub-Signature-256
// ("sha256=" and the hex HMAC-SHA256 keyed with the app secret) before
// anything is parsed; unsigned or wrongly signed requests get 401.
//
// Bodies are {"object": "page"|"instagram", "entry": [...]}; every entry is
// one Page or Instagram account, looked up to find its team, and carries
// messaging[] (and standby[]) items, or changes[] items whose value has the
// same shape. Each item is mapped on its own:
//
//	message                        → message.inbound, props.kind (text, image, video, audio, file, location, sticker, other)
//	message with quick_reply       → message.inbound and button.clicked (button_kind "reply", props.data)
//	message with is_echo           → message.sent from the Page to the recipient, source.kind "echo"
//	postback                       → button.clicked, button_kind "module", props.data (the payload)
//	read (watermark)               → message.read, props.watermark: every message sent to the contact at or before it was read
//	read (mid, Instagram seen)     → message.read of that message
//	delivery (mids and watermark)  → message.delivered per mid, or one with props.watermark when mids are absent
//	reaction (action react)        → message.inbound, props.kind "reaction", props.reply_to the reacted message
//	anything else                  → skipped (counted)
//
// Events leave through Publisher, one call per team. Event ids are derived
// from the mid, or from the contact and watermark, so redeliveries
// deduplicate downstream and in the recent-id cache. Items that cannot be
// mapped or validated, and entries of accounts that are not configured, go
// to DeadLetters and the request still answers 200; when publishing fails
// the answer is 503 with Retry-After so Meta redelivers.
package meta
