package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/internal/teams"
)

// BroadcastChannel is the report of one broadcast on one channel type.
// People counts are distinct contacts (channel account and user id); a
// rate is nil (JSON null) when its denominator is 0 or its numerator cannot
// be tracked on the channel.
type BroadcastChannel struct {
	Channel string `json:"channel"`
	// Audience is the contacts targeted after the default exclusions: the
	// audience size of broadcast.started when the broadcast announced one
	// (and is on one channel type), else the contacts with a send, a
	// delivery or a failure; never less than the latter.
	Audience uint64 `json:"audience"`
	// Delivered is the contacts with at least one successful delivery.
	Delivered uint64 `json:"delivered"`
	// Failed is the contacts with a failure and no successful delivery;
	// FailedByReason splits them by the reason of their last failure.
	Failed         uint64            `json:"failed"`
	FailedByReason map[string]uint64 `json:"failed_by_reason"`
	// SuccessRate is Delivered / Audience.
	SuccessRate *float64 `json:"success_rate"`
	// Read and ReadRate (Read / Delivered) exist on Facebook, Instagram and
	// WhatsApp only.
	Read     *uint64  `json:"read"`
	ReadRate *float64 `json:"read_rate"`
	// Opened and OpenRate (Opened / Delivered) exist on LINE only, when the
	// broadcast has at least one message of a trackable kind.
	Opened   *uint64  `json:"opened"`
	OpenRate *float64 `json:"open_rate"`
	// Clicked is the contacts who clicked a url or module button of the
	// broadcast within 24 h of their delivery; ClickRate = Clicked / Delivered.
	Clicked   uint64   `json:"clicked"`
	ClickRate *float64 `json:"click_rate"`
	// Responded is the contacts who responded within 48 h of their delivery;
	// ResponseRate = Responded / Delivered.
	Responded    uint64   `json:"responded"`
	ResponseRate *float64 `json:"response_rate"`
	// Orders attributed to the broadcast's url clicks on this channel (last
	// click within 30 days), and their revenue per currency.
	Orders  uint64    `json:"orders"`
	Revenue []Revenue `json:"revenue"`
	// Deliveries is the successful message deliveries (messages, not
	// people): the basis of EstimatedCost, which is nil when the team has
	// no rate for the channel.
	Deliveries    uint64   `json:"deliveries"`
	EstimatedCost *Money   `json:"estimated_cost"`
	Buttons       []Button `json:"buttons"`
}

// Button is the clicks on one button of a broadcast, counted like Clicked:
// url and module buttons, within 24 h of the clicker's delivery.
type Button struct {
	ButtonID string `json:"button_id"`
	Kind     string `json:"kind"`
	URL      string `json:"url,omitempty"`
	// Clicked is distinct contacts; Clicks is distinct click events.
	Clicked   uint64   `json:"clicked"`
	Clicks    uint64   `json:"clicks"`
	ClickRate *float64 `json:"click_rate"`
}

// Revenue is the orders and their total in one currency.
type Revenue struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Orders   uint64 `json:"orders"`
}

// Money is an exact decimal amount in a currency.
type Money struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// Broadcast statuses.
const (
	StatusScheduled = "scheduled"
	StatusSending   = "sending"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusUnknown   = "unknown"
)

var statuses = []string{StatusScheduled, StatusSending, StatusCompleted, StatusFailed, StatusCancelled, StatusUnknown}

// BroadcastReport is the report of one broadcast. Times are in the team's
// time zone.
type BroadcastReport struct {
	BroadcastID string `json:"broadcast_id"`
	// Status comes from the broadcast.* lifecycle events: the latest of
	// completed, failed and cancelled when there is one, else sending after
	// broadcast.started, else scheduled; unknown without lifecycle events.
	Status string `json:"status"`
	// SentAt is the broadcast time: broadcast.started, else the first
	// message event, else broadcast.scheduled.
	SentAt      *time.Time         `json:"sent_at"`
	ScheduledAt *time.Time         `json:"scheduled_at,omitempty"`
	EndedAt     *time.Time         `json:"ended_at,omitempty"`
	Channels    []BroadcastChannel `json:"channels"`
}

// ErrNotFound means the team has no events of that broadcast or journey.
var ErrNotFound = errors.New("not found")

