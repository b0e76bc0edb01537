package analytics

import (
	"context"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/teams"
)

// Period echoes the date range a report covers; From and To are absent
// when it covers all time.
type Period struct {
	From     *Date  `json:"from,omitempty"`
	To       *Date  `json:"to,omitempty"`
	TimeZone string `json:"timezone"`
}

func periodOf(r Range, loc *time.Location) Period {
	if !r.Bounded() {
		return Period{TimeZone: loc.String()}
	}
	from, to := r.From, r.To
	return Period{From: &from, To: &to, TimeZone: r.Loc.String()}
}

// TagQuery selects the tag applications a report counts.
type TagQuery struct {
	Range    Range
	Tags     []string  // only these tags; every tag when empty
	Sources  []string  // only applications from these tagging sources (source.kind)
	Channels []Channel // only contacts on these channels
	Limit    int       // rows of the application log; 0 or more than MaxLogRows means MaxLogRows
}

// TagStat is one tag over the range.
type TagStat struct {
	Tag          string    `json:"tag"`
	TagCount     uint64    `json:"tag_count"`     // applications
	TaggedPeople uint64    `json:"tagged_people"` // distinct contacts
	LastTagged   time.Time `json:"last_tagged"`   // latest application in the range
}

// TagCounts are the counts of a day or of the whole range.
type TagCounts struct {
	TagCount     uint64 `json:"tag_count"`
	TaggedPeople uint64 `json:"tagged_people"`
}

// TagDayCount is one tag on one day.
type TagDayCount struct {
	Tag string `json:"tag"`
	TagCounts
}

// TagDay is one day of the series: every tag together, and each tag with
// applications that day.
type TagDay struct {
	Date Date `json:"date"`
	TagCounts
	Tags []TagDayCount `json:"tags"`
}

// TagApplication is one row of the application log.
type TagApplication struct {
	Time        time.Time `json:"time"`
	ChannelType string    `json:"channel_type"`
	ChannelID   string    `json:"channel_id"`
	UserID      string    `json:"user_id"`
	Tag         string    `json:"tag"`
	Source      string    `json:"source"`
	SourceID    string    `json:"source_id,omitempty"`
	Actor       string    `json:"actor,omitempty"`
}

// TagLog is the application log, newest first.
type TagLog struct {
	Rows      []TagApplication `json:"rows"`
	Truncated bool             `json:"truncated"` // more rows matched than were answered
}

// TagReport is the tag report of a range.
type TagReport struct {
	Period Period    `json:"period"`
	Totals TagCounts `json:"totals"` // every tag together; tagged_people counts a contact once
	Tags   []TagStat `json:"tags"`   // most applications first
	Daily  []TagDay  `json:"daily"`  // every day of the range
	Log    TagLog    `json:"log"`
}

// tagApplications is the SQL of the applications that count: tag.added
// events of the range (one row per event id) that are later than the
// contact's latest tag.removed of the same tag, at any time. A removal
// deletes every earlier application of that tag on that contact, past
// ranges included, so this is evaluated at query time over event time:
// re-applying after a removal counts again, and a late removal changes old
// numbers as soon as it lands.
func tagApplications(st *stmt, q TagQuery, contact *ContactRef) string {
	scope := ""
	if len(q.Tags) > 0 {
		st.strs("tags", q.Tags)
		scope += " AND has({tags:Array(String)}, tag)"
	}
	if contact != nil {
		st.str("c_type", contact.ChannelType)
		st.str("c_id", contact.ChannelID)
		st.str("c_user", contact.UserID)
		scope += " AND channel_type = {c_type:String} AND channel_id = {c_id:String} AND contact_id = {c_user:String}"
	}
	scope += filter{Channels: q.Channels}.where(st, eventColumns)
	sources := filter{Sources: q.Sources}.where(st, eventColumns)
	st.period(q.Range)
	return `
SELECT a.event_id AS event_id, a.ts AS ts, a.channel_type AS channel_type, a.channel_id AS channel_id,
       a.contact_id AS contact_id, a.tag AS tag, a.source_kind AS source_kind, a.source_id AS source_id, a.actor AS actor
FROM (
    SELECT event_id, ts, channel_type, channel_id, contact_id, tag, source_kind, source_id, actor
    FROM events
    WHERE team_id = {team:String} AND type = 'tag.added' AND ` + inPeriod + scope + sources + `
    LIMIT 1 BY event_id
) AS a
LEFT JOIN (
    SELECT channel_type, channel_id, contact_id, tag, max(ts) AS removed_at
    FROM events
    WHERE team_id = {team:String} AND type = 'tag.removed'` + scope + `
    GROUP BY channel_type, channel_id, contact_id, tag
) AS r ON a.channel_type = r.channel_type AND a.channel_id = r.channel_id AND a.contact_id = r.contact_id AND a.tag = r.tag
WHERE r.removed_at IS NULL OR a.ts > r.removed_at`
}

