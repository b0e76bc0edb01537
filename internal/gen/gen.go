// Package gen generates deterministic streams of canonical events that look
// like an omnichannel brand's traffic: teams of skewed sizes, contacts on
// several channels with bindings (and so merges and refused merges),
// broadcasts with deliveries, failures, reads/opens, button clicks, replies
// and tags, and, when asked for, journeys, website page views and orders,
// phone bindings, tag removals and unsubscriptions.
//
// The same Config (seed included) always yields the same events in the same
// order, and the generator tallies what a correct pipeline must report
// (Expected), so tests can check exact numbers. Events are handed to a
// callback one at a time and never held: a stream of any size runs in the
// memory of its tallies. ToKafka and Post write a stream to the events topic
// or to the ingest API, paced or as fast as possible.
package gen

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

// Config shapes the stream.
type Config struct {
	Seed       uint64    // default 1
	TeamPrefix string    // team i is TeamPrefix + i; default "team-"
	Teams      int       // default 3; team i has Contacts/(i+1) contacts (Zipf-like)
	Contacts   int       // contacts of the largest team; default 500
	Start      time.Time // time of the first broadcast; default 2026-01-05 02:00 UTC
	// Broadcasts per team; default 2.
	Broadcasts int
	// Journeys per team, each of JourneyNodes message nodes that about
	// half of the contacts go through. Default 0.
	Journeys int
	// Commerce adds website and CRM traffic: pixel page views and orders of
	// contacts who clicked a broadcast's url button (after a social binding
	// to a member id), LINE phone bindings, a "vip" tag some contacts lose
	// again, and journey unsubscriptions. Default false.
	Commerce bool
	// Interleave mixes the teams' events as live traffic does, each team in
	// proportion to its size, instead of one team's events after another's.
	// Default false.
	Interleave bool
	// ContactsOnly generates only the contacts (creations, bindings and,
	// with Commerce, phone bindings and tags): no broadcasts or journeys.
	// Default false.
	ContactsOnly bool
	// MaxEvents ends the stream after that many events; 0 means no limit.
	// The tallies cover exactly the events emitted.
	MaxEvents int
}

// JourneyNodes is the number of message nodes of a generated journey.
const JourneyNodes = 3

// DefaultConfig returns a small stream (a few thousand events).
func DefaultConfig() Config {
	return Config{Seed: 1, TeamPrefix: "team-", Teams: 3, Contacts: 500, Start: time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC), Broadcasts: 2}
}

// LoadConfig returns the full mix (journeys, commerce, interleaved teams)
// over teams teams, sized to give about events events; MaxEvents makes it
// exact.
func LoadConfig(events, teams int) Config {
	cfg := DefaultConfig()
	cfg.Teams, cfg.Broadcasts, cfg.Journeys, cfg.Commerce, cfg.Interleave = max(teams, 1), 3, 1, true, true
	cfg.MaxEvents = events
	// About 13.2 events per contact with 3 broadcasts and a journey; the
	// harmonic sum of the skewed team sizes gives the largest team's size.
	h := 0.0
	for i := range cfg.Teams {
		h += 1 / float64(i+1)
	}
	cfg.Contacts = max(1, int(float64(events)/13.2/h*1.02)+1)
	return cfg
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Teams < 1 || c.Contacts < 1 || c.Broadcasts < 1 {
		errs = append(errs, fmt.Errorf("gen: teams (%d), contacts (%d) and broadcasts (%d) must be at least 1", c.Teams, c.Contacts, c.Broadcasts))
	}
	if c.Journeys < 0 {
		errs = append(errs, fmt.Errorf("gen: journeys must not be negative, got %d", c.Journeys))
	}
	if c.MaxEvents < 0 {
		errs = append(errs, fmt.Errorf("gen: max events must not be negative, got %d", c.MaxEvents))
	}
	return errors.Join(errs...)
}

// BroadcastCounts are the distinct-contact counts of one broadcast on one channel.
type BroadcastCounts struct {
	Sent, Delivered, Failed, Read, Opened, Clicked uint64
}

// JourneyCounts are the per-send counts of one journey node: every send
// counts, opens, reads and clicks at most once per send.
type JourneyCounts struct {
	Sent, Delivered, Failed, Read, Opened, Clicked uint64
}

// OrderCounts tally a team's orders.
type OrderCounts struct {
	Count  uint64
	Amount event.Amount // sum, in 1/10,000 TWD
}

