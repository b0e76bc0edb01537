// Package demo loads a demo team into a running deployment: it creates the
// team and an API key, then posts generated events through the public
// ingest API, exactly as a client would.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/internal/teams"
)

// TeamID is the demo team.
const TeamID = "demo-0"

// BroadcastID is a broadcast of the demo data worth opening first.
const BroadcastID = "demo-0-b0"

// Load creates the demo team and loads its events; it returns a new API key.
func Load(ctx context.Context, a *app.App, logger *slog.Logger) (string, error) {
	if _, err := a.Teams.Put(ctx, teams.New(TeamID, "Demo Shop", "TW")); err != nil {
		return "", err
	}
	key, err := a.Teams.CreateKey(ctx, TeamID)
	if err != nil {
		return "", err
	}
	cfg := gen.DefaultConfig()
	cfg.TeamPrefix, cfg.Teams, cfg.Contacts, cfg.Broadcasts = "demo-", 1, 2000, 3
	cfg.Start = time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	n, err := Post(ctx, a.HTTPURL, key, cfg, 1000, func(done int) {
		logger.Info("loading demo events", "posted", done)
	})
	if err != nil {
		return "", err
	}
	logger.Info("demo data loaded", "team", TeamID, "events", n)
	return key, nil
}

// Post generates cfg's events and posts them to the ingest API at base with
// key, batch events per request; progress is called after each request.
func Post(ctx context.Context, base, key string, cfg gen.Config, batch int, progress func(done int)) (int, error) {
	var buf bytes.Buffer
	pending, done := 0, 0
	flush := func() error {
		if pending == 0 {
			return nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/events", bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-ndjson")
		for attempt := 0; ; attempt++ {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("post events: %w", err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable || attempt > 20 {
				return fmt.Errorf("post events: status %s", resp.Status)
			}
			time.Sleep(500 * time.Millisecond)
			req.Body = ioNopCloser(buf.Bytes())
		}
		done += pending
		pending = 0
		buf.Reset()
		if progress != nil {
			progress(done)
		}
		return nil
	}
	_, err := gen.Generate(cfg, func(_ string, e event.Event) error {
		e.TeamID = ""
		b, err := event.AppendJSON(buf.AvailableBuffer(), &e)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
		pending++
		if pending >= batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return done, err
	}
	return done + pending, flush()
}

func ioNopCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
