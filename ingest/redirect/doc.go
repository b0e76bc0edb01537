// Package redirect is the click redirector behind tracked links.
//
// Senders mint a link with Sign: a compact, URL-safe token that encodes the
// click's team, cause (broadcast or journey, node), message and send, the
// channel and contact, the button and its kind, and the target URL, followed
// by a truncated HMAC-SHA256 tag. The token's contents are readable, not
// encrypted; the tag only makes them tamper-proof. Keys rotate: the first
// configured key signs, every configured key verifies.
//
// Data enters as GET /r/{token}. A token that does not verify under any key,
// has expired, or whose target is not an absolute http(s) URL gets 404; the
// target is only ever taken from the signed token, never from the request, so
// the redirector cannot be used as an open redirect. A valid token answers
// 302 to the target with the configured UTM parameters added (existing query
// parameters kept as they are, existing utm_* never overwritten) and emits a
// button.clicked event through Publisher.
//
// Each click is its own event, but the same link opened again within
// Config.DedupWindow (a browser prefetch followed by the real load, a double
// tap, an in-app browser loading twice) counts once: the event id is derived
// from the token's tag and the window-sized time bucket of the click, and an
// in-memory table of recent clicks extends that to clicks that straddle a
// bucket boundary on the same instance. HEAD requests and automated clients
// (link-preview fetchers, crawlers; see package bot) are redirected without
// an event. A click that cannot be published is logged and counted, and the
// visitor is still redirected.
package redirect
