package app

import (
	"os"

	"github.com/omnistream/omnistream/processors/core"
	"github.com/omnistream/omnistream/processors/runtime"
)

// chdbLibEnv overrides where libchdb.so is.
const chdbLibEnv = "OMNISTREAM_CHDB_LIB"

func chdbLibFromEnv() string { return os.Getenv(chdbLibEnv) }

// taskFactory builds the core processor of each partition with its own
// identity graph.
func (a *App) taskFactory() runtime.Factory {
	return func(p int32) runtime.Task {
		cfg := core.DefaultConfig()
		cfg.IdentityTopic = a.Topics.Identity
		return core.NewTask(cfg, p, newGraph(a.logger, a.Teams))
	}
}
