package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/omnistream/omnistream/ingest/api"
	"github.com/omnistream/omnistream/queries/analytics"
	"github.com/omnistream/omnistream/queries/customers"
	"github.com/omnistream/omnistream/queries/dashboard"
	"github.com/omnistream/omnistream/queries/export"
	"github.com/omnistream/omnistream/queries/openapi"
	"github.com/omnistream/omnistream/queries/reports"
)

// routes builds the HTTP handler of the process.
func (a *App) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	if !a.cfg.Has(RoleIngest) && !a.cfg.Has(RoleServe) {
		return mux, nil // health and metrics only
	}
	auth := a.Teams.Middleware
	if a.cfg.Has(RoleIngest) {
		acfg := api.DefaultConfig()
		acfg.PublishTimeout = a.cfg.PublishTimeout
		h, err := api.New(acfg, a.pub, a.logger)
		if err != nil {
			return nil, err
		}
		mux.Handle("POST /v1/events", auth(h))
		if err := a.mountSources(mux); err != nil {
			return nil, err
		}
	}
	if a.cfg.Has(RoleServe) {
		reports.New(a.DB, a.logger).Register(mux, auth)
		customers.New(a.DB, a.logger).Register(mux, auth)
		a.Teams.Register(mux, auth)
		ecfg := export.DefaultConfig()
		ecfg.Dir = filepath.Join(a.cfg.DataDir, "exports")
		ex, err := export.New(ecfg, a.DB, a.logger)
		if err != nil {
			return nil, err
		}
		ex.Register(mux, auth)
		analytics.New(a.DB, a.logger).Register(mux, auth)
		a.mountAudiences(mux, auth)
		dashboard.Register(mux)
	}
	a.adminRoutes(mux)
	mux.Handle("GET /v1/openapi.json", openapi.Handler(mux))
	return mux, nil
}

// Routes lists the route patterns the HTTP server serves (for the API
// contract test); nil when the process serves no HTTP.
func (a *App) Routes() ([]string, error) {
	if a.http == nil {
		return nil, nil
	}
	mux, ok := a.http.Handler.(*http.ServeMux)
	if !ok {
		return nil, fmt.Errorf("routes: the HTTP handler is a %T, not a ServeMux", a.http.Handler)
	}
	return openapi.Patterns(mux)
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-a.ready:
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		http.Error(w, "clickhouse: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}
