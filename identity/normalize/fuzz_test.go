package normalize

import (
	"strings"
	"testing"
)

// FuzzPhone checks that Phone never panics, returns only digits of E.164
// length without a leading 0, and is idempotent: a normalized number read
// back in international form ("+" + number) is unchanged, in any region.
func FuzzPhone(f *testing.F) {
	for _, s := range []struct{ raw, region string }{
		{"0911223344", "TW"}, {"+886 911-223-344", "TW"}, {"(02) 2345 6789", "TW"}, {"00886911223344", "TW"},
		{"91122333", "HK"}, {"9123 4567", "SG"}, {"012-345 6789", "MY"}, {"+60 012-345 6789", ""},
		{"０９１１２２３３４４", "TW"}, {"02-2345-6789 ext. 12", "TW"},
	} {
		f.Add(s.raw, s.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		p, ok := Phone(raw, region)
		if !ok {
			if p != "" {
				t.Fatalf("refused with value %q", p)
			}
			return
		}
		if len(p) < minIntl || len(p) > maxIntl || p[0] == '0' || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("Phone(%q, %q) = %q: not international digits", raw, region, p)
		}
		for _, r := range []string{"", "TW", "HK", "SG", "MY"} {
			if again, ok := Phone("+"+p, r); !ok || again != p {
				t.Fatalf("Phone(+%s, %q) = %q, %v; not idempotent", p, r, again, ok)
			}
		}
	})
}

// FuzzEmail checks that Email never panics and is idempotent, and that its
// output is lower case without surrounding space.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{" Alice@Example.com ", "a@b.co", "x@@y.z", "\u3000Ｂ@例え.jp", "İ@x.tr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, ok := Email(raw)
		if !ok {
			return
		}
		if e != strings.TrimSpace(e) || strings.ToLower(e) != e {
			t.Fatalf("Email(%q) = %q: not trimmed and lower-cased", raw, e)
		}
		if again, ok := Email(e); !ok || again != e {
			t.Fatalf("Email(%q) = %q, %v; not idempotent", e, again, ok)
		}
	})
}

// FuzzNormalizer checks that the team normalizer never panics and that what
// it accepts is never junk.
func FuzzNormalizer(f *testing.F) {
	f.Add("0911223344", "test@test.com", "null")
	f.Add("0000000000", "Bob@Example.org", " M1 ")
	f.Fuzz(func(t *testing.T, phone, email, member string) {
		n, err := New("TW", []string{"0922000111"})
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := n.Phone(phone); ok && (JunkPhone(p) || p == "886922000111") {
			t.Fatalf("accepted junk phone %q", p)
		}
		if e, ok := n.Email(email); ok && JunkEmail(e) {
			t.Fatalf("accepted junk email %q", e)
		}
		if m, ok := n.MemberID(member); ok && JunkValue(m) {
			t.Fatalf("accepted junk member id %q", m)
		}
	})
}
