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

// ContactsQuery selects what the contacts report counts.
type ContactsQuery struct {
	Range    Range
	Channels []Channel
	Users    []string // staff users (actor) who acted
	Sources  []string // sources: how a contact was added, connected, deleted, or the cause of a merge
	Contact  string   // a channel user id, or part of a contact's name
	Limit    int      // rows of each log; 0 or more than MaxLogRows means MaxLogRows
}

// SourceCount is a count of one source.
type SourceCount struct {
	Source string `json:"source"`
	Count  uint64 `json:"count"`
}

// ChannelCount is a count of one channel account.
type ChannelCount struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	Count       uint64 `json:"count"`
}

// ContactCounts are the four counts of the contacts report.
type ContactCounts struct {
	Added     uint64 `json:"added"`
	Connected uint64 `json:"connected"`
	Deleted   uint64 `json:"deleted"`
	Merged    uint64 `json:"merged"`
}

// ContactsDay is one day of the bar chart.
type ContactsDay struct {
	Date Date `json:"date"`
	ContactCounts
}

// ContactLogRow is one row of a contacts log. Name is the contact's
// current name ("" once deleted: deletion erases it). For merges the
// contact is the one whose event caused the merge, SurvivingID the
// customer that remains and MergedIDs the customers merged into it.
type ContactLogRow struct {
	Time        time.Time `json:"time"`
	ChannelType string    `json:"channel_type"`
	ChannelID   string    `json:"channel_id"`
	ContactID   string    `json:"contact_id"`
	Name        string    `json:"name"`
	Source      string    `json:"source"`
	User        string    `json:"user"`
	SurvivingID string    `json:"surviving_id,omitempty"`
	MergedIDs   []string  `json:"merged_ids,omitempty"`
}

// ContactLog is one log, newest first.
type ContactLog struct {
	Rows      []ContactLogRow `json:"rows"`
	Truncated bool            `json:"truncated"` // more rows matched than the log answers
}

// ContactLogs are the four logs.
type ContactLogs struct {
	Added     ContactLog `json:"added"`
	Connected ContactLog `json:"connected"`
	Deleted   ContactLog `json:"deleted"`
	Merged    ContactLog `json:"merged"`
}

// ContactsReport is the contacts report of a range.
type ContactsReport struct {
	Period             Period         `json:"period"`
	Totals             ContactCounts  `json:"totals"`
	AddedBySource      []SourceCount  `json:"added_by_source"`
	ConnectedByChannel []ChannelCount `json:"connected_by_channel"`
	ConnectedBySource  []SourceCount  `json:"connected_by_source"`
	Daily              []ContactsDay  `json:"daily"` // every day of the range
	Logs               ContactLogs    `json:"logs"`
}

// contactKind is one of the report's four record sets. records is SQL of
// rows (ts, event_id, channel_type, channel_id, contact_id, source, actor,
// surviving_id, merged_ids) in the period, one per event; pick selects the
// contacts whose names its log may show.
type contactKind struct {
	name    string
	records string
	pick    string
}

const noMerge = ", '' AS surviving_id, CAST([], 'Array(String)') AS merged_ids"

// connectionTypes are the messages that connect a contact: an inbound
// message, or an outbound one that reached the contact (delivered; a read
// or an open implies the delivery).
const connectionTypes = "type IN ('message.inbound', 'message.delivered', 'message.read', 'message.opened')"

