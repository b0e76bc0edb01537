package meta

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Meta's published examples (Customer File Custom Audiences, "Hashing"):
// hash("sha256", "mary@example.com") and hash("sha256", "15559876543").
const (
	maryHash  = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
	phoneHash = "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"
)

func TestPublishedVectors(t *testing.T) {
	for _, raw := range []string{"mary@example.com", "  Mary@Example.COM\t", "MARY@EXAMPLE.COM"} {
		if got, ok := HashEmail(raw); !ok || got != maryHash {
			t.Errorf("HashEmail(%q) = %s, %v; want %s", raw, got, ok, maryHash)
		}
	}
	for _, raw := range []string{"15559876543", "+1 (555) 987-6543", "001-555-987-6543", "1.555.987.6543", "+1 555 987 6543 ext"} {
		if got, ok := HashPhone(raw); !ok || got != phoneHash {
			t.Errorf("HashPhone(%q) = %s, %v; want %s", raw, got, ok, phoneHash)
		}
	}
}

func TestNormalize(t *testing.T) {
	for raw, want := range map[string]string{
		"mary@example.com":     "mary@example.com",
		" Mary.Jones@Ex.COM ":  "mary.jones@ex.com",
		"not-an-email":         "",
		"a@b@c":                "",
		"@example.com":         "",
		"mary@":                "",
		"mary jones@example.c": "",
		"":                     "",
	} {
		got, ok := NormalizeEmail(raw)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for raw, want := range map[string]string{
		"+886 911-223-344": "886911223344",
		"00886911223344":   "886911223344",
		"(852) 9112 2333":  "85291122333",
		"＋８８６９１１２２３３４４":    "886911223344",
		"12345":            "",
		"1234567890123456": "",
		"phone":            "",
	} {
		got, ok := NormalizePhone(raw)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	if IsHash(strings.ToUpper(maryHash)) || IsHash(maryHash[:63]) || !IsHash(maryHash) {
		t.Error("IsHash accepts only 64 lower-case hex digits")
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"mary@example.com", " A@B.C ", "@", "x@y@z", "é@ü.de", "\u3000a@b.c\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, ok := NormalizeEmail(raw)
		if !ok {
			return
		}
		if again, ok2 := NormalizeEmail(n); !ok2 || again != n {
			t.Fatalf("not idempotent: %q → %q → %q", raw, n, again)
		}
		if strings.Count(n, "@") != 1 || strings.TrimSpace(n) != n || (utf8.ValidString(raw) && strings.ToLower(n) != n) {
			t.Fatalf("%q normalized to %q", raw, n)
		}
		if h, _ := HashEmail(raw); !IsHash(h) {
			t.Fatalf("hash %q", h)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+1 (555) 987-6543", "00886911223344", "0", "", "٠١٢٣٤٥٦٧٨٩", "１２３４５６７８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, ok := NormalizePhone(raw)
		if !ok {
			return
		}
		if again, ok2 := NormalizePhone(n); !ok2 || again != n {
			t.Fatalf("not idempotent: %q → %q → %q", raw, n, again)
		}
		if len(n) < 7 || len(n) > 15 || n[0] == '0' || strings.Trim(n, "0123456789") != "" {
			t.Fatalf("%q normalized to %q", raw, n)
		}
	})
}
