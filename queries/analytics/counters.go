package analytics

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/teams"
)

// CounterQuery selects the events of the keyword, rich-menu and cart
// counters.
type CounterQuery struct {
	Range    Range
	Channels []Channel
	Groups   []string // keyword groups (keywords report only); every group when empty
	Menus    []string // rich menus (source.id; rich-menu report only); every menu when empty
}

// KeywordChannel is the triggers of a condition on one channel account.
type KeywordChannel struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	Triggers    uint64 `json:"triggers"`
	Contacts    uint64 `json:"contacts"` // distinct contacts who triggered
}

// KeywordCondition is one auto-reply condition of a group.
type KeywordCondition struct {
	Condition string           `json:"condition"`
	Triggers  uint64           `json:"triggers"`
	Contacts  uint64           `json:"contacts"`
	Channels  []KeywordChannel `json:"channels"`
}

// KeywordGroup is one auto-reply group.
type KeywordGroup struct {
	Group      string             `json:"group"`
	Triggers   uint64             `json:"triggers"`
	Contacts   uint64             `json:"contacts"`
	Conditions []KeywordCondition `json:"conditions"`
}

// KeywordReport counts keyword auto-reply triggers (keyword.triggered).
type KeywordReport struct {
	Period   Period         `json:"period"`
	Triggers uint64         `json:"triggers"`
	Contacts uint64         `json:"contacts"`
	Groups   []KeywordGroup `json:"groups"` // by group, then condition, then channel
}