var contactKinds = []contactKind{{
	// A contact.created event; its source is props.contact_source.
	name: "added",
	records: `
    SELECT ts, event_id, channel_type, channel_id, contact_id,
           if(contact_source = '', 'organic', contact_source) AS source, actor` + noMerge + `
    FROM events
    WHERE team_id = {team:String} AND type = 'contact.created' AND ` + inPeriod + `
    LIMIT 1 BY event_id`,
	pick: `SELECT channel_type, channel_id, contact_id FROM events
        WHERE team_id = {team:String} AND type = 'contact.created' AND ` + inPeriod,
}, {
	// A contact is connected when its first message ever (inbound, or
	// outbound and delivered) falls in the period. The source is "inbound"
	// for an inbound message (or its source kind, e.g. echo), else the
	// source kind of the delivery or of the message.sent it reports on;
	// the user is the staff user who sent it.
	name: "connected",
	records: `
    SELECT f.first_ts AS ts, f.first_event AS event_id, f.channel_type AS channel_type, f.channel_id AS channel_id,
           f.contact_id AS contact_id,
           multiIf(f.src != '', f.src, ifNull(s.source_kind, '') != '', ifNull(s.source_kind, ''), 'outbound') AS source,
           if(f.first_actor != '', f.first_actor, ifNull(s.actor, '')) AS actor` + noMerge + `
    FROM (
        SELECT channel_type, channel_id, contact_id, min(ts) AS first_ts,
               argMin(event_id, (ts, event_id)) AS first_event,
               argMin(if(type = 'message.inbound' AND source_kind = '', 'inbound', toString(source_kind)), (ts, event_id)) AS src,
               argMin(actor, (ts, event_id)) AS first_actor,
               argMin(message_id, (ts, event_id)) AS first_message
        FROM events
        WHERE team_id = {team:String} AND ` + connectionTypes + ` AND contact_id != ''
        GROUP BY channel_type, channel_id, contact_id
        HAVING first_ts >= {start:DateTime64(3, 'UTC')} AND first_ts < {end:DateTime64(3, 'UTC')}
    ) AS f
    LEFT JOIN (
        SELECT channel_type, channel_id, contact_id, message_id, any(source_kind) AS source_kind, any(actor) AS actor
        FROM events
        WHERE team_id = {team:String} AND type = 'message.sent' AND message_id != ''
          AND ts < {end:DateTime64(3, 'UTC')}
          AND (channel_type, channel_id, contact_id) IN (
              SELECT channel_type, channel_id, contact_id FROM events
              WHERE team_id = {team:String} AND type IN ('message.delivered', 'message.read', 'message.opened') AND ` + inPeriod + `)
        GROUP BY channel_type, channel_id, contact_id, message_id
    ) AS s ON f.channel_type = s.channel_type AND f.channel_id = s.channel_id AND f.contact_id = s.contact_id
          AND f.first_message = s.message_id`,
	pick: `SELECT channel_type, channel_id, contact_id FROM events
        WHERE team_id = {team:String} AND ` + connectionTypes + ` AND ` + inPeriod,
}, {
	// A contact.deleted event; deletion is done by a user unless its
	// source says otherwise.
	name: "deleted",
	records: `
    SELECT ts, event_id, channel_type, channel_id, contact_id,
           if(source_kind = '', 'user', toString(source_kind)) AS source, actor` + noMerge + `
    FROM events
    WHERE team_id = {team:String} AND type = 'contact.deleted' AND ` + inPeriod + `
    LIMIT 1 BY event_id`,
	pick: `SELECT channel_type, channel_id, contact_id FROM events
        WHERE team_id = {team:String} AND type = 'contact.deleted' AND ` + inPeriod,
}, {
	// A successful merge of the merge log (not a refusal, not a split);
	// its channel and contact are those of the event that caused it (the
	// log's time is that event's time), its source the binding method.
	name: "merged",
	records: `
    SELECT m.ts AS ts, m.event_id AS event_id, ifNull(e.channel_type, '') AS channel_type,
           ifNull(e.channel_id, '') AS channel_id, ifNull(e.contact_id, '') AS contact_id,
           toString(m.cause) AS source, m.actor AS actor, m.surviving_id AS surviving_id, m.merged_ids AS merged_ids
    FROM (
        SELECT ts, event_id, cause, actor, surviving_id, merged_ids
        FROM merge_log
        WHERE team_id = {team:String} AND ok = 1 AND reason != 'split' AND ` + inPeriod + `
        LIMIT 1 BY event_id, surviving_id
    ) AS m
    LEFT JOIN (
        SELECT event_id, any(toString(channel_type)) AS channel_type, any(channel_id) AS channel_id, any(contact_id) AS contact_id
        FROM events
        WHERE team_id = {team:String} AND ` + inPeriod + ` AND event_id IN (` + mergeEvents + `)
        GROUP BY event_id
    ) AS e ON m.event_id = e.event_id`,
	pick: `SELECT channel_type, channel_id, contact_id FROM events
        WHERE team_id = {team:String} AND ` + inPeriod + ` AND event_id IN (` + mergeEvents + `)`,
}}

const mergeEvents = `SELECT event_id FROM merge_log
            WHERE team_id = {team:String} AND ok = 1 AND reason != 'split' AND ` + inPeriod

var recordColumns = columns{channelType: "r.channel_type", channelID: "r.channel_id", contact: "r.contact_id", source: "r.source", user: "r.actor"}

