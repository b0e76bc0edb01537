// Package line receives LINE Messaging API webhooks and turns them into
// canonical events.
//
// Data enters as POST /webhooks/line/{channel} with the platform's JSON body
// ({"destination": …, "events": […]}). The raw bytes are checked against
// X-Line-Signature (base64 HMAC-SHA256 keyed with the channel secret) before
// anything is parsed; unsigned or wrongly signed requests get 401. Each
// webhook event is then mapped on its own:
//
//	message (text, image, video, audio, file, location, sticker) → message.inbound, props.kind
//	follow                      → contact.subscribed, plus contact.created unless follow.isUnblocked
//	unfollow                    → contact.unsubscribed, props.reason "block"
//	postback                    → button.clicked, props.button_kind "module", props.data
//	anything else               → skipped (counted)
//
// Events leave through Publisher, grouped under the channel's team. Event ids
// are derived from webhookEventId, so a redelivery (deliveryContext.isRedelivery)
// carries the same ids and deduplicates downstream; a bounded cache of recent
// ids also answers redeliveries without publishing again. An event that cannot
// be mapped or validated goes to DeadLetters and the request still answers 200;
// when publishing fails the answer is 503 with Retry-After so LINE redelivers.
package line
