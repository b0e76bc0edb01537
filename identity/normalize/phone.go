package normalize

import (
	"strings"
	"unicode/utf8"
)

// region is what phone normalization needs to know about a country.
type region struct {
	cc    string   // country calling code
	trunk bool     // national numbers are written with a trunk prefix 0
	min   int      // shortest national significant number (after the trunk 0)
	max   int      // longest national significant number
	idd   []string // international dialling prefixes, longest first
}

// regions are the countries whose national numbers Phone understands. A team
// in another country still gets its numbers in international form ("+…",
// "00…") normalized.
var regions = map[string]region{
	"TW": {cc: "886", trunk: true, min: 8, max: 9, idd: []string{"002", "005", "006", "007", "009", "019", "00"}},
	"HK": {cc: "852", min: 8, max: 8, idd: []string{"0060", "0080", "001", "00"}},
	"MO": {cc: "853", min: 8, max: 8, idd: []string{"00"}},
	"SG": {cc: "65", min: 8, max: 8, idd: []string{"001", "002", "008", "018", "019", "00"}},
	"MY": {cc: "60", trunk: true, min: 8, max: 10, idd: []string{"00"}},
	"CN": {cc: "86", trunk: true, min: 10, max: 11, idd: []string{"00"}},
	"JP": {cc: "81", trunk: true, min: 9, max: 10, idd: []string{"010"}},
	"TH": {cc: "66", trunk: true, min: 8, max: 9, idd: []string{"001", "00"}},
	"ID": {cc: "62", trunk: true, min: 8, max: 12, idd: []string{"001", "007", "008", "00"}},
	"PH": {cc: "63", trunk: true, min: 8, max: 10, idd: []string{"00"}},
	"VN": {cc: "84", trunk: true, min: 9, max: 10, idd: []string{"00"}},
	"US": {cc: "1", min: 10, max: 10, idd: []string{"011"}},
	"GB": {cc: "44", trunk: true, min: 9, max: 10, idd: []string{"00"}},
	"AU": {cc: "61", trunk: true, min: 9, max: 9, idd: []string{"0011"}},
}

// KnownRegion reports whether national numbers of region (ISO 3166-1 alpha-2,
// upper case) can be normalized. The empty region is known: it accepts only
// international forms.
func KnownRegion(r string) bool {
	if r == "" {
		return true
	}
	_, ok := regions[r]
	return ok
}

// Regions lists the regions with national-number support.
func Regions() []string {
	out := make([]string, 0, len(regions))
	for r := range regions {
		out = append(out, r)
	}
	return out
}

// byCC finds the region whose calling code prefixes an international number.
// The calling codes of the table are prefix-free, so at most one matches.
func byCC(intl string) (region, bool) {
	for n := 1; n <= 3 && n < len(intl); n++ {
		for _, r := range regions {
			if r.cc == intl[:n] {
				return r, true
			}
		}
	}
	return region{}, false
}

const (
	minIntl = 8  // shortest international number accepted, country code included
	maxIntl = 15 // E.164
)

// Phone normalizes a phone number to international digits with country code
// and no trunk 0, reading national numbers as numbers of region (an ISO
// 3166-1 alpha-2 code such as "TW"; "" accepts international forms only).
// It accepts "+886 911-223-344", "00886911223344", "(02) 2345 6789",
// "0911223344", full-width digits, and a trailing extension, which it drops.
// ok is false for anything that is not a plausible phone number. Phone does
// not judge junk: see Normalizer.
func Phone(raw, regionCode string) (string, bool) {
	digits, plus, ok := scanPhone(raw)
	if !ok || len(digits) == 0 {
		return "", false
	}
	reg, hasRegion := regions[regionCode]
	var intl string
	switch {
	case plus:
		intl = digits
	case hasRegion && strings.HasPrefix(digits, "00"):
		intl, ok = stripIDD(digits, reg)
		if !ok {
			return "", false
		}
	case strings.HasPrefix(digits, "00"):
		intl = digits[2:]
	case hasRegion:
		intl, ok = national(digits, reg)
		if !ok {
			return "", false
		}
	default:
		// No region: only a number that already starts with a known country
		// code can be read.
		if _, known := byCC(digits); !known || len(digits) < 10 {
			return "", false
		}
		intl = digits
	}
	return finish(intl)
}

// finish drops a trunk 0 written after the country code ("+886 0911…") and
// checks the length.
func finish(intl string) (string, bool) {
	if r, ok := byCC(intl); ok && len(intl) > len(r.cc) && intl[len(r.cc)] == '0' {
		// National significant numbers of the known countries never start
		// with 0: one 0 is a trunk prefix written by mistake, two are junk.
		if !r.trunk || len(intl) > len(r.cc)+1 && intl[len(r.cc)+1] == '0' {
			return "", false
		}
		intl = r.cc + intl[len(r.cc)+1:]
	}
	if len(intl) < minIntl || len(intl) > maxIntl || intl[0] == '0' {
		return "", false
	}
	return intl, true
}

// stripIDD removes an international dialling prefix of the region, preferring
// the reading whose remainder starts with a known country code.
func stripIDD(digits string, reg region) (string, bool) {
	for _, p := range reg.idd {
		if rest, ok := strings.CutPrefix(digits, p); ok && len(rest) >= minIntl {
			if _, known := byCC(rest); known {
				return rest, true
			}
		}
	}
	if rest := digits[2:]; len(rest) >= minIntl {
		return rest, true
	}
	return "", false
}

// national reads digits written without "+" or an international prefix.
func national(d string, reg region) (string, bool) {
	if reg.trunk && d[0] == '0' {
		nsn := d[1:]
		if len(nsn) >= reg.min && len(nsn) <= reg.max {
			return reg.cc + nsn, true
		}
		return "", false
	}
	// Already international without the "+": the team's own country code
	// followed by a national number of the right length.
	if rest, ok := strings.CutPrefix(d, reg.cc); ok {
		if reg.trunk {
			rest = strings.TrimPrefix(rest, "0")
		}
		if len(rest) >= reg.min && len(rest) <= reg.max {
			return reg.cc + rest, true
		}
	}
	if d[0] != '0' && len(d) >= reg.min && len(d) <= reg.max {
		return reg.cc + d, true
	}
	// Another country's number without the "+".
	if r, ok := byCC(d); ok && r.cc != reg.cc && len(d) >= len(r.cc)+r.min && len(d) <= len(r.cc)+r.max+1 {
		return d, true
	}
	return "", false
}

// scanPhone keeps the digits of raw, noting a leading "+". Separators are
// skipped, an extension ends the number, any other character refuses it.
func scanPhone(raw string) (digits string, plus, ok bool) {
	if len(raw) > 64 {
		return "", false, false
	}
	var b [maxIntl + 8]byte
	n := 0
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		switch {
		case r >= '0' && r <= '9':
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r == '+' || r == '＋':
			if n > 0 || plus {
				return "", false, false
			}
			plus = true
			continue
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' ||
			r == '\t' || r == '\u00a0' || r == '\u3000' || r == '－' || r == '（' || r == '）':
			continue
		case r == '#' || r == 'x' || r == 'X' || r == ',' || r == ';' || r == '轉' || r == '转' ||
			(r == 'e' || r == 'E') && strings.HasPrefix(strings.ToLower(raw[i-size:]), "ext"):
			if n == 0 {
				return "", false, false
			}
			return string(b[:n]), plus, true
		default:
			return "", false, false
		}
		if n == len(b) {
			return "", false, false
		}
		b[n] = byte(r)
		n++
	}
	return string(b[:n]), plus, true
}
