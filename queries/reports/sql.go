package reports

import (
	"context"
	"fmt"
	"strings"

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

// sourceParams are the parameters of sendsCTE.
func sourceParams(team, kind string, ids []string, extra ...string) []string {
	return append([]string{"team", team, "kind", kind, "ids", chparam.Strings(ids), "trk", chparam.Strings(trackableKinds)}, extra...)
}

// sendsCTE turns the message events of a set of sources (broadcasts or
// journeys: {kind:String}, {ids:Array(String)}) into one row per send
// (sends), plus the click and response evidence the windows need. Every
// CTE reads the events table through its ORDER BY prefix: (team_id, type,
// source_id) for the sources' own events, (team_id, type, ”, contact_id)
// for receipts and inbound messages that name no source, restricted to the
// sources' contacts and time span.
//
//	own      the sources' message.* events
//	bounds   the time span of own
//	msgs     platform message id → send key, per contact
//	keyed    own with its send key ('' for a read/open naming no message)
//	starts   sends known from sent/delivered/failed events, with their time
//	foreign  receipts without a source on the same contacts (webhooks)
//	ev       every receipt attached to its send
//	sends    one row per send: delivered? when? read? opened? failed why?
//	horizon  the latest event of own and foreign: no delivery is later
//	clicks   url/module clicks of the sources (by source, or by message id)
//	replies  responses that name no source (inbound text/image/file/sticker,
//	         module clicks without source or message)
//	answers  responses that name a source (module clicks of the sources,
//	         WhatsApp reactions to their messages)
const sendsCTE = `
own AS (
    SELECT event_id, type, ts, source_id AS src, node_id AS node, channel_type AS ch, channel_id AS acc,
           contact_id AS contact, message_id AS mid, send_id AS sid, message_kind AS kind, reason
    FROM events
    WHERE team_id = {team:String}
      AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened')
      AND source_id IN {ids:Array(String)} AND source_kind = {kind:String} AND contact_id != ''
),
bounds AS (
    SELECT min(ts) AS lo FROM own
),
msgs AS (
    SELECT src, acc, contact, mid, if(maxIf(sid, sid != '') != '', maxIf(sid, sid != ''), mid) AS skey
    FROM own WHERE mid != ''
    GROUP BY src, acc, contact, mid
),
keyed AS (
    SELECT o.event_id AS event_id, o.type AS type, o.ts AS ts, o.src AS src, o.node AS node, o.ch AS ch,
           o.acc AS acc, o.contact AS contact, o.kind AS kind, o.reason AS reason,
           multiIf(o.sid != '', o.sid,
                   o.mid != '', m.skey,
                   o.type IN ('message.sent', 'message.delivered', 'message.failed'), o.event_id,
                   '') AS skey
    FROM own AS o
    LEFT JOIN msgs AS m ON m.src = o.src AND m.acc = o.acc AND m.contact = o.contact AND m.mid = o.mid
),
starts AS (
    SELECT src, ch, acc, contact, skey, maxIf(node, node != '') AS snode, min(ts) AS t0
    FROM keyed
    WHERE skey != '' AND type IN ('message.sent', 'message.delivered', 'message.failed')
    GROUP BY src, ch, acc, contact, skey
),
foreign AS (
    SELECT type, ts, channel_type AS ch, channel_id AS acc, contact_id AS contact, message_id AS mid,
           watermark AS wm, reason
    FROM events
    WHERE team_id = {team:String}
      AND type IN ('message.delivered', 'message.read', 'message.failed')
      AND source_id = '' AND contact_id IN (SELECT contact FROM own)
      AND ts >= (SELECT lo FROM bounds) - INTERVAL 1 DAY
      AND (message_id != '' OR watermark > toDateTime64(0, 3, 'UTC'))
),
ev AS (
    SELECT src, ch, acc, contact, skey, type, ts, kind AS ev_kind, reason AS ev_reason, node AS ev_node
    FROM keyed WHERE skey != ''
    UNION ALL
    SELECT k.src, k.ch, k.acc, k.contact, if(s.skey != '', s.skey, k.event_id), k.type, k.ts, k.kind, k.reason, k.node
    FROM (SELECT * FROM keyed WHERE skey = '') AS k
    ASOF LEFT JOIN starts AS s
        ON s.src = k.src AND s.acc = k.acc AND s.contact = k.contact AND s.snode = k.node AND s.t0 <= k.ts
    UNION ALL
    SELECT m.src, f.ch, f.acc, f.contact, m.skey, f.type, f.ts, '', f.reason, ''
    FROM foreign AS f
    INNER JOIN msgs AS m ON m.acc = f.acc AND m.contact = f.contact AND m.mid = f.mid
    UNION ALL
    SELECT s.src, f.ch, f.acc, f.contact, s.skey, f.type, f.ts, '', '', ''
    FROM foreign AS f
    INNER JOIN starts AS s ON s.ch = f.ch AND s.acc = f.acc AND s.contact = f.contact
    WHERE f.type != 'message.failed' AND f.wm > toDateTime64(0, 3, 'UTC') AND s.t0 <= f.wm
),
sends AS (
    SELECT src, ch, acc, contact, skey,
           maxIf(ev_node, ev_node != '') AS node,
           maxIf(ev_kind, ev_kind != '') AS kind,
           min(ts) AS t0,
           countIf(type IN ('message.delivered', 'message.read', 'message.opened')) > 0 AS ok,
           minIf(ts, type IN ('message.delivered', 'message.read', 'message.opened')) AS delivered_at,
           countIf(type = 'message.read') > 0 AS is_read,
           minIf(ts, type = 'message.read') AS read_at,
           countIf(type = 'message.opened') > 0 AS is_opened,
           minIf(ts, type = 'message.opened') AS opened_at,
           countIf(type = 'message.failed') > 0 AS is_failed,
           maxIf(ts, type = 'message.failed') AS failed_at,
           argMaxIf(ev_reason, (ts, ev_reason), type = 'message.failed') AS reason
    FROM ev
    GROUP BY src, ch, acc, contact, skey
),
horizon AS (
    SELECT greatest((SELECT max(ts) FROM own), (SELECT max(ts) FROM foreign)) AS hi
),
clicks AS (
    SELECT source_id AS src, channel_id AS acc, contact_id AS contact, ts, event_id, button_kind AS bk,
           button_id AS bid, url, send_id AS sid, message_id AS mid, node_id AS node
    FROM events
    WHERE team_id = {team:String} AND type = 'button.clicked'
      AND source_id IN {ids:Array(String)} AND source_kind = {kind:String}
      AND button_kind IN ('url', 'module') AND contact_id != ''
    UNION ALL
    SELECT m.src, c.acc, c.contact, c.ts, c.event_id, 'module', c.bid, c.url, '', c.mid, ''
    FROM (
        SELECT channel_id AS acc, contact_id AS contact, ts, event_id, button_id AS bid, url, message_id AS mid
        FROM events
        WHERE team_id = {team:String} AND type = 'button.clicked' AND source_id = ''
          AND button_kind = 'module' AND message_id != ''
          AND contact_id IN (SELECT contact FROM own)
          AND ts >= (SELECT lo FROM bounds) - INTERVAL 1 DAY
    ) AS c
    INNER JOIN msgs AS m ON m.acc = c.acc AND m.contact = c.contact AND m.mid = c.mid
),
replies AS (
    SELECT channel_id AS acc, contact_id AS contact, groupArray(ts) AS tss
    FROM events
    WHERE team_id = {team:String}
      AND ((type = 'message.inbound' AND inbound_kind IN ('text', 'image', 'file', 'sticker'))
        OR (type = 'button.clicked' AND button_kind = 'module' AND source_id = '' AND message_id = ''))
      AND contact_id IN (SELECT contact FROM own)
      AND ts >= (SELECT lo FROM bounds) AND ts <= (SELECT hi FROM horizon) + INTERVAL 48 HOUR
    GROUP BY acc, contact
),
answers AS (
    SELECT src, acc, contact, groupArray(ts) AS tss
    FROM (
        SELECT src, acc, contact, ts FROM clicks WHERE bk = 'module'
        UNION ALL
        SELECT m.src, r.acc, r.contact, r.ts
        FROM (
            SELECT channel_id AS acc, contact_id AS contact, ts, reply_to
            FROM events
            WHERE team_id = {team:String} AND type = 'message.inbound' AND inbound_kind = 'reaction'
              AND channel_type = 'whatsapp' AND reply_to != ''
              AND contact_id IN (SELECT contact FROM own)
              AND ts >= (SELECT lo FROM bounds)
        ) AS r
        INNER JOIN msgs AS m ON m.acc = r.acc AND m.contact = r.contact AND m.mid = r.reply_to
    )
    GROUP BY src, acc, contact
)`

// withCTEs joins CTE definitions into a WITH clause.
func withCTEs(ctes ...string) string {
	return "WITH " + strings.Join(ctes, ",\n")
}

// scanErr wraps a scan or read error with what was being read.
func scanErr(what, id string, err error) error {
	return fmt.Errorf("read %s %s: %w", what, id, err)
}