// Keywords counts keyword auto-reply triggers per group, condition and
// channel.
func (s *Service) Keywords(ctx context.Context, team *teams.Team, q CounterQuery) (*KeywordReport, error) {
	rep := &KeywordReport{Period: periodOf(q.Range, zoneOf(team)), Groups: []KeywordGroup{}}
	st := newStmt(team.ID)
	st.period(q.Range)
	scope := filter{Channels: q.Channels}.where(st, eventColumns)
	if len(q.Groups) > 0 {
		st.strs("groups", q.Groups)
		scope += " AND has({groups:Array(String)}, kw_group)"
	}
	// level: 0 per channel, 3 per condition, 7 per group, 15 the total.
	err := s.query(ctx, "keyword triggers", st, `
SELECT grouping(kw_group, kw_condition, channel_type, channel_id) AS level, kw_group, kw_condition, channel_type, channel_id,
       count(), uniqExact(channel_type, channel_id, contact_id)
FROM (
    SELECT event_id, kw_group, kw_condition, channel_type, channel_id, contact_id
    FROM events
    WHERE team_id = {team:String} AND type = 'keyword.triggered' AND `+inPeriod+scope+`
    LIMIT 1 BY event_id
)
GROUP BY GROUPING SETS ((kw_group, kw_condition, channel_type, channel_id), (kw_group, kw_condition), (kw_group), ())
ORDER BY level = 15 DESC, kw_group, level = 7 DESC, kw_condition, level = 3 DESC, channel_type, channel_id`, func(rows driver.Rows) error {
		var level uint64
		var g, c, ct, ci string
		var n, people uint64
		if err := rows.Scan(&level, &g, &c, &ct, &ci, &n, &people); err != nil {
			return err
		}
		switch level {
		case 15:
			rep.Triggers, rep.Contacts = n, people
		case 7:
			rep.Groups = append(rep.Groups, KeywordGroup{Group: g, Triggers: n, Contacts: people, Conditions: []KeywordCondition{}})
		case 3:
			kg := &rep.Groups[len(rep.Groups)-1]
			kg.Conditions = append(kg.Conditions, KeywordCondition{Condition: c, Triggers: n, Contacts: people, Channels: []KeywordChannel{}})
		case 0:
			kg := &rep.Groups[len(rep.Groups)-1]
			kc := &kg.Conditions[len(kg.Conditions)-1]
			kc.Channels = append(kc.Channels, KeywordChannel{ChannelType: ct, ChannelID: ci, Triggers: n, Contacts: people})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// RichMenuArea is the clicks of one area of a rich menu.
type RichMenuArea struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	Menu        string `json:"menu"` // the rich menu (source.id of the click)
	Area        string `json:"area"`
	Clicks      uint64 `json:"clicks"`
	Clickers    uint64 `json:"clickers"` // distinct contacts
}

// RichMenuReport counts rich-menu area clicks (richmenu.clicked).
type RichMenuReport struct {
	Period Period         `json:"period"`
	Clicks uint64         `json:"clicks"`
	Areas  []RichMenuArea `json:"areas"` // by channel, menu, area
}

// RichMenus counts rich-menu clicks per channel, menu and area.
func (s *Service) RichMenus(ctx context.Context, team *teams.Team, q CounterQuery) (*RichMenuReport, error) {
	rep := &RichMenuReport{Period: periodOf(q.Range, zoneOf(team)), Areas: []RichMenuArea{}}
	st := newStmt(team.ID)
	st.period(q.Range)
	scope := filter{Channels: q.Channels}.where(st, eventColumns)
	if len(q.Menus) > 0 {
		st.strs("menus", q.Menus)
		scope += " AND has({menus:Array(String)}, source_id)"
	}
	err := s.query(ctx, "rich-menu clicks", st, `
SELECT channel_type, channel_id, source_id, area, count(), uniqExact(contact_id)
FROM (
    SELECT event_id, channel_type, channel_id, source_id, area, contact_id
    FROM events
    WHERE team_id = {team:String} AND type = 'richmenu.clicked' AND `+inPeriod+scope+`
    LIMIT 1 BY event_id
)
GROUP BY channel_type, channel_id, source_id, area
ORDER BY channel_type, channel_id, source_id, area`, func(rows driver.Rows) error {
		var a RichMenuArea
		if err := rows.Scan(&a.ChannelType, &a.ChannelID, &a.Menu, &a.Area, &a.Clicks, &a.Clickers); err != nil {
			return err
		}
		rep.Clicks += a.Clicks
		rep.Areas = append(rep.Areas, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// CartAttributionWindow is how long after a click on a cart-remarketing
// message an order of the same customer is attributed to it.
const CartAttributionWindow = 30 * 24 * time.Hour

// Money is an amount in one currency, as an exact decimal string.
type Money struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// CartCounts are the cart-remarketing numbers of a channel or of all.
// Conversion = orders / distinct clickers, null without clickers.
type CartCounts struct {
	Messages   uint64   `json:"messages"`
	Clicks     uint64   `json:"clicks"`
	Clickers   uint64   `json:"clickers"`
	Orders     uint64   `json:"orders"`
	Revenue    []Money  `json:"revenue"` // per currency
	Conversion *float64 `json:"conversion"`
}

// CartChannel is one channel account's cart remarketing.
type CartChannel struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	CartCounts
}

// CartReport is the cart-remarketing report.
type CartReport struct {
	Period                Period        `json:"period"`
	AttributionWindowDays int           `json:"attribution_window_days"`
	Totals                CartCounts    `json:"totals"`
	Channels              []CartChannel `json:"channels"`
}

// cartClickKinds are the button kinds whose clicks count, as for
// broadcasts: links and modules, not in-text links or replies.
const cartClickKinds = "button_kind IN ('url', 'module')"

// Cart computes the cart-remarketing report. Messages are message.sent
// events and clicks url/module button.clicked events whose source kind is
// cart_remarketing, in the range. An order (order.placed, counted once per
// order id at its first report) placed in the range belongs to cart
// remarketing when its customer clicked a cart-remarketing message within
// CartAttributionWindow before it; it goes to the channel of the latest
// such click. Customers are resolved through the current identity map: the
// order's contact, else its member id, else the customer recorded with it.
func (s *Service) Cart(ctx context.Context, team *teams.Team, q CounterQuery) (*CartReport, error) {
	rep := &CartReport{Period: periodOf(q.Range, zoneOf(team)), AttributionWindowDays: int(CartAttributionWindow / (24 * time.Hour)),
		Channels: []CartChannel{}}
	chans := map[Channel]*CartChannel{}
	get := func(ct, ci string) *CartChannel {
		k := Channel{ct, ci}
		if c := chans[k]; c != nil {
			return c
		}
		c := &CartChannel{ChannelType: ct, ChannelID: ci}
		chans[k] = c
		return c
	}

	st := newStmt(team.ID)
	st.period(q.Range)
	scope := filter{Channels: q.Channels}.where(st, eventColumns)
	err := s.query(ctx, "cart messages and clicks", st, `
SELECT channel_type, channel_id, countIf(type = 'message.sent'), countIf(type = 'button.clicked'),
       uniqExactIf(contact_id, type = 'button.clicked')
FROM (
    SELECT event_id, type, channel_type, channel_id, contact_id
    FROM events
    WHERE team_id = {team:String} AND source_kind = 'cart_remarketing' AND `+inPeriod+scope+`
      AND (type = 'message.sent' OR (type = 'button.clicked' AND `+cartClickKinds+`))
    LIMIT 1 BY event_id
)
GROUP BY channel_type, channel_id`, func(rows driver.Rows) error {
		var ct, ci string
		var c CartCounts
		if err := rows.Scan(&ct, &ci, &c.Messages, &c.Clicks, &c.Clickers); err != nil {
			return err
		}
		x := get(ct, ci)
		x.Messages, x.Clicks, x.Clickers = c.Messages, c.Clicks, c.Clickers
		return nil
	})
	if err != nil {
		return nil, err
	}

	st = newStmt(team.ID)
	st.period(q.Range)
	st.num("window_ms", CartAttributionWindow.Milliseconds())
	scope = filter{Channels: q.Channels}.where(st, eventColumns)
	// level 0: per channel and currency; 3: per currency over every channel.
	err = s.query(ctx, "cart orders", st, `
SELECT grouping(ch_type, ch_id) AS level, ch_type, ch_id, currency, count(), toString(sum(amount))
FROM (
SELECT c.channel_type AS ch_type, c.channel_id AS ch_id, o.currency AS currency, o.amount AS amount
FROM (
    SELECT o.order_id AS order_id, o.placed_at AS placed_at, o.amount AS amount, o.currency AS currency,
           multiIf(ifNull(m.customer_id, '') != '', ifNull(m.customer_id, ''),
                   ifNull(mm.customer_id, '') != '', ifNull(mm.customer_id, ''), o.customer_id) AS customer
    FROM (
        SELECT order_id, min(ts) AS placed_at,
               argMin(amount, (ts, event_id)) AS amount, argMin(toString(currency), (ts, event_id)) AS currency,
               argMin(toString(channel_type), (ts, event_id)) AS o_type, argMin(channel_id, (ts, event_id)) AS o_id,
               argMin(contact_id, (ts, event_id)) AS o_user, argMin(member_id, (ts, event_id)) AS o_member,
               argMin(customer_id, (ts, event_id)) AS customer_id
        FROM events
        WHERE team_id = {team:String} AND type = 'order.placed' AND order_id != ''
        GROUP BY order_id
        HAVING placed_at >= {start:DateTime64(3, 'UTC')} AND placed_at < {end:DateTime64(3, 'UTC')}
    ) AS o
    LEFT JOIN (
        SELECT toString(channel_type) AS channel_type, channel_id, contact_id, customer_id
        FROM contact_map_current WHERE team_id = {team:String}
    ) AS m ON o.o_type = m.channel_type AND o.o_id = m.channel_id AND o.o_user = m.contact_id
    LEFT JOIN (
        SELECT member_id, any(customer_id) AS customer_id
        FROM customers_current WHERE team_id = {team:String} AND member_id != ''
        GROUP BY member_id
    ) AS mm ON o.o_member = mm.member_id
) AS o
ASOF INNER JOIN (
    SELECT e.ts AS ts, e.channel_type AS channel_type, e.channel_id AS channel_id,
           if(ifNull(m.customer_id, '') != '', ifNull(m.customer_id, ''), e.customer_id) AS customer
    FROM (
        SELECT event_id, ts, toString(channel_type) AS channel_type, channel_id, contact_id, customer_id
        FROM events
        WHERE team_id = {team:String} AND type = 'button.clicked' AND source_kind = 'cart_remarketing' AND `+cartClickKinds+`
          AND ts >= {start:DateTime64(3, 'UTC')} - toIntervalMillisecond({window_ms:Int64})
          AND ts < {end:DateTime64(3, 'UTC')}`+scope+`
        LIMIT 1 BY event_id
    ) AS e
    LEFT JOIN (
        SELECT toString(channel_type) AS channel_type, channel_id, contact_id, customer_id
        FROM contact_map_current WHERE team_id = {team:String}
    ) AS m ON e.channel_type = m.channel_type AND e.channel_id = m.channel_id AND e.contact_id = m.contact_id
) AS c ON o.customer = c.customer AND o.placed_at >= c.ts
WHERE o.customer != '' AND c.ts >= o.placed_at - toIntervalMillisecond({window_ms:Int64})
)
GROUP BY GROUPING SETS ((ch_type, ch_id, currency), (currency))
ORDER BY level, ch_type, ch_id, currency`, func(rows driver.Rows) error {
		var level uint64
		var ct, ci, cur, amount string
		var n uint64
		if err := rows.Scan(&level, &ct, &ci, &cur, &n, &amount); err != nil {
			return err
		}
		m := Money{Currency: cur, Amount: trimDecimal(amount)}
		if level != 0 {
			rep.Totals.Orders += n
			rep.Totals.Revenue = append(rep.Totals.Revenue, m)
			return nil
		}
		x := get(ct, ci)
		x.Orders += n
		x.Revenue = append(x.Revenue, m)
		return nil
	})
	if err != nil {
		return nil, err
	}

	for _, c := range chans {
		c.Conversion = share(c.Orders, c.Clickers)
		if c.Revenue == nil {
			c.Revenue = []Money{}
		}
		rep.Totals.Messages += c.Messages
		rep.Totals.Clicks += c.Clicks
		rep.Totals.Clickers += c.Clickers // a contact belongs to one channel account
		rep.Channels = append(rep.Channels, *c)
	}
	rep.Totals.Conversion = share(rep.Totals.Orders, rep.Totals.Clickers)
	if rep.Totals.Revenue == nil {
		rep.Totals.Revenue = []Money{}
	}
	slices.SortFunc(rep.Channels, func(a, b CartChannel) int {
		if c := strings.Compare(a.ChannelType, b.ChannelType); c != 0 {
			return c
		}
		return strings.Compare(a.ChannelID, b.ChannelID)
	})
	return rep, nil
}

func (s *Service) serveKeywords(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "channel", "group")
	if err != nil {
		return nil, err
	}
	q, err := s.counterQuery(p, team)
	if err != nil {
		return nil, err
	}
	if q.Groups, err = p.list("group"); err != nil {
		return nil, err
	}
	return s.Keywords(r.Context(), team, q)
}

func (s *Service) serveRichMenus(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "channel", "menu")
	if err != nil {
		return nil, err
	}
	q, err := s.counterQuery(p, team)
	if err != nil {
		return nil, err
	}
	if q.Menus, err = p.list("menu"); err != nil {
		return nil, err
	}
	return s.RichMenus(r.Context(), team, q)
}

func (s *Service) serveCart(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "channel")
	if err != nil {
		return nil, err
	}
	q, err := s.counterQuery(p, team)
	if err != nil {
		return nil, err
	}
	return s.Cart(r.Context(), team, q)
}

func (s *Service) counterQuery(p params, team *teams.Team) (CounterQuery, error) {
	var q CounterQuery
	var err error
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), defaultPreset); err != nil {
		return q, err
	}
	q.Channels, err = p.channels(maxValues)
	return q, err
}
