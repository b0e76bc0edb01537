// Package pixel is the website pixel: a small script that shops embed, and
// the endpoint it reports to.
//
// Data enters two ways. GET /pixel.js serves the script, which a page loads
// as <script src="https://…/pixel.js" data-site="SITE_KEY" data-member="…"
// async></script>. On load it reports a page view; omnistream.order({order_id,
// amount, currency, member_id}) reports an order and omnistream.identify(id)
// sets the logged-in member. It posts with navigator.sendBeacon (a text/plain
// body, so browsers send it without a CORS preflight) and falls back to
// fetch with keepalive. POST /v1/pixel?site=SITE_KEY receives those reports
// (JSON in a text/plain or application/json body); OPTIONS answers the CORS
// preflight of other clients.
//
// Each site key belongs to a team and lists the origins allowed to report
// for it: requests from other origins get 403, automated user agents and
// invalid payloads get 400 with a message naming the field. Valid reports
// leave through Publisher as pixel.pageview or order.placed events on
// channel {type: web, id: site id}, with the visitor id as the contact and
// the member id in props when the visitor is logged in. An order's event id
// derives from the site and order id, so reloading a thank-you page does not
// count the order twice.
package pixel
