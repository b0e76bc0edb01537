package identity

import (
	"slices"
	"testing"
)

// TestGrouping applies event sequences and checks the exact customers: each
// group lists its contacts, anchor first; the customer id must be the
// anchor's, every contact of the events must be in exactly one group.
func TestGrouping(t *testing.T) {
	limit3 := DefaultTeamConfig()
	limit3.MaxContactsPerIdentifier = 3
	syncAll := DefaultTeamConfig()
	syncAll.SyncBy = SyncBy{MemberID: true, Phone: true, Email: true}
	noMemberSync := DefaultTeamConfig()
	noMemberSync.SyncBy = SyncBy{}
	hk := DefaultTeamConfig()
	hk.Region = "HK"
	settings := teamSettingsMap{"limit3": limit3, "sync": syncAll, "nosync": noMemberSync, "hk": hk}

	tests := []struct {
		name    string
		events  []ev
		groups  [][]string // anchor first
		refused []string   // reasons of refused merges, in order
		merges  int        // successful merge records
	}{
		{
			name: "social binding chain across LINE, Facebook, Instagram and web",
			events: []ev{
				{typ: "message.inbound", who: "line:L1:U1", min: 1},
				{typ: "identity.bind", who: "line:L1:U1", min: 2, member: "M1", method: "social"},
				{typ: "message.inbound", who: "facebook:P1:F1", min: 3},
				{typ: "identity.bind", who: "facebook:P1:F1", min: 4, member: "M1", method: "social"},
				{typ: "identity.bind", who: "instagram:I1:G1", min: 5, member: " M1 ", method: "social"},
				{typ: "pixel.pageview", who: "web:W1:V1", min: 6, member: "M1"},
				{typ: "identity.bind", who: "line:L2:U9", min: 7, member: "M9", method: "social"},
			},
			groups: [][]string{{"line:L1:U1", "facebook:P1:F1", "instagram:I1:G1", "web:W1:V1"}, {"line:L2:U9"}},
			merges: 1, // F1 existed before its binding; G1 and V1 were first seen by theirs
		},
		{
			name: "WhatsApp phone, LINE phone binding, OmniLink and member id join one customer",
			events: []ev{
				{typ: "message.inbound", who: "whatsapp:WA1:886911223344", min: 1},
				{typ: "message.inbound", who: "line:L1:U1", min: 2},
				{typ: "identity.bind", who: "line:L1:U1", min: 3, phone: "0911-223-344", method: "phone"},
				{typ: "message.inbound", who: "facebook:P1:F1", min: 4},
				{typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 5, target: "line:L1:U1"},
				{typ: "order.placed", who: "web:W1:V1", min: 6, member: "M1"},
				{typ: "identity.bind", who: "line:L1:U1", min: 7, member: "M1", method: "social"},
			},
			groups: [][]string{{"whatsapp:WA1:886911223344", "line:L1:U1", "facebook:P1:F1", "web:W1:V1"}},
			merges: 3,
		},
		{
			name: "phone binding without a customer holding the phone only records it",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "0922333444", method: "phone"},
				{typ: "contact.created", who: "facebook:P1:F1", min: 2, phone: "0955666777", source: "user"},
			},
			groups: [][]string{{"line:L1:U1"}, {"facebook:P1:F1"}},
		},
		{
			name: "phone binding joins the customer that recorded the phone",
			events: []ev{
				{typ: "contact.created", who: "facebook:P1:F1", min: 1, phone: "+886 922 333 444", source: "user"},
				{typ: "message.inbound", who: "line:L1:U1", min: 2},
				{typ: "identity.bind", who: "line:L1:U1", min: 3, phone: "0922333444", method: "phone"},
				{typ: "identity.bind", who: "line:L2:U2", min: 4, phone: "0922333444", method: "phone"},
			},
			groups: [][]string{{"facebook:P1:F1", "line:L1:U1", "line:L2:U2"}},
			merges: 1,
		},
		{
			name: "recorded phones alone never merge",
			events: []ev{
				{typ: "contact.created", who: "facebook:P1:F1", min: 1, phone: "0922333444", source: "user"},
				{typ: "contact.created", who: "instagram:I1:G1", min: 2, phone: "0922333444", source: "user"},
				{typ: "identity.bind", who: "line:L1:U1", min: 3, member: "M1", phone: "0922333444", method: "social"},
				{typ: "message.inbound", who: "whatsapp:WA1:886922333444", min: 4},
			},
			groups: [][]string{{"facebook:P1:F1"}, {"instagram:I1:G1"}, {"line:L1:U1"}, {"whatsapp:WA1:886922333444"}},
		},
		{
			name: "member id conflict refuses OmniLink and binding",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", method: "social"},
				{typ: "identity.bind", who: "facebook:P1:F1", min: 2, member: "M2", method: "social"},
				{typ: "omnilink.succeeded", who: "facebook:P1:F1", min: 3, target: "line:L1:U1"},
				{typ: "identity.bind", who: "line:L1:U1", min: 4, member: "M2", method: "social"},
				{typ: "identity.bind", who: "instagram:I1:G1", min: 5, member: "M2", method: "social"},
			},
			groups:  [][]string{{"line:L1:U1"}, {"facebook:P1:F1", "instagram:I1:G1"}},
			refused: []string{ReasonMemberIDConflict, ReasonMemberIDConflict},
		},
		{
			name: "phone binding into a customer with another member id is refused",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "M1", phone: "0922333444", method: "social"},
				{typ: "identity.bind", who: "line:L1:U1", min: 2, phone: "0922333444", method: "phone"},
				{typ: "identity.bind", who: "line:L2:U2", min: 3, member: "M2", method: "social"},
				{typ: "identity.bind", who: "line:L2:U2", min: 4, phone: "0922333444", method: "phone"},
			},
			groups:  [][]string{{"line:L1:U1"}, {"line:L2:U2"}},
			refused: []string{ReasonMemberIDConflict},
		},
		{
			name: "hub phone stops merging beyond the limit",
			events: []ev{
				{team: "limit3", typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "0227001234", method: "phone"},
				{team: "limit3", typ: "identity.bind", who: "line:L1:U2", min: 2, phone: "0227001234", method: "phone"},
				{team: "limit3", typ: "identity.bind", who: "line:L1:U3", min: 3, phone: "0227001234", method: "phone"},
				{team: "limit3", typ: "identity.bind", who: "line:L1:U4", min: 4, phone: "0227001234", method: "phone"},
				{team: "limit3", typ: "identity.bind", who: "line:L1:U5", min: 5, phone: "0227001234", method: "phone"},
				{team: "limit3", typ: "identity.bind", who: "line:L1:U5", min: 6, phone: "0227001234", method: "phone"},
			},
			groups:  [][]string{{"line:L1:U1", "line:L1:U2", "line:L1:U3"}, {"line:L1:U4"}, {"line:L1:U5"}},
			refused: []string{ReasonIdentifierLimit, ReasonIdentifierLimit, ReasonIdentifierLimit},
		},
		{
			name: "junk values are never identifiers",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:U1", min: 1, member: "null", phone: "0000000000", email: "test@test.com", method: "social"},
				{typ: "identity.bind", who: "line:L1:U2", min: 2, member: "null", phone: "0000000000", email: "test@test.com", method: "social"},
				{typ: "identity.bind", who: "line:L1:U1", min: 3, phone: "undefined", method: "phone"},
				{typ: "identity.bind", who: "line:L1:U2", min: 4, phone: "undefined", method: "phone"},
				{typ: "identity.bind", who: "line:L1:U1", min: 5, member: "0", method: "social"},
				{typ: "identity.bind", who: "line:L1:U2", min: 6, member: "0", method: "social"},
				{typ: "identity.bind", who: "line:L1:U1", min: 7, email: "  ", method: "email"},
				{typ: "identity.bind", who: "line:L1:U2", min: 8, email: "  ", method: "email"},
			},
			groups: [][]string{{"line:L1:U1"}, {"line:L1:U2"}},
		},
		{
			name: "import syncs by member id by default, not by phone or email",
			events: []ev{
				{typ: "contact.created", who: "line:L1:U1", min: 1, member: "M1", phone: "0922333444", email: "a@shop.tw", source: "import"},
				{typ: "contact.created", who: "line:L1:U2", min: 2, member: "M1", source: "import"},
				{typ: "contact.created", who: "line:L1:U3", min: 3, phone: "0922333444", email: "a@shop.tw", source: "import"},
				{typ: "identity.bind", who: "line:L1:U4", min: 4, email: "A@Shop.tw ", method: "api"},
			},
			groups: [][]string{{"line:L1:U1", "line:L1:U2"}, {"line:L1:U3"}, {"line:L1:U4"}},
		},
		{
			name: "a team syncing by phone and email merges on them",
			events: []ev{
				{team: "sync", typ: "contact.created", who: "line:L1:U1", min: 1, phone: "0922333444", source: "import"},
				{team: "sync", typ: "contact.created", who: "line:L1:U2", min: 2, phone: "0922-333-444", source: "import"},
				{team: "sync", typ: "contact.created", who: "line:L1:U3", min: 3, email: "a@shop.tw", source: "api"},
				{team: "sync", typ: "identity.bind", who: "line:L1:U4", min: 4, email: "A@Shop.tw ", method: "api"},
			},
			groups: [][]string{{"line:L1:U1", "line:L1:U2"}, {"line:L1:U3", "line:L1:U4"}},
		},
		{
			name: "a team not syncing by member id only records imported member ids until someone binds",
			events: []ev{
				{team: "nosync", typ: "contact.created", who: "line:L1:U1", min: 1, member: "M1", source: "import"},
				{team: "nosync", typ: "contact.created", who: "line:L1:U2", min: 2, member: "M1", source: "import"},
				{team: "nosync", typ: "identity.bind", who: "line:L1:U3", min: 3, member: "M7", method: "import"},
				{team: "nosync", typ: "identity.bind", who: "line:L1:U4", min: 4, member: "M7", method: "import"},
			},
			groups: [][]string{{"line:L1:U1"}, {"line:L1:U2"}, {"line:L1:U3"}, {"line:L1:U4"}},
		},
		{
			name: "email binding merges on the normalized address",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:U1", min: 1, email: " Ann@Mail.COM", method: "email"},
				{typ: "identity.bind", who: "facebook:P1:F1", min: 2, email: "ann@mail.com", method: "email"},
			},
			groups: [][]string{{"line:L1:U1", "facebook:P1:F1"}},
		},
		{
			name: "Hong Kong team reads national numbers as +852",
			events: []ev{
				{team: "hk", typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "9112 2333", method: "phone"},
				{team: "hk", typ: "message.inbound", who: "whatsapp:WA1:85291122333", min: 2},
			},
			groups: [][]string{{"line:L1:U1", "whatsapp:WA1:85291122333"}},
		},
		{
			name: "the oldest contact by event time anchors, whatever the arrival order",
			events: []ev{
				{typ: "identity.bind", who: "facebook:P1:F1", min: 10, member: "M1", method: "social"},
				{typ: "identity.bind", who: "line:L1:U1", min: 20, member: "M1", method: "social"},
				{typ: "message.read", who: "line:L1:U1", min: 5}, // late event: U1 was seen first
			},
			groups: [][]string{{"line:L1:U1", "facebook:P1:F1"}},
		},
		{
			name: "ties on event time are broken by the key",
			events: []ev{
				{typ: "identity.bind", who: "line:L1:Ub", min: 1, member: "M1", method: "social"},
				{typ: "identity.bind", who: "line:L1:Ua", min: 1, member: "M1", method: "social"},
			},
			groups: [][]string{{"line:L1:Ua", "line:L1:Ub"}},
		},
		{
			name: "same user id on two channel accounts are two contacts",
			events: []ev{
				{typ: "identity.bind", who: "facebook:P1:X", min: 1, member: "M1", method: "social"},
				{typ: "identity.bind", who: "facebook:P2:X", min: 2, member: "M2", method: "social"},
			},
			groups: [][]string{{"facebook:P1:X"}, {"facebook:P2:X"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Teams = settings
			g := New(cfg, nil)
			outs := apply(t, g, tt.events...)
			team := tt.events[0].team
			if team == "" {
				team = "acme"
			}
			checkGroups(t, g, team, tt.events, tt.groups)
			var refused []string
			merges := 0
			for _, o := range outs {
				for _, m := range o.Merges {
					if m.OK {
						merges++
					} else {
						refused = append(refused, m.Reason)
					}
				}
			}
			if !slices.Equal(refused, tt.refused) {
				t.Errorf("refused %v, want %v", refused, tt.refused)
			}
			if tt.merges != 0 && merges != tt.merges {
				t.Errorf("%d successful merge records, want %d", merges, tt.merges)
			}
		})
	}
}

// checkGroups asserts the exact grouping of the contacts the events name.
func checkGroups(t *testing.T, g *Graph, team string, events []ev, groups [][]string) {
	t.Helper()
	seen := map[string]bool{}
	ids := map[string]bool{}
	for _, grp := range groups {
		want := wantID(team, grp[0])
		if ids[want] {
			t.Errorf("two groups anchored on %s", grp[0])
		}
		ids[want] = true
		for _, c := range grp {
			seen[c] = true
			if got := lookup(t, g, team, c); got != want {
				t.Errorf("%s is in %s, want %s (anchored on %s)", c, got, want, grp[0])
			}
		}
	}
	for _, c := range contactsOf(events) {
		if !seen[c] {
			t.Errorf("contact %s is in no expected group (customer %s)", c, lookup(t, g, team, c))
		}
	}
}
