package reports

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// Querier is the part of a ClickHouse connection reports need.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Service serves the report endpoints.
type Service struct {
	db     Querier
	logger *slog.Logger
}

// New returns the report service.
func New(db Querier, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, logger: logger}
}

// Register mounts the endpoints on mux; auth authenticates each request and
// puts its team in the context (teams.Store.Middleware).
//
//	GET /v1/reports/broadcasts                     ?from=&to=&channel=&status=&limit=&cursor=
//	GET /v1/reports/broadcasts/{id}
//	GET /v1/reports/broadcasts/{id}/recipients     ?state=&channel=&limit=&cursor=
//	GET /v1/reports/journeys/{id}                  ?from=&to=
func (s *Service) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	for pattern, fn := range map[string]func(http.ResponseWriter, *http.Request, *teams.Team) error{
		"GET /v1/reports/broadcasts":                 s.listBroadcasts,
		"GET /v1/reports/broadcasts/{id}":            s.broadcast,
		"GET /v1/reports/broadcasts/{id}/recipients": s.recipients,
		"GET /v1/reports/journeys/{id}":              s.journey,
	} {
		mux.Handle(pattern, auth(s.wrap(fn)))
	}
}

// paramError is a bad request parameter; the handler answers 400 naming it.
type paramError struct {
	param, message string
}

func (e *paramError) Error() string { return e.param + ": " + e.message }

func badParam(param, message string) error { return &paramError{param: param, message: message} }

func (s *Service) wrap(fn func(http.ResponseWriter, *http.Request, *teams.Team) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		team, ok := teams.FromContext(r.Context())
		if !ok {
			WriteError(w, http.StatusUnauthorized, "authorization", "no team")
			return
		}
		err := fn(w, r, team)
		var pe *paramError
		switch {
		case err == nil:
		case errors.As(err, &pe):
			WriteError(w, http.StatusBadRequest, pe.param, pe.message)
		case errors.Is(err, ErrNotFound):
			WriteError(w, http.StatusNotFound, "id", "no events of "+strconv.Quote(r.PathValue("id")))
		case errors.Is(err, context.Canceled):
			// The client went away; nobody reads the answer.
		case errors.Is(err, context.DeadlineExceeded):
			WriteError(w, http.StatusGatewayTimeout, "", "the report query took too long, retry")
		default:
			s.logger.Error("report failed", "team", team.ID, "path", r.URL.Path, "err", err)
			WriteError(w, http.StatusServiceUnavailable, "", "report store unavailable, retry")
		}
	})
}

// pathID validates the {id} path value.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 128 {
		return "", badParam("id", "must be 1-128 bytes")
	}
	return id, nil
}

func (s *Service) broadcast(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := onlyParams(r); err != nil {
		return err
	}
	rep, err := s.Broadcast(r.Context(), team, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Service) listBroadcasts(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	if err := onlyParams(r, "from", "to", "channel", "status", "limit", "cursor"); err != nil {
		return err
	}
	q, err := parseListQuery(r, team.Location())
	if err != nil {
		return err
	}
	page, err := s.Broadcasts(r.Context(), team, q)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, page)
	return nil
}

func (s *Service) recipients(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "state", "channel", "limit", "cursor"); err != nil {
		return err
	}
	q, err := parseRecipientQuery(r)
	if err != nil {
		return err
	}
	page, err := s.Recipients(r.Context(), team, id, q)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, page)
	return nil
}

func (s *Service) journey(w http.ResponseWriter, r *http.Request, team *teams.Team) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "from", "to"); err != nil {
		return err
	}
	rng, err := parseRange(r.URL.Query(), team.Location())
	if err != nil {
		return err
	}
	rep, err := s.Journey(r.Context(), team, id, rng)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}

// WriteJSON writes v as the JSON response.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// WriteError writes {"error": message, "parameter": param}.
func WriteError(w http.ResponseWriter, code int, param, message string) {
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	WriteJSON(w, code, map[string]string{"error": message, "parameter": param})
}
