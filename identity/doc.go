// Package identity resolves contacts to omni-customers inside the stream
// (PRODUCT.md §3): an in-memory identity graph per Kafka partition, holding
// the teams of that partition side by side and never joining across teams.
//
// Data enters as canonical events (Graph.Apply): any event with a contact
// makes the contact known (first seen); identity.bind, identity.unbind,
// omnilink.succeeded, contact.created, contact.deleted and the member id of
// order.placed / pixel.pageview change the graph. It leaves three ways:
//
//   - Outcome, per event: the customer id of the event's contact, the
//     contact → customer map rows and customer → identifier rows that
//     changed (with a monotonically increasing version for ReplacingMergeTree),
//     the merge log (successes and refusals with their reason) and splits;
//   - Deltas: compact binary records of the changed state, keyed for a
//     compacted changelog topic, from which Load rebuilds an identical graph;
//   - Lookup and Customer, read accessors for the HTTP API.
//
// # Model
//
// Nodes are contacts (a channel user id namespaced by its channel account:
// a LINE UID per official account, a PSID per page, a WhatsApp id per
// number) and identifiers: member id, phone, email, normalized per team
// (package normalize). An edge joins a contact to an identifier it carries
// or, for OmniLink, to another contact. An edge is a merge key ("link") when
// its method makes it one:
//
//   - member id: always, except import/api when the team does not sync by
//     member id;
//   - phone: phone binding, or import/api when the team syncs by phone;
//   - email: email binding, or import/api when the team syncs by email;
//   - contact–contact (OmniLink): always.
//
// Other identifiers are only recorded on the contact (contact.created props,
// the phone of a WhatsApp contact, the phone a social binding carries).
// A recorded identifier becomes a merge key as soon as any contact holds it
// as one: "if a customer with that phone exists, the contact joins that
// customer; otherwise the phone is only recorded on the contact".
//
// A customer is a connected component over the active edges. Merges are
// refused, and the refusal recorded, when the two customers carry different
// member ids (ReasonMemberIDConflict) or when the identifier is already held
// by MaxContactsPerIdentifier contacts (ReasonIdentifierLimit). An
// identifier refused for the limit, and a phone or email refused for a
// conflict, stay recorded on the contact, marked so they never merge; a
// member id or OmniLink refused for a conflict is not recorded. A refused
// attempt is not retried later.
//
// # Customer ids
//
// A customer's id is derived from its anchor: the contact with the earliest
// first-seen event time (the minimum over every event that mentioned it, so
// not the arrival order), ties broken by the contact's key bytes; a customer
// without contacts (a website member seen only through orders) anchors on its
// oldest identifier the same way. The id is "c_" followed by 13 base32
// characters of SHA-256(team, anchor key). When customers merge, the one
// whose anchor is older keeps its id; the others' ids are retired in the
// merge log.
//
// # Ordering
//
// Without refusals, unbinds and deletions the final grouping and ids do not
// depend on the order the events are applied in: grouping is connectivity
// and ids are a function of first-seen times, which are minima. Refusals are
// decided when the attempt is applied, against the graph as it is then (a
// refused edge is not retried later); identity.unbind and contact.deleted
// act on the graph as it is when they are applied (an unbind applied before
// its bind removes nothing). Any reordering that keeps every unbind and
// deletion after the events it undoes, and does not change which attempts
// are refused, gives the same result.
//
// Applying an event again is harmless (the runtime replays a batch whose
// state changes were already written): bindings, links, unbinds and
// deletions are idempotent. The anonymous counters (Stats) are the
// exception: a replayed batch that re-creates and deletes a contact counts
// it again.
//
// # Persistence
//
// Deltas are keyed by team and node: a contact's value holds its first-seen
// time and its edges (flags and the neighbour's key), an identifier's its
// first-seen time and whether it stands alone, a team's counters record the
// last row version. Customers are not persisted: Load rebuilds them as the
// components of the loaded edges, which is what they were.
//
// # Memory
//
// Nodes, edges and customers live in flat slices indexed by 32-bit ids;
// node keys live in a byte arena and are found through an open-addressing
// index of node ids; channel accounts are interned. Graph is safe for one
// writer (Apply, Load, Deltas) and concurrent readers (Lookup, Customer).
package identity
