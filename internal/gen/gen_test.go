package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/omnistream/omnistream/ingest/event"
)

// digest hashes a stream: every event's wire form and typed props.
func digest(t *testing.T, cfg Config) (string, Expected, []event.Event) {
	t.Helper()
	h := sha256.New()
	var evs []event.Event
	exp, err := Generate(cfg, func(team string, e event.Event) error {
		b, err := event.AppendJSON(nil, &e)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %s %+v\n", team, b, e.Fields)
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), exp, evs
}

// TestDefaultStreamUnchanged pins the default stream: tests and the demo
// depend on its exact events.
func TestDefaultStreamUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    func(*Config)
		events int
		sha    string
	}{
		{"default", func(*Config) {}, 5934, "9b559237f04c68544b06641e5c5b917c11d145f3e34e675e21a3ca9525fd19b2"},
		{"one small team", func(c *Config) { c.TeamPrefix, c.Teams, c.Contacts, c.Broadcasts = "shop", 1, 24, 3 }, 230, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.cfg(&cfg)
			sum, exp, _ := digest(t, cfg)
			if exp.Events != tc.events {
				t.Errorf("%d events, want %d", exp.Events, tc.events)
			}
			if tc.sha != "" && sum != tc.sha {
				t.Errorf("stream digest %s, want %s", sum, tc.sha)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	cfg := LoadConfig(20000, 7)
	a, _, _ := digest(t, cfg)
	b, _, _ := digest(t, cfg)
	if a != b {
		t.Fatal("the same config gave two streams")
	}
	cfg.Seed = 2
	if c, _, _ := digest(t, cfg); c == a {
		t.Fatal("another seed gave the same stream")
	}
}

// TestTallies recounts the stream and compares with Expected.
func TestTallies(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), LoadConfig(30000, 9), func() Config { c := LoadConfig(0, 5); c.Contacts = 300; return c }()} {
		_, exp, evs := digest(t, cfg)
		if len(evs) != exp.Events {
			t.Fatalf("emitted %d, tallied %d", len(evs), exp.Events)
		}
		if cfg.MaxEvents > 0 && exp.Events != cfg.MaxEvents {
			t.Fatalf("%d events, want exactly %d", exp.Events, cfg.MaxEvents)
		}
		types := map[string]map[event.Type]int{}
		ids := map[string]bool{}
		type key struct{ team, src, ch string }
		sent := map[key]uint64{}
		clickers := map[key]map[string]bool{}
		var orders uint64
		var amount event.Amount
		for _, e := range evs {
			if err := e.Validate(cfg.Start.AddDate(1, 0, 0)); err != nil {
				t.Fatalf("event %s invalid: %v", e.EventID, err)
			}
			if ids[e.EventID] {
				t.Fatalf("event id %s repeated", e.EventID)
			}
			ids[e.EventID] = true
			if types[e.TeamID] == nil {
				types[e.TeamID] = map[event.Type]int{}
			}
			types[e.TeamID][e.Type]++
			if e.Source.Kind == "broadcast" {
				k := key{e.TeamID, e.Source.ID, e.Channel.Type}
				switch e.Type {
				case event.MessageSent:
					sent[k]++
				case event.ButtonClicked:
					if clickers[k] == nil {
						clickers[k] = map[string]bool{}
					}
					clickers[k][e.Contact.ChannelUserID] = true
				}
			}
			if e.Type == event.OrderPlaced {
				orders++
				amount += e.Fields.Amount
			}
		}
		for team, m := range exp.Types {
			for typ, n := range m {
				if types[team][typ] != n {
					t.Errorf("%s %s: %d events, tallied %d", team, typ, types[team][typ], n)
				}
			}
		}
		for team, bs := range exp.Broadcasts {
			for id, chs := range bs {
				for ch, c := range chs {
					k := key{team, id, ch}
					if c.Sent != sent[k] || c.Clicked != uint64(len(clickers[k])) {
						t.Errorf("%s %s %s: sent %d clicked %d, tallied %+v", team, id, ch, sent[k], len(clickers[k]), *c)
					}
				}
			}
		}
		var eo uint64
		var ea event.Amount
		for _, o := range exp.Orders {
			eo += o.Count
			ea += o.Amount
		}
		if eo != orders || ea != amount {
			t.Errorf("orders %d (%s), tallied %d (%s)", orders, amount, eo, ea)
		}
	}
}

// TestInterleave checks that teams are mixed in proportion to their size:
// every team appears in the first tenth of the stream.
func TestInterleave(t *testing.T) {
	cfg := LoadConfig(50000, 10)
	_, _, evs := digest(t, cfg)
	seen := map[string]bool{}
	for _, e := range evs[:len(evs)/10] {
		seen[e.TeamID] = true
	}
	if len(seen) != cfg.Teams {
		t.Fatalf("%d of %d teams in the first tenth of the stream", len(seen), cfg.Teams)
	}
}

func TestValidate(t *testing.T) {
	bad := Config{Teams: 0, Contacts: 1, Broadcasts: 1, Journeys: -1, MaxEvents: -1}
	if err := bad.Validate(); err == nil {
		t.Fatal("invalid config accepted")
	}
}
