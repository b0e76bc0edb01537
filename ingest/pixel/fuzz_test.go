package pixel

import "testing"

// FuzzBuild checks that any report body is either refused with a field
// message or becomes an event that validates.
func FuzzBuild(f *testing.F) {
	f.Add([]byte(pageview))
	f.Add([]byte(order))
	f.Add([]byte(`{"type":"order","visitor_id":"abcdefgh","order_id":-1,"amount":1e3,"currency":"usd"}`))
	h := newHandler(f, &recorder{})
	s := testSites[siteKey]
	f.Fuzz(func(t *testing.T, body []byte) {
		e, p := h.build(&s, siteKey, body)
		if p != nil {
			if p.message == "" || p.status == 0 {
				t.Fatalf("refusal without a message: %+v", p)
			}
			return
		}
		if err := e.Validate(testNow); err != nil {
			t.Fatalf("accepted an invalid event: %v", err)
		}
	})
}
