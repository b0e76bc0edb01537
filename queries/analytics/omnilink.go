package analytics

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/omnistream/omnistream/internal/teams"
)

// OmniLinkQuery selects the participants of a campaign report.
type OmniLinkQuery struct {
	// Range selects participants by participation time (their first click
	// of the campaign); the zero Range is the whole campaign.
	Range    Range
	Channels []Channel // only participants on these source channels
	Limit    int       // rows of each list; 0 or more than MaxLogRows means MaxLogRows
}

// ReasonCount is a number of failures with one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
}

// OmniLinkSuccess is one row of the success list.
type OmniLinkSuccess struct {
	SourceChannelType string     `json:"source_channel_type"`
	SourceChannelID   string     `json:"source_channel_id"`
	SourceID          string     `json:"source_id"`
	SourceName        string     `json:"source_name"`
	TargetChannelType string     `json:"target_channel_type"`
	TargetChannelID   string     `json:"target_channel_id"`
	TargetID          string     `json:"target_id"`
	TargetName        string     `json:"target_name"`
	ClickedAt         *time.Time `json:"clicked_at"` // null when no click was recorded
	SucceededAt       time.Time  `json:"succeeded_at"`
	NewContact        bool       `json:"new_contact"` // the target-channel contact did not exist in the team before
}

// OmniLinkFailure is one row of the failure list. A failure without a
// reason is a participant who clicked and never succeeded: the customer
// did not submit the linking message or has not installed the target app.
type OmniLinkFailure struct {
	SourceChannelType string     `json:"source_channel_type"`
	SourceChannelID   string     `json:"source_channel_id"`
	SourceID          string     `json:"source_id"`
	SourceName        string     `json:"source_name"`
	ClickedAt         *time.Time `json:"clicked_at"`
	FailedAt          *time.Time `json:"failed_at"`        // the latest failure; null without one
	Reason            string     `json:"reason,omitempty"` // absent: no reason recorded
}

// OmniLinkSuccesses is the success list, latest success first.
type OmniLinkSuccesses struct {
	Rows      []OmniLinkSuccess `json:"rows"`
	Truncated bool              `json:"truncated"`
}

// OmniLinkFailures is the failure list, latest participant first.
type OmniLinkFailures struct {
	Rows      []OmniLinkFailure `json:"rows"`
	Truncated bool              `json:"truncated"`
}

// OmniLinkReport is the report of one OmniLink campaign. Participants =
// Successes + Failures; Failures = the sum of FailuresByReason +
// FailuresWithoutReason.
type OmniLinkReport struct {
	Campaign              string            `json:"campaign"`
	Period                Period            `json:"period"`
	SourceChannels        []Channel         `json:"source_channels"`
	TargetChannels        []Channel         `json:"target_channels"`
	Participants          uint64            `json:"participants"`
	Successes             uint64            `json:"successes"`
	TargetNewContacts     uint64            `json:"target_new_contacts"`
	Failures              uint64            `json:"failures"`
	FailuresByReason      []ReasonCount     `json:"failures_by_reason"`
	FailuresWithoutReason uint64            `json:"failures_without_reason"`
	SuccessList           OmniLinkSuccesses `json:"success_list"`
	FailureList           OmniLinkFailures  `json:"failure_list"`
}

// omniLinkTypes are the event types of a campaign.
const omniLinkTypes = "type IN ('omnilink.clicked', 'omnilink.succeeded', 'omnilink.failed')"

// omniLinkParticipants is the SQL of one row per source contact that took
// part in the campaign, over every event of it (one row per event id):
//
//   - clicked / click_at: whether and when it first clicked;
//     joined_at, the participation time, is the first click, or the
//     contact's first campaign event when its click was never recorded;
//   - succeeded: an omnilink.succeeded whose merge the identity graph did
//     not refuse; the first such success gives the target and target_new;
//   - otherwise a failure: reason is the latest recorded reason, from an
//     omnilink.failed or from the merge log's refusal of a success
//     (member_id_conflict); "" when none was recorded.
func omniLinkParticipants(st *stmt, campaign string, channels []Channel) string {
	st.str("campaign", campaign)
	scope := filter{Channels: channels}.where(st, eventColumns)
	return `
SELECT channel_type, channel_id, contact_id,
       countIf(type = 'omnilink.clicked') > 0 AS clicked,
       minIf(ts, type = 'omnilink.clicked') AS click_at,
       if(clicked, click_at, min(ts)) AS joined_at,
       countIf(success) > 0 AS succeeded,
       argMinIf(ts, (ts, event_id), success) AS success_at,
       argMinIf(target_channel_type, (ts, event_id), success) AS t_type,
       argMinIf(target_channel_id, (ts, event_id), success) AS t_id,
       argMinIf(target_contact_id, (ts, event_id), success) AS t_user,
       argMinIf(target_new, (ts, event_id), success) AS t_new,
       countIf(failure) > 0 AS has_failure,
       maxIf(ts, failure) AS failed_at,
       argMaxIf(fail_reason, (ts, event_id), failure AND fail_reason != '') AS reason
FROM (
    SELECT e.event_id AS event_id, e.ts AS ts, e.type AS type,
           e.channel_type AS channel_type, e.channel_id AS channel_id, e.contact_id AS contact_id,
           e.target_channel_type AS target_channel_type, e.target_channel_id AS target_channel_id,
           e.target_contact_id AS target_contact_id, e.target_new AS target_new,
           e.type = 'omnilink.succeeded' AND ifNull(r.reason, '') = '' AS success,
           e.type = 'omnilink.failed' OR (e.type = 'omnilink.succeeded' AND ifNull(r.reason, '') != '') AS failure,
           if(e.type = 'omnilink.failed', e.reason, ifNull(r.reason, '')) AS fail_reason
    FROM (
        SELECT event_id, ts, type, channel_type, channel_id, contact_id, reason,
               target_channel_type, target_channel_id, target_contact_id, target_new
        FROM events
        WHERE team_id = {team:String} AND ` + omniLinkTypes + ` AND campaign = {campaign:String}` + scope + `
        LIMIT 1 BY event_id
    ) AS e
    LEFT JOIN (
        SELECT event_id, any(reason) AS reason
        FROM merge_log
        WHERE team_id = {team:String} AND ok = 0 AND cause = 'omnilink'
        GROUP BY event_id
    ) AS r ON e.event_id = r.event_id
)
GROUP BY channel_type, channel_id, contact_id`
}

