// Package sqlaccess gives analysts read-only ClickHouse SQL access to their
// own team's data.
//
// Provision creates, for one team, the database analyst_<team> holding one
// view per report (events, contacts, customers, merges, tag_applications,
// broadcasts, omnilink, orders), each filtered to that team and without
// personal contact data (phones and emails), and an account named
// analyst_<team> with a generated password (stored as its SHA-256). The
// embedded ClickHouse HTTP server looks accounts up through Lookup and
// confines them to SELECT queries over their database: a query touching any
// other table, a table function or a function that reads tables is refused
// with ACCESS_DENIED. Standard ClickHouse clients (curl, clickhouse-go,
// Grafana's ClickHouse data source over HTTP) connect with these
// credentials.
//
// On an external ClickHouse cluster the same views are created, and the
// account is made with CREATE USER … GRANT SELECT ON analyst_<team>.* (see
// deploy/README.md); Lookup is not used there.
package sqlaccess

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/internal/chserver"
)

// Conn is the part of a ClickHouse connection the package needs.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Service provisions and looks up analyst accounts.
type Service struct {
	db       Conn
	database string // the pipeline's database

	mu    sync.Mutex
	cache map[string]cachedUser
}

type cachedUser struct {
	u     chserver.User
	found bool
	at    time.Time
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var teamRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// New returns the service for the pipeline database (a plain identifier).
func New(db Conn, database string) (*Service, error) {
	if !identRe.MatchString(database) {
		return nil, fmt.Errorf("sqlaccess: database %q must be a plain identifier", database)
	}
	return &Service{db: db, database: database, cache: map[string]cachedUser{}}, nil
}

// Database is the analyst database of a team.
func Database(team string) string { return "analyst_" + team }

// views are the analyst views; {{db}} is the pipeline database and {{team}}
// the team id, both validated identifiers/ids, so formatting them is safe.
var views = map[string]string{
	"events": `SELECT event_id, type, ts, channel_type, channel_id, contact_id, customer_id, source_kind, source_id, node_id,
		message_id, send_id, message_kind, reason, inbound_kind, button_kind, button_id, url, area, kw_group, kw_condition, tag,
		order_id, amount, currency, member_id, method, campaign, target_channel_type, target_channel_id, target_contact_id,
		target_new, contact_source, actor FROM {{db}}.events WHERE team_id = '{{team}}'`,
	"contacts": `SELECT channel_type, channel_id, contact_id, name, created_at, created_source, subscribed, subscribed_at, unsubscribed_at
		FROM {{db}}.contacts_current WHERE team_id = '{{team}}'`,
	"customers": `SELECT channel_type, channel_id, contact_id, customer_id FROM {{db}}.contact_map_current WHERE team_id = '{{team}}'`,
	"merges":    `SELECT ts, surviving_id, merged_ids, cause, event_id, actor, ok, reason FROM {{db}}.merge_log WHERE team_id = '{{team}}'`,
	"tag_applications": `SELECT a.ts AS ts, a.channel_type AS channel_type, a.channel_id AS channel_id, a.contact_id AS contact_id, a.tag AS tag, a.source_kind AS source
		FROM (SELECT event_id, any(ts) AS ts, any(channel_type) AS channel_type, any(channel_id) AS channel_id, any(contact_id) AS contact_id,
		             any(tag) AS tag, any(source_kind) AS source_kind
		      FROM {{db}}.events WHERE team_id = '{{team}}' AND type = 'tag.added' GROUP BY event_id) AS a
		LEFT JOIN (SELECT channel_type, channel_id, contact_id, tag, max(ts) AS removed FROM {{db}}.events
		           WHERE team_id = '{{team}}' AND type = 'tag.removed' GROUP BY channel_type, channel_id, contact_id, tag) AS r
		  ON a.channel_type = r.channel_type AND a.channel_id = r.channel_id AND a.contact_id = r.contact_id AND a.tag = r.tag
		WHERE a.ts > r.removed`,
	"broadcasts": `SELECT source_id AS broadcast_id, channel_type AS channel, min(ts) AS first_event_at,
		uniqExactIf(contact_id, type IN ('message.sent', 'message.delivered', 'message.failed')) AS audience,
		uniqExactIf(contact_id, type IN ('message.delivered', 'message.read', 'message.opened')) AS delivered,
		uniqExactIf(contact_id, type = 'message.failed') AS failed,
		uniqExactIf(contact_id, type = 'message.read') AS read,
		uniqExactIf(contact_id, type = 'message.opened') AS opened,
		uniqExactIf(contact_id, type = 'button.clicked' AND button_kind IN ('url', 'module')) AS clicked
		FROM {{db}}.events WHERE team_id = '{{team}}' AND source_kind = 'broadcast'
		GROUP BY source_id, channel_type`,
	"omnilink": `SELECT event_id, any(ts) AS ts, any(type) AS event_type, any(campaign) AS campaign, any(channel_type) AS channel_type,
		any(contact_id) AS contact_id, any(target_channel_type) AS target_channel_type, any(target_contact_id) AS target_contact_id,
		any(target_new) AS target_new, any(reason) AS reason
		FROM {{db}}.events WHERE team_id = '{{team}}' AND type IN ('omnilink.clicked', 'omnilink.succeeded', 'omnilink.failed') GROUP BY event_id`,
	"orders": `SELECT order_id, any(ts) AS ts, any(member_id) AS member_id, any(amount) AS amount, any(currency) AS currency,
		any(channel_type) AS channel_type, any(contact_id) AS contact_id
		FROM {{db}}.events WHERE team_id = '{{team}}' AND type = 'order.placed' GROUP BY order_id`,
}

// ViewNames lists the views, for documentation.
func ViewNames() []string {
	return []string{"events", "contacts", "customers", "merges", "tag_applications", "broadcasts", "omnilink", "orders"}
}

// Provision (re)creates the team's views and a new password for its
// account, returning the account name and password (shown once).
func (s *Service) Provision(ctx context.Context, team string) (user, password string, err error) {
	if !teamRe.MatchString(team) {
		return "", "", fmt.Errorf("sqlaccess: team id %q is not valid", team)
	}
	adb := "`" + Database(team) + "`"
	if err := s.db.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+adb); err != nil {
		return "", "", fmt.Errorf("create analyst database of team %s: %w", team, err)
	}
	for _, name := range ViewNames() {
		q := strings.NewReplacer("{{db}}", s.database, "{{team}}", team).Replace(views[name])
		if err := s.db.Exec(ctx, "CREATE OR REPLACE VIEW "+adb+"."+name+" AS "+q); err != nil {
			return "", "", fmt.Errorf("create analyst view %s of team %s: %w", name, team, err)
		}
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("generate password: %w", err)
	}
	password = hex.EncodeToString(raw)
	sum := sha256.Sum256([]byte(password))
	user = Database(team)
	err = s.db.Exec(chparam.With(ctx, "n", user, "t", team, "h", hex.EncodeToString(sum[:]), "v", fmt.Sprint(time.Now().UnixNano())),
		`INSERT INTO analyst_users (name, team_id, password_sha256, version, deleted) VALUES ({n:String}, {t:String}, {h:String}, {v:UInt64}, 0)`)
	if err != nil {
		return "", "", fmt.Errorf("store analyst account of team %s: %w", team, err)
	}
	s.mu.Lock()
	delete(s.cache, user)
	s.mu.Unlock()
	return user, password, nil
}

// Lookup finds an analyst account for the embedded ClickHouse server.
func (s *Service) Lookup(ctx context.Context, name string) (chserver.User, bool) {
	if !strings.HasPrefix(name, "analyst_") {
		return chserver.User{}, false
	}
	s.mu.Lock()
	c, ok := s.cache[name]
	s.mu.Unlock()
	if ok && time.Since(c.at) < 5*time.Second {
		return c.u, c.found
	}
	rows, err := s.db.Query(chparam.With(ctx, "n", name),
		`SELECT argMax(team_id, version), argMax(password_sha256, version) FROM analyst_users
		 WHERE name = {n:String} GROUP BY name HAVING argMax(deleted, version) = 0`)
	if err != nil {
		return chserver.User{}, false
	}
	defer rows.Close()
	var team, hash string
	found := rows.Next() && rows.Scan(&team, &hash) == nil
	u := chserver.User{Name: name, PasswordSHA256: hash, ReadOnly: true, Database: Database(team), Databases: []string{Database(team)}}
	s.mu.Lock()
	s.cache[name] = cachedUser{u, found, time.Now()}
	s.mu.Unlock()
	return u, found
}
