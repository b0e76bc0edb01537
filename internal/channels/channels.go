// Package channels stores the channel accounts native sources accept
// traffic for — LINE channels, Meta apps and the Pages / Instagram accounts
// they serve, WhatsApp numbers, pixel sites — with their webhook secrets,
// and answers the lookups of the webhook receivers and the pixel.
//
// Rows live in the ClickHouse table channels (latest version wins) and are
// cached for CacheTTL, unknown ids too, so a flood of webhooks for an
// unknown channel costs no query each.
package channels

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/ingest/pixel"
	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/line"
	"github.com/omnistream/omnistream/ingest/webhooks/meta"
	"github.com/omnistream/omnistream/ingest/webhooks/whatsapp"
	"github.com/omnistream/omnistream/internal/chparam"
)

// Kinds of channel rows.
const (
	KindLINE        = "line"
	KindMetaApp     = "meta_app"
	KindMetaAccount = "meta_account"
	KindWhatsApp    = "whatsapp"
	KindPixelSite   = "pixel_site"
)

// Channel is one row. For meta_account, ID is "<facebook|instagram>:<page or
// account id>" and App the Meta app id.
type Channel struct {
	Kind        string   `json:"kind"`
	ID          string   `json:"id"`
	App         string   `json:"app,omitempty"`
	TeamID      string   `json:"team_id"`
	Secret      string   `json:"secret,omitempty"`
	VerifyToken string   `json:"verify_token,omitempty"`
	Origins     []string `json:"origins,omitempty"`
}

// Validate reports every problem at once.
func (c Channel) Validate() error {
	var errs []error
	switch c.Kind {
	case KindLINE, KindMetaApp, KindWhatsApp:
		if c.Secret == "" {
			errs = append(errs, fmt.Errorf("secret: required for %s", c.Kind))
		}
	case KindMetaAccount:
		if c.App == "" {
			errs = append(errs, errors.New("app: required for meta_account"))
		}
	case KindPixelSite:
		if err := pixel.ValidateOrigins(c.Origins); err != nil {
			errs = append(errs, fmt.Errorf("origins: %w", err))
		}
	default:
		errs = append(errs, fmt.Errorf("kind: %q unknown (line, meta_app, meta_account, whatsapp, pixel_site)", c.Kind))
	}
	if c.ID == "" || len(c.ID) > 256 {
		errs = append(errs, errors.New("id: must be 1-256 bytes"))
	}
	if c.Kind != KindMetaApp && c.TeamID == "" {
		errs = append(errs, errors.New("team_id: required"))
	}
	return errors.Join(errs...)
}

// Conn is the part of a ClickHouse connection the store needs.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Store reads and writes channel rows.
type Store struct {
	db  Conn
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	c     Channel
	found bool
	at    time.Time
}

// NewStore returns a store caching rows for ttl (default 5s when 0).
func NewStore(db Conn, ttl time.Duration) *Store {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	return &Store{db: db, ttl: ttl, cache: map[string]cached{}}
}

// Put creates or replaces a channel row.
func (s *Store) Put(ctx context.Context, c Channel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	origins := c.Origins
	if origins == nil {
		origins = []string{}
	}
	err := s.db.Exec(chparam.With(ctx, "kind", c.Kind, "id", c.ID, "app", c.App, "team", c.TeamID,
		"secret", c.Secret, "vt", c.VerifyToken, "origins", chparam.Strings(origins), "v", fmt.Sprint(time.Now().UnixNano())),
		`INSERT INTO channels (kind, id, app, team_id, secret, verify_token, origins, version, deleted)
		 SELECT {kind:String}, {id:String}, {app:String}, {team:String}, {secret:String}, {vt:String}, {origins:Array(String)}, {v:UInt64}, 0`)
	if err != nil {
		return fmt.Errorf("store %s channel %s: %w", c.Kind, c.ID, err)
	}
	s.mu.Lock()
	delete(s.cache, c.Kind+"\x00"+c.ID+"\x00"+c.App)
	s.mu.Unlock()
	return nil
}

