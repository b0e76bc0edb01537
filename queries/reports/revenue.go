package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/chparam"
)

// revenueSQL attributes orders to the url clicks of the broadcasts in
// {ids:Array(String)}, per broadcast, channel type and currency.
//
//	bclicks  the broadcasts' url clickers and the span of their clicks
//	custs    their customers, as the contact → customer map is now
//	linked   contacts that were ever mapped to those customers
//	cmap     every current contact of those customers
//	members  the member ids of those customers
//
// custs, cmap and members read contact_map and customers the way the views
// contact_map_current and customers_current do (latest version per key,
// deleted ones dropped), filtered before grouping.
//
//	orders   orders of those contacts or member ids placed from the first
//	         click to 30 days after the last one, one row per order id
//	owned    each order with its customer (the ordering contact's, else
//	         the member id's)
//	wins     url clicks of any broadcast by those customers in the span
//	         that matters, one winner per customer and instant
//
// An ASOF join gives each order the customer's last url click at or before
// it; the order counts for that click's broadcast and channel when the click
// is at most 30 days old and belongs to one of the requested broadcasts.
const revenueSQL = `
WITH
bclicks AS (
    SELECT channel_type AS ch, channel_id AS acc, contact_id AS contact, min(ts) AS lo, max(ts) AS hi
    FROM events
    WHERE team_id = {team:String} AND type = 'button.clicked' AND source_id IN {ids:Array(String)}
      AND source_kind = 'broadcast' AND button_kind = 'url' AND contact_id != ''
    GROUP BY ch, acc, contact
),
custs AS (
    SELECT DISTINCT customer
    FROM (
        SELECT argMax(customer_id, version) AS customer, argMax(deleted, version) AS gone
        FROM contact_map
        WHERE team_id = {team:String} AND contact_id IN (SELECT contact FROM bclicks)
          AND (channel_type, channel_id, contact_id) IN (SELECT ch, acc, contact FROM bclicks)
        GROUP BY channel_type, channel_id, contact_id
    )
    WHERE gone = 0 AND customer != ''
),
linked AS (
    SELECT DISTINCT contact_id AS contact
    FROM contact_map
    WHERE team_id = {team:String} AND customer_id IN (SELECT customer FROM custs)
),
cmap AS (
    SELECT ch, acc, contact, customer
    FROM (
        SELECT channel_type AS ch, channel_id AS acc, contact_id AS contact,
               argMax(customer_id, version) AS customer, argMax(deleted, version) AS gone
        FROM contact_map
        WHERE team_id = {team:String} AND contact_id IN (SELECT contact FROM linked)
        GROUP BY ch, acc, contact
    )
    WHERE gone = 0 AND customer IN (SELECT customer FROM custs)
),
members AS (
    SELECT member, min(customer) AS owner
    FROM (
        SELECT customer_id AS customer, argMax(member_id, version) AS member, argMax(deleted, version) AS gone
        FROM customers
        WHERE team_id = {team:String} AND customer_id IN (SELECT customer FROM custs)
        GROUP BY customer_id
    )
    WHERE gone = 0 AND member != ''
    GROUP BY member
),
orders AS (
    SELECT order_id,
           min(ts) AS placed_at,
           argMin(amount, (ts, event_id)) AS o_amount,
           argMin(currency, (ts, event_id)) AS o_currency,
           argMinIf(channel_type, (ts, event_id), contact_id != '') AS o_ch,
           argMinIf(channel_id, (ts, event_id), contact_id != '') AS o_acc,
           argMinIf(contact_id, (ts, event_id), contact_id != '') AS o_contact,
           maxIf(trimBoth(member_id), member_id != '') AS o_member
    FROM events
    WHERE team_id = {team:String} AND type = 'order.placed'
      AND ts >= (SELECT min(lo) FROM bclicks) AND ts <= (SELECT max(hi) FROM bclicks) + INTERVAL 30 DAY
      AND (contact_id IN (SELECT contact FROM cmap) OR trimBoth(member_id) IN (SELECT member FROM members))
    GROUP BY order_id
),
owned AS (
    SELECT o.order_id AS order_id, o.placed_at AS ts, o.o_amount AS amount, o.o_currency AS currency,
           if(c.customer != '', c.customer, m.owner) AS customer
    FROM orders AS o
    LEFT JOIN cmap AS c ON c.ch = o.o_ch AND c.acc = o.o_acc AND c.contact = o.o_contact
    LEFT JOIN members AS m ON m.member = o.o_member
),
wins AS (
    SELECT c.customer AS customer, e.ts AS ts, max((e.src, e.ch)) AS win
    FROM (
        SELECT source_id AS src, channel_type AS ch, channel_id AS acc, contact_id AS contact, ts
        FROM events
        WHERE team_id = {team:String} AND type = 'button.clicked' AND source_kind = 'broadcast'
          AND button_kind = 'url' AND contact_id IN (SELECT contact FROM cmap)
          AND ts >= (SELECT min(ts) FROM owned) - INTERVAL 30 DAY AND ts <= (SELECT max(ts) FROM owned)
    ) AS e
    INNER JOIN cmap AS c ON c.ch = e.ch AND c.acc = e.acc AND c.contact = e.contact
    GROUP BY customer, ts
)
SELECT tupleElement(w.win, 1) AS src, tupleElement(w.win, 2) AS ch, o.currency, count() AS n_orders, toString(sum(o.amount)) AS total
FROM (SELECT * FROM owned WHERE customer != '') AS o
ASOF INNER JOIN wins AS w ON w.customer = o.customer AND w.ts <= o.ts
WHERE o.ts <= w.ts + INTERVAL 30 DAY AND tupleElement(w.win, 1) IN {ids:Array(String)}
GROUP BY src, ch, o.currency
ORDER BY src, ch, o.currency`

// channelRevenue is the attributed orders of one broadcast on one channel.
type channelRevenue struct {
	orders     uint64
	byCurrency []Revenue
}

// revenue returns broadcast id → channel type → attributed orders.
func (s *Service) revenue(ctx context.Context, teamID string, ids []string) (map[string]map[string]*channelRevenue, error) {
	rows, err := s.query(ctx, revenueSQL, "team", teamID, "ids", chparam.Strings(ids))
	if err != nil {
		return nil, fmt.Errorf("query revenue of broadcasts %s: %w", strings.Join(ids, ","), err)
	}
	defer rows.Close()
	out := map[string]map[string]*channelRevenue{}
	for rows.Next() {
		var src, ch, cur, amount string
		var n uint64
		if err := rows.Scan(&src, &ch, &cur, &n, &amount); err != nil {
			return nil, scanErr("revenue", src, err)
		}
		if a, err := event.ParseAmount(amount); err == nil {
			amount = a.String()
		}
		if out[src] == nil {
			out[src] = map[string]*channelRevenue{}
		}
		r := out[src][ch]
		if r == nil {
			r = &channelRevenue{}
			out[src][ch] = r
		}
		r.orders += n
		r.byCurrency = append(r.byCurrency, Revenue{Currency: cur, Amount: amount, Orders: n})
	}
	if err := rows.Err(); err != nil {
		return nil, scanErr("revenue", "", err)
	}
	for _, byCh := range out {
		for _, r := range byCh {
			slices.SortFunc(r.byCurrency, func(a, b Revenue) int { return strings.Compare(a.Currency, b.Currency) })
		}
	}
	return out, nil
}
