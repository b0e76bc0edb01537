package hook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

func TestRecentEvictsOldest(t *testing.T) {
	r := NewRecent(2)
	r.Add("a", "b")
	r.Add("a") // already present: no eviction
	if !r.Contains("a") || !r.Contains("b") {
		t.Fatal("lost an id below capacity")
	}
	r.Add("c")
	if r.Contains("a") || !r.Contains("b") || !r.Contains("c") {
		t.Fatal("did not evict the oldest")
	}
	var disabled *Recent
	disabled.Add("x")
	if disabled.Contains("x") || NewRecent(0).Contains("x") {
		t.Fatal("a disabled cache remembered")
	}
}

func TestID(t *testing.T) {
	if ID("line", "ab", "c") == ID("line", "a", "bc") {
		t.Fatal("parts are not delimited")
	}
	if ID("line", "x") != ID("line", "x") || ID("line", "x") == ID("meta", "x") {
		t.Fatal("id not deterministic or not namespaced")
	}
	if id := ID("whatsapp", strings.Repeat("p", 1000)); len(id) > event.MaxIDLen || !strings.HasPrefix(id, "whatsapp-") {
		t.Fatalf("id %q", id)
	}
}

func TestUnixTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{`1625665242211`, time.UnixMilli(1625665242211).UTC(), true},
		{`"1749416383"`, time.Unix(1749416383, 0).UTC(), true},
		{`1527459824`, time.Unix(1527459824, 0).UTC(), true},
		{`"yesterday"`, time.Time{}, false},
		{`-5`, time.Time{}, false},
		{`1.5`, time.Time{}, false},
		{``, time.Time{}, false},
		{`null`, time.Time{}, false},
		{`"99999999999999999999"`, time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := UnixTime(json.RawMessage(tc.in))
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("UnixTime(%s) = %v, %v", tc.in, got, err)
		}
	}
}

func TestProps(t *testing.T) {
	wm := event.MilliTime(time.UnixMilli(1458668856253))
	p, err := Props(&event.Fields{Kind: "text", Watermark: &wm},
		KV{Key: "empty", Value: ""}, KV{Key: "no", Value: false}, KV{Key: "nil", Value: nil},
		KV{Key: "raw", Value: json.RawMessage(`{"a":1}`)}, KV{Key: "n", Value: 2}, KV{Key: "s", Value: "<x>"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"watermark":"2016-03-22T17:47:36.253Z","kind":"text","raw":{"a":1},"n":2,"s":"\u003cx\u003e"}`
	if string(p) != want {
		t.Fatalf("props\n got %s\nwant %s", p, want)
	}
	e := event.Event{}
	if err := Build(&e, event.Fields{}); err != nil || e.Props != nil {
		t.Fatalf("empty props must be omitted, got %s", e.Props)
	}
}

func TestVerifyHub(t *testing.T) {
	body := []byte(`{"object":"page","entry":[]}`)
	// Independent: printf '%s' '{"object":"page","entry":[]}' | openssl dgst -sha256 -hmac app-secret
	const want = "sha256=e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438"
	sig := SignHub("app-secret", body)
	if sig != want || !VerifyHub("app-secret", body, want) {
		t.Fatalf("signature %s, want %s", sig, want)
	}
	for _, bad := range []string{"", "sha256=", "sha1=" + sig[7:], sig[:len(sig)-1], sig + "00"} {
		if VerifyHub("app-secret", body, bad) {
			t.Errorf("accepted %q", bad)
		}
	}
	if VerifyHub("", body, SignHub("", body)) {
		t.Fatal("an empty secret must never verify")
	}
}

func TestHandshakeRefusesLongChallenge(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?hub.mode=subscribe&hub.verify_token=t&hub.challenge="+strings.Repeat("9", 300), nil)
	w := httptest.NewRecorder()
	if Handshake(w, r, "t") || w.Code != http.StatusForbidden {
		t.Fatalf("long challenge echoed: %d", w.Code)
	}
}
