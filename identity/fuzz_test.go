package identity

import (
	"testing"
)

// FuzzLoad feeds arbitrary changelog records to Load after a valid prefix:
// Load must refuse or accept without panicking, and the graph must still
// settle and answer.
func FuzzLoad(f *testing.F) {
	g := New(testConfig(), nil)
	for _, x := range []ev{
		{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", phone: "0911223344", method: "social"},
		{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M1", email: "a@mail.tw", method: "email"},
		{typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 3, target: "instagram:I1:G1"},
		{typ: "order.placed", min: 4, member: "M2"},
	} {
		if _, err := g.Apply(x.event()); err != nil {
			f.Fatal(err)
		}
	}
	prefix := g.Deltas()
	for _, d := range prefix {
		f.Add(d.Key, d.Value)
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		g := New(testConfig(), nil)
		for _, d := range prefix {
			if err := g.Load(d.Key, d.Value); err != nil {
				t.Fatal(err)
			}
		}
		_ = g.Load(key, value)
		g.Lookup("acme", "line", "L1", "U1")
		g.Customer("acme", MemberRef("M1"))
		for _, d := range g.Deltas() {
			_ = d
		}
		if _, err := g.Apply(ev{typ: "identity.bind", who: "line:L1:U9", min: 9, member: "M1", method: "social"}.event()); err != nil {
			t.Fatal(err)
		}
	})
}