// Expected tallies what the generated stream must produce.
type Expected struct {
	Events int
	// Broadcasts maps team → broadcast id → channel type → counts.
	Broadcasts map[string]map[string]map[string]*BroadcastCounts
	// Types maps team → event type → number of events.
	Types map[string]map[event.Type]int
	// Journeys maps team → journey id → node id → counts (with Journeys).
	Journeys map[string]map[string]map[string]*JourneyCounts
	// Tags maps team → tag → applications no removal deleted.
	Tags map[string]map[string]int
	// Orders maps team → orders placed (with Commerce).
	Orders map[string]*OrderCounts
}

// TeamNames lists the teams of the stream in order.
func (c Config) TeamNames() []string {
	out := make([]string, c.Teams)
	for i := range out {
		out[i] = c.TeamPrefix + strconv.Itoa(i)
	}
	return out
}

var channels = []struct{ typ, id string }{
	{event.ChannelLINE, "line-oa-1"}, {event.ChannelFacebook, "fb-page-1"},
	{event.ChannelInstagram, "ig-1"}, {event.ChannelWhatsApp, "wa-886900000000"},
}

var webChannel = event.Channel{Type: event.ChannelWeb, ID: "shop.example"}

// errLimit stops generation at MaxEvents.
var errLimit = errors.New("gen: event limit reached")