// Get returns a row; found is false for an unknown one.
func (s *Store) Get(ctx context.Context, kind, id, app string) (Channel, bool, error) {
	key := kind + "\x00" + id + "\x00" + app
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && time.Since(c.at) < s.ttl {
		return c.c, c.found, nil
	}
	rows, err := s.db.Query(chparam.With(ctx, "kind", kind, "id", id, "app", app),
		`SELECT argMax(team_id, version), argMax(secret, version), argMax(verify_token, version), argMax(origins, version)
		 FROM channels WHERE kind = {kind:String} AND id = {id:String} AND app = {app:String}
		 GROUP BY kind, id, app HAVING argMax(deleted, version) = 0`)
	if err != nil {
		return Channel{}, false, fmt.Errorf("look up %s channel %s: %w", kind, id, err)
	}
	defer rows.Close()
	out := Channel{Kind: kind, ID: id, App: app}
	found := rows.Next()
	if found {
		if err := rows.Scan(&out.TeamID, &out.Secret, &out.VerifyToken, &out.Origins); err != nil {
			return Channel{}, false, fmt.Errorf("look up %s channel %s: %w", kind, id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return Channel{}, false, fmt.Errorf("look up %s channel %s: %w", kind, id, err)
	}
	s.mu.Lock()
	s.cache[key] = cached{out, found, time.Now()}
	s.mu.Unlock()
	return out, found, nil
}

func (s *Store) must(ctx context.Context, kind, id, app string, notFound error) (Channel, error) {
	c, found, err := s.Get(ctx, kind, id, app)
	if err != nil {
		return Channel{}, err
	}
	if !found {
		return Channel{}, fmt.Errorf("%w: %s %s", notFound, kind, id)
	}
	return c, nil
}

// LINEChannel implements line.Channels.
func (s *Store) LINEChannel(ctx context.Context, id string) (line.ChannelConfig, error) {
	c, err := s.must(ctx, KindLINE, id, "", webhooks.ErrNotFound)
	if err != nil {
		return line.ChannelConfig{}, err
	}
	return line.ChannelConfig{TeamID: c.TeamID, Secret: webhooks.Secret(c.Secret)}, nil
}

// MetaApp implements meta.Apps.
func (s *Store) MetaApp(ctx context.Context, appID string) (meta.AppConfig, error) {
	c, err := s.must(ctx, KindMetaApp, appID, "", webhooks.ErrNotFound)
	if err != nil {
		return meta.AppConfig{}, err
	}
	return meta.AppConfig{Secret: webhooks.Secret(c.Secret), VerifyToken: webhooks.Secret(c.VerifyToken)}, nil
}

// MetaAccount implements meta.Apps.
func (s *Store) MetaAccount(ctx context.Context, appID, channelType, accountID string) (string, error) {
	c, err := s.must(ctx, KindMetaAccount, channelType+":"+accountID, appID, webhooks.ErrNotFound)
	if err != nil {
		return "", err
	}
	return c.TeamID, nil
}

// WhatsAppNumber implements whatsapp.Numbers.
func (s *Store) WhatsAppNumber(ctx context.Context, id string) (whatsapp.NumberConfig, error) {
	c, err := s.must(ctx, KindWhatsApp, id, "", webhooks.ErrNotFound)
	if err != nil {
		return whatsapp.NumberConfig{}, err
	}
	return whatsapp.NumberConfig{TeamID: c.TeamID, AppSecret: webhooks.Secret(c.Secret), VerifyToken: webhooks.Secret(c.VerifyToken)}, nil
}

// PixelSite implements pixel.Sites; the id is the site's public key.
func (s *Store) PixelSite(ctx context.Context, key string) (pixel.Site, error) {
	c, err := s.must(ctx, KindPixelSite, key, "", pixel.ErrNotFound)
	if err != nil {
		return pixel.Site{}, err
	}
	return pixel.Site{TeamID: c.TeamID, SiteID: c.ID, AllowedOrigins: c.Origins}, nil
}
