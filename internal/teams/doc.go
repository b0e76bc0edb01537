// Package teams holds tenants: their settings (time zone, region, currency,
// message-cost rates, week start, junk identifiers) and their API keys.
//
// Settings and keys live in ClickHouse (tables teams and team_keys, latest
// version wins) and are cached in memory. Keys are shown once at creation
// as "osk_<key id>_<secret>" and stored only as the SHA-256 of the secret.
// HTTP handlers get the caller's team from the request context
// (FromContext), put there by Store.Middleware after authenticating the
// bearer key: every query path is scoped by that team and nothing else.
package teams
