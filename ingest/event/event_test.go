package event

import (
	stdjson "encoding/json"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestDecodeValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" = valid; otherwise the exact error text
	}{
		{"minimal delivery", `{"event_id":"e1","type":"message.delivered","ts":"2026-11-21T10:00:00.123+08:00","channel":{"type":"line","id":"U1"},"contact":{"channel_user_id":"u1"},"source":{"kind":"broadcast","id":"b1"}}`, ""},
		{"unix millis", `{"event_id":"e1","type":"broadcast.started","ts":1763700000000}`, ""},
		{"unknown type", `{"event_id":"e1","type":"message.exploded","ts":1763700000000}`, `invalid event: type: unknown event type "message.exploded"`},
		{"missing everything", `{}`, `invalid event: event_id: is required; ts: is required; type: is required`},
		{"bad time", `{"event_id":"e1","type":"broadcast.started","ts":"yesterday"}`, `invalid event: ts: must be an RFC 3339 time or Unix milliseconds`},
		{"wrong type for event_id", `{"event_id":12,"type":"broadcast.started","ts":1763700000000}`, `invalid event: event_id: must be a string, got a number`},
		{"future", `{"event_id":"e1","type":"broadcast.started","ts":"2026-11-23T12:00:00Z"}`, `invalid event: ts: is more than 24h in the future`},
		{"contact needs channel", `{"event_id":"e1","type":"message.read","ts":1763700000000,"contact":{"channel_user_id":"u"}}`, `invalid event: channel.id: is required; channel.type: is required`},
		{"unknown channel", `{"event_id":"e1","type":"message.read","ts":1763700000000,"channel":{"type":"fax","id":"1"},"contact":{"channel_user_id":"u"}}`, `invalid event: channel.type: unknown channel type "fax" (line, facebook, instagram, whatsapp, web, wechat, sms)`},
		{"button kind", `{"event_id":"e1","type":"button.clicked","ts":1763700000000,"channel":{"type":"line","id":"1"},"contact":{"channel_user_id":"u"},"props":{"button_kind":"laser"}}`, `invalid event: props.button_kind: unknown button kind "laser" (url, module, text_link, reply)`},
		{"order", `{"event_id":"e1","type":"order.placed","ts":1763700000000,"props":{"member_id":"m1","order_id":"o1","amount":"12.50","currency":"TWD"}}`, ""},
		{"order bad amount", `{"event_id":"e1","type":"order.placed","ts":1763700000000,"props":{"member_id":"m1","order_id":"o1","amount":"12.12345","currency":"TWD"}}`, `invalid event: props.amount: must be a decimal number with at most 4 decimals`},
		{"order no party", `{"event_id":"e1","type":"order.placed","ts":1763700000000,"props":{"order_id":"o1","amount":1,"currency":"twd"}}`, `invalid event: contact.channel_user_id: is required unless props.member_id is set; props.currency: must be a 3-letter ISO 4217 code such as TWD`},
		{"props not object", `{"event_id":"e1","type":"broadcast.started","ts":1763700000000,"props":[1]}`, `invalid event: props: must be a JSON object`},
		{"broadcast source needs id", `{"event_id":"e1","type":"message.sent","ts":1763700000000,"channel":{"type":"line","id":"1"},"contact":{"channel_user_id":"u"},"source":{"kind":"broadcast"}}`, `invalid event: source.id: is required when source.kind is broadcast`},
		{"not an object", `[1,2]`, `invalid event: record must be a JSON object`},
		{"malformed", `{"event_id":"e1",`, "malformed"},
		{"failed needs reason", `{"event_id":"e1","type":"message.failed","ts":1763700000000,"channel":{"type":"whatsapp","id":"1"},"contact":{"channel_user_id":"u"}}`, `invalid event: props.reason: is required for message.failed`},
		{"omnilink reason", `{"event_id":"e1","type":"omnilink.failed","ts":1763700000000,"channel":{"type":"line","id":"1"},"contact":{"channel_user_id":"u"},"props":{"campaign":"c","reason":"bored"}}`, `invalid event: props.reason: unknown OmniLink failure reason "bored"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Decode([]byte(tc.in))
			if err == nil {
				err = e.Validate(now)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == "malformed":
				if err == nil || !strings.Contains(err.Error(), "malformed JSON") {
					t.Fatalf("want malformed JSON error, got %v", err)
				}
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestRoundTripKeepsUnknownProps(t *testing.T) {
	in := `{"event_id":"e1","team_id":"t1","type":"button.clicked","ts":"2026-11-21T02:00:00.5Z","channel":{"type":"line","id":"C"},"contact":{"channel_user_id":"u"},"source":{"kind":"broadcast","id":"b"},"message_id":"m","props":{"button_kind":"url","url":"https://x.test/a","utm_campaign":"spring","nested":{"a":[1,2]}}}`
	e, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(now); err != nil {
		t.Fatal(err)
	}
	if e.Fields.ButtonKind != "url" || e.Fields.URL != "https://x.test/a" {
		t.Fatalf("fields not decoded: %+v", e.Fields)
	}
	out, err := AppendJSON(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event_id":"e1","team_id":"t1","type":"button.clicked","ts":"2026-11-21T02:00:00.500Z","channel":{"type":"line","id":"C"},"contact":{"channel_user_id":"u"},"source":{"kind":"broadcast","id":"b"},"message_id":"m","props":{"button_kind":"url","url":"https://x.test/a","utm_campaign":"spring","nested":{"a":[1,2]}}}`
	if string(out) != want {
		t.Fatalf("wire form\n got: %s\nwant: %s", out, want)
	}
	back, err := Decode(out)
	if err != nil || back.TS != e.TS || back.Fields.URL != e.Fields.URL {
		t.Fatalf("second decode: %v %+v", err, back)
	}
}

func TestOmitEmptyParts(t *testing.T) {
	e := Event{EventID: "e", Type: BroadcastStarted, TS: MilliTime(time.UnixMilli(1763700000000))}
	out, err := AppendJSON(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"event_id":"e","type":"broadcast.started","ts":"2025-11-21T04:40:00.000Z"}`; string(out) != want {
		t.Fatalf("got %s want %s", out, want)
	}
}

func TestAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		str  string
		err  bool
	}{
		{"0", 0, "0", false}, {"12", 120000, "12", false}, {"12.5", 125000, "12.5", false},
		{"-0.0001", -1, "-0.0001", false}, {"1234.5678", 12345678, "1234.5678", false},
		{"1.23456", 0, "", true}, {"abc", 0, "", true}, {"", 0, "", true}, {"1e5", 0, "", true},
		{".5", 0, "", true}, {"5.", 0, "", true}, {"999999999999999999", 0, "", true},
	}
	for _, tc := range tests {
		got, err := ParseAmount(tc.in)
		if (err != nil) != tc.err {
			t.Fatalf("ParseAmount(%q) err = %v", tc.in, err)
		}
		if !tc.err && (got != tc.want || got.String() != tc.str) {
			t.Fatalf("ParseAmount(%q) = %d (%s), want %d (%s)", tc.in, got, got, tc.want, tc.str)
		}
	}
}

func TestDecodeBatch(t *testing.T) {
	recs, err := DecodeBatch([]byte(" [ {\"a\":1}, {\"b\":2} ] "))
	if err != nil || len(recs) != 2 || string(recs[1]) != `{"b":2}` {
		t.Fatalf("array: %v %q", err, recs)
	}
	recs, err = DecodeBatch([]byte("{\"a\":1}\n\n{\"b\":2}\r\n"))
	if err != nil || len(recs) != 2 || string(recs[1]) != `{"b":2}` {
		t.Fatalf("ndjson: %v %q", err, recs)
	}
	_, err = DecodeBatch([]byte("{\"a\":1}\n{\"b\":"))
	if err == nil || err.Error() != "line 2 is not a valid JSON object" {
		t.Fatalf("bad ndjson: %v", err)
	}
	_, err = DecodeBatch([]byte("  "))
	if err == nil || !strings.Contains(err.Error(), "body is empty") {
		t.Fatalf("empty: %v", err)
	}
	_, err = DecodeBatch([]byte("[{\"a\":1},"))
	if err == nil || !strings.HasPrefix(err.Error(), "body is not a valid JSON array") {
		t.Fatalf("bad array: %v", err)
	}
}

func TestEveryTypeKnown(t *testing.T) {
	if len(Types()) != 28 {
		t.Fatalf("catalogue has %d types", len(Types()))
	}
	for _, ty := range Types() {
		if !ty.Known() {
			t.Fatalf("%s not known", ty)
		}
	}
}

func jsonValid(b []byte) bool { return stdjson.Valid(b) }
