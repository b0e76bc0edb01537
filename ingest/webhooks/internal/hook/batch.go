package hook

import "github.com/omnistream/omnistream/ingest/event"

// Batch collects what a mapper made of one webhook request: events grouped by
// team (in arrival order), dead letters and a count of items skipped on
// purpose (event kinds Omnistream does not track).
type Batch struct {
	teams   []string
	byTeam  map[string][]Item
	dead    []Dead
	skipped int
}

// Item is a mapped event with the raw platform item it came from, kept for the
// dead letter should the event fail validation.
type Item struct {
	Event event.Event
	Raw   []byte
}

// Dead is a raw platform item that could not be mapped, with the reason.
type Dead struct {
	Raw    []byte
	Reason string
}

// Add records e for team. raw is the platform item e was mapped from.
func (b *Batch) Add(team string, e event.Event, raw []byte) {
	if b.byTeam == nil {
		b.byTeam = make(map[string][]Item)
	}
	if _, ok := b.byTeam[team]; !ok {
		b.teams = append(b.teams, team)
	}
	e.TeamID = team
	b.byTeam[team] = append(b.byTeam[team], Item{Event: e, Raw: raw})
}

// DeadLetter records a raw item that could not be mapped.
func (b *Batch) DeadLetter(raw []byte, reason string) {
	b.dead = append(b.dead, Dead{Raw: raw, Reason: reason})
}

// Skip counts an item deliberately not mapped.
func (b *Batch) Skip() { b.skipped++ }

// Teams returns the teams in arrival order.
func (b *Batch) Teams() []string { return b.teams }

// Items returns team's events.
func (b *Batch) Items(team string) []Item { return b.byTeam[team] }

// Dead returns the dead letters recorded so far.
func (b *Batch) Dead() []Dead { return b.dead }

// Skipped returns how many items were skipped on purpose.
func (b *Batch) Skipped() int { return b.skipped }

// Len is the number of events over all teams.
func (b *Batch) Len() int {
	n := 0
	for _, items := range b.byTeam {
		n += len(items)
	}
	return n
}
