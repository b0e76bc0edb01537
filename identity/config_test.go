package identity

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := DefaultConfig()
	c.Default.Region = "XX"
	c.Default.MaxContactsPerIdentifier = -1
	c.Clock = nil
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"region", "max contacts per identifier", "clock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestTeamSettings(t *testing.T) {
	bad := DefaultTeamConfig()
	bad.Region = "XX"
	hk := DefaultTeamConfig()
	hk.Region = "HK"
	settings := teamSettingsMap{"bad": bad, "hk": hk}
	cfg := testConfig()
	cfg.Teams = settings
	g := New(cfg, nil)
	// An invalid team config falls back to the defaults (TW).
	apply(t, g, ev{team: "bad", typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "0911223344", method: "phone"})
	if p, ok := g.Customer("bad", PhoneRef("+886911223344")); !ok || len(p.Contacts) != 1 {
		t.Fatalf("bad team: %+v", p)
	}
	apply(t, g, ev{team: "hk", typ: "identity.bind", who: "line:L1:U1", min: 1, phone: "91122333", method: "phone"})
	if _, ok := g.Customer("hk", PhoneRef("+85291122333")); !ok {
		t.Fatal("hk phone not read as +852")
	}
	// Settings read again after ReloadTeam apply to later events.
	settings["hk"] = DefaultTeamConfig()
	g.ReloadTeam("hk")
	apply(t, g, ev{team: "hk", typ: "identity.bind", who: "line:L1:U2", min: 2, phone: "0922333444", method: "phone"})
	if _, ok := g.Customer("hk", PhoneRef("+886922333444")); !ok {
		t.Fatal("reloaded settings not used")
	}
	if got := g.Teams(); len(got) != 2 || got[0] != "bad" || got[1] != "hk" {
		t.Fatalf("teams %v", got)
	}
}
