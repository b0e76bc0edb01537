package hook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
)

// Publisher writes a team's events durably (Kafka with acks=all in
// production). The receivers declare the same interface.
type Publisher interface {
	Publish(ctx context.Context, teamID string, events []event.Event) error
}

// DeadLetters records platform items that could not become valid events.
type DeadLetters interface {
	DeadLetter(ctx context.Context, source string, raw []byte, reason string) error
}

// Sink takes a mapped Batch to the publisher.
type Sink struct {
	Source      string // "line", "meta", "whatsapp": dead-letter source and metric label
	Publisher   Publisher
	DeadLetters DeadLetters
	Recent      *Recent
	Logger      *slog.Logger
	Now         func() time.Time
	Metrics     *Metrics
}

// Result counts what Deliver did.
type Result struct {
	Published    int `json:"published"`
	Duplicates   int `json:"duplicates"`
	DeadLettered int `json:"dead_lettered"`
	Skipped      int `json:"skipped"`
}

// Deliver validates every event of b, dead-letters the invalid ones, drops
// those already published recently (redeliveries), publishes the rest per
// team, then writes the dead letters. It returns an error when publishing or
// dead-lettering failed; the caller then answers 503 so the platform
// redelivers, and the recent-id cache keeps what was already published from
// being published twice.
func (s *Sink) Deliver(ctx context.Context, b *Batch) (Result, error) {
	now := s.Now()
	res := Result{Skipped: b.Skipped()}
	dead := append([]Dead(nil), b.Dead()...)
	for _, team := range b.Teams() {
		items := b.Items(team)
		out := make([]event.Event, 0, len(items))
		seen := make(map[string]bool, len(items))
		for i := range items {
			e := &items[i].Event
			if err := e.Validate(now); err != nil {
				dead = append(dead, Dead{Raw: items[i].Raw, Reason: fmt.Sprintf("%s: %v", e.Type, err)})
				continue
			}
			if seen[e.EventID] || s.Recent.Contains(e.EventID) {
				res.Duplicates++
				continue
			}
			seen[e.EventID] = true
			out = append(out, *e)
		}
		if len(out) == 0 {
			continue
		}
		if err := s.Publisher.Publish(ctx, team, out); err != nil {
			s.Metrics.event(s.Source, "publish_failed", len(out))
			return res, fmt.Errorf("publish %d %s events of team %s: %w", len(out), s.Source, team, err)
		}
		ids := make([]string, len(out))
		for i := range out {
			ids[i] = out[i].EventID
		}
		s.Recent.Add(ids...)
		res.Published += len(out)
	}
	for _, d := range dead {
		if err := s.DeadLetters.DeadLetter(ctx, s.Source, d.Raw, d.Reason); err != nil {
			return res, fmt.Errorf("dead-letter %s item (%s): %w", s.Source, d.Reason, err)
		}
		res.DeadLettered++
		s.Logger.LogAttrs(ctx, slog.LevelWarn, "webhook item dead-lettered",
			slog.String("source", s.Source), slog.String("reason", d.Reason), slog.Int("bytes", len(d.Raw)))
	}
	s.Metrics.event(s.Source, "published", res.Published)
	s.Metrics.event(s.Source, "duplicate", res.Duplicates)
	s.Metrics.event(s.Source, "dead_letter", res.DeadLettered)
	s.Metrics.event(s.Source, "skipped", res.Skipped)
	return res, nil
}

// Respond delivers b and answers the platform: 200 with the counts, or 503
// with Retry-After when publishing or dead-lettering failed.
func (s *Sink) Respond(w http.ResponseWriter, r *http.Request, b *Batch, retryAfter time.Duration) {
	res, err := s.Deliver(r.Context(), b)
	if err != nil {
		s.Metrics.Request(s.Source, "unavailable")
		s.Logger.LogAttrs(r.Context(), slog.LevelError, "webhook delivery failed; asking the platform to redeliver",
			slog.String("source", s.Source), slog.Any("error", err))
		Unavailable(w, retryAfter, "temporarily unavailable, retry later")
		return
	}
	s.Metrics.Request(s.Source, "ok")
	WriteJSON(w, http.StatusOK, res)
}
