package adsync

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistream/omnistream/internal/httpx"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/audience"
)

// Handler serves the sync schedule API. Every route acts on the team that
// authenticated the request (teams.FromContext).
//
//	POST   /v1/audience-syncs                         create {audience_id, name, target, mode, kind, every, unit, start_at}
//	GET    /v1/audience-syncs                         list (?audience_id=), with next runs
//	GET    /v1/audience-syncs/{id}                    one schedule with its next runs
//	DELETE /v1/audience-syncs/{id}                    cancel the whole schedule
//	POST   /v1/audience-syncs/{id}/skip               cancel one upcoming run {"at": RFC 3339}
//	POST   /v1/audience-syncs/{id}/run                run now
//	GET    /v1/audience-syncs/{id}/runs               run history, newest first, running ones with progress
//	POST   /v1/audience-syncs/{id}/runs/{run}/cancel  cancel a running run
type Handler struct {
	cfg    Config
	sched  *Scheduler
	logger *slog.Logger
}

// NewHandler returns the HTTP API of a scheduler.
func NewHandler(cfg Config, sched *Scheduler, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, sched: sched, logger: logger}
}

// Register mounts the routes on mux; auth authenticates each request and
// puts its team in the context (teams.Store.Middleware).
func (h *Handler) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	for pattern, fn := range map[string]func(http.ResponseWriter, *http.Request, *teams.Team) error{
		"POST /v1/audience-syncs":                        h.create,
		"GET /v1/audience-syncs":                         h.list,
		"GET /v1/audience-syncs/{id}":                    h.get,
		"DELETE /v1/audience-syncs/{id}":                 h.cancel,
		"POST /v1/audience-syncs/{id}/skip":              h.skip,
		"POST /v1/audience-syncs/{id}/run":               h.runNow,
		"GET /v1/audience-syncs/{id}/runs":               h.runs,
		"POST /v1/audience-syncs/{id}/runs/{run}/cancel": h.cancelRun,
	} {
		mux.Handle(pattern, auth(httpx.TeamHandler(fn, h.fail)))
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var inv Invalid
	var ainv audience.Invalid
	switch {
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, err.Error(), inv)
	case errors.As(err, &ainv):
		writeError(w, http.StatusBadRequest, err.Error(), nil)
	case errors.Is(err, ErrNotFound), errors.Is(err, audience.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, audience.ErrArchived):
		writeError(w, http.StatusConflict, err.Error(), nil)
	case errors.Is(err, context.Canceled):
	default:
		h.logger.Error("sync request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error", nil)
	}
}

func writeError(w http.ResponseWriter, code int, msg string, problems []string) {
	httpx.WriteJSON(w, code, struct {
		Error    string   `json:"error"`
		Problems []string `json:"problems,omitempty"`
	}{msg, problems})
}

// decode reads a JSON body of at most cfg.MaxBodyBytes into v.
func (h *Handler) decode(r *http.Request, v any) error {
	err := httpx.DecodeJSON(r, h.cfg.MaxBodyBytes, v)
	var be *httpx.BodyError
	if errors.As(err, &be) {
		return Invalid{be.Error()}
	}
	return err
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	var in ScheduleInput
	if err := h.decode(r, &in); err != nil {
		return err
	}
	sc, err := h.sched.Create(r.Context(), team, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, sc)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	list, err := h.sched.List(r.Context(), team.ID, r.URL.Query().Get("audience_id"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []Schedule{}
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Schedules []Schedule `json:"schedules"`
	}{list})
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	sc, err := h.sched.Get(r.Context(), team.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, sc)
	return nil
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	sc, err := h.sched.Cancel(r.Context(), team.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, sc)
	return nil
}

func (h *Handler) skip(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	var in struct {
		At time.Time `json:"at"`
	}
	if err := h.decode(r, &in); err != nil {
		return err
	}
	sc, err := h.sched.SkipRun(r.Context(), team.ID, r.PathValue("id"), in.At)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, sc)
	return nil
}

func (h *Handler) runNow(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	if err := h.sched.RunNow(r.Context(), team.ID, r.PathValue("id")); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
	}{"started"})
	return nil
}

func (h *Handler) runs(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	id := r.PathValue("id")
	if _, err := h.sched.store.Schedule(r.Context(), team.ID, id); err != nil {
		return err
	}
	runs, err := h.sched.store.Runs(r.Context(), team.ID, id, h.cfg.HistoryLimit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []Run{}
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Runs []Run `json:"runs"`
	}{runs})
	return nil
}

func (h *Handler) cancelRun(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	run, err := h.sched.store.Run(r.Context(), team.ID, r.PathValue("id"), r.PathValue("run"))
	if err != nil {
		return err
	}
	if run.Done() || !h.sched.CancelRun(team.ID, run.ID) {
		return Invalid{"the run is not running"}
	}
	httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
	}{"cancelling"})
	return nil
}
