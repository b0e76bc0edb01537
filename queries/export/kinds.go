package export

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Column is one exported column with its headers.
type Column struct {
	Name string // the query's column name
	EN   string // header in English
	ZH   string // header in Traditional Chinese
}

// Params are an export request's filters, validated against its kind.
type Params struct {
	From, To time.Time // team-local dates, To inclusive; zero when absent
	Channel  string    // channel type
	ID       string    // broadcast id, campaign, …
}

// Kind is one exportable list or report.
type Kind struct {
	Name    string
	Columns []Column
	// Query selects the columns, in order, for {team:String},
	// {from:DateTime64(3)}, {to:DateTime64(3)} (exclusive), {channel:String}
	// and {id:String}.
	Query string
	// Check applies the kind's rules.
	Check func(Params) error
}

var (
	errNeedRange = errors.New("from and to are required")
)

func needRange(p Params) error {
	if p.From.IsZero() || p.To.IsZero() {
		return errNeedRange
	}
	if p.To.Before(p.From) {
		return errors.New("to is before from")
	}
	return nil
}

// days is the number of calendar days of the range (To is exclusive).
func days(p Params) int { return int(math.Round(p.To.Sub(p.From).Hours() / 24)) }

func maxDays(n int) func(Params) error {
	return func(p Params) error {
		if err := needRange(p); err != nil {
			return err
		}
		if days := days(p); days > n {
			return fmt.Errorf("the range covers %d days; this export allows at most %d", days, n)
		}
		return nil
	}
}

