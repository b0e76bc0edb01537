package identity

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func testConfig() Config {
	c := DefaultConfig()
	c.Clock = func() time.Time { return time.Unix(0, 0) }
	return c
}

func newTestGraph(t testing.TB) *Graph {
	t.Helper()
	return New(testConfig(), nil)
}

// ev builds events tersely. who is "type:channel:uid"; min is the event
// time in minutes after t0.
type ev struct {
	id, team, typ, who string
	min                int
	member, phone      string
	email, method      string
	target             string // "type:channel:uid"
	source             string
}

func who(s string) (typ, ch, uid string) {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i < len(s) && n < 2; i++ {
		if s[i] == ':' {
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	parts[n] = s[start:]
	return parts[0], parts[1], parts[2]
}

func (x ev) event() *event.Event {
	team := x.team
	if team == "" {
		team = "acme"
	}
	e := &event.Event{EventID: x.id, TeamID: team, Type: event.Type(x.typ), TS: event.MilliTime(t0.Add(time.Duration(x.min) * time.Minute))}
	if x.who != "" {
		typ, ch, uid := who(x.who)
		e.Channel = event.Channel{Type: typ, ID: ch}
		e.Contact = event.Contact{ChannelUserID: uid}
	}
	e.Source.Kind = x.source
	e.Fields.MemberID, e.Fields.Phone, e.Fields.Email, e.Fields.Method = x.member, x.phone, x.email, x.method
	if x.target != "" {
		typ, ch, uid := who(x.target)
		e.Fields.Target = &event.Target{Channel: event.Channel{Type: typ, ID: ch}, UserID: uid}
	}
	if e.EventID == "" {
		e.EventID = fmt.Sprintf("%s/%s/%d", x.typ, x.who, x.min)
	}
	return e
}

func apply(t testing.TB, g *Graph, xs ...ev) []Outcome {
	t.Helper()
	var outs []Outcome
	for _, x := range xs {
		o, err := g.Apply(x.event())
		if err != nil {
			t.Fatalf("apply %+v: %v", x, err)
		}
		outs = append(outs, o)
	}
	return outs
}

func lookup(t testing.TB, g *Graph, team, w string) string {
	t.Helper()
	typ, ch, uid := who(w)
	id, ok := g.Lookup(team, typ, ch, uid)
	if !ok {
		t.Fatalf("lookup %s: unknown contact", w)
	}
	return id
}

// wantID computes a contact-anchored customer id from the documented rule,
// independently of the graph's code: "c_" + base32(SHA-256(uvarint(len
// team) team 0x01 uvarint(len type) type uvarint(len channel) channel
// uid)[:8]).
func wantID(team, w string) string {
	typ, ch, uid := who(w)
	var k []byte
	for _, s := range []string{team} {
		k = binary.AppendUvarint(k, uint64(len(s)))
		k = append(k, s...)
	}
	k = append(k, 1)
	for _, s := range []string{typ, ch} {
		k = binary.AppendUvarint(k, uint64(len(s)))
		k = append(k, s...)
	}
	k = append(k, uid...)
	sum := sha256.Sum256(k)
	return "c_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:8]))
}

// wantMemberID is the id of a customer anchored on a member id.
func wantMemberID(team, member string) string {
	k := binary.AppendUvarint(nil, uint64(len(team)))
	k = append(append(append(k, team...), 2), member...)
	sum := sha256.Sum256(k)
	return "c_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:8]))
}

// contactsOf lists every contact an event names.
func contactsOf(xs []ev) []string {
	var out []string
	for _, x := range xs {
		for _, w := range []string{x.who, x.target} {
			if w != "" && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// teamSettings is a TeamSettings from a map.
type teamSettingsMap map[string]TeamConfig

func (m teamSettingsMap) IdentitySettings(team string) (TeamConfig, bool) {
	c, ok := m[team]
	return c, ok
}
