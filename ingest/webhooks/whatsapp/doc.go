// Package whatsapp receives WhatsApp Cloud API webhooks and turns them into
// canonical events.
//
// Data enters as GET /webhooks/whatsapp/{number} (the subscription
// handshake, as for Messenger) and POST /webhooks/whatsapp/{number}, where
// {number} is the business phone number id whose configuration holds the app
// secret and verify token. The raw bytes of a POST are checked against
// X-Hub-Signature-256 before anything is parsed; unsigned or wrongly signed
// requests get 401.
//
// Bodies are {"object": "whatsapp_business_account", "entry": [{"changes":
// [{"field": "messages", "value": {...}}]}]}. Each value names the business
// number in metadata.phone_number_id (the event's channel id, looked up for
// its team) and carries messages[] and statuses[], each item mapped on its
// own. Contacts are the WhatsApp id: digits of the customer's phone number.
//
//	messages text, image, video, audio, document, sticker, location → message.inbound, props.kind (document → "file")
//	messages reaction (with an emoji)      → message.inbound, props.kind "reaction", props.reply_to the reacted message
//	messages button, interactive reply     → button.clicked, button_kind "module", props.data; message_id is the message tapped
//	other customer message types           → message.inbound, props.kind "other", props.wa_type
//	referral (Click to WhatsApp ads)       → kept in props.referral of the message's event
//	statuses sent / delivered              → message.sent / message.delivered
//	statuses read                          → message.read, and message.delivered (a read implies a delivery)
//	statuses failed                        → message.failed, props.reason (errors[0].title), props.error_code
//	system, request_welcome, reaction removal, played, other fields → skipped (counted)
//
// Statuses arrive out of order. Event ids derive from the wamid and the
// canonical type only, so the delivered implied by a read and a delivered
// status arriving later (or earlier) share one id and deduplicate. Events
// leave through Publisher per team; what cannot be mapped or validated, and
// changes of numbers that are not configured, go to DeadLetters and the
// request still answers 200; when publishing fails the answer is 503 with
// Retry-After so Meta redelivers.
package whatsapp
