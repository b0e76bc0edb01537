package identity

import "testing"

func TestSmoke(t *testing.T) {
	g := newTestGraph(t)
	outs := apply(t, g,
		ev{typ: "message.inbound", who: "line:L1:U1", min: 1},
		ev{typ: "identity.bind", who: "line:L1:U1", min: 2, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "facebook:P1:F1", min: 3, member: "M1", method: "social"},
		ev{typ: "identity.bind", who: "instagram:I1:G1", min: 4, member: "M2", method: "social"},
		ev{typ: "omnilink.succeeded", who: "instagram:I1:G1", min: 5, target: "line:L1:U1"},
	)
	for i, o := range outs {
		t.Logf("%d: %+v", i, o)
	}
	a, b, c := lookup(t, g, "acme", "line:L1:U1"), lookup(t, g, "acme", "facebook:P1:F1"), lookup(t, g, "acme", "instagram:I1:G1")
	if a != b || a == c {
		t.Fatalf("grouping: %s %s %s", a, b, c)
	}
	if outs[4].Failed() != ReasonMemberIDConflict {
		t.Fatalf("omnilink: %+v", outs[4])
	}
	p, _ := g.Customer("acme", MemberRef("M1"))
	t.Logf("%+v", p)
	d := g.Deltas()
	g2 := newTestGraph(t)
	for _, x := range d {
		if err := g2.Load(x.Key, x.Value); err != nil {
			t.Fatal(err)
		}
	}
	if lookup(t, g2, "acme", "facebook:P1:F1") != b || lookup(t, g2, "acme", "instagram:I1:G1") != c {
		t.Fatal("rebuild")
	}
}
