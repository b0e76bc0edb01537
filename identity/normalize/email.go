package normalize

import (
	"strings"
	"unicode"
)

// maxEmail is the longest address accepted (RFC 5321 path limit).
const maxEmail = 254

// Email trims surrounding white space and lower-cases the address. ok is false
// when the result is not shaped like an address: one "@", a non-empty local
// part, a dotted domain, no white space or control characters.
func Email(raw string) (string, bool) {
	s := strings.TrimFunc(raw, unicode.IsSpace)
	if s == "" || len(s) > maxEmail {
		return "", false
	}
	s = strings.ToLower(s)
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return "", false
	}
	domain := s[at+1:]
	if len(domain) < 3 || !strings.Contains(domain, ".") || domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, "..") {
		return "", false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' || r == unicode.ReplacementChar {
			return "", false
		}
	}
	return s, true
}
