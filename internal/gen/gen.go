// Package gen generates deterministic streams of canonical events that look
// like an omnichannel brand's traffic: teams of skewed sizes, contacts on
// several channels, broadcasts with deliveries, failures, reads/opens,
// button clicks, replies, tags, bindings and website orders.
//
// The same Config (seed included) always yields the same events in the same
// order, and the generator tallies what a correct pipeline must report
// (Expected), so tests can check exact numbers.
package gen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

// Config shapes the stream.
type Config struct {
	Seed       uint64    // default 1
	TeamPrefix string    // team i is TeamPrefix + i; default "team-"
	Teams      int       // default 3; sizes skewed (Zipf-like)
	Contacts   int       // contacts of the largest team; default 500
	Start      time.Time // time of the first broadcast; default 2026-01-05 02:00 UTC
	// Broadcasts per team; default 2.
	Broadcasts int
}

// DefaultConfig returns a small stream (a few thousand events).
func DefaultConfig() Config {
	return Config{Seed: 1, TeamPrefix: "team-", Teams: 3, Contacts: 500, Start: time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC), Broadcasts: 2}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	if c.Teams < 1 || c.Contacts < 1 || c.Broadcasts < 1 {
		return fmt.Errorf("gen: teams (%d), contacts (%d) and broadcasts (%d) must be at least 1", c.Teams, c.Contacts, c.Broadcasts)
	}
	return nil
}

// BroadcastCounts are the distinct-contact counts of one broadcast on one channel.
type BroadcastCounts struct {
	Sent, Delivered, Failed, Read, Opened, Clicked uint64
}

// Expected tallies what the generated stream must produce.
type Expected struct {
	Events int
	// Broadcasts maps team → broadcast id → channel type → counts.
	Broadcasts map[string]map[string]map[string]*BroadcastCounts
}

var channels = []struct{ typ, id string }{
	{event.ChannelLINE, "line-oa-1"}, {event.ChannelFacebook, "fb-page-1"},
	{event.ChannelInstagram, "ig-1"}, {event.ChannelWhatsApp, "wa-886900000000"},
}

// Generate calls emit for every event in order and returns the tally.
// emit's error stops generation.
func Generate(cfg Config, emit func(team string, e event.Event) error) (Expected, error) {
	if err := cfg.Validate(); err != nil {
		return Expected{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	exp := Expected{Broadcasts: map[string]map[string]map[string]*BroadcastCounts{}}
	for ti := 0; ti < cfg.Teams; ti++ {
		team := fmt.Sprintf("%s%d", cfg.TeamPrefix, ti)
		n := max(1, cfg.Contacts/(ti+1)) // skewed team sizes
		g := &teamGen{team: team, rng: rng, emit: emit, exp: &exp, t: cfg.Start}
		if err := g.run(n, cfg.Broadcasts); err != nil {
			return exp, err
		}
	}
	return exp, nil
}

type teamGen struct {
	team string
	rng  *rand.Rand
	emit func(string, event.Event) error
	exp  *Expected
	t    time.Time
	seq  int
}

func (g *teamGen) send(typ event.Type, ch int, uid string, src event.Source, msg string, at time.Time, props map[string]any) error {
	g.seq++
	e := event.Event{
		EventID: fmt.Sprintf("%s-%d", g.team, g.seq), TeamID: g.team, Type: typ, TS: event.MilliTime(at),
		Channel: event.Channel{Type: channels[ch].typ, ID: channels[ch].id}, Contact: event.Contact{ChannelUserID: uid},
		Source: src, MessageID: msg,
	}
	if props != nil {
		b, err := json.Marshal(props)
		if err != nil {
			return err
		}
		e.Props = b
		if err := json.Unmarshal(b, &e.Fields); err != nil {
			return err
		}
	}
	g.exp.Events++
	return g.emit(g.team, e)
}

func (g *teamGen) run(contacts, broadcasts int) error {
	type contact struct {
		ch  int
		uid string
	}
	cs := make([]contact, contacts)
	for i := range cs {
		cs[i] = contact{ch: i % len(channels), uid: fmt.Sprintf("%s-u%05d", g.team, i)}
		at := g.t.Add(-time.Duration(g.rng.IntN(30*24)) * time.Hour)
		if err := g.send(event.ContactCreated, cs[i].ch, cs[i].uid, event.Source{Kind: "organic"}, "", at, map[string]any{"contact_source": "organic"}); err != nil {
			return err
		}
		if g.rng.IntN(5) == 0 {
			if err := g.send(event.IdentityBind, cs[i].ch, cs[i].uid, event.Source{Kind: "pixel"}, "", at.Add(time.Hour),
				map[string]any{"method": "social", "member_id": fmt.Sprintf("m%04d", g.rng.IntN(max(1, contacts/2)))}); err != nil {
				return err
			}
		}
	}
	g.exp.Broadcasts[g.team] = map[string]map[string]*BroadcastCounts{}
	for b := 0; b < broadcasts; b++ {
		bid := fmt.Sprintf("%s-b%d", g.team, b)
		src := event.Source{Kind: "broadcast", ID: bid}
		per := map[string]*BroadcastCounts{}
		g.exp.Broadcasts[g.team][bid] = per
		start := g.t.Add(time.Duration(b) * 24 * time.Hour)
		for i, c := range cs {
			typ := channels[c.ch].typ
			cnt := per[typ]
			if cnt == nil {
				cnt = &BroadcastCounts{}
				per[typ] = cnt
			}
			msg := fmt.Sprintf("%s-m%d", bid, i)
			at := start.Add(time.Duration(i) * time.Second)
			kind := "text_buttons"
			if err := g.send(event.MessageSent, c.ch, c.uid, src, msg, at, map[string]any{"message_kind": kind}); err != nil {
				return err
			}
			cnt.Sent++
			if g.rng.IntN(20) == 0 {
				if err := g.send(event.MessageFailed, c.ch, c.uid, src, msg, at.Add(time.Second), map[string]any{"reason": "blocked"}); err != nil {
					return err
				}
				cnt.Failed++
				continue
			}
			if err := g.send(event.MessageDelivered, c.ch, c.uid, src, msg, at.Add(2*time.Second), nil); err != nil {
				return err
			}
			cnt.Delivered++
			if g.rng.IntN(10) < 4 {
				typ := event.MessageRead
				if c.ch == 0 {
					typ = event.MessageOpened
					cnt.Opened++
				} else {
					cnt.Read++
				}
				if err := g.send(typ, c.ch, c.uid, src, msg, at.Add(time.Duration(1+g.rng.IntN(3600))*time.Second), nil); err != nil {
					return err
				}
			}
			if g.rng.IntN(10) == 0 {
				clicks := 1 + g.rng.IntN(3) // several clicks: one clicker
				for k := 0; k < clicks; k++ {
					if err := g.send(event.ButtonClicked, c.ch, c.uid, src, msg, at.Add(time.Duration(60+k)*time.Second),
						map[string]any{"button_kind": "url", "button_id": fmt.Sprintf("btn%d", k), "url": "https://shop.example/sale"}); err != nil {
						return err
					}
				}
				cnt.Clicked++
			}
			if g.rng.IntN(20) == 0 {
				if err := g.send(event.MessageInbound, c.ch, c.uid, event.Source{}, "", at.Add(10*time.Minute), map[string]any{"kind": "text"}); err != nil {
					return err
				}
			}
			if g.rng.IntN(15) == 0 {
				if err := g.send(event.TagAdded, c.ch, c.uid, event.Source{Kind: "broadcast", ID: bid}, "", at.Add(time.Minute), map[string]any{"tag": "sale-2026"}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
