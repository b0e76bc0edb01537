// Package normalize turns the raw phone numbers, email addresses and member
// ids that events carry into the canonical identifier values the identity
// graph keys customers on, and tells junk values apart.
//
// Data enters as raw strings from event props (and WhatsApp user ids) plus
// the team's region and junk list; it leaves as normalized strings — a phone
// in international form, digits only, with country code and without the
// trunk 0 ("0911223344" in TW → "886911223344"); an email trimmed and
// lower-cased (PRODUCT.md §3) — or as a refusal: a value that is malformed or
// a placeholder ("null", "0", "test@test.com", "0000000000", …) is never an
// identifier.
//
// The package is pure: no I/O, no global state besides read-only tables.
package normalize
