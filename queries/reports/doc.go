// Package reports answers the broadcast and journey reports (PRODUCT.md §4)
// over ClickHouse, for one team at a time. Requests enter as HTTP calls
// whose team comes from the authenticated context (teams.FromContext),
// never from a parameter; every value travels as a server-side query
// parameter. Results leave as JSON, times in the team's time zone.
//
//	GET /v1/reports/broadcasts?from=&to=&channel=&status=&limit=&cursor=
//	GET /v1/reports/broadcasts/{id}
//	GET /v1/reports/broadcasts/{id}/recipients?state=&channel=&limit=&cursor=
//	GET /v1/reports/journeys/{id}?from=&to=
//
// # Evaluation at query time, on event time
//
// Nothing is pre-aggregated: every report is computed when asked, from the
// rows of the events table (and the contact → customer map) as they are at
// that moment, with every window (24 h clicks, 12/24/48 h responses, 24 h
// unsubscribes, 30-day attribution) evaluated in SQL on event time. A late
// or out-of-order event is a row with an older timestamp, so the numbers
// do not depend on the order in which events arrived, and a report is
// fresh as soon as the processor has written the row (tested through the
// whole pipeline: in order, shuffled, duplicated).
//
// Every count is of distinct things (contacts, send keys, click event ids,
// order ids), so a duplicate row that escaped the processor's dedup window
// changes nothing. Every CTE is deterministic (min/max/argMax with a tuple
// tie-break, never any() over differing values).
//
// # Definitions as implemented
//
// Contacts are (channel account, channel user id). A send of a source is
// identified by send_id, else by the message id (platform ids such as the
// WhatsApp wamid and Messenger mid are per delivery), else by the event id
// of a sent/delivered/failed event. Receipts attach to sends:
//   - receipts carrying the source (the platform's own senders), by send
//     id or message id; a read or open naming neither attaches to the
//     latest send of its source, contact and node at or before it;
//   - receipts without a source (native webhooks) on the source's contacts:
//     by message id (WhatsApp statuses, Messenger mids), or by watermark
//     (Messenger/Instagram: every send of the contact on that account at or
//     before the watermark is delivered / read).
//
// A send is successful (delivered) with any delivery, read or open: a read
// implies the delivery (a WhatsApp read without delivered counts as both).
// Its delivery time is its earliest such receipt.
//
// Broadcast, per channel type:
//   - audience: contacts with a send, delivery or failure; when
//     broadcast.started carries props.audience (the targeted contacts after
//     exclusions) and the broadcast is on one channel type, that number,
//     never less than the counted contacts;
//   - delivered: contacts with a successful send; failed: contacts with a
//     failure and none, by the reason of their last failure;
//   - read (Facebook, Instagram, WhatsApp) and opened (LINE) contacts; opens
//     count only on sends of a trackable kind (event.TrackableKind; a send
//     of unknown kind counts when the broadcast has trackable ones), and a
//     broadcast without any trackable send has no open count or rate;
//   - clicked: contacts with a url or module click of the broadcast (by
//     source, or a sourceless module click naming one of its messages) no
//     later than 24 h after their first delivery; text links and quick
//     replies never count; buttons[] counts per button the same way;
//   - responded: contacts with a response from their first send to 48 h
//     after their first delivery: an inbound text, image, file or sticker
//     or a module click (postback) naming neither a source nor a message,
//     a module click of the broadcast, or a WhatsApp reaction to one of its
//     messages; inbound events carrying a source id are not responses;
//   - orders and revenue: see revenueSQL (30-day last url click across
//     broadcasts, customers as the map is now, one count per order id);
//   - estimated cost: successful sends × the team's rate for the channel.
//
// Status comes from broadcast.* events with the broadcast as source; the
// broadcast time (list order and date filter) is broadcast.started, else the
// first message.sent, else broadcast.scheduled.
//
// Journey, per message node and in total, per send (a contact receiving a
// node twice is two sends): successful sends, failed sends; opened (LINE,
// trackable kinds), read (Facebook, Instagram, WhatsApp), clicked (url or
// module, by send id, message id or the latest send before the click), at
// most once each per send; responded within 12/24/48 h (any response of
// the contact from the send until N hours after its delivery credits
// every such send once); unsubscribed (contact.unsubscribed within 24 h
// after the delivery). Rates are over successful sends (open rate over LINE
// sends, read rate over Facebook/Instagram/WhatsApp sends).
//
// # SQL design
//
// The ORDER BY of events is (team_id, type, source_id, contact_id, ts,
// event_id). A report reads:
//   - the sources' own events through (team_id, type IN …, source_id IN …);
//   - receipts without a source, inbound messages, postbacks and
//     unsubscribes through (team_id, type, source_id, contact_id IN the
//     sources' contacts): rows without a source share the empty source_id,
//     so each contact is a range of the key; and a time range from a day
//     before the sources' first event to 30 days after their last (read
//     first, with a tiny query on the same prefix). A report never scans a
//     team's inbound messages.
//
// sendsCTE is a linear pipeline (scanned → rows → keyed → sends) in which
// every level is referenced once: ClickHouse inlines a CTE wherever it is
// referenced and re-analyses the copy, and analysing a query built on
// shared CTEs cost far more than running it. For the same reason an alias
// is never used twice where its expression is large (the analyzer copies
// it), and big classifications (the role of a row) are computed one level
// below their users. Lookups that a join would do are window functions
// over the contact's rows (the source and send id of a message id; the
// contact's sends, clicks and responses as arrays), then lambdas over those
// arrays. Materialized CTEs (enable_materialized_cte) are not used: in
// ClickHouse 26.5 they returned wrong results in our tests.
//
// Cost, measured on the embedded engine on a shared 2-core machine: the
// analysis of the broadcast query is a fixed ~190 ms (on an empty table),
// and a broadcast to 20,000 contacts among 2.2 M events adds about 0.4 s
// of CPU (BenchmarkReports; OMNISTREAM_REPORTS_BENCH_BROADCASTS scales it
// towards 50 M events). The work grows with the broadcast's rows, not with
// the team's or the table's. The p95 goal of 100 ms is not met yet.
//
// Revenue is a separate query: one stream of broadcast url clicks and orders
// (one row per order id) with their current customers, and a window per
// customer in time order that gives each order its last click.
package reports