// Kinds are the exports offered.
var Kinds = map[string]Kind{
	"broadcasts": {
		Name: "broadcasts",
		Columns: []Column{
			{"broadcast_id", "Broadcast ID", "推播 ID"}, {"channel", "Channel", "渠道"}, {"sent_at", "Sent at", "發送時間"},
			{"audience", "Audience", "發送人數"}, {"delivered", "Delivered people", "成功發送人數"}, {"failed", "Failed people", "發送失敗人數"},
			{"read", "Read", "已讀人數"}, {"opened", "Opened", "開封人數"}, {"clicked", "Clicked", "點擊人數"},
		},
		Query: `SELECT source_id AS broadcast_id, channel_type AS channel, min(ts) AS sent_at,
			uniqExactIf(contact_id, type IN ('message.sent', 'message.delivered', 'message.failed')) AS audience,
			uniqExactIf(contact_id, type IN ('message.delivered', 'message.read', 'message.opened')) AS delivered,
			uniqExactIf(contact_id, type = 'message.failed') AS failed,
			uniqExactIf(contact_id, type = 'message.read') AS read,
			uniqExactIf(contact_id, type = 'message.opened') AS opened,
			uniqExactIf(contact_id, type = 'button.clicked' AND button_kind IN ('url', 'module')) AS clicked
			FROM events
			WHERE team_id = {team:String} AND source_kind = 'broadcast' AND channel_type = {channel:String}
			  AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened', 'button.clicked')
			GROUP BY source_id, channel_type
			HAVING sent_at >= {from:DateTime64(3)} AND sent_at < {to:DateTime64(3)}
			ORDER BY sent_at DESC, broadcast_id`,
		Check: func(p Params) error {
			if err := needRange(p); err != nil {
				return fmt.Errorf("a broadcast report export needs a date range: %w", err)
			}
			if p.Channel == "" {
				return errors.New("a broadcast report export needs exactly one channel")
			}
			return nil
		},
	},
	"tag_log": {
		Name: "tag_log",
		Columns: []Column{
			{"time", "Time", "時間"}, {"channel", "Channel", "渠道"}, {"channel_id", "Channel ID", "渠道 ID"},
			{"user_id", "User ID", "用戶 ID"}, {"tag", "Tag", "標籤"}, {"source", "Source", "來源"},
		},
		Query: `SELECT a.at AS time, a.ch AS channel, a.acc AS channel_id, a.who AS user_id, a.label AS tag, a.src AS source
			FROM (SELECT event_id, any(ts) AS at, any(channel_type) AS ch, any(channel_id) AS acc, any(contact_id) AS who,
			             any(tag) AS label, any(source_kind) AS src
			      FROM events WHERE team_id = {team:String} AND type = 'tag.added' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
			        AND ({channel:String} = '' OR channel_type = {channel:String})
			      GROUP BY event_id) AS a
			LEFT JOIN (SELECT channel_type, channel_id, contact_id, tag, max(ts) AS removed
			           FROM events WHERE team_id = {team:String} AND type = 'tag.removed'
			           GROUP BY channel_type, channel_id, contact_id, tag) AS r
			  ON a.ch = r.channel_type AND a.acc = r.channel_id AND a.who = r.contact_id AND a.label = r.tag
			WHERE a.at > r.removed
			ORDER BY time, user_id`,
		Check: needRange,
	},
	"omnilink": {
		Name: "omnilink",
		Columns: []Column{
			{"time", "Time", "時間"}, {"event", "Event", "事件"}, {"channel", "Channel", "渠道"}, {"user_id", "User ID", "用戶 ID"},
			{"target_channel", "Target channel", "目標渠道"}, {"target_user_id", "Target user ID", "目標用戶 ID"}, {"reason", "Reason", "失敗原因"},
		},
		Query: `SELECT any(ts) AS time, any(type) AS event, any(channel_type) AS channel, any(contact_id) AS user_id,
			any(target_channel_type) AS target_channel, any(target_contact_id) AS target_user_id, any(reason) AS reason
			FROM events WHERE team_id = {team:String} AND type IN ('omnilink.clicked', 'omnilink.succeeded', 'omnilink.failed')
			  AND campaign = {id:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
			GROUP BY event_id ORDER BY time, user_id`,
		Check: func(p Params) error {
			if err := needRange(p); err != nil {
				return fmt.Errorf("an OmniLink export needs a date range: %w", err)
			}
			if days := days(p); days >= 90 {
				return fmt.Errorf("an OmniLink export must cover less than 90 days; the range covers %d", days)
			}
			if p.ID == "" {
				return errors.New("id (the campaign) is required")
			}
			return nil
		},
	},
	"cart_orders": {
		Name: "cart_orders",
		Columns: []Column{
			{"time", "Order time", "訂單時間"}, {"order_id", "Order ID", "訂單編號"}, {"member_id", "Member ID", "會員編號"},
			{"amount", "Amount", "金額"}, {"currency", "Currency", "幣別"},
		},
		Query: `SELECT any(ts) AS time, order_id, any(member_id) AS member_id, any(amount) AS amount, any(currency) AS currency
			FROM events WHERE team_id = {team:String} AND type = 'order.placed' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
			  AND (source_kind = 'cart_remarketing' OR {channel:String} = '' OR channel_type = {channel:String})
			GROUP BY order_id ORDER BY time, order_id`,
		Check: func(p Params) error {
			if err := maxDays(31)(p); err != nil {
				return fmt.Errorf("a cart-remarketing order export covers at most 31 days: %w", err)
			}
			return nil
		},
	},
	"events": {
		Name: "events",
		Columns: []Column{
			{"ts", "Time", "時間"}, {"event_id", "Event ID", "事件 ID"}, {"type", "Type", "類型"}, {"channel", "Channel", "渠道"},
			{"channel_id", "Channel ID", "渠道 ID"}, {"user_id", "User ID", "用戶 ID"}, {"customer_id", "Customer ID", "顧客 ID"},
			{"source_kind", "Source", "來源"}, {"source_id", "Source ID", "來源 ID"},
		},
		Query: `SELECT ts, event_id, type, channel_type AS channel, channel_id, contact_id AS user_id, customer_id, source_kind, source_id
			FROM events WHERE team_id = {team:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
			  AND ({channel:String} = '' OR channel_type = {channel:String})
			ORDER BY ts, event_id LIMIT 1 BY event_id`,
		Check: needRange,
	},
}
