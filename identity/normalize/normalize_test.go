package normalize

import "testing"

func TestPhone(t *testing.T) {
	tests := []struct {
		name, raw, region, want string // want "" means refused
	}{
		// Taiwan
		{"tw mobile national", "0911223344", "TW", "886911223344"},
		{"tw mobile dashes", "0911-223-344", "TW", "886911223344"},
		{"tw plus spaced", "+886 911-223-344", "TW", "886911223344"},
		{"tw plus with trunk zero", "+886 0911 223 344", "TW", "886911223344"},
		{"tw 00 prefix", "00886911223344", "TW", "886911223344"},
		{"tw 002 prefix", "002886911223344", "TW", "886911223344"},
		{"tw no plus", "886911223344", "TW", "886911223344"},
		{"tw taipei landline", "(02) 2345 6789", "TW", "886223456789"},
		{"tw taichung landline", "04-2234-5678", "TW", "886422345678"},
		{"tw full-width digits", "０９１１２２３３４４", "TW", "886911223344"},
		{"tw extension dropped", "02-2345-6789 ext. 123", "TW", "886223456789"},
		{"tw extension hash", "02-2345-6789#123", "TW", "886223456789"},
		{"tw national without trunk", "911223344", "TW", "886911223344"},
		{"tw too short", "091122", "TW", ""},
		{"tw too long", "09112233445566", "TW", ""},
		{"tw hk number in tw team", "+852 9112 2333", "TW", "85291122333"},
		{"tw sg number without plus", "6591234567", "TW", "6591234567"},
		// Hong Kong
		{"hk national", "91122333", "HK", "85291122333"},
		{"hk spaced", "9112 2333", "HK", "85291122333"},
		{"hk plus", "+852 9112 2333", "HK", "85291122333"},
		{"hk no plus", "85291122333", "HK", "85291122333"},
		{"hk 001 prefix", "00185291122333", "HK", "85291122333"},
		{"hk tw mobile with plus", "+886911223344", "HK", "886911223344"},
		{"hk tw mobile without plus", "886911223344", "HK", "886911223344"},
		{"hk national starting 852", "85212345", "HK", "85285212345"},
		{"hk seven digits", "9112233", "HK", ""},
		// Singapore
		{"sg mobile", "9123 4567", "SG", "6591234567"},
		{"sg plus", "+65 9123 4567", "SG", "6591234567"},
		{"sg no plus", "6591234567", "SG", "6591234567"},
		{"sg landline", "6123 4567", "SG", "6561234567"},
		{"sg 001 prefix", "001 65 9123 4567", "SG", "6591234567"},
		// Malaysia
		{"my mobile", "012-345 6789", "MY", "60123456789"},
		{"my mobile 11", "011-2345 6789", "MY", "601123456789"},
		{"my kl landline", "03-2345 6789", "MY", "60323456789"},
		{"my plus", "+60 12-345 6789", "MY", "60123456789"},
		{"my plus trunk", "+60 012-345 6789", "MY", "60123456789"},
		{"my no plus", "60123456789", "MY", "60123456789"},
		{"my 00 prefix", "0060123456789", "MY", "60123456789"},
		// No region: international forms only
		{"no region plus", "+886911223344", "", "886911223344"},
		{"no region 00", "0085291122333", "", "85291122333"},
		{"no region known cc", "886911223344", "", "886911223344"},
		{"no region national", "0911223344", "", ""},
		{"no region unknown cc plus", "+49 151 1234 5678", "", "4915112345678"},
		// Malformed
		{"letters", "0911abc344", "TW", ""},
		{"empty", "", "TW", ""},
		{"only separators", " - ( ) ", "TW", ""},
		{"two plus", "++886911223344", "TW", ""},
		{"plus in the middle", "0911+223344", "TW", ""},
		{"too long intl", "+8869112233445566", "TW", ""},
		{"leading extension", "#123", "TW", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Phone(tt.raw, tt.region)
			if tt.want == "" {
				if ok {
					t.Fatalf("Phone(%q, %q) = %q, want refused", tt.raw, tt.region, got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("Phone(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, ok, tt.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"  Alice@Example.COM.tw ", "alice@example.com.tw"},
		{"bob.smith+tag@Gmail.com", "bob.smith+tag@gmail.com"},
		{"\u3000Carol@Yahoo.com.tw\t", "carol@yahoo.com.tw"},
		{"", ""},
		{"no-at-sign", ""},
		{"@gmail.com", ""},
		{"a@@gmail.com", ""},
		{"a@b@gmail.com", ""},
		{"dave@localhost", ""},
		{"dave@.com", ""},
		{"dave@gmail..com", ""},
		{"dave smith@gmail.com", ""},
		{"<dave@gmail.com>", ""},
	}
	for _, tt := range tests {
		got, ok := Email(tt.raw)
		if tt.want == "" {
			if ok {
				t.Errorf("Email(%q) = %q, want refused", tt.raw, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("Email(%q) = %q, %v; want %q", tt.raw, got, ok, tt.want)
		}
	}
}

func TestNormalizerJunk(t *testing.T) {
	n, err := New("TW", []string{"0922000111", "Shop@Brand.com.tw", "GUEST"})
	if err != nil {
		t.Fatal(err)
	}
	phones := []struct {
		raw  string
		want string
	}{
		{"0911223344", "886911223344"},
		{"null", ""},
		{"undefined", ""},
		{"0", ""},
		{"0000000000", ""},
		{"0911111111", ""},
		{"+886 999 999 999", ""},
		{"0912345678", ""},
		{"1234567890", ""},
		{"0922-000-111", ""},     // team junk, normalized
		{"+886 922 000 111", ""}, // team junk, other spelling
		{"0922000112", "886922000112"},
	}
	for _, p := range phones {
		got, ok := n.Phone(p.raw)
		if (p.want == "") == ok || got != p.want {
			t.Errorf("Phone(%q) = %q, %v; want %q", p.raw, got, ok, p.want)
		}
	}
	emails := []struct{ raw, want string }{
		{"Real.Person@gmail.com", "real.person@gmail.com"},
		{"test@test.com", ""},
		{"TEST@TEST.COM", ""},
		{"anyone@example.com", ""},
		{"noemail@gmail.com", ""},
		{"a@a.com", ""},
		{"null", ""},
		{"shop@brand.com.tw", ""}, // team junk
		{"shop2@brand.com.tw", "shop2@brand.com.tw"},
	}
	for _, e := range emails {
		got, ok := n.Email(e.raw)
		if (e.want == "") == ok || got != e.want {
			t.Errorf("Email(%q) = %q, %v; want %q", e.raw, got, ok, e.want)
		}
	}
	members := []struct{ raw, want string }{
		{" M-001 ", "M-001"},
		{"m-001", "m-001"},
		{"0", ""},
		{"000", ""},
		{"null", ""},
		{"Undefined", ""},
		{"", ""},
		{"guest", ""}, // team junk, case-insensitive
	}
	for _, m := range members {
		got, ok := n.MemberID(m.raw)
		if (m.want == "") == ok || got != m.want {
			t.Errorf("MemberID(%q) = %q, %v; want %q", m.raw, got, ok, m.want)
		}
	}
}

func TestNewUnknownRegion(t *testing.T) {
	if _, err := New("XX", nil); err == nil {
		t.Fatal("New accepted region XX")
	}
	if _, err := New("", nil); err != nil {
		t.Fatalf("New(\"\"): %v", err)
	}
}
