package audience

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/omnistream/omnistream/internal/httpx"
	"github.com/omnistream/omnistream/internal/teams"
)

// Handler serves the audience API. Every route acts on the team that
// authenticated the request (teams.FromContext), never on one named in the
// request.
//
//	GET  /v1/audiences                  list (?archived=true, ?channel=line, ?q=name)
//	POST /v1/audiences                  create {name, channel, conditions}
//	POST /v1/audiences/preview          size and first page of an unsaved definition
//	GET  /v1/audiences/{id}             one audience
//	PUT  /v1/audiences/{id}             edit {name, channel, conditions, version}
//	POST /v1/audiences/{id}/copy        copy
//	POST /v1/audiences/{id}/archive     archive (409 while a schedule uses it)
//	POST /v1/audiences/{id}/unarchive   make active again
//	POST /v1/audiences/{id}/preview     current size and a page of members (?limit=, ?cursor=)
type Handler struct {
	store  *Store
	logger *slog.Logger
}

// NewHandler returns the HTTP API of store.
func NewHandler(store *Store, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{store: store, logger: logger}
}

// Register mounts the routes on mux; auth authenticates each request and
// puts its team in the context (teams.Store.Middleware).
func (h *Handler) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	for pattern, fn := range map[string]func(http.ResponseWriter, *http.Request, *teams.Team) error{
		"GET /v1/audiences":                 h.list,
		"POST /v1/audiences":                h.create,
		"POST /v1/audiences/preview":        h.previewDefinition,
		"GET /v1/audiences/{id}":            h.get,
		"PUT /v1/audiences/{id}":            h.update,
		"POST /v1/audiences/{id}/copy":      h.copy,
		"POST /v1/audiences/{id}/archive":   h.archive,
		"POST /v1/audiences/{id}/unarchive": h.unarchive,
		"POST /v1/audiences/{id}/preview":   h.preview,
	} {
		mux.Handle(pattern, auth(httpx.TeamHandler(fn, h.fail)))
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var inv Invalid
	switch {
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, inv.Error(), inv)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, ErrInUse), errors.Is(err, ErrConflict), errors.Is(err, ErrArchived):
		writeError(w, http.StatusConflict, err.Error(), nil)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "the audience query took too long; narrow the conditions or retry", nil)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
	default:
		h.logger.Error("audience request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error", nil)
	}
}

func writeError(w http.ResponseWriter, code int, msg string, fields Invalid) {
	httpx.WriteJSON(w, code, struct {
		Error  string       `json:"error"`
		Fields []FieldError `json:"fields,omitempty"`
	}{msg, fields})
}

// decode reads a JSON body of at most the configured size into v.
func (h *Handler) decode(r *http.Request, v any) error {
	err := httpx.DecodeJSON(r, h.store.cfg.MaxBodyBytes, v)
	var be *httpx.BodyError
	if errors.As(err, &be) {
		return Invalid{{"body", be.Problem}}
	}
	return err
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	q := r.URL.Query()
	list, err := h.store.List(r.Context(), team.ID, ListFilter{
		Archived: q.Get("archived") == "true", ChannelType: q.Get("channel"), Search: q.Get("q"),
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []Audience{}
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Audiences []Audience `json:"audiences"`
	}{list})
	return nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	var in Input
	if err := h.decode(r, &in); err != nil {
		return err
	}
	a, err := h.store.Create(r.Context(), team, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, a)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	a, err := h.store.Get(r.Context(), team.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	var in struct {
		Input
		Version uint64 `json:"version"`
	}
	if err := h.decode(r, &in); err != nil {
		return err
	}
	a, err := h.store.Update(r.Context(), team, r.PathValue("id"), in.Input, in.Version)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) copy(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	a, err := h.store.Copy(r.Context(), team, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, a)
	return nil
}

func (h *Handler) archive(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	a, err := h.store.Archive(r.Context(), team, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) unarchive(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	a, err := h.store.Unarchive(r.Context(), team, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, a)
	return nil
}

func pageArgs(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return "", 0, Invalid{{"limit", "must be a positive integer"}}
		}
		limit = n
	}
	return q.Get("cursor"), limit, nil
}

func (h *Handler) preview(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	cursor, limit, err := pageArgs(r)
	if err != nil {
		return err
	}
	a, err := h.store.Get(r.Context(), team.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := h.store.Preview(r.Context(), team, a.Definition(), cursor, limit)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) previewDefinition(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	cursor, limit, err := pageArgs(r)
	if err != nil {
		return err
	}
	var def Definition
	if err := h.decode(r, &def); err != nil {
		return err
	}
	page, err := h.store.Preview(r.Context(), team, def, cursor, limit)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, page)
	return nil
}
