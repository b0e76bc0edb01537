// Package customers answers the omni-customer 360° view: a customer's
// contacts on every channel, identifiers, binding methods, current tags,
// custom attributes and last interaction times.
//
// Requests enter as HTTP calls scoped to the authenticated team
// (teams.FromContext); data comes from ClickHouse — the current contact →
// customer map (contact_map_current), customer identifiers
// (customers_current), contact profiles (contacts_current, attributes) and
// the events table — and leaves as JSON. The view reads the map as it is
// now, so a merge or split shows at once without rewriting any event.
package customers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/reports"
)

// Querier is the part of a ClickHouse connection the service needs.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Service serves the 360° view.
type Service struct {
	db     Querier
	logger *slog.Logger
}

// New returns the service.
func New(db Querier, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, logger: logger}
}

// Register mounts the endpoints; auth wraps each.
func (s *Service) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/customers/{customer_id}", auth(http.HandlerFunc(s.byCustomer)))
	mux.Handle("GET /v1/contacts/{channel_type}/{channel_id}/{user_id}", auth(http.HandlerFunc(s.byContact)))
}

// Contact is one channel identity of the customer.
type Contact struct {
	ChannelType       string            `json:"channel_type"`
	ChannelID         string            `json:"channel_id"`
	UserID            string            `json:"user_id"`
	Name              string            `json:"name"`
	Subscribed        bool              `json:"subscribed"`
	CreatedAt         *time.Time        `json:"created_at"`
	CreatedSource     string            `json:"created_source"`
	Tags              []string          `json:"tags"`
	Attributes        map[string]string `json:"attributes"`
	LastInteractionAt *time.Time        `json:"last_interaction_at"`
	LastOneToOneAt    *time.Time        `json:"last_one_to_one_at"`
	LastMarketingAt   *time.Time        `json:"last_marketing_at"`
}

// Customer is the 360° view.
type Customer struct {
	CustomerID        string     `json:"customer_id"`
	MemberID          string     `json:"member_id"`
	Phones            []string   `json:"phones"`
	Emails            []string   `json:"emails"`
	BindingMethods    []string   `json:"binding_methods"`
	Contacts          []Contact  `json:"contacts"`
	Tags              []string   `json:"tags"`
	LastInteractionAt *time.Time `json:"last_interaction_at"`
	LastOneToOneAt    *time.Time `json:"last_one_to_one_at"`
	LastMarketingAt   *time.Time `json:"last_marketing_at"`
	LastCheckoutAt    *time.Time `json:"last_checkout_at"`
}

// ErrNotFound means no such customer or contact in the team.
var ErrNotFound = errors.New("not found")