// peopleCTEs aggregate sends to contacts (people), with the contact's
// clicks of the broadcast within 24 h of its first delivery (counted) and
// its responses from its first send to 48 h after its first delivery
// (resp_ts).
const peopleCTEs = `
people AS (
    SELECT source, ch, acc, contact,
           max(ok) AS delivered,
           minIf(delivered_at, ok) AS first_delivered_at,
           min(t0) AS first_t0,
           countIf(ok) AS deliveries,
           max(is_read) AS has_read,
           minIf(read_at, is_read) AS first_read_at,
           max(is_opened AND has({trk:Array(String)}, kind)) AS opened_trk,
           max(is_opened AND kind = '') AS opened_unk,
           minIf(opened_at, is_opened) AS first_opened_at,
           max(has({trk:Array(String)}, kind)) AS sent_trk,
           max(is_failed) AS has_failed,
           maxIf(failed_at, is_failed) AS last_failed_at,
           argMaxIf(reason, (failed_at, reason), is_failed) AS last_reason,
           if(delivered, arrayFilter(x -> x.1 = source AND x.2 <= first_delivered_at + INTERVAL 24 HOUR, any(c_clicks)),
              []) AS counted,
           if(delivered, arrayFilter(x -> x >= first_t0 AND x <= first_delivered_at + INTERVAL 48 HOUR,
                                     arrayConcat(any(c_replies), arrayMap(x -> x.2, arrayFilter(x -> x.1 = source, any(c_answers))))),
              []) AS resp_ts
    FROM sends
    GROUP BY source, ch, acc, contact
)`

// broadcastSQL is the per (broadcast, channel type) report. Buttons are
// keyed "kind/button_id": contacts (bclicked) and distinct click events
// (bclicks) per key, and the key NUL url strings seen (burls).
var broadcastSQL = withCTEs(sendsCTE, peopleCTEs) + `
SELECT source, ch,
       count() AS n_contacts,
       countIf(delivered) AS n_delivered,
       countIf(has_failed AND NOT delivered) AS n_failed,
       sumMapIf(map(last_reason, toUInt64(1)), has_failed AND NOT delivered) AS reasons,
       countIf(has_read) AS n_read,
       toUInt64(countIf(opened_trk) + if(max(sent_trk) = 1, countIf(opened_unk AND NOT opened_trk), 0)) AS n_opened,
       toUInt8(max(sent_trk)) AS trackable,
       countIf(notEmpty(counted)) AS n_clicked,
       countIf(notEmpty(resp_ts)) AS n_responded,
       toUInt64(sum(deliveries)) AS n_deliveries,
       min(first_t0) AS first_at,
       sumMap(mapFromArrays(arrayDistinct(arrayMap(x -> x.3, counted)),
                            arrayMap(x -> toUInt64(1), arrayDistinct(arrayMap(x -> x.3, counted))))) AS bclicked,
       sumMap(mapFromArrays(arrayMap(x -> x.1, arrayDistinct(arrayMap(x -> (x.3, x.5), counted))),
                            arrayMap(x -> toUInt64(1), arrayDistinct(arrayMap(x -> (x.3, x.5), counted))))) AS bclicks,
       groupUniqArrayArray(arrayMap(x -> concat(x.3, '\0', x.4), counted)) AS burls
FROM people
GROUP BY source, ch
ORDER BY source, ch`

// buttons builds the button list from the per-key maps of broadcastSQL;
// the url of a button is the smallest one seen.
func buttons(clicked, clicks map[string]uint64, urls []string) []Button {
	minURL := map[string]string{}
	for _, ku := range urls {
		k, u, _ := strings.Cut(ku, "\x00")
		if cur, ok := minURL[k]; !ok || u < cur {
			minURL[k] = u
		}
	}
	out := make([]Button, 0, len(clicked))
	for k, n := range clicked {
		kind, id, _ := strings.Cut(k, "/")
		out = append(out, Button{ButtonID: id, Kind: kind, URL: minURL[k], Clicked: n, Clicks: clicks[k]})
	}
	slices.SortFunc(out, func(a, b Button) int {
		return strings.Compare(a.Kind+"\x00"+a.ButtonID, b.Kind+"\x00"+b.ButtonID)
	})
	return out
}

// readChannels have read receipts; LINE has opens instead.
var readChannels = []string{"facebook", "instagram", "whatsapp"}

const openChannel = "line"

// channelRow is one row of broadcastSQL plus what later queries add.
type channelRow struct {
	src     string
	firstAt time.Time
	BroadcastChannel
}

