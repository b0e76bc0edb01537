package normalize

import (
	"fmt"
	"strings"
	"unicode"
)

// junkValues are placeholders that never identify anyone, whatever the kind
// of identifier, compared trimmed and lower-cased.
var junkValues = map[string]bool{
	"": true, "0": true, "-1": true, "-": true, "--": true, ".": true, "_": true, "?": true,
	"null": true, "nil": true, "none": true, "undefined": true, "nan": true, "false": true, "true": true,
	"n/a": true, "na": true, "unknown": true, "test": true, "testing": true, "xxx": true, "empty": true,
	"無": true, "无": true, "空": true, "沒有": true, "没有": true,
}

// junkEmailLocals are local parts that are placeholders at any domain.
var junkEmailLocals = map[string]bool{
	"test": true, "none": true, "null": true, "noemail": true, "no-email": true, "no_email": true,
	"nomail": true, "no": true, "noreply": true, "no-reply": true, "donotreply": true,
	"example": true, "email": true, "user": true, "xxx": true, "na": true, "n/a": true, "abc": true,
}

// junkEmailDomains are domains that never receive real customer mail.
var junkEmailDomains = map[string]bool{
	"test.com": true, "example.com": true, "example.org": true, "example.net": true, "example": true,
	"email.test": true, "domain.com": true, "xxx.com": true, "none.com": true, "noemail.com": true,
	"localhost": true, "invalid": true, "test": true,
}

// JunkValue reports whether raw is a placeholder for any kind of identifier:
// empty, "null", "undefined", "0", "N/A", … (trimmed, case-insensitive).
func JunkValue(raw string) bool {
	return junkValues[strings.ToLower(strings.TrimFunc(raw, unicode.IsSpace))]
}

// JunkPhone reports whether a normalized phone is a placeholder: its national
// part is one repeated digit ("0000000000", "886911111111"), a run such as
// "123456789", or too short to dial.
func JunkPhone(intl string) bool {
	nsn := intl
	if r, ok := byCC(intl); ok {
		nsn = intl[len(r.cc):]
		if len(nsn) < r.min {
			return true
		}
	}
	if len(nsn) < 6 {
		return true
	}
	if strings.Count(nsn, nsn[:1]) == len(nsn) {
		return true
	}
	// Strip a leading mobile prefix digit ("9" in TW, "1" in MY) before
	// looking at the rest, so "0911111111" counts as repeated too.
	if rest := nsn[1:]; strings.Count(rest, rest[:1]) == len(rest) {
		return true
	}
	return strings.Contains("01234567890123456789", nsn) || strings.Contains("98765432109876543210", nsn) ||
		strings.Contains("01234567890", nsn[1:]) && len(nsn) > 7
}

// JunkEmail reports whether a normalized email is a placeholder such as
// test@test.com, anything@example.com or noemail@gmail.com.
func JunkEmail(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return true
	}
	local, domain := email[:at], email[at+1:]
	if junkEmailLocals[local] || junkEmailDomains[domain] || junkValues[local] {
		return true
	}
	// a@a.com, test@test.com, xx@xx.xx: the local part repeats the domain's
	// first label.
	if label, _, _ := strings.Cut(domain, "."); label == local && len(local) <= 4 {
		return true
	}
	return false
}

// Normalizer normalizes the identifiers of one team: its region for national
// phone numbers, the built-in junk rules and the team's own junk list. It is
// immutable and safe for concurrent use.
type Normalizer struct {
	region string
	junk   map[string]bool // team junk: raw (trimmed, lower-cased) and normalized forms
}

// New returns the normalizer of a team in region (ISO 3166-1 alpha-2, ""
// for international forms only) with extra junk values: each is refused as
// given (trimmed, case-insensitive) and, when it reads as a phone or email,
// in normalized form too ("0912345678" also refuses "+886 912 345 678").
func New(region string, junk []string) (*Normalizer, error) {
	if !KnownRegion(region) {
		return nil, fmt.Errorf("normalize: unknown region %q (known: TW, HK, SG, MY, MO, CN, JP, TH, ID, PH, VN, US, GB, AU)", region)
	}
	n := &Normalizer{region: region, junk: make(map[string]bool, 2*len(junk))}
	for _, j := range junk {
		n.junk[strings.ToLower(strings.TrimFunc(j, unicode.IsSpace))] = true
		if p, ok := Phone(j, region); ok {
			n.junk[p] = true
		}
		if e, ok := Email(j); ok {
			n.junk[e] = true
		}
	}
	return n, nil
}

// Region is the team's region.
func (n *Normalizer) Region() string { return n.region }

func (n *Normalizer) teamJunk(raw, normalized string) bool {
	if len(n.junk) == 0 {
		return false
	}
	return n.junk[normalized] || n.junk[strings.ToLower(strings.TrimFunc(raw, unicode.IsSpace))]
}

// Phone normalizes raw in the team's region; ok is false for malformed and
// junk numbers.
func (n *Normalizer) Phone(raw string) (string, bool) {
	if JunkValue(raw) {
		return "", false
	}
	p, ok := Phone(raw, n.region)
	if !ok || JunkPhone(p) || n.teamJunk(raw, p) {
		return "", false
	}
	return p, true
}

// Email normalizes raw; ok is false for malformed and junk addresses.
func (n *Normalizer) Email(raw string) (string, bool) {
	if JunkValue(raw) {
		return "", false
	}
	e, ok := Email(raw)
	if !ok || JunkEmail(e) || n.teamJunk(raw, e) {
		return "", false
	}
	return e, true
}

// MemberID trims a member id; ok is false for junk ids. Member ids are the
// brand's own keys: their case is kept.
func (n *Normalizer) MemberID(raw string) (string, bool) {
	m := strings.TrimFunc(raw, unicode.IsSpace)
	if JunkValue(m) || n.teamJunk(raw, m) || strings.Count(m, "0") == len(m) {
		return "", false
	}
	return m, true
}