// Tags computes the tag report of a team.
func (s *Service) Tags(ctx context.Context, team *teams.Team, q TagQuery) (*TagReport, error) {
	rep := &TagReport{Period: periodOf(q.Range, zoneOf(team)), Tags: []TagStat{}, Daily: []TagDay{}, Log: TagLog{Rows: []TagApplication{}}}

	st := newStmt(team.ID)
	err := s.query(ctx, "tag statistics", st, `
SELECT tag, count(), uniqExact(channel_type, channel_id, contact_id), max(ts)
FROM (`+tagApplications(st, q, nil)+`)
GROUP BY GROUPING SETS ((tag), ())
ORDER BY count() DESC, tag`, func(rows driver.Rows) error {
		var t TagStat
		if err := rows.Scan(&t.Tag, &t.TagCount, &t.TaggedPeople, &t.LastTagged); err != nil {
			return err
		}
		if t.Tag == "" { // the grand total (tags are never empty)
			rep.Totals = TagCounts{t.TagCount, t.TaggedPeople}
			return nil
		}
		t.LastTagged = t.LastTagged.In(zoneOf(team))
		rep.Tags = append(rep.Tags, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	if q.Range.Bounded() {
		days := map[string]*TagDay{}
		for _, d := range q.Range.Days() {
			rep.Daily = append(rep.Daily, TagDay{Date: d, Tags: []TagDayCount{}})
		}
		for i := range rep.Daily {
			days[rep.Daily[i].Date.String()] = &rep.Daily[i]
		}
		st := newStmt(team.ID)
		err = s.query(ctx, "daily tag series", st, `
SELECT `+dayOfTS+` AS day, tag, count(), uniqExact(channel_type, channel_id, contact_id)
FROM (`+tagApplications(st, q, nil)+`)
GROUP BY GROUPING SETS ((day, tag), (day))
ORDER BY day, count() DESC, tag`, func(rows driver.Rows) error {
			var day, tag string
			var c TagCounts
			if err := rows.Scan(&day, &tag, &c.TagCount, &c.TaggedPeople); err != nil {
				return err
			}
			d := days[day]
			if d == nil {
				return nil
			}
			if tag == "" {
				d.TagCounts = c
			} else {
				d.Tags = append(d.Tags, TagDayCount{Tag: tag, TagCounts: c})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}

	limit := logLimit(q.Limit)
	st = newStmt(team.ID)
	st.num("limit", int64(limit)+1)
	err = s.query(ctx, "tag application log", st, `
SELECT ts, channel_type, channel_id, contact_id, tag, source_kind, source_id, actor
FROM (`+tagApplications(st, q, nil)+`)
ORDER BY ts DESC, event_id DESC
LIMIT {limit:UInt64}`, func(rows driver.Rows) error {
		var a TagApplication
		if err := rows.Scan(&a.Time, &a.ChannelType, &a.ChannelID, &a.UserID, &a.Tag, &a.Source, &a.SourceID, &a.Actor); err != nil {
			return err
		}
		a.Time = a.Time.In(zoneOf(team))
		rep.Log.Rows = append(rep.Log.Rows, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rep.Log.Rows) > limit {
		rep.Log.Rows, rep.Log.Truncated = rep.Log.Rows[:limit], true
	}
	return rep, nil
}

func logLimit(n int) int {
	if n <= 0 || n > MaxLogRows {
		return MaxLogRows
	}
	return n
}

// ContactRef names one contact: a channel account and the channel user id.
type ContactRef struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	UserID      string `json:"user_id"`
}

// ContactTag is one tag of a contact over a range.
type ContactTag struct {
	Tag        string    `json:"tag"`
	Count      uint64    `json:"count"`
	LastTagged time.Time `json:"last_tagged"`
}

// ContactTagReport is a contact's tag frequency: each tag applied to it in
// the range and how many times.
type ContactTagReport struct {
	Contact ContactRef   `json:"contact"`
	Period  Period       `json:"period"`
	Tags    []ContactTag `json:"tags"` // most applications first
}

// ContactTags computes a contact's tag frequency over q's range (q.Tags and
// q.Sources narrow it; q.Limit is not used).
func (s *Service) ContactTags(ctx context.Context, team *teams.Team, c ContactRef, q TagQuery) (*ContactTagReport, error) {
	rep := &ContactTagReport{Contact: c, Period: periodOf(q.Range, zoneOf(team)), Tags: []ContactTag{}}
	st := newStmt(team.ID)
	err := s.query(ctx, "contact tag frequency", st, `
SELECT tag, count(), max(ts)
FROM (`+tagApplications(st, q, &c)+`)
GROUP BY tag
ORDER BY count() DESC, tag`, func(rows driver.Rows) error {
		var t ContactTag
		if err := rows.Scan(&t.Tag, &t.Count, &t.LastTagged); err != nil {
			return err
		}
		t.LastTagged = t.LastTagged.In(zoneOf(team))
		rep.Tags = append(rep.Tags, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Service) serveTags(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "tag", "source", "channel", "limit")
	if err != nil {
		return nil, err
	}
	var q TagQuery
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), defaultPreset); err != nil {
		return nil, err
	}
	if q.Tags, err = p.list("tag"); err != nil {
		return nil, err
	}
	if q.Sources, err = p.list("source"); err != nil {
		return nil, err
	}
	if q.Channels, err = p.channels(maxValues); err != nil {
		return nil, err
	}
	if q.Limit, err = p.limit(); err != nil {
		return nil, err
	}
	return s.Tags(r.Context(), team, q)
}

func (s *Service) serveContactTags(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "tag", "source")
	if err != nil {
		return nil, err
	}
	var c ContactRef
	if c.ChannelType, err = pathValue(r, "channel_type"); err != nil {
		return nil, err
	}
	if !channelTypes[c.ChannelType] {
		return nil, invalid("channel_type", "must be one of line, facebook, instagram, whatsapp, web, wechat, sms")
	}
	if c.ChannelID, err = pathValue(r, "channel_id"); err != nil {
		return nil, err
	}
	if c.UserID, err = pathValue(r, "user_id"); err != nil {
		return nil, err
	}
	var q TagQuery
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), defaultPreset); err != nil {
		return nil, err
	}
	if q.Tags, err = p.list("tag"); err != nil {
		return nil, err
	}
	if q.Sources, err = p.list("source"); err != nil {
		return nil, err
	}
	return s.ContactTags(r.Context(), team, c, q)
}