// broadcastChannels computes the channel rows of several broadcasts.
func (s *Service) broadcastChannels(ctx context.Context, team *teams.Team, ids []string) (map[string][]BroadcastChannel, map[string]time.Time, error) {
	what := strings.Join(ids, ",")
	sp, err := s.span(ctx, team.ID, kindBroadcast, ids)
	if err != nil || sp.n == 0 {
		return nil, nil, err
	}
	rows, err := s.query(ctx, broadcastSQL, sourceParams(team.ID, kindBroadcast, ids, sp)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query broadcasts %s: %w", what, err)
	}
	defer rows.Close()
	out := map[string][]BroadcastChannel{}
	first := map[string]time.Time{}
	for rows.Next() {
		var (
			r                 channelRow
			nread, opened     uint64
			trackable         uint8
			contacts          uint64
			reasons           map[string]uint64
			bclicked, bclicks map[string]uint64
			burls             []string
		)
		if err := rows.Scan(&r.src, &r.Channel, &contacts, &r.Delivered, &r.Failed, &reasons, &nread, &opened, &trackable,
			&r.Clicked, &r.Responded, &r.Deliveries, &r.firstAt, &bclicked, &bclicks, &burls); err != nil {
			return nil, nil, scanErr("broadcasts", what, err)
		}
		r.Audience = contacts
		r.FailedByReason = reasons
		if r.FailedByReason == nil {
			r.FailedByReason = map[string]uint64{}
		}
		if slices.Contains(readChannels, r.Channel) {
			r.Read = &nread
		}
		if r.Channel == openChannel && trackable == 1 {
			r.Opened = &opened
		}
		r.Buttons = buttons(bclicked, bclicks, burls)
		r.Revenue = []Revenue{}
		out[r.src] = append(out[r.src], r.BroadcastChannel)
		if f, ok := first[r.src]; !ok || r.firstAt.Before(f) {
			first[r.src] = r.firstAt
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, scanErr("broadcasts", what, err)
	}
	return out, first, nil
}

// infoColumns summarise the broadcast.* lifecycle events and the
// message.sent events of each broadcast (infoWhere selects which).
const infoColumns = `
SELECT source_id,
       argMaxIf(type, (ts, type), type IN ('broadcast.completed', 'broadcast.failed', 'broadcast.cancelled')) AS terminal,
       maxIf(ts, type IN ('broadcast.completed', 'broadcast.failed', 'broadcast.cancelled')) AS ended_at,
       countIf(type = 'broadcast.started') > 0 AS started,
       minIf(ts, type = 'broadcast.started') AS started_at,
       countIf(type = 'broadcast.scheduled') > 0 AS scheduled,
       minIf(ts, type = 'broadcast.scheduled') AS scheduled_at,
       argMaxIf(audience, (ts, audience), type = 'broadcast.started' AND audience > 0) AS announced,
       countIf(type = 'message.sent') > 0 AS sent,
       minIf(ts, type = 'message.sent') AS first_sent,
       arraySort(groupUniqArrayIf(channel_type, type = 'message.sent')) AS channels
FROM events
WHERE team_id = {team:String} AND source_kind = 'broadcast' AND source_id != ''
  AND type IN ('broadcast.scheduled', 'broadcast.started', 'broadcast.completed', 'broadcast.failed',
               'broadcast.cancelled', 'message.sent')`

// infoByIDSQL reads the info of the broadcasts in {ids:Array(String)}.
const infoByIDSQL = infoColumns + `
  AND source_id IN {ids:Array(String)}
GROUP BY source_id`

// infoByTimeSQL reads the info of every broadcast with a lifecycle or
// message.sent event in [{from}, {to}): a superset of the broadcasts whose
// broadcast time is in the range, since that time is one of those events.
const infoByTimeSQL = infoColumns + `
  AND source_id IN (
      SELECT DISTINCT source_id FROM events
      WHERE team_id = {team:String} AND source_kind = 'broadcast' AND source_id != ''
        AND type IN ('broadcast.scheduled', 'broadcast.started', 'broadcast.completed', 'broadcast.failed',
                     'broadcast.cancelled', 'message.sent')
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')})
GROUP BY source_id`

// info is what the lifecycle and message.sent events say about one
// broadcast.
type info struct {
	id                     string
	terminal               string
	endedAt                time.Time
	started, scheduled     bool
	startedAt, scheduledAt time.Time
	audience               uint64
	sent                   bool
	firstSent              time.Time
	channels               []string
}

func (l info) status() string {
	switch {
	case l.terminal != "":
		return strings.TrimPrefix(l.terminal, "broadcast.")
	case l.started:
		return StatusSending
	case l.scheduled:
		return StatusScheduled
	}
	return StatusUnknown
}

// time is the broadcast time: broadcast.started, else the first
// message.sent, else broadcast.scheduled.
func (l info) time() (time.Time, bool) {
	switch {
	case l.started:
		return l.startedAt, true
	case l.sent:
		return l.firstSent, true
	case l.scheduled:
		return l.scheduledAt, true
	}
	return time.Time{}, false
}

func (s *Service) infos(ctx context.Context, sql string, kv ...string) ([]info, error) {
	rows, err := s.query(ctx, sql, kv...)
	if err != nil {
		return nil, fmt.Errorf("query broadcast lifecycle: %w", err)
	}
	defer rows.Close()
	var out []info
	for rows.Next() {
		var l info
		if err := rows.Scan(&l.id, &l.terminal, &l.endedAt, &l.started, &l.startedAt, &l.scheduled, &l.scheduledAt,
			&l.audience, &l.sent, &l.firstSent, &l.channels); err != nil {
			return nil, scanErr("broadcast lifecycle", l.id, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, scanErr("broadcast lifecycle", "", err)
	}
	return out, nil
}

// Broadcast computes the report of one broadcast of a team.
func (s *Service) Broadcast(ctx context.Context, team *teams.Team, id string) (*BroadcastReport, error) {
	rs, err := s.broadcastReports(ctx, team, []string{id})
	if err != nil {
		return nil, err
	}
	r, ok := rs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return r, nil
}

// broadcastReports computes the reports of several broadcasts; a broadcast
// without any event is absent from the map.
func (s *Service) broadcastReports(ctx context.Context, team *teams.Team, ids []string) (map[string]*BroadcastReport, error) {
	// The three parts are independent queries: run them at once.
	var (
		wg                    sync.WaitGroup
		chans                 map[string][]BroadcastChannel
		first                 map[string]time.Time
		infos                 []info
		rev                   map[string]map[string]*channelRevenue
		errCh, errInfo, errRv error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		chans, first, errCh = s.broadcastChannels(ctx, team, ids)
	}()
	go func() {
		defer wg.Done()
		infos, errInfo = s.infos(ctx, infoByIDSQL, "team", team.ID, "ids", chparam.Strings(ids))
	}()
	go func() {
		defer wg.Done()
		rev, errRv = s.revenue(ctx, team.ID, ids)
	}()
	wg.Wait()
	if err := errors.Join(errCh, errInfo, errRv); err != nil {
		return nil, err
	}
	lcs := make(map[string]info, len(infos))
	for _, l := range infos {
		lcs[l.id] = l
	}
	loc := team.Location()
	out := map[string]*BroadcastReport{}
	for _, id := range ids {
		cs, hasCh := chans[id]
		l, hasLC := lcs[id]
		if !hasCh && !hasLC {
			continue
		}
		r := &BroadcastReport{BroadcastID: id, Status: l.status(), Channels: []BroadcastChannel{}}
		if at, ok := l.time(); ok {
			r.SentAt = timeIn(at, loc)
		} else if hasCh {
			r.SentAt = timeIn(first[id], loc)
		}
		if l.scheduled {
			r.ScheduledAt = timeIn(l.scheduledAt, loc)
		}
		if l.terminal != "" {
			r.EndedAt = timeIn(l.endedAt, loc)
		}
		for _, c := range cs {
			if l.audience > 0 && len(cs) == 1 {
				c.Audience = max(c.Audience, l.audience)
			}
			if rv := rev[id][c.Channel]; rv != nil {
				c.Orders, c.Revenue = rv.orders, rv.byCurrency
			}
			c.EstimatedCost = estimatedCost(team, c.Channel, c.Deliveries)
			fillRates(&c)
			r.Channels = append(r.Channels, c)
		}
		out[id] = r
	}
	return out, nil
}

func timeIn(t time.Time, loc *time.Location) *time.Time {
	v := t.In(loc)
	return &v
}

// rate is n/d, or nil when d is 0.
func rate(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func fillRates(c *BroadcastChannel) {
	c.SuccessRate = rate(c.Delivered, c.Audience)
	if c.Read != nil {
		c.ReadRate = rate(*c.Read, c.Delivered)
	}
	if c.Opened != nil {
		c.OpenRate = rate(*c.Opened, c.Delivered)
	}
	c.ClickRate = rate(c.Clicked, c.Delivered)
	c.ResponseRate = rate(c.Responded, c.Delivered)
	for i := range c.Buttons {
		c.Buttons[i].ClickRate = rate(c.Buttons[i].Clicked, c.Delivered)
	}
}
