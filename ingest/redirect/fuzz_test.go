package redirect

import (
	"encoding/base64"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary tokens to Verify: it must not panic, and what
// it accepts must carry an http(s) target and re-encode to the same payload.
func FuzzVerify(f *testing.F) {
	l := sampleLink()
	f.Add(forge(keyNew, l))
	l.Target = "javascript:alert(1)"
	f.Add(forge(keyNew, l))
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := Verify([]Key{keyNew, keyOld}, token, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		if checkTarget(got.Target) != nil {
			t.Fatalf("accepted target %q", got.Target)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		if string(encode(&got)) != string(raw[:len(raw)-tagLen]) {
			t.Fatal("accepted token does not re-encode to its payload")
		}
	})
}

// FuzzDecode feeds arbitrary payloads to the decoder behind the tag check.
func FuzzDecode(f *testing.F) {
	l := sampleLink()
	f.Add(encode(&l))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := decode(payload)
		if err != nil {
			return
		}
		again, err := decode(encode(&got))
		if err != nil || again != got {
			t.Fatalf("decode(encode(x)) != x: %+v vs %+v (%v)", again, got, err)
		}
	})
}