// Generate calls emit for every event in order and returns the tally.
// emit's error stops generation. emit may keep the event.
func Generate(cfg Config, emit func(team string, e event.Event) error) (Expected, error) {
	if err := cfg.Validate(); err != nil {
		return Expected{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	exp := Expected{
		Broadcasts: map[string]map[string]map[string]*BroadcastCounts{},
		Types:      map[string]map[event.Type]int{},
		Journeys:   map[string]map[string]map[string]*JourneyCounts{},
		Tags:       map[string]map[string]int{},
		Orders:     map[string]*OrderCounts{},
	}
	s := &stream{cfg: cfg, rng: rng, emit: emit, exp: &exp}
	gens := make([]*teamGen, cfg.Teams)
	for ti := range gens {
		gens[ti] = s.newTeam(ti)
	}
	var err error
	if cfg.Interleave {
		err = s.interleave(gens)
	} else {
		for _, g := range gens {
			for g.pos < g.steps && err == nil {
				err = g.step()
			}
		}
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	return exp, err
}

// stream is the state shared by the teams of one Generate call.
type stream struct {
	cfg  Config
	rng  *rand.Rand
	emit func(string, event.Event) error
	exp  *Expected
}

func (s *stream) newTeam(ti int) *teamGen {
	team := s.cfg.TeamPrefix + strconv.Itoa(ti)
	n := max(1, s.cfg.Contacts/(ti+1)) // skewed team sizes
	s.exp.Broadcasts[team] = map[string]map[string]*BroadcastCounts{}
	s.exp.Types[team] = map[event.Type]int{}
	s.exp.Tags[team] = map[string]int{}
	if s.cfg.Journeys > 0 {
		s.exp.Journeys[team] = map[string]map[string]*JourneyCounts{}
	}
	if s.cfg.Commerce {
		s.exp.Orders[team] = &OrderCounts{}
	}
	steps := n * (1 + s.cfg.Broadcasts + s.cfg.Journeys)
	if s.cfg.ContactsOnly {
		steps = n
	}
	return &teamGen{s: s, team: team, n: n, t: s.cfg.Start, steps: steps}
}

// interleave runs the teams' steps in proportion to their sizes (stride
// scheduling): the next step is the team least far along its own stream.
func (s *stream) interleave(gens []*teamGen) error {
	h := make(teamHeap, len(gens))
	for i, g := range gens {
		h[i] = &heapItem{g: g, idx: i}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		it := h[0]
		if err := it.g.step(); err != nil {
			return err
		}
		if it.g.pos >= it.g.steps {
			heap.Pop(&h)
			continue
		}
		heap.Fix(&h, 0)
	}
	return nil
}

type heapItem struct {
	g   *teamGen
	idx int
}

type teamHeap []*heapItem

func (h teamHeap) Len() int { return len(h) }
func (h teamHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	// Compare (pos+1)/steps without division.
	l, r := float64(a.g.pos+1)*float64(b.g.steps), float64(b.g.pos+1)*float64(a.g.steps)
	if l != r {
		return l < r
	}
	return a.idx < b.idx
}
func (h teamHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *teamHeap) Push(x any)   { *h = append(*h, x.(*heapItem)) }
func (h *teamHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// teamGen generates one team's stream one step at a time: a step is one
// contact's creation, or one contact's part of one broadcast or journey.
type teamGen struct {
	s     *stream
	team  string
	n     int // contacts
	t     time.Time
	seq   int
	pos   int // next step
	steps int

	per map[string]*BroadcastCounts // counts of the current broadcast
}

func (g *teamGen) step() error {
	cfg := &g.s.cfg
	i := g.pos % g.n
	phase := g.pos / g.n
	g.pos++
	switch {
	case phase == 0:
		return g.create(i)
	case phase <= cfg.Broadcasts:
		return g.broadcast(phase-1, i)
	default:
		return g.journey(phase-1-cfg.Broadcasts, i)
	}
}

func (g *teamGen) uid(i int) string {
	b := make([]byte, 0, len(g.team)+8)
	b = append(b, g.team...)
	b = append(b, "-u"...)
	if d := digits(i); d < 5 {
		b = append(b, "0000"[:5-d]...)
	}
	return string(strconv.AppendInt(b, int64(i), 10))
}

func digits(i int) int {
	d := 1
	for i >= 10 {
		i /= 10
		d++
	}
	return d
}

// send emits one event. props is the JSON object of the known props,
// already written in the order encoding/json would write a map's keys;
// f is its typed view.
func (g *teamGen) send(typ event.Type, ch event.Channel, uid string, src event.Source, msg string, at time.Time, props []byte, f event.Fields) error {
	return g.sendID(typ, ch, uid, src, msg, "", at, props, f)
}

func (g *teamGen) sendID(typ event.Type, ch event.Channel, uid string, src event.Source, msg, sendID string, at time.Time, props []byte, f event.Fields) error {
	exp := g.s.exp
	if max := g.s.cfg.MaxEvents; max > 0 && exp.Events >= max {
		return errLimit
	}
	g.seq++
	e := event.Event{
		EventID: g.team + "-" + strconv.Itoa(g.seq), TeamID: g.team, Type: typ, TS: event.MilliTime(at),
		Channel: ch, Contact: event.Contact{ChannelUserID: uid},
		Source: src, MessageID: msg, SendID: sendID, Props: props, Fields: f,
	}
	exp.Events++
	exp.Types[g.team][typ]++
	return g.s.emit(g.team, e)
}

func chOf(i int) event.Channel {
	c := channels[i%len(channels)]
	return event.Channel{Type: c.typ, ID: c.id}
}

// props writes a JSON object of string values; keys must be given sorted.
func props(kv ...string) []byte {
	n := 2
	for _, s := range kv {
		n += len(s) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for k := 0; k < len(kv); k += 2 {
		if k > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, kv[k])
		b = append(b, ':')
		b = strconv.AppendQuote(b, kv[k+1])
	}
	return append(b, '}')
}

func (g *teamGen) create(i int) error {
	rng := g.s.rng
	ch, uid := chOf(i), g.uid(i)
	at := g.t.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)
	if err := g.send(event.ContactCreated, ch, uid, event.Source{Kind: "organic"}, "", at,
		props("contact_source", "organic"), event.Fields{ContactSrc: "organic"}); err != nil {
		return err
	}
	if rng.IntN(5) == 0 {
		member := "m" + pad4(rng.IntN(max(1, g.n/2)))
		if err := g.send(event.IdentityBind, ch, uid, event.Source{Kind: "pixel"}, "", at.Add(time.Hour),
			props("member_id", member, "method", "social"), event.Fields{MemberID: member, Method: "social"}); err != nil {
			return err
		}
	}
	if !g.s.cfg.Commerce {
		return nil
	}
	if ch.Type == event.ChannelLINE && rng.IntN(10) == 0 {
		phone := "09" + strconv.Itoa(10000000+rng.IntN(90000000))
		if err := g.send(event.IdentityBind, ch, uid, event.Source{Kind: "bot"}, "", at.Add(2*time.Hour),
			props("method", "phone", "phone", phone), event.Fields{Method: "phone", Phone: phone}); err != nil {
			return err
		}
	}
	if rng.IntN(10) == 0 {
		if err := g.send(event.TagAdded, ch, uid, event.Source{Kind: "manual"}, "", at.Add(3*time.Hour),
			props("tag", "vip"), event.Fields{Tag: "vip"}); err != nil {
			return err
		}
		if rng.IntN(5) == 0 {
			if err := g.send(event.TagRemoved, ch, uid, event.Source{Kind: "manual"}, "", at.Add(27*time.Hour),
				props("tag", "vip"), event.Fields{Tag: "vip"}); err != nil {
				return err
			}
		} else {
			g.s.exp.Tags[g.team]["vip"]++
		}
	}
	return nil
}

func pad4(v int) string {
	s := strconv.Itoa(v)
	if len(s) < 4 {
		s = "0000"[:4-len(s)] + s
	}
	return s
}

var (
	propsTextButtons = []byte(`{"message_kind":"text_buttons"}`)
	propsBlocked     = []byte(`{"reason":"blocked"}`)
	propsText        = []byte(`{"kind":"text"}`)
	propsSale        = []byte(`{"tag":"sale-2026"}`)
	saleURL          = "https://shop.example/sale"
)

func (g *teamGen) broadcast(b, i int) error {
	rng := g.s.rng
	bid := g.team + "-b" + strconv.Itoa(b)
	if i == 0 {
		g.per = map[string]*BroadcastCounts{}
		g.s.exp.Broadcasts[g.team][bid] = g.per
	}
	src := event.Source{Kind: "broadcast", ID: bid}
	start := g.t.Add(time.Duration(b) * 24 * time.Hour)
	ch, uid := chOf(i), g.uid(i)
	cnt := g.per[ch.Type]
	if cnt == nil {
		cnt = &BroadcastCounts{}
		g.per[ch.Type] = cnt
	}
	msg := bid + "-m" + strconv.Itoa(i)
	at := start.Add(time.Duration(i) * time.Second)
	if err := g.send(event.MessageSent, ch, uid, src, msg, at, propsTextButtons, event.Fields{MessageKind: "text_buttons"}); err != nil {
		return err
	}
	cnt.Sent++
	if rng.IntN(20) == 0 {
		if err := g.send(event.MessageFailed, ch, uid, src, msg, at.Add(time.Second), propsBlocked, event.Fields{Reason: "blocked"}); err != nil {
			return err
		}
		cnt.Failed++
		return nil
	}
	if err := g.send(event.MessageDelivered, ch, uid, src, msg, at.Add(2*time.Second), nil, event.Fields{}); err != nil {
		return err
	}
	cnt.Delivered++
	if rng.IntN(10) < 4 {
		typ := event.MessageRead
		if i%len(channels) == 0 {
			typ = event.MessageOpened
		}
		if err := g.send(typ, ch, uid, src, msg, at.Add(time.Duration(1+rng.IntN(3600))*time.Second), nil, event.Fields{}); err != nil {
			return err
		}
		if typ == event.MessageOpened {
			cnt.Opened++
		} else {
			cnt.Read++
		}
	}
	if rng.IntN(10) == 0 {
		clicks := 1 + rng.IntN(3) // several clicks: one clicker
		for k := 0; k < clicks; k++ {
			bt := "btn" + strconv.Itoa(k)
			if err := g.send(event.ButtonClicked, ch, uid, src, msg, at.Add(time.Duration(60+k)*time.Second),
				props("button_id", bt, "button_kind", "url", "url", saleURL), event.Fields{ButtonKind: "url", ButtonID: bt, URL: saleURL}); err != nil {
				return err
			}
			if k == 0 {
				cnt.Clicked++
			}
		}
		if g.s.cfg.Commerce && rng.IntN(4) == 0 {
			if err := g.order(b, i, ch, uid, at.Add(30*time.Minute)); err != nil {
				return err
			}
		}
	}
	if rng.IntN(20) == 0 {
		if err := g.send(event.MessageInbound, ch, uid, event.Source{}, "", at.Add(10*time.Minute), propsText, event.Fields{Kind: "text"}); err != nil {
			return err
		}
	}
	if rng.IntN(15) == 0 {
		if err := g.send(event.TagAdded, ch, uid, event.Source{Kind: "broadcast", ID: bid}, "", at.Add(time.Minute), propsSale, event.Fields{Tag: "sale-2026"}); err != nil {
			return err
		}
		g.s.exp.Tags[g.team]["sale-2026"]++
	}
	return nil
}

// order is a clicker who binds to a member id, then browses the shop as
// that member and buys.
func (g *teamGen) order(b, i int, ch event.Channel, uid string, at time.Time) error {
	rng := g.s.rng
	member := g.team + "-M" + strconv.Itoa(i)
	if err := g.send(event.IdentityBind, ch, uid, event.Source{Kind: "pixel"}, "", at,
		props("member_id", member, "method", "social"), event.Fields{MemberID: member, Method: "social"}); err != nil {
		return err
	}
	visitor := "v-" + uid
	if err := g.send(event.PixelPageview, webChannel, visitor, event.Source{Kind: "pixel"}, "", at.Add(time.Minute),
		props("member_id", member, "url", saleURL), event.Fields{MemberID: member, URL: saleURL}); err != nil {
		return err
	}
	amount := event.Amount((100 + rng.IntN(5000)) * event.AmountScale)
	oid := g.team + "-o" + strconv.Itoa(b) + "-" + strconv.Itoa(i)
	p := []byte(`{"amount":` + amount.String() + `,"currency":"TWD","member_id":"` + member + `","order_id":"` + oid + `"}`)
	if err := g.send(event.OrderPlaced, webChannel, visitor, event.Source{Kind: "pixel"}, "", at.Add(5*time.Minute), p,
		event.Fields{Amount: amount, Currency: "TWD", MemberID: member, OrderID: oid}); err != nil {
		return err
	}
	o := g.s.exp.Orders[g.team]
	o.Count++
	o.Amount += amount
	return nil
}

var buttonKindsOf = []string{"module", "url"}

func (g *teamGen) journey(j, i int) error {
	rng := g.s.rng
	jid := g.team + "-j" + strconv.Itoa(j)
	jc := g.s.exp.Journeys[g.team][jid]
	if jc == nil {
		jc = map[string]*JourneyCounts{}
		for k := range JourneyNodes {
			jc["n"+strconv.Itoa(k)] = &JourneyCounts{}
		}
		g.s.exp.Journeys[g.team][jid] = jc
	}
	if rng.IntN(2) == 0 {
		return nil // not in this journey
	}
	ch, uid := chOf(i), g.uid(i)
	start := g.t.Add(time.Duration(g.s.cfg.Broadcasts+j)*24*time.Hour + time.Duration(i)*time.Second)
	for k := range JourneyNodes {
		node := "n" + strconv.Itoa(k)
		cnt := jc[node]
		src := event.Source{Kind: "journey", ID: jid, NodeID: node}
		msg := jid + "-" + node
		send := msg + "-" + strconv.Itoa(i)
		at := start.Add(time.Duration(k) * 6 * time.Hour)
		if err := g.sendID(event.MessageSent, ch, uid, src, msg, send, at, propsTextButtons, event.Fields{MessageKind: "text_buttons"}); err != nil {
			return err
		}
		cnt.Sent++
		if rng.IntN(20) == 0 {
			if err := g.sendID(event.MessageFailed, ch, uid, src, msg, send, at.Add(time.Second), propsBlocked, event.Fields{Reason: "blocked"}); err != nil {
				return err
			}
			cnt.Failed++
			return nil
		}
		if err := g.sendID(event.MessageDelivered, ch, uid, src, msg, send, at.Add(2*time.Second), nil, event.Fields{}); err != nil {
			return err
		}
		cnt.Delivered++
		if rng.IntN(10) < 4 {
			typ := event.MessageRead
			if ch.Type == event.ChannelLINE {
				typ = event.MessageOpened
			}
			if err := g.sendID(typ, ch, uid, src, msg, send, at.Add(time.Duration(1+rng.IntN(3600))*time.Second), nil, event.Fields{}); err != nil {
				return err
			}
			if typ == event.MessageOpened {
				cnt.Opened++
			} else {
				cnt.Read++
			}
		}
		if rng.IntN(10) == 0 {
			kind := buttonKindsOf[rng.IntN(2)]
			if err := g.sendID(event.ButtonClicked, ch, uid, src, msg, send, at.Add(90*time.Second),
				props("button_id", "next", "button_kind", kind), event.Fields{ButtonKind: kind, ButtonID: "next"}); err != nil {
				return err
			}
			cnt.Clicked++
		}
		if rng.IntN(20) == 0 {
			if err := g.send(event.MessageInbound, ch, uid, event.Source{}, "", at.Add(20*time.Minute), propsText, event.Fields{Kind: "text"}); err != nil {
				return err
			}
		}
		if g.s.cfg.Commerce && rng.IntN(200) == 0 {
			if err := g.send(event.ContactUnsubscribed, ch, uid, event.Source{}, "", at.Add(time.Hour),
				props("reason", "block"), event.Fields{Reason: "block"}); err != nil {
				return err
			}
			return nil // a blocked contact gets no further node
		}
	}
	return nil
}
