package analytics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// MaxLogRows is the most rows a report log answers; a log that had more
// says so with Truncated. Larger pulls belong to exports.
const MaxLogRows = 10000

// Service answers the analytics reports of the authenticated team.
type Service struct {
	db     Querier
	logger *slog.Logger
	now    func() time.Time // the clock presets are resolved against
}

// New returns the service over a ClickHouse connection.
func New(db Querier, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, logger: logger, now: time.Now}
}

// ErrNotFound means the team has no events of the requested object.
var ErrNotFound = errors.New("not found")

// InvalidParam is a request parameter that cannot be used; the API answers
// 400 naming it.
type InvalidParam struct {
	Param   string
	Message string
}

func (e *InvalidParam) Error() string { return e.Param + ": " + e.Message }

func invalid(param, message string) error { return &InvalidParam{Param: param, Message: message} }

// Register mounts the report endpoints on mux; auth authenticates each
// request and puts its team in the context (teams.Store.Middleware).
//
//	GET /v1/reports/tags
//	GET /v1/reports/contacts/{channel_type}/{channel_id}/{user_id}/tags
//	GET /v1/reports/omnilink/{campaign}
//	GET /v1/reports/contacts
//	GET /v1/reports/customers
//	GET /v1/reports/keywords
//	GET /v1/reports/richmenus
//	GET /v1/reports/cart
func (s *Service) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	for pattern, fn := range map[string]handlerFunc{
		"GET /v1/reports/tags": s.serveTags,
		"GET /v1/reports/contacts/{channel_type}/{channel_id}/{user_id}/tags": s.serveContactTags,
		"GET /v1/reports/omnilink/{campaign}":                                 s.serveOmniLink,
		"GET /v1/reports/contacts":                                            s.serveContacts,
		"GET /v1/reports/customers":                                           s.serveCustomers,
		"GET /v1/reports/keywords":                                            s.serveKeywords,
		"GET /v1/reports/richmenus":                                           s.serveRichMenus,
		"GET /v1/reports/cart":                                                s.serveCart,
	} {
		mux.Handle(pattern, auth(s.wrap(fn)))
	}
}

// handlerFunc answers one report request of team with the value to encode.
type handlerFunc func(r *http.Request, team *teams.Team) (any, error)

func (s *Service) wrap(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		team, ok := teams.FromContext(r.Context())
		if !ok {
			writeError(w, http.StatusUnauthorized, "authorization", "no authenticated team")
			return
		}
		v, err := fn(r, team)
		var bad *InvalidParam
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, v)
		case errors.As(err, &bad):
			writeError(w, http.StatusBadRequest, bad.Param, bad.Message)
		case errors.Is(err, ErrNotFound):
			writeError(w, http.StatusNotFound, "", err.Error())
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			// The client went away; nobody reads the answer.
		case errors.Is(err, context.DeadlineExceeded):
			writeError(w, http.StatusGatewayTimeout, "", "the report took too long; narrow the date range or retry")
		default:
			s.logger.Error("report failed", "team", team.ID, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusServiceUnavailable, "", "report store unavailable, retry")
		}
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// writeError writes {"error": message, "parameter": param}.
func writeError(w http.ResponseWriter, code int, param, message string) {
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, code, struct {
		Error     string `json:"error"`
		Parameter string `json:"parameter,omitempty"`
	}{message, param})
}