// Contacts computes the contacts report.
func (s *Service) Contacts(ctx context.Context, team *teams.Team, q ContactsQuery) (*ContactsReport, error) {
	loc := zoneOf(team)
	rep := &ContactsReport{Period: periodOf(q.Range, loc), AddedBySource: []SourceCount{},
		ConnectedByChannel: []ChannelCount{}, ConnectedBySource: []SourceCount{}, Daily: []ContactsDay{}}
	days := map[string]*ContactsDay{}
	if q.Range.Bounded() {
		for _, d := range q.Range.Days() {
			rep.Daily = append(rep.Daily, ContactsDay{Date: d})
		}
		for i := range rep.Daily {
			days[rep.Daily[i].Date.String()] = &rep.Daily[i]
		}
	}
	f := filter{Channels: q.Channels, Users: q.Users, Sources: q.Sources, Contact: q.Contact}
	bySource := map[string]map[string]uint64{"added": {}, "connected": {}}
	byChannel := map[Channel]uint64{}
	limit := logLimit(q.Limit)
	for _, k := range contactKinds {
		st := newStmt(team.ID)
		st.period(q.Range)
		err := s.query(ctx, k.name+" contacts", st, `
SELECT `+strings.Replace(dayOfTS, "ts", "r.ts", 1)+` AS day, r.channel_type, r.channel_id, r.source, count()
FROM (`+k.records+`
) AS r
WHERE 1`+f.where(st, recordColumns)+`
GROUP BY day, r.channel_type, r.channel_id, r.source`, func(rows driver.Rows) error {
			var day, ct, ci, src string
			var n uint64
			if err := rows.Scan(&day, &ct, &ci, &src, &n); err != nil {
				return err
			}
			c := counter(&rep.Totals, k.name)
			*c += n
			if d := days[day]; d != nil {
				*counter(&d.ContactCounts, k.name) += n
			}
			if m := bySource[k.name]; m != nil {
				m[src] += n
			}
			if k.name == "connected" {
				byChannel[Channel{ct, ci}] += n
			}
			return nil
		})
		if err != nil {
			return nil, err
		}

		log := &rep.Logs.Added
		switch k.name {
		case "connected":
			log = &rep.Logs.Connected
		case "deleted":
			log = &rep.Logs.Deleted
		case "merged":
			log = &rep.Logs.Merged
		}
		log.Rows = []ContactLogRow{}
		st = newStmt(team.ID)
		st.period(q.Range)
		st.num("limit", int64(limit)+1)
		err = s.query(ctx, k.name+" contacts log", st, `
SELECT r.ts, r.channel_type, r.channel_id, r.contact_id, ifNull(n.name, ''), r.source, r.actor, r.surviving_id, r.merged_ids
FROM (`+k.records+`
) AS r`+names("n", k.pick, "r.channel_type", "r.channel_id", "r.contact_id")+`
WHERE 1`+f.where(st, recordColumns)+`
ORDER BY r.ts DESC, r.event_id DESC
LIMIT {limit:UInt64}`, func(rows driver.Rows) error {
			var x ContactLogRow
			if err := rows.Scan(&x.Time, &x.ChannelType, &x.ChannelID, &x.ContactID, &x.Name, &x.Source, &x.User,
				&x.SurvivingID, &x.MergedIDs); err != nil {
				return err
			}
			x.Time = x.Time.In(loc)
			if len(x.MergedIDs) == 0 {
				x.MergedIDs = nil
			}
			log.Rows = append(log.Rows, x)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(log.Rows) > limit {
			log.Rows, log.Truncated = log.Rows[:limit], true
		}
	}
	rep.AddedBySource = sourceCounts(bySource["added"])
	rep.ConnectedBySource = sourceCounts(bySource["connected"])
	for c, n := range byChannel {
		rep.ConnectedByChannel = append(rep.ConnectedByChannel, ChannelCount{ChannelType: c.Type, ChannelID: c.ID, Count: n})
	}
	slices.SortFunc(rep.ConnectedByChannel, func(a, b ChannelCount) int {
		if a.Count != b.Count {
			return cmpDesc(a.Count, b.Count)
		}
		if c := strings.Compare(a.ChannelType, b.ChannelType); c != 0 {
			return c
		}
		return strings.Compare(a.ChannelID, b.ChannelID)
	})
	return rep, nil
}

func counter(c *ContactCounts, kind string) *uint64 {
	switch kind {
	case "added":
		return &c.Added
	case "connected":
		return &c.Connected
	case "deleted":
		return &c.Deleted
	}
	return &c.Merged
}

// sourceCounts lists m, largest first.
func sourceCounts(m map[string]uint64) []SourceCount {
	out := make([]SourceCount, 0, len(m))
	for s, n := range m {
		out = append(out, SourceCount{Source: s, Count: n})
	}
	slices.SortFunc(out, func(a, b SourceCount) int {
		if a.Count != b.Count {
			return cmpDesc(a.Count, b.Count)
		}
		return strings.Compare(a.Source, b.Source)
	})
	return out
}

func cmpDesc(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func (s *Service) serveContacts(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "channel", "user", "source", "contact", "limit")
	if err != nil {
		return nil, err
	}
	var q ContactsQuery
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), defaultPreset); err != nil {
		return nil, err
	}
	if q.Channels, err = p.channels(maxValues); err != nil {
		return nil, err
	}
	if q.Users, err = p.list("user"); err != nil {
		return nil, err
	}
	if q.Sources, err = p.list("source"); err != nil {
		return nil, err
	}
	if q.Contact, err = p.one("contact"); err != nil {
		return nil, err
	}
	if q.Limit, err = p.limit(); err != nil {
		return nil, err
	}
	return s.Contacts(r.Context(), team, q)
}
