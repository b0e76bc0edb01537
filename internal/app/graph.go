package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/omnistream/omnistream/identity"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/processors/runtime"
)

// graph adapts the identity graph to the processor's state interface.
type graph struct {
	*identity.Graph
}

func newGraph(logger *slog.Logger, store *teams.Store) graph {
	cfg := identity.DefaultConfig()
	cfg.Teams = teamSettings{store}
	return graph{identity.New(cfg, logger)}
}

// teamSettings gives the identity graph each team's region and junk list.
type teamSettings struct{ store *teams.Store }

func (s teamSettings) IdentitySettings(team string) (identity.TeamConfig, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := s.store.Get(ctx, team)
	if err != nil {
		return identity.TeamConfig{}, false
	}
	c := identity.DefaultTeamConfig()
	c.Region, c.Junk = t.Region, t.Junk
	return c, true
}

// Load restores one changelog record.
func (g graph) Load(key, value []byte) error { return g.Graph.Load(key, value) }

// Changes returns the graph's deltas as state-topic records.
func (g graph) Changes() []runtime.Change {
	ds := g.Graph.Deltas()
	out := make([]runtime.Change, len(ds))
	for i, d := range ds {
		out[i] = runtime.Change{Key: d.Key, Value: d.Value}
	}
	return out
}
