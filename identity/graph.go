package identity

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/omnistream/omnistream/identity/normalize"
	"github.com/omnistream/omnistream/ingest/event"
)

// Errors of Apply. The graph is unchanged when Apply returns one.
var (
	ErrNoTeam    = errors.New("identity: event has no team_id")
	ErrNoContact = errors.New("identity: event has no contact")
)

// Graph is the identity graph of one Kafka partition: the teams of that
// partition, each a separate graph.
type Graph struct {
	cfg    Config
	logger *slog.Logger

	mu      sync.RWMutex
	teams   map[string]*team
	pending bool // Load was called: some teams need their customers rebuilt
}

// New returns an empty graph. cfg must be valid (see Config.Validate); a nil
// logger discards.
func New(cfg Config, logger *slog.Logger) *Graph {
	if err := cfg.Validate(); err != nil {
		panic(err) // programmer error: configs are validated where they are built
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Graph{cfg: cfg, logger: logger, teams: map[string]*team{}}
}

// teamSettings is a team's compiled configuration.
type teamSettings struct {
	norm  *normalize.Normalizer
	sync  SyncBy
	limit uint32
}

func (g *Graph) settingsOf(name string) teamSettings {
	tc := g.cfg.Default
	if g.cfg.Teams != nil {
		if c, ok := g.cfg.Teams.IdentitySettings(name); ok {
			if err := c.Validate(); err != nil {
				g.logger.Error("invalid identity settings, using defaults", "team", name, "err", err)
			} else {
				tc = c
			}
		}
	}
	norm, err := normalize.New(tc.Region, tc.Junk)
	if err != nil { // validated above
		panic(err)
	}
	return teamSettings{norm: norm, sync: tc.SyncBy, limit: uint32(tc.MaxContactsPerIdentifier)}
}

// team returns the graph of a team, creating it.
func (g *Graph) team(name string) *team {
	t := g.teams[name]
	if t == nil {
		t = newTeam(name, g.settingsOf(name))
		g.teams[name] = t
	}
	return t
}

// ReloadTeam asks Config.Teams for the team's settings again. They apply to
// events from now on; earlier decisions stand.
func (g *Graph) ReloadTeam(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.teams[name]; t != nil {
		t.settings = g.settingsOf(name)
	}
}

// settle rebuilds customers after Load. Callers hold g.mu.
func (g *Graph) settle() {
	if !g.pending {
		return
	}
	for _, t := range g.teams {
		if t.rebuild {
			t.rebuildCustomers()
		}
	}
	g.pending = false
}

// readLock takes the read lock with customers settled.
func (g *Graph) readLock() {
	g.mu.RLock()
	if g.pending {
		g.mu.RUnlock()
		g.mu.Lock()
		g.settle()
		g.mu.Unlock()
		g.mu.RLock()
	}
}

// Apply applies one event and says what changed. Events of other types than
// the identity ones only make their contact known. An error (no team, or a
// type that needs a contact without one) leaves the graph unchanged.
func (g *Graph) Apply(e *event.Event) (Outcome, error) {
	if e.TeamID == "" {
		return Outcome{}, ErrNoTeam
	}
	hasContact := e.Contact.ChannelUserID != ""
	switch e.Type {
	case event.IdentityBind, event.IdentityUnbind, event.OmniLinkSucceeded, event.ContactCreated, event.ContactDeleted:
		if !hasContact {
			return Outcome{}, fmt.Errorf("apply %s %s: %w", e.Type, e.EventID, ErrNoContact)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settle()
	t := g.team(e.TeamID)
	o := &op{t: t, ev: e, ts: e.TS.UnixMilli(), actor: e.Fields.Actor}
	if o.actor == "" {
		o.actor = e.Source.Kind
	}
	t.apply(o)
	return t.finish(o, g.cfg.Clock().UnixMicro()), nil
}

// Lookup returns the customer of a contact.
func (g *Graph) Lookup(team, channelType, channelID, userID string) (customerID string, ok bool) {
	g.readLock()
	defer g.mu.RUnlock()
	t := g.teams[team]
	if t == nil {
		return "", false
	}
	ch, ok := t.chanIdx[chanRef{channelType, channelID}]
	if !ok {
		return "", false
	}
	n := t.find(t.contactKey(make([]byte, 0, 64), ch, userID))
	if n == 0 {
		return "", false
	}
	return formatID(t.custs[t.nodes[n].cust].id), true
}

// Ref names a node for Customer: a contact or an identifier.
type Ref struct {
	Kind        string // "contact", "member_id", "phone" or "email"
	ChannelType string // contacts only
	ChannelID   string // contacts only
	Value       string // channel user id, member id, phone or email (normalized by the team's rules)
}

// ContactRef, MemberRef, PhoneRef and EmailRef build Refs.
func ContactRef(channelType, channelID, userID string) Ref {
	return Ref{Kind: "contact", ChannelType: channelType, ChannelID: channelID, Value: userID}
}
func MemberRef(id string) Ref   { return Ref{Kind: "member_id", Value: id} }
func PhoneRef(phone string) Ref { return Ref{Kind: "phone", Value: phone} }
func EmailRef(email string) Ref { return Ref{Kind: "email", Value: email} }

// Profile is the 360° view of a customer.
type Profile struct {
	Team       string
	CustomerID string
	MemberID   string
	Phones     []string // sorted
	Emails     []string // sorted
	Methods    []string // binding methods, sorted
	Contacts   []ProfileContact
}

// ProfileContact is one contact of a customer with what it carries.
type ProfileContact struct {
	ChannelType string
	ChannelID   string
	UserID      string
	FirstSeenMs int64    // Unix milliseconds
	Methods     []string // its binding methods, sorted
	MemberIDs   []string // recorded member ids (a refused one included)
	Phones      []string
	Emails      []string
}

// Customer returns the 360° profile of the customer that ref belongs to.
// Contacts are sorted by channel type, channel id and user id.
func (g *Graph) Customer(team string, ref Ref) (Profile, bool) {
	g.readLock()
	defer g.mu.RUnlock()
	t := g.teams[team]
	if t == nil {
		return Profile{}, false
	}
	var k []byte
	switch ref.Kind {
	case "contact":
		ch, ok := t.chanIdx[chanRef{ref.ChannelType, ref.ChannelID}]
		if !ok {
			return Profile{}, false
		}
		k = t.contactKey(nil, ch, ref.Value)
	case "member_id":
		v, ok := t.settings.norm.MemberID(ref.Value)
		if !ok {
			return Profile{}, false
		}
		k = identKey(nil, kindMember, v)
	case "phone":
		v, ok := t.settings.norm.Phone(ref.Value)
		if !ok {
			return Profile{}, false
		}
		k = identKey(nil, kindPhone, v)
	case "email":
		v, ok := t.settings.norm.Email(ref.Value)
		if !ok {
			return Profile{}, false
		}
		k = identKey(nil, kindEmail, v)
	default:
		return Profile{}, false
	}
	n := t.find(k)
	if n == 0 || t.nodes[n].cust == 0 {
		return Profile{}, false
	}
	return t.profile(t.nodes[n].cust), true
}

// Stats returns a team's anonymous counters.
func (g *Graph) Stats(team string) Stats {
	g.readLock()
	defer g.mu.RUnlock()
	if t := g.teams[team]; t != nil {
		return t.stats
	}
	return Stats{}
}

// Teams lists the teams the graph holds, sorted.
func (g *Graph) Teams() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.teams))
	for name := range g.teams {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
