package reports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/chparam"
)

// Source kinds whose sends this package reports on.
const (
	kindBroadcast = "broadcast"
	kindJourney   = "journey"
)

// trackableKinds are the LINE message kinds that can carry open tracking
// (PRODUCT.md §4). They must agree with event.TrackableKind (tested).
var trackableKinds = []string{"text_buttons", "carousel", "image_carousel", "imagemap", "rich", "coupon"}

// querySettings apply to every report query. join_use_nulls=0 makes an
// unmatched LEFT JOIN side read as default values (” and empty arrays),
// which the SQL relies on.
//
// CTEs are not materialized (enable_materialized_cte is experimental in
// ClickHouse 26.5 and returned wrong counts in our tests): a CTE is
// evaluated once per reference, so the expensive ones (sends and what is
// built on it) are referenced once, and every CTE is deterministic.
var querySettings = clickhouse.Settings{
	"join_use_nulls": 0,
}

// query runs sql with the given parameters (name, value pairs) and the
// report settings.
func (s *Service) query(ctx context.Context, sql string, kv ...string) (driver.Rows, error) {
	ctx = chparam.With(ctx, kv...)
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(querySettings))
	return s.db.Query(ctx, sql)
}

// sendsCTE turns the events of a set of sources (broadcasts or journeys:
// {kind:String}, {ids:Array(String)}) into one row per send (sends), each
// carrying arrays of its contact's send rows, clicks, responses and
// unsubscribes.
//
// It is four levels, each referenced once: ClickHouse inlines a CTE at
// every reference, and analysing a query costs more with every level and
// every copy of an expression (an alias is copied where it is used), far
// more than running it on a broadcast's rows. Lookups between rows are
// window functions over the contact's rows.
//
//	scanned one scan of events: the sources' message.* and button.clicked
//	        events through the ORDER BY prefix (team_id, type, source_id)
//	        and, for the sources' contacts only and within [{lo}, {hi}],
//	        the rows without a source id (the empty source_id, then
//	        contact_id, is a range of the key): receipts of webhooks,
//	        inbound messages, module clicks (postbacks) and unsubscribes.
//	        Each row gets a role.
//	rows    each row's source (a webhook receipt, WhatsApp button reply or
//	        reaction names only a message id: the source of the sources'
//	        own event with that message id, per contact) and its send key:
//	        send_id, else the send id or message id of its message id, else
//	        the event id of a sent/delivered/failed event.
//	keyed   per contact: its send rows sorted by time, its responses
//	        without a source (inbound text/image/file/sticker, module
//	        clicks naming nothing), responses with one (module clicks,
//	        WhatsApp reactions to a source's message), clicks and
//	        unsubscribes. A read or open naming no message attaches to the
//	        latest send row of its source, contact and node at or before
//	        it; with none it is a send of its own (read implies delivered).
//	sends   every receipt joined to its send(s) (ARRAY JOIN; a watermark
//	        receipt covers every send of the contact with a row at or
//	        before the watermark), one row per send: delivered? when? read?
//	        opened? failed why?
const sendsCTE = `
scanned AS (
    SELECT type, ts, event_id, source_id, channel_type, channel_id, contact_id, node_id, message_id, send_id,
           message_kind, reason, watermark, button_kind, button_id, url,
           multiIf(source_kind != {kind:String} OR source_id NOT IN {ids:Array(String)},
                       multiIf(type IN ('message.delivered', 'message.read', 'message.failed') AND source_id = ''
                                   AND (message_id != '' OR watermark > toDateTime64(0, 3, 'UTC')), 'receipt',
                               type = 'message.inbound' AND inbound_kind IN ('text', 'image', 'file', 'sticker'), 'reply',
                               type = 'message.inbound' AND inbound_kind = 'reaction' AND channel_type = 'whatsapp'
                                   AND reply_to != '', 'react',
                               type = 'button.clicked' AND button_kind = 'module' AND source_id = '' AND message_id = '', 'reply',
                               type = 'button.clicked' AND button_kind = 'module' AND source_id = '', 'fclick',
                               type = 'contact.unsubscribed', 'unsub',
                               ''),
                   type != 'button.clicked', 'msg',
                   button_kind IN ('url', 'module'), 'oclick',
                   '') AS role,
           if(type = 'message.inbound', reply_to, message_id) AS lk
    FROM events
    WHERE team_id = {team:String} AND contact_id != ''
      AND ((type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened', 'button.clicked')
            AND source_id IN {ids:Array(String)} AND source_kind = {kind:String})
        OR (type IN ('message.delivered', 'message.read', 'message.failed', 'message.inbound', 'button.clicked', 'contact.unsubscribed')
            AND source_id = ''
            AND contact_id IN (
                SELECT contact_id FROM events
                WHERE team_id = {team:String}
                  AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened')
                  AND source_id IN {ids:Array(String)} AND source_kind = {kind:String})
            AND ts >= {lo:DateTime64(3, 'UTC')} AND ts <= {hi:DateTime64(3, 'UTC')}))
),
rows AS (
    SELECT type, ts, event_id, channel_type AS ch, channel_id AS acc, contact_id AS contact, node_id AS node,
           message_kind AS mkind, reason AS why, watermark AS wm, concat(button_kind, '/', button_id) AS button,
           url AS link, role IN ('msg', 'oclick') AS own, role,
           multiIf(own, source_id, lk != '', max(if(role = 'msg', source_id, '')) OVER by_message, '') AS src,
           multiIf(send_id != '' AND own, send_id,
                   message_id != '' AND role IN ('msg', 'oclick', 'receipt', 'fclick'),
                       ifNull(nullIf(max(if(role = 'msg', send_id, '')) OVER by_message, ''), message_id),
                   role = 'msg' AND type IN ('message.sent', 'message.delivered', 'message.failed'), event_id,
                   '') AS key0
    FROM scanned
    WHERE role != ''
    WINDOW by_message AS (PARTITION BY channel_type, channel_id, contact_id, lk)
),
keyed AS (
    SELECT type, ts, ch, acc, contact, own, role, src, key0, node, mkind, why, wm,
           arraySort(x -> x.4, groupArrayIf((src, key0, node, ts),
                                            role = 'msg' AND type IN ('message.sent', 'message.delivered', 'message.failed'))
                                   OVER by_contact) AS send_rows,
           groupArrayIf(ts, role = 'reply') OVER by_contact AS replies,
           groupArrayIf((src, ts), src != '' AND ((role = 'oclick' AND startsWith(button, 'module/')) OR role IN ('fclick', 'react')))
               OVER by_contact AS answers,
           groupArrayIf((src, ts, button, link, event_id, key0, node), src != '' AND role IN ('oclick', 'fclick'))
               OVER by_contact AS clicks,
           groupArrayIf(ts, role = 'unsub') OVER by_contact AS unsubs,
           event_id
    FROM rows
    WINDOW by_contact AS (PARTITION BY ch, acc, contact)
),
sends AS (
    SELECT tgt.1 AS source, ch, acc, contact, tgt.2 AS send,
           maxIf(node, own AND node != '') AS send_node,
           maxIf(mkind, mkind != '') AS kind,
           min(ts) AS t0,
           countIf(type IN ('message.delivered', 'message.read', 'message.opened')) > 0 AS ok,
           minIf(ts, type IN ('message.delivered', 'message.read', 'message.opened')) AS delivered_at,
           countIf(type = 'message.read') > 0 AS is_read,
           minIf(ts, type = 'message.read') AS read_at,
           countIf(type = 'message.opened') > 0 AS is_opened,
           minIf(ts, type = 'message.opened') AS opened_at,
           countIf(type = 'message.failed') > 0 AS is_failed,
           maxIf(ts, type = 'message.failed') AS failed_at,
           argMaxIf(why, (ts, why), type = 'message.failed') AS reason,
           any(send_rows) AS c_sends, any(replies) AS c_replies, any(answers) AS c_answers,
           any(clicks) AS c_clicks, any(unsubs) AS c_unsubs
    FROM keyed
    ARRAY JOIN arrayConcat(
        if(role = 'msg',
           [(src, if(key0 != '', key0,
                     ifNull(nullIf(arrayLast(x -> x.1 = src AND x.3 = node AND x.4 <= ts, send_rows).2, ''), event_id)))],
           []),
        if(role = 'receipt' AND src != '', [(src, key0)], []),
        if(role = 'receipt' AND type != 'message.failed' AND wm > toDateTime64(0, 3, 'UTC'),
           arrayDistinct(arrayMap(x -> (x.1, x.2), arrayFilter(x -> x.4 <= wm, send_rows))), [])) AS tgt
    GROUP BY source, ch, acc, contact, send
)`

