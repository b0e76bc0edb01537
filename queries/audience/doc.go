// Package audience builds audiences: saved sets of conditions on one
// channel account that select contacts, answer their current size and a
// preview, and are materialized into member snapshots when used (a sync to
// an ad platform, a broadcast).
//
// Data enters as a JSON Definition (a channel and ANDed Conditions) over the
// HTTP API (Handler, mounted by the API server; the team always comes from
// teams.FromContext) or from Go callers, and is stored in the ClickHouse
// table audiences (migration 0100, one row per version, read with argMax).
// Compile turns a definition into one parameterized ClickHouse query over
// contacts_current, contact_attributes_current and events: every value of
// the definition travels as a server-side query parameter ({p1:String}), and
// the SQL text holds only identifiers and literals chosen by this package
// from closed sets. Members leave as preview pages (most recently updated
// first) and as snapshots in audience_snapshots / audience_members, where
// email and phone are kept only as the SHA-256 of their normalized form.
//
// Semantics (PRODUCT.md §5):
//   - Unsubscribed and over-quota contacts are always excluded.
//   - Current tags of a contact are the tags whose latest tag.added is later
//     than their latest tag.removed.
//   - Last customer interaction: latest message.inbound (postbacks
//     included), button.clicked, richmenu.clicked or contact.subscribed.
//     Last team marketing message: latest message.sent from a broadcast, a
//     journey or cart remarketing. Last 1:1 message: latest message.sent with
//     source kind manual. Last checkout: latest order.placed of the contact
//     or of its member id.
//   - Phone, social and OMO binding: the latest identity.bind of that method
//     is later than the latest identity.unbind of it; the OMO staff member
//     is the actor of that bind and the store its props.store. Facebook
//     recurring notifications: contact.subscribed / contact.unsubscribed
//     events whose source kind is recurring_notification.
//   - Broadcast interaction (opened, read, clicked a url or module button)
//     of any broadcast or of one; "not opened" and the like select contacts
//     who were sent the broadcast(s) and did not interact.
//   - Date and date-time operators are evaluated at run time in the team's
//     time zone: day operators cover whole local days (23 or 25 hours across
//     a DST change), the relative windows of date-times are anchored at the
//     run time's second, and "in a month, any year" looks from 100 years
//     back to 30 years ahead.
//   - Custom attribute values are text: numbers match only when they parse
//     as numbers, booleans are true/1/yes and false/0/no, dates and
//     date-times are read best-effort in the team's zone.
package audience