// campaignContacts picks the source (or target) contacts of a campaign, to
// read only their names.
const (
	campaignSources = `SELECT channel_type, channel_id, contact_id FROM events
        WHERE team_id = {team:String} AND ` + omniLinkTypes + ` AND campaign = {campaign:String}`
	campaignTargets = `SELECT target_channel_type, target_channel_id, target_contact_id FROM events
        WHERE team_id = {team:String} AND type = 'omnilink.succeeded' AND campaign = {campaign:String}`
)

// names joins the current name of the contact (type, id, user) of the
// records r, reading only the profiles pick selects.
func names(alias, pick, typ, id, user string) string {
	return ` LEFT JOIN (
    SELECT channel_type, channel_id, contact_id, name FROM contacts_current
    WHERE team_id = {team:String} AND (channel_type, channel_id, contact_id) IN (` + pick + `)
) AS ` + alias + ` ON ` + alias + `.channel_type = ` + typ + ` AND ` + alias + `.channel_id = ` + id + ` AND ` + alias + `.contact_id = ` + user
}

// OmniLink computes the report of one campaign.
func (s *Service) OmniLink(ctx context.Context, team *teams.Team, campaign string, q OmniLinkQuery) (*OmniLinkReport, error) {
	loc := zoneOf(team)
	rep := &OmniLinkReport{
		Campaign: campaign, Period: periodOf(q.Range, loc), SourceChannels: []Channel{}, TargetChannels: []Channel{},
		FailuresByReason: []ReasonCount{}, SuccessList: OmniLinkSuccesses{Rows: []OmniLinkSuccess{}},
		FailureList: OmniLinkFailures{Rows: []OmniLinkFailure{}},
	}
	st := newStmt(team.ID)
	st.period(q.Range)
	var all uint64
	var reasons, sources, targets []string
	err := s.query(ctx, "omnilink campaign "+campaign, st, `
SELECT count(),
       countIf(inp), countIf(inp AND succeeded), countIf(inp AND succeeded AND t_new = 1),
       countIf(inp AND NOT succeeded), countIf(inp AND NOT succeeded AND reason = ''),
       groupArrayIf(reason, inp AND NOT succeeded AND reason != ''),
       groupUniqArrayIf(concat(channel_type, ':', channel_id), inp),
       groupUniqArrayIf(concat(t_type, ':', t_id), inp AND succeeded)
FROM (
    SELECT *, joined_at >= {start:DateTime64(3, 'UTC')} AND joined_at < {end:DateTime64(3, 'UTC')} AS inp
    FROM (`+omniLinkParticipants(st, campaign, q.Channels)+`)
)`, func(rows driver.Rows) error {
		return rows.Scan(&all, &rep.Participants, &rep.Successes, &rep.TargetNewContacts, &rep.Failures,
			&rep.FailuresWithoutReason, &reasons, &sources, &targets)
	})
	if err != nil {
		return nil, err
	}
	if all == 0 {
		if err := s.campaignExists(ctx, team.ID, campaign); err != nil {
			return nil, err
		}
	}
	counts := map[string]uint64{}
	for _, r := range reasons {
		counts[r]++
	}
	for r, n := range counts {
		rep.FailuresByReason = append(rep.FailuresByReason, ReasonCount{Reason: r, Count: n})
	}
	slices.SortFunc(rep.FailuresByReason, func(a, b ReasonCount) int { return strings.Compare(a.Reason, b.Reason) })
	rep.SourceChannels, rep.TargetChannels = channelList(sources), channelList(targets)

	limit := logLimit(q.Limit)
	st = newStmt(team.ID)
	st.period(q.Range)
	st.num("limit", int64(limit)+1)
	err = s.query(ctx, "omnilink successes of "+campaign, st, `
SELECT r.channel_type, r.channel_id, r.contact_id, s.name, r.t_type, r.t_id, r.t_user, t.name,
       r.clicked, r.click_at, r.success_at, r.t_new
FROM (`+omniLinkParticipants(st, campaign, q.Channels)+`) AS r`+
		names("s", campaignSources, "r.channel_type", "r.channel_id", "r.contact_id")+
		names("t", campaignTargets, "r.t_type", "r.t_id", "r.t_user")+`
WHERE r.succeeded AND r.joined_at >= {start:DateTime64(3, 'UTC')} AND r.joined_at < {end:DateTime64(3, 'UTC')}
ORDER BY r.success_at DESC, r.channel_type, r.channel_id, r.contact_id
LIMIT {limit:UInt64}`, func(rows driver.Rows) error {
		var x OmniLinkSuccess
		var clicked bool
		var clickAt time.Time
		var isNew uint8
		if err := rows.Scan(&x.SourceChannelType, &x.SourceChannelID, &x.SourceID, &x.SourceName,
			&x.TargetChannelType, &x.TargetChannelID, &x.TargetID, &x.TargetName, &clicked, &clickAt, &x.SucceededAt, &isNew); err != nil {
			return err
		}
		x.ClickedAt = optTime(clicked, clickAt, loc)
		x.SucceededAt = x.SucceededAt.In(loc)
		x.NewContact = isNew == 1
		rep.SuccessList.Rows = append(rep.SuccessList.Rows, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rep.SuccessList.Rows) > limit {
		rep.SuccessList.Rows, rep.SuccessList.Truncated = rep.SuccessList.Rows[:limit], true
	}

	st = newStmt(team.ID)
	st.period(q.Range)
	st.num("limit", int64(limit)+1)
	err = s.query(ctx, "omnilink failures of "+campaign, st, `
SELECT r.channel_type, r.channel_id, r.contact_id, s.name, r.clicked, r.click_at, r.has_failure, r.failed_at, r.reason
FROM (`+omniLinkParticipants(st, campaign, q.Channels)+`) AS r`+
		names("s", campaignSources, "r.channel_type", "r.channel_id", "r.contact_id")+`
WHERE NOT r.succeeded AND r.joined_at >= {start:DateTime64(3, 'UTC')} AND r.joined_at < {end:DateTime64(3, 'UTC')}
ORDER BY r.joined_at DESC, r.channel_type, r.channel_id, r.contact_id
LIMIT {limit:UInt64}`, func(rows driver.Rows) error {
		var x OmniLinkFailure
		var clicked, failed bool
		var clickAt, failedAt time.Time
		if err := rows.Scan(&x.SourceChannelType, &x.SourceChannelID, &x.SourceID, &x.SourceName,
			&clicked, &clickAt, &failed, &failedAt, &x.Reason); err != nil {
			return err
		}
		x.ClickedAt = optTime(clicked, clickAt, loc)
		x.FailedAt = optTime(failed, failedAt, loc)
		rep.FailureList.Rows = append(rep.FailureList.Rows, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rep.FailureList.Rows) > limit {
		rep.FailureList.Rows, rep.FailureList.Truncated = rep.FailureList.Rows[:limit], true
	}
	return rep, nil
}

// campaignExists returns ErrNotFound when the team has no event of the
// campaign at all.
func (s *Service) campaignExists(ctx context.Context, teamID, campaign string) error {
	st := newStmt(teamID)
	st.str("campaign", campaign)
	var n uint64
	err := s.query(ctx, "omnilink campaign "+campaign, st, `
SELECT count() FROM (
    SELECT 1 FROM events
    WHERE team_id = {team:String} AND `+omniLinkTypes+` AND campaign = {campaign:String}
    LIMIT 1
)`, func(rows driver.Rows) error { return rows.Scan(&n) })
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: no events of OmniLink campaign %q", ErrNotFound, campaign)
	}
	return nil
}

func optTime(ok bool, t time.Time, loc *time.Location) *time.Time {
	if !ok {
		return nil
	}
	t = t.In(loc)
	return &t
}

// channelList turns "type:id" strings into sorted channels.
func channelList(vs []string) []Channel {
	out := make([]Channel, 0, len(vs))
	for _, v := range vs {
		typ, id, _ := strings.Cut(v, ":")
		out = append(out, Channel{Type: typ, ID: id})
	}
	slices.SortFunc(out, func(a, b Channel) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (s *Service) serveOmniLink(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "channel", "limit")
	if err != nil {
		return nil, err
	}
	campaign, err := pathValue(r, "campaign")
	if err != nil {
		return nil, err
	}
	var q OmniLinkQuery
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), ""); err != nil {
		return nil, err
	}
	if q.Channels, err = p.channels(maxValues); err != nil {
		return nil, err
	}
	if q.Limit, err = p.limit(); err != nil {
		return nil, err
	}
	return s.OmniLink(r.Context(), team, campaign, q)
}