// CustomerOf resolves a contact to its current customer.
func (s *Service) CustomerOf(ctx context.Context, team, channelType, channelID, userID string) (string, error) {
	rows, err := s.db.Query(chparam.With(ctx, "team", team, "ct", channelType, "ch", channelID, "u", userID),
		`SELECT customer_id FROM contact_map_current
		 WHERE team_id = {team:String} AND channel_type = {ct:String} AND channel_id = {ch:String} AND contact_id = {u:String}`)
	if err != nil {
		return "", fmt.Errorf("resolve contact %s/%s/%s: %w", channelType, channelID, userID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return "", ErrNotFound
	}
	var id string
	if err := rows.Scan(&id); err != nil {
		return "", fmt.Errorf("resolve contact: %w", err)
	}
	return id, rows.Err()
}

// contactsOf selects the customer's current contacts.
const contactsOf = `(SELECT channel_type, channel_id, contact_id FROM contact_map_current
	WHERE team_id = {team:String} AND customer_id = {cid:String})`

// Get builds the 360° view of a customer.
func (s *Service) Get(ctx context.Context, team, customerID string) (*Customer, error) {
	ctx = chparam.With(ctx, "team", team, "cid", customerID)
	c := &Customer{CustomerID: customerID, Phones: []string{}, Emails: []string{}, BindingMethods: []string{}, Contacts: []Contact{}, Tags: []string{}}
	idx := map[[3]string]int{}
	err := s.each(ctx, `SELECT p.channel_type, p.channel_id, p.contact_id, p.name, p.subscribed, p.created_at, p.created_source
		FROM contacts_current AS p WHERE p.team_id = {team:String} AND (p.channel_type, p.channel_id, p.contact_id) IN `+contactsOf+`
		ORDER BY p.created_at, p.channel_type, p.channel_id, p.contact_id`, func(r driver.Rows) error {
		var k Contact
		var sub int8
		var created time.Time
		if err := r.Scan(&k.ChannelType, &k.ChannelID, &k.UserID, &k.Name, &sub, &created, &k.CreatedSource); err != nil {
			return err
		}
		k.Subscribed, k.CreatedAt = sub != 0, tptr(created)
		k.Tags, k.Attributes = []string{}, map[string]string{}
		idx[[3]string{k.ChannelType, k.ChannelID, k.UserID}] = len(c.Contacts)
		c.Contacts = append(c.Contacts, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Contacts known to the map but without a profile row yet.
	err = s.each(ctx, contactsOf[1:len(contactsOf)-1]+` ORDER BY 1, 2, 3`, func(r driver.Rows) error {
		var k Contact
		if err := r.Scan(&k.ChannelType, &k.ChannelID, &k.UserID); err != nil {
			return err
		}
		key := [3]string{k.ChannelType, k.ChannelID, k.UserID}
		if _, ok := idx[key]; !ok {
			k.Subscribed, k.Tags, k.Attributes = true, []string{}, map[string]string{}
			idx[key] = len(c.Contacts)
			c.Contacts = append(c.Contacts, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	found := len(c.Contacts) > 0
	err = s.each(ctx, `SELECT member_id, phones, emails, methods FROM customers_current
		WHERE team_id = {team:String} AND customer_id = {cid:String}`, func(r driver.Rows) error {
		found = true
		return r.Scan(&c.MemberID, &c.Phones, &c.Emails, &c.BindingMethods)
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNotFound
	}
	tagSet := map[string]bool{}
	err = s.each(ctx, `SELECT channel_type, channel_id, contact_id, tag FROM events
		WHERE team_id = {team:String} AND type IN ('tag.added', 'tag.removed') AND (channel_type, channel_id, contact_id) IN `+contactsOf+`
		GROUP BY channel_type, channel_id, contact_id, tag
		HAVING maxIf(ts, type = 'tag.added') > maxIf(ts, type = 'tag.removed')
		ORDER BY tag`, func(r driver.Rows) error {
		var ct, ch, u, tag string
		if err := r.Scan(&ct, &ch, &u, &tag); err != nil {
			return err
		}
		if i, ok := idx[[3]string{ct, ch, u}]; ok {
			c.Contacts[i].Tags = append(c.Contacts[i].Tags, tag)
		}
		tagSet[tag] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for t := range tagSet {
		c.Tags = append(c.Tags, t)
	}
	sort.Strings(c.Tags)
	err = s.each(ctx, `SELECT channel_type, channel_id, contact_id, attribute, value FROM contact_attributes_current
		WHERE team_id = {team:String} AND (channel_type, channel_id, contact_id) IN `+contactsOf, func(r driver.Rows) error {
		var ct, ch, u, a, v string
		if err := r.Scan(&ct, &ch, &u, &a, &v); err != nil {
			return err
		}
		if i, ok := idx[[3]string{ct, ch, u}]; ok {
			c.Contacts[i].Attributes[a] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT channel_type, channel_id, contact_id,
			maxIf(ts, type IN ('message.inbound', 'button.clicked', 'richmenu.clicked', 'omnilink.clicked')),
			maxIf(ts, type = 'message.sent' AND source_kind IN ('manual', 'echo')),
			maxIf(ts, type = 'message.sent' AND source_kind IN ('broadcast', 'journey', 'cart_remarketing')),
			maxIf(ts, type = 'order.placed')
		FROM events
		WHERE team_id = {team:String} AND type IN ('message.inbound', 'button.clicked', 'richmenu.clicked', 'omnilink.clicked', 'message.sent', 'order.placed')
		  AND (channel_type, channel_id, contact_id) IN `+contactsOf+`
		GROUP BY channel_type, channel_id, contact_id`, func(r driver.Rows) error {
		var ct, ch, u string
		var in, one, mk, order time.Time
		if err := r.Scan(&ct, &ch, &u, &in, &one, &mk, &order); err != nil {
			return err
		}
		if i, ok := idx[[3]string{ct, ch, u}]; ok {
			k := &c.Contacts[i]
			k.LastInteractionAt, k.LastOneToOneAt, k.LastMarketingAt = tptr(in), tptr(one), tptr(mk)
		}
		c.LastInteractionAt = latest(c.LastInteractionAt, in)
		c.LastOneToOneAt = latest(c.LastOneToOneAt, one)
		c.LastMarketingAt = latest(c.LastMarketingAt, mk)
		c.LastCheckoutAt = latest(c.LastCheckoutAt, order)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.MemberID != "" {
		ctx = chparam.With(ctx, "team", team, "m", c.MemberID)
		err = s.each(ctx, `SELECT max(ts) FROM events WHERE team_id = {team:String} AND type = 'order.placed' AND member_id = {m:String}`, func(r driver.Rows) error {
			var t time.Time
			if err := r.Scan(&t); err != nil {
				return err
			}
			c.LastCheckoutAt = latest(c.LastCheckoutAt, t)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s *Service) each(ctx context.Context, q string, fn func(driver.Rows) error) error {
	rows, err := s.db.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("customer view query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("customer view scan: %w", err)
		}
	}
	return rows.Err()
}

// tptr is nil for the zero time and the epoch (ClickHouse's "never").
func tptr(t time.Time) *time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return nil
	}
	u := t.UTC()
	return &u
}

func latest(cur *time.Time, t time.Time) *time.Time {
	if p := tptr(t); p != nil && (cur == nil || p.After(*cur)) {
		return p
	}
	return cur
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, team, customerID string) {
	c, err := s.Get(r.Context(), team, customerID)
	switch {
	case errors.Is(err, ErrNotFound):
		reports.WriteError(w, http.StatusNotFound, "customer_id", "no such customer")
	case err != nil:
		s.logger.Error("customer view failed", "team", team, "err", err)
		reports.WriteError(w, http.StatusServiceUnavailable, "", "customer store unavailable, retry")
	default:
		reports.WriteJSON(w, http.StatusOK, c)
	}
}

func (s *Service) byCustomer(w http.ResponseWriter, r *http.Request) {
	t, _ := teams.FromContext(r.Context())
	s.serve(w, r, t.ID, r.PathValue("customer_id"))
}

var channelTypes = map[string]bool{"line": true, "facebook": true, "instagram": true, "whatsapp": true, "web": true, "wechat": true, "sms": true}

func (s *Service) byContact(w http.ResponseWriter, r *http.Request) {
	t, _ := teams.FromContext(r.Context())
	if ct := r.PathValue("channel_type"); !channelTypes[ct] {
		reports.WriteError(w, http.StatusBadRequest, "channel_type", fmt.Sprintf("%q unknown (line, facebook, instagram, whatsapp, web, wechat, sms)", ct))
		return
	}
	id, err := s.CustomerOf(r.Context(), t.ID, r.PathValue("channel_type"), r.PathValue("channel_id"), r.PathValue("user_id"))
	switch {
	case errors.Is(err, ErrNotFound):
		reports.WriteError(w, http.StatusNotFound, "user_id", "no such contact")
	case err != nil:
		s.logger.Error("contact lookup failed", "team", t.ID, "err", err)
		reports.WriteError(w, http.StatusServiceUnavailable, "", "customer store unavailable, retry")
	default:
		s.serve(w, r, t.ID, id)
	}
}
