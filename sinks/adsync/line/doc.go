// Package line uploads audiences to LINE: LINE user ids to a LINE Official
// Account audience through the Messaging API, and hashed emails or phones
// to a LINE Ads custom audience through the LINE Ads API.
//
// Data enters as ids read page by page from a Source: LINE user ids
// ("U" + 32 hex digits) for Upload, lower-case hex SHA-256 of normalized
// emails or phones for UploadAds. It leaves as HTTP requests:
//
//   - Messaging API (channel access token): POST /v2/bot/audienceGroup/upload
//     creates an audience with the first 10,000 ids, then
//     PUT /v2/bot/audienceGroup/upload adds the rest 10,000 at a time. The
//     audience's description (its name) is at most 120 characters.
//   - LINE Ads API (access key and secret key, JWS-signed requests):
//     POST /api/v3/adaccounts/{id}/custom-audiences/upload with a text file
//     of one hash per line, action REPLACE or ADD, idType HASHED_EMAIL or
//     HASHED_PHONE_NUMBER.
//
// An upload with no valid id is refused (ErrEmpty). Uploads sharing a Key
// (the Omnistream audience) run one at a time: a new upload of the same
// audience waits for the previous one. Rate limits (429) and server errors
// are retried with capped exponential backoff; a rejected credential fails
// at once with ErrUnauthorized.
package line
