package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
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

// Register mounts the endpoints on mux; auth wraps each handler.
func (s *Service) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/reports/broadcasts/{id}", auth(http.HandlerFunc(s.broadcast)))
}

// BroadcastChannel is the report of one broadcast on one channel type.
// Counts are distinct contacts.
type BroadcastChannel struct {
	Channel   string `json:"channel"`
	Sent      uint64 `json:"sent"`
	Delivered uint64 `json:"delivered"`
	Failed    uint64 `json:"failed"`
	Read      uint64 `json:"read"`
	Opened    uint64 `json:"opened"`
	Clicked   uint64 `json:"clicked"`
}

// BroadcastReport is the report of one broadcast.
type BroadcastReport struct {
	BroadcastID string             `json:"broadcast_id"`
	Channels    []BroadcastChannel `json:"channels"`
}

// ErrNotFound means the team has no events of that broadcast.
var ErrNotFound = errors.New("not found")

const broadcastSQL = `
SELECT channel_type,
       uniqExactIf(contact_id, type = 'message.sent') AS sent,
       uniqExactIf(contact_id, type IN ('message.delivered', 'message.read', 'message.opened')) AS delivered,
       uniqExactIf(contact_id, type = 'message.failed') AS failed,
       uniqExactIf(contact_id, type = 'message.read') AS read,
       uniqExactIf(contact_id, type = 'message.opened') AS opened,
       uniqExactIf(contact_id, type = 'button.clicked' AND button_kind IN ('url', 'module')) AS clicked
FROM events
WHERE team_id = {team:String} AND source_kind = 'broadcast' AND source_id = {id:String}
  AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened', 'button.clicked')
GROUP BY channel_type
ORDER BY channel_type`

// Broadcast computes the report of one broadcast of a team.
func (s *Service) Broadcast(ctx context.Context, teamID, id string) (*BroadcastReport, error) {
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"team": teamID, "id": id}))
	rows, err := s.db.Query(qctx, broadcastSQL)
	if err != nil {
		return nil, fmt.Errorf("query broadcast %s: %w", id, err)
	}
	defer rows.Close()
	r := &BroadcastReport{BroadcastID: id, Channels: []BroadcastChannel{}}
	for rows.Next() {
		var c BroadcastChannel
		if err := rows.Scan(&c.Channel, &c.Sent, &c.Delivered, &c.Failed, &c.Read, &c.Opened, &c.Clicked); err != nil {
			return nil, fmt.Errorf("scan broadcast %s: %w", id, err)
		}
		r.Channels = append(r.Channels, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read broadcast %s: %w", id, err)
	}
	if len(r.Channels) == 0 {
		return nil, ErrNotFound
	}
	return r, nil
}

func (s *Service) broadcast(w http.ResponseWriter, r *http.Request) {
	team, ok := teams.FromContext(r.Context())
	if !ok {
		WriteError(w, http.StatusUnauthorized, "authorization", "no team")
		return
	}
	id := r.PathValue("id")
	if id == "" || len(id) > 128 {
		WriteError(w, http.StatusBadRequest, "id", "must be 1-128 bytes")
		return
	}
	rep, err := s.Broadcast(r.Context(), team.ID, id)
	switch {
	case errors.Is(err, ErrNotFound):
		WriteError(w, http.StatusNotFound, "id", "no events of broadcast "+strconv.Quote(id))
	case err != nil:
		s.logger.Error("broadcast report failed", "team", team.ID, "broadcast", id, "err", err)
		WriteError(w, http.StatusServiceUnavailable, "", "report store unavailable, retry")
	default:
		WriteJSON(w, http.StatusOK, rep)
	}
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
