// Package meta is Omnistream's client of Meta's Marketing API for
// customer-file Custom Audiences and of Meta's Conversions API.
//
// Data enters as rows of SHA-256 hashes of normalized emails and phones
// (NormalizeEmail, NormalizePhone and HashEmail, HashPhone implement Meta's
// customer-file rules for callers that hold clear values) read page by page
// from a Source, and as conversion events. It leaves as Graph API requests:
//
//   - POST /{audience_id}/usersreplace: a full replacement, one upload
//     session of batches of at most 10,000 rows (batch_seq from 1,
//     last_batch_flag on the last, estimated_num_total);
//   - POST /{audience_id}/users: additions, in a session as well;
//   - DELETE /{audience_id}/users: removals;
//   - POST /{pixel_id}/events: Conversions API events, at most 1,000 a
//     request.
//
// Every request carries payload.schema ["EMAIL","PHONE"] and payload.data
// rows, or the data array of events, and the access token of the caller.
// Rate limits (error codes 4, 17, 32, 613, 80003, HTTP 429) and transient
// failures (5xx, is_transient) are retried with capped exponential backoff;
// an expired or invalid token (OAuthException 190) fails at once with
// ErrTokenExpired. Results report what Meta acknowledged: num_received,
// num_invalid_entries and invalid_entry_samples.
package meta
