package event

import (
	"testing"
)

// FuzzDecode checks that any input either fails with Invalid naming a field
// or decodes into an event; a valid event's wire form decodes to the same event.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"event_id":"e1","type":"message.delivered","ts":"2026-11-21T10:00:00.123+08:00","channel":{"type":"line","id":"U1"},"contact":{"channel_user_id":"u1"},"source":{"kind":"broadcast","id":"b1"}}`))
	f.Add([]byte(`{"event_id":"e1","type":"order.placed","ts":1763700000000,"props":{"member_id":"m1","order_id":"o1","amount":"12.50","currency":"TWD","x":[1,{"y":null}]}}`))
	f.Add([]byte(`{"event_id":"\u00e9\"","type":"tag.added","ts":0,"props":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			if _, ok := err.(Invalid); !ok {
				t.Fatalf("error is %T, not Invalid: %v", err, err)
			}
			return
		}
		if e.Validate(now) != nil {
			return
		}
		out, err := AppendJSON(nil, &e)
		if err != nil {
			return // props that are not valid JSON on their own are refused on encode
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		out2, _ := AppendJSON(nil, &back)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzDecodeBatch checks that any request body either is refused with a
// message or splits into records that are each valid JSON.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`[{"a":1},{"b":2}]`))
	f.Add([]byte("{\"a\":1}\n\n{\"b\":[1,2]}\r\n"))
	f.Add([]byte("[]"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := DecodeBatch(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for i, r := range recs {
			if !jsonValid(r) {
				t.Fatalf("record %d is not valid JSON: %q", i, r)
			}
		}
	})
}
