package app

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/channels"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/reports"
	"github.com/omnistream/omnistream/queries/sqlaccess"
)

// adminRoutes mounts the admin API, authenticated by the admin token (not
// by team keys): team creation, settings and key management.
func (a *App) adminRoutes(mux *http.ServeMux) {
	if a.cfg.AdminToken == "" {
		return
	}
	admin := func(h http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.AdminToken)) != 1 {
				reports.WriteError(w, http.StatusUnauthorized, "authorization", "admin token required")
				return
			}
			h(w, r)
		})
	}
	mux.Handle("POST /v1/admin/teams", admin(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID, Name, Region string
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		t := teams.New(req.ID, req.Name, req.Region)
		saved, err := a.Teams.Put(r.Context(), t)
		if err != nil {
			reports.WriteError(w, http.StatusBadRequest, "", err.Error())
			return
		}
		key, err := a.Teams.CreateKey(r.Context(), saved.ID)
		if err != nil {
			reports.WriteError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		}
		reports.WriteJSON(w, http.StatusCreated, map[string]any{"team": saved, "api_key": key})
	}))
	mux.Handle("PUT /v1/admin/channels", admin(func(w http.ResponseWriter, r *http.Request) {
		var c channels.Channel
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&c); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		if err := c.Validate(); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		if c.TeamID != "" {
			if _, err := a.Teams.Get(r.Context(), c.TeamID); err != nil {
				reports.WriteError(w, http.StatusBadRequest, "team_id", err.Error())
				return
			}
		}
		if err := a.Channels.Put(r.Context(), c); err != nil {
			reports.WriteError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.Handle("PUT /v1/admin/credentials", admin(func(w http.ResponseWriter, r *http.Request) {
		var c channels.Credential
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&c); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		if _, err := a.Teams.Get(r.Context(), c.TeamID); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "team_id", err.Error())
			return
		}
		if err := a.Channels.PutCredential(r.Context(), c); err != nil {
			reports.WriteError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.Handle("POST /v1/admin/teams/{id}/analyst", admin(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := a.Teams.Get(r.Context(), id); err != nil {
			reports.WriteError(w, http.StatusNotFound, "id", err.Error())
			return
		}
		user, pass, err := a.analysts.Load().Provision(r.Context(), id)
		if err != nil {
			reports.WriteError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		}
		reports.WriteJSON(w, http.StatusCreated, map[string]any{"user": user, "password": pass, "database": sqlaccess.Database(id),
			"clickhouse_url": "http://" + a.CHAddr, "views": sqlaccess.ViewNames()})
	}))
	mux.Handle("POST /v1/admin/teams/{id}/keys", admin(func(w http.ResponseWriter, r *http.Request) {
		key, err := a.Teams.CreateKey(r.Context(), r.PathValue("id"))
		if errors.Is(err, teams.ErrNotFound) {
			reports.WriteError(w, http.StatusNotFound, "id", err.Error())
			return
		}
		if err != nil {
			reports.WriteError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		}
		reports.WriteJSON(w, http.StatusCreated, map[string]string{"api_key": key})
	}))
	mux.Handle("DELETE /v1/admin/teams/{id}/keys/{key}", admin(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Teams.RevokeKey(r.Context(), r.PathValue("id"), r.PathValue("key")); err != nil {
			reports.WriteError(w, http.StatusServiceUnavailable, "", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}
