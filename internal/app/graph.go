package app

import (
	"log/slog"

	"github.com/omnistream/omnistream/identity"
	"github.com/omnistream/omnistream/processors/runtime"
)

// graph adapts the identity graph to the processor's state interface.
type graph struct {
	*identity.Graph
}

func newGraph(logger *slog.Logger) graph {
	return graph{identity.New(identity.DefaultConfig(), logger)}
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
