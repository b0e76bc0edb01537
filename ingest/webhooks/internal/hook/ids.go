package hook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

// ID derives a deterministic event id from the natural key of a platform
// item: source, then the parts (channel, platform ids, canonical type, …).
// The same item redelivered gets the same id, so the pipeline's event_id
// deduplication absorbs redeliveries. Parts are length-prefixed before
// hashing so ("ab","c") and ("a","bc") differ. The id is the source followed
// by 128 bits of SHA-256 in hex: 37 to 45 bytes, well under event.MaxIDLen.
func ID(source string, parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{source}, parts...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return source + "-" + hex.EncodeToString(sum[:16])
}

// ShortID returns id unchanged when it fits event.MaxIDLen, and otherwise a
// stable digest "sha256:" + 40 hex digits. Platform message ids longer than
// the envelope allows (Instagram mids can be) are carried this way; senders
// that record message.sent must apply the same function so the ids join.
func ShortID(id string) string {
	if len(id) <= event.MaxIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:20])
}

var errBadUnix = errors.New("must be Unix seconds or milliseconds, as a number or a string of digits")

// UnixTime parses a platform timestamp: a JSON number or string of digits,
// in seconds (10 digits or fewer) or milliseconds (more). Meta sends both.
func UnixTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, errors.New("is missing")
	}
	if s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return time.Time{}, errBadUnix
		}
		s = u
	}
	if s == "" || len(s) > 16 {
		return time.Time{}, errBadUnix
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, errBadUnix
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errBadUnix
	}
	if len(s) <= 10 {
		return time.Unix(v, 0).UTC(), nil
	}
	return time.UnixMilli(v).UTC(), nil
}
