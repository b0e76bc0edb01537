package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/sinks/adsync"
	"github.com/omnistream/omnistream/sinks/adsync/line"
	"github.com/omnistream/omnistream/sinks/adsync/meta"
)

// startAudiences opens the audience and sync stores and, in the process
// with the scheduler role, starts the sync scheduler. Only one process of a
// deployment may run the scheduler.
func (a *App) startAudiences(ctx context.Context) error {
	adStore, err := adsync.NewStore(a.DB, a.logger)
	if err != nil {
		return fmt.Errorf("audience sync store: %w", err)
	}
	audStore, err := audience.NewStore(a.DB, audience.DefaultConfig(), a.logger, adStore)
	if err != nil {
		return fmt.Errorf("audience store: %w", err)
	}
	a.audiences = audStore
	if !a.cfg.Has(RoleScheduler) {
		return nil
	}
	mc, err := meta.New(meta.DefaultConfig(), nil, a.logger)
	if err != nil {
		return err
	}
	lc, err := line.New(line.DefaultConfig(), nil, a.logger)
	if err != nil {
		return err
	}
	runner, err := adsync.NewRunner(adsync.DefaultConfig(), adsync.Deps{Store: adStore, Audiences: audStore,
		Teams: a.Teams, Credentials: a.Channels, Meta: mc, LINE: lc}, a.logger)
	if err != nil {
		return fmt.Errorf("audience sync runner: %w", err)
	}
	sched, err := adsync.NewScheduler(adsync.DefaultConfig(), adStore, runner, audStore, a.logger, nil)
	if err != nil {
		return fmt.Errorf("audience sync scheduler: %w", err)
	}
	a.scheduler = sched
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := sched.Run(ctx); err != nil && ctx.Err() == nil {
			a.errs <- fmt.Errorf("audience sync scheduler: %w", err)
		}
	}()
	return nil
}

// mountAudiences mounts the audience API and, where the scheduler runs, the
// audience-sync API.
func (a *App) mountAudiences(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	if a.audiences != nil {
		audience.NewHandler(a.audiences, a.logger).Register(mux, auth)
	}
	if a.scheduler != nil {
		adsync.NewHandler(adsync.DefaultConfig(), a.scheduler, a.logger).Register(mux, auth)
	}
}
