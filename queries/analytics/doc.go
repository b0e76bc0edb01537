// Package analytics answers the tag, OmniLink, contacts, omni-customer,
// keyword, rich-menu and cart-remarketing reports (PRODUCT.md §4) for one
// team at a time.
//
// Requests enter over HTTP (Service.Register mounts GET /v1/reports/tags,
// …/contacts/{channel_type}/{channel_id}/{user_id}/tags, …/omnilink/{campaign},
// …/contacts, …/customers, …/keywords, …/richmenus and …/cart) or as Go
// calls (Service.Tags, OmniLink, …). The team always comes from the
// authenticated context (teams.FromContext), never from a parameter. Results
// leave as JSON; a bad parameter is answered 400 with the parameter named.
//
// # Dates
//
// Ranges are inclusive calendar days in the team's time zone (from and to
// as YYYY-MM-DD, or a preset: today, yesterday, last_7_days, last_14_days,
// last_30_days — each ending today —, this_month, last_month). A range
// becomes the half-open instants [first local midnight, midnight after the
// last day), so a day across a DST change lasts 23 or 25 hours. Day, week,
// month and year buckets are computed by ClickHouse with toDate(ts, tz) and
// the zone bound as a parameter; weeks start on the team's WeekStart
// (Monday by default) for any start day. Series are dense: every day (or
// bucket) of the range is present, zeros included.
//
// # SQL design
//
// Every number is computed at query time from the raw events table (and
// the identity tables for names, customers and merges); nothing is
// pre-aggregated. That is what makes the numbers independent of arrival
// order and of duplicates:
//
//   - Duplicates. The processors drop repeated event ids within a window;
//     beyond it a repeated event is a second row. Every count therefore
//     reads events through "LIMIT 1 BY event_id" (or counts distinct
//     contacts, or takes minima and maxima, which repeats cannot change);
//     orders count once per order id.
//   - Late and out-of-order events. Every rule is over event time (ts), so
//     an event arriving late changes the answer exactly as if it had
//     arrived in order. The tests load the same stream shuffled, a third of
//     it twice, over many inserts, and compare every report.
//   - Values are server-side parameters ({team:String}, {start:DateTime64(3,
//     'UTC')}, {tags:Array(String)}, …). SQL text holds only fragments
//     chosen by this package; every query is scoped by team_id first, which
//     is also the first key of the events table.
//
// Per report:
//
//   - Tags. An application is a tag.added event; it counts only when it is
//     later than the contact's latest tag.removed of the same tag at any
//     time (LEFT JOIN of the per-contact, per-tag max removal time). So
//     removing a tag deletes all of the contact's earlier applications,
//     past ranges included, without rewriting events, and applying it again
//     counts again. Tag count = applications; tagged people = distinct
//     contacts (channel type, channel account, user id); last tagged = the
//     latest application in the range. Sources are source.kind.
//   - OmniLink. One row per source contact of the campaign: participation
//     time = its first click (or its first campaign event when the click
//     was never recorded); it succeeded when an omnilink.succeeded exists
//     whose merge the identity graph did not refuse (a refusal in the merge
//     log with the same event id, e.g. member_id_conflict, makes it a
//     failure with that reason); otherwise it failed, with the latest
//     recorded reason or none (clicked, never succeeded). Participants are
//     selected by participation time, so participants = successes +
//     failures within any range. Target new = target_new of the first
//     success. Names come from contacts_current.
//   - Contacts report. Added = contact.created (source props.contact_source,
//     "organic" when absent); connected = contacts whose first message ever
//     — inbound, or outbound and delivered (delivered, read or opened) —
//     falls in the range, with the source of that message (the sent
//     message's source kind when the receipt has none); deleted =
//     contact.deleted; merged = successful merge-log records (refusals and
//     splits excluded), with the channel and contact of the event that
//     caused them. Filters apply to every record set (channel, user = the
//     acting staff user, source, contact = user id or part of the current
//     name). Counts are never capped; each log answers at most MaxLogRows
//     rows, newest first, and says when more matched (Truncated).
//   - Omni-customer analysis. The cards read the identity map as it is now
//     (customers_current ∪ contact_map_current): socially bound = binding
//     method social, website member = a member id. Channel series evaluate
//     each contact's state at every bucket end from its events: it exists
//     when its latest event is later than its latest contact.deleted,
//     is subscribed unless its latest unsubscribe is at least as late as its
//     latest subscribe, and is bound when its latest social identity.bind is
//     later than its latest unbind. Events are first reduced to the latest
//     time per kind per bucket, so the per-contact arrays stay short. New
//     contacts and unsubscribes (blocks among them) are counted per bucket.
//   - Keywords: keyword.triggered by group, condition and channel (GROUPING
//     SETS for each level's distinct contacts). Rich menus:
//     richmenu.clicked by channel, menu (source.id) and area.
//   - Cart remarketing: message.sent and url/module button.clicked events
//     whose source kind is cart_remarketing. An order placed in the range
//     belongs to cart remarketing when its customer (current map: its
//     contact, else its member id) clicked a cart message within
//     CartAttributionWindow before it (ASOF JOIN: the latest click wins and
//     gets the order's channel). Conversion = orders / distinct clickers,
//     null without clickers; revenue is exact, per currency.
//
// The queries read whole teams' event histories where the definitions need
// it (first connections, contact states, tag removals); the events table's
// ORDER BY (team_id, type, …) keeps those reads to the team and the types
// involved.
package analytics