// span is the time span of a set of sources' own message events.
type span struct {
	n      uint64
	lo, hi time.Time
}

const spanSQL = `
SELECT count(), min(ts), max(ts)
FROM events
WHERE team_id = {team:String}
  AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened')
  AND source_id IN {ids:Array(String)} AND source_kind = {kind:String} AND contact_id != ''`

// Receipts and responses without a source are looked for from a day before
// the sources' first message event (clocks of platforms differ) to
// afterSpan after their last one.
const (
	beforeSpan = 24 * time.Hour
	afterSpan  = 30 * 24 * time.Hour
)

// span reads the span of the sources' message events; n is 0 when they
// have none.
func (s *Service) span(ctx context.Context, team, kind string, ids []string) (span, error) {
	rows, err := s.query(ctx, spanSQL, "team", team, "kind", kind, "ids", chparam.Strings(ids))
	if err != nil {
		return span{}, fmt.Errorf("query span of %s %s: %w", kind, strings.Join(ids, ","), err)
	}
	defer rows.Close()
	var sp span
	if rows.Next() {
		if err := rows.Scan(&sp.n, &sp.lo, &sp.hi); err != nil {
			return span{}, scanErr("span of "+kind, strings.Join(ids, ","), err)
		}
	}
	return sp, rows.Err()
}

// sourceParams are the parameters of sendsCTE.
func sourceParams(team, kind string, ids []string, sp span, extra ...string) []string {
	return append([]string{"team", team, "kind", kind, "ids", chparam.Strings(ids), "trk", chparam.Strings(trackableKinds),
		"lo", chTime(sp.lo.Add(-beforeSpan)), "hi", chTime(sp.hi.Add(afterSpan))}, extra...)
}

// withCTEs joins CTE definitions into a WITH clause.
func withCTEs(ctes ...string) string {
	return "WITH " + strings.Join(ctes, ",\n")
}

// scanErr wraps a scan or read error with what was being read.
func scanErr(what, id string, err error) error {
	return fmt.Errorf("read %s %s: %w", what, id, err)
}
