package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/chparam"
)

// clickSpanSQL is the span of the url clicks of the broadcasts in
// {ids:Array(String)}.
const clickSpanSQL = `
SELECT count(), min(ts), max(ts)
FROM events
WHERE team_id = {team:String} AND type = 'button.clicked' AND source_id IN {ids:Array(String)}
  AND source_kind = 'broadcast' AND button_kind = 'url' AND contact_id != ''`

// revenueSQL attributes orders to broadcast url clicks, and returns the
// orders won by the broadcasts in {ids:Array(String)} per broadcast,
// channel type and currency. {lo} and {hi} are the first and last url
// click of those broadcasts.
//
// One stream holds every broadcast's url clicks in [lo − 30 d, hi + 30 d]
// and every order (one row per order id) in [lo, hi + 30 d], each with its
// customer as the contact → customer map is now (contact_map and
// customers read the way contact_map_current and customers_current do:
// latest version, deleted dropped); an order without a contact belongs to
// the customer holding its member id. Per customer, in time order (a click
// before an order at the same instant), each order sees the last click at
// or before it (a window function, no self join); the order is that
// click's broadcast's when the click is at most 30 days old.
const revenueSQL = `
WITH
stream AS (
    SELECT 1 AS is_click, ts, source_id AS src, channel_type AS ch, channel_id AS acc, contact_id AS contact,
           '' AS member, '' AS order_id, toDecimal64(0, 4) AS amount, '' AS currency
    FROM events
    WHERE team_id = {team:String} AND type = 'button.clicked' AND source_kind = 'broadcast' AND button_kind = 'url'
      AND contact_id != '' AND source_id != ''
      AND ts >= {lo:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND ts <= {hi:DateTime64(3, 'UTC')} + INTERVAL 30 DAY
    UNION ALL
    SELECT 0, min(ts), '', argMinIf(channel_type, (ts, event_id), contact_id != ''),
           argMinIf(channel_id, (ts, event_id), contact_id != ''), argMinIf(contact_id, (ts, event_id), contact_id != ''),
           maxIf(trimBoth(member_id), member_id != ''), order_id,
           toDecimal64(argMin(amount, (ts, event_id)), 4), toString(argMin(currency, (ts, event_id)))
    FROM events
    WHERE team_id = {team:String} AND type = 'order.placed'
      AND ts >= {lo:DateTime64(3, 'UTC')} AND ts <= {hi:DateTime64(3, 'UTC')} + INTERVAL 30 DAY
    GROUP BY order_id
),
owned AS (
    SELECT x.is_click AS is_click, x.ts AS ts, x.src AS src, x.ch AS ch, x.order_id AS order_id,
           x.amount AS amount, x.currency AS currency, if(m.customer != '', m.customer, b.customer) AS customer
    FROM stream AS x
    LEFT JOIN (
        SELECT channel_type AS mch, channel_id AS macc, contact_id AS mcontact, argMax(customer_id, version) AS customer
        FROM contact_map
        WHERE team_id = {team:String} AND contact_id IN (
            SELECT contact_id FROM events
            WHERE team_id = {team:String} AND contact_id != ''
              AND ((type = 'button.clicked' AND source_kind = 'broadcast' AND button_kind = 'url'
                    AND ts >= {lo:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND ts <= {hi:DateTime64(3, 'UTC')} + INTERVAL 30 DAY)
                OR (type = 'order.placed'
                    AND ts >= {lo:DateTime64(3, 'UTC')} AND ts <= {hi:DateTime64(3, 'UTC')} + INTERVAL 30 DAY)))
        GROUP BY mch, macc, mcontact
        HAVING argMax(deleted, version) = 0
    ) AS m ON m.mch = x.ch AND m.macc = x.acc AND m.mcontact = x.contact
    LEFT JOIN (
        SELECT member, min(holder) AS customer
        FROM (
            SELECT customer_id AS holder, argMax(member_id, version) AS member
            FROM customers
            WHERE team_id = {team:String} AND customer_id IN (
                SELECT customer_id FROM customers
                WHERE team_id = {team:String} AND member_id != '' AND member_id IN (
                    SELECT trimBoth(member_id) FROM events
                    WHERE team_id = {team:String} AND type = 'order.placed' AND member_id != ''
                      AND ts >= {lo:DateTime64(3, 'UTC')} AND ts <= {hi:DateTime64(3, 'UTC')} + INTERVAL 30 DAY))
            GROUP BY holder
            HAVING argMax(deleted, version) = 0
        )
        WHERE member != ''
        GROUP BY member
    ) AS b ON b.member = x.member AND x.member != ''
),
won AS (
    SELECT is_click, ts, order_id, amount, currency,
           anyLast(if(is_click = 1, src, NULL)) OVER w AS win_src,
           anyLast(if(is_click = 1, ch, NULL)) OVER w AS win_ch,
           anyLast(if(is_click = 1, ts, NULL)) OVER w AS win_ts
    FROM owned
    WHERE customer != ''
    WINDOW w AS (PARTITION BY customer ORDER BY ts, is_click DESC, src ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT assumeNotNull(win_src) AS src, assumeNotNull(win_ch) AS ch, currency, count() AS n_orders, toString(sum(amount)) AS total
FROM won
WHERE is_click = 0 AND win_src IN {ids:Array(String)} AND ts <= win_ts + INTERVAL 30 DAY
GROUP BY src, ch, currency
ORDER BY src, ch, currency`

// channelRevenue is the attributed orders of one broadcast on one channel.
type channelRevenue struct {
	orders     uint64
	byCurrency []Revenue
}

// revenue returns broadcast id → channel type → attributed orders.
func (s *Service) revenue(ctx context.Context, teamID string, ids []string) (map[string]map[string]*channelRevenue, error) {
	sp, err := s.clickSpan(ctx, teamID, ids)
	if err != nil || sp.n == 0 {
		return nil, err
	}
	rows, err := s.query(ctx, revenueSQL, "team", teamID, "ids", chparam.Strings(ids), "lo", chTime(sp.lo), "hi", chTime(sp.hi))
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

// clickSpan reads the span of the broadcasts' url clicks.
func (s *Service) clickSpan(ctx context.Context, teamID string, ids []string) (span, error) {
	rows, err := s.query(ctx, clickSpanSQL, "team", teamID, "ids", chparam.Strings(ids))
	if err != nil {
		return span{}, fmt.Errorf("query url clicks of broadcasts %s: %w", strings.Join(ids, ","), err)
	}
	defer rows.Close()
	var sp span
	if rows.Next() {
		if err := rows.Scan(&sp.n, &sp.lo, &sp.hi); err != nil {
			return span{}, scanErr("url clicks of broadcasts", strings.Join(ids, ","), err)
		}
	}
	return sp, rows.Err()
}
