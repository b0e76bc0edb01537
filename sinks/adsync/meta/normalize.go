package meta

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// NormalizeEmail applies Meta's customer-file rule for EMAIL: trim leading
// and trailing white space and lower-case every character. It reports false
// for a value that is not an address (no single @ between two parts).
func NormalizeEmail(raw string) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(raw))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || strings.ContainsFunc(e, unicode.IsSpace) {
		return "", false
	}
	return e, true
}

// NormalizePhone applies Meta's customer-file rule for PHONE: remove
// symbols, letters and any leading zeros, keeping the digits of a number
// that already carries its country code ("+1 (555) 987-6543" →
// "15559876543", "00886 911 223 344" → "886911223344"). Numbers in national
// form must be made international first (identity/normalize does it with
// the team's region). It reports false when fewer than 7 or more than 15
// digits remain (E.164 allows at most 15).
func NormalizePhone(raw string) (string, bool) {
	var b strings.Builder
	for _, r := range raw {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r >= '０' && r <= '９' { // full-width digits, common in CJK input
			b.WriteRune('0' + (r - '０'))
		}
	}
	d := strings.TrimLeft(b.String(), "0")
	if len(d) < 7 || len(d) > 15 {
		return "", false
	}
	return d, true
}

// Hash is the lower-case hex SHA-256 of a normalized value.
func Hash(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}

// HashEmail normalizes and hashes an email; false if it is not one.
func HashEmail(raw string) (string, bool) {
	n, ok := NormalizeEmail(raw)
	if !ok {
		return "", false
	}
	return Hash(n), true
}

// HashPhone normalizes and hashes a phone; false if it is not one.
func HashPhone(raw string) (string, bool) {
	n, ok := NormalizePhone(raw)
	if !ok {
		return "", false
	}
	return Hash(n), true
}

// IsHash reports whether s is a lower-case hex SHA-256, the only form
// hashed keys may take.
func IsHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
