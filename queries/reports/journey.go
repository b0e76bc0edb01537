package reports

import (
	"context"
	"fmt"
	"slices"

	"github.com/omnistream/omnistream/internal/teams"
)

// JourneyNode is the report of one message node of a journey (or, as
// JourneyReport.Total, of the whole journey). Counts are sends: a contact
// who receives a node's message twice counts twice, and an open, read,
// click, response or unsubscribe counts at most once per send. Rates are
// over successful sends (nil when there are none or the numerator cannot be
// tracked).
type JourneyNode struct {
	NodeID string `json:"node_id"`
	// Sends is the successful sends; Failed the sends that only failed.
	Sends  uint64 `json:"sends"`
	Failed uint64 `json:"failed"`
	// Opened counts LINE sends opened; nil when the node sent no message of
	// a trackable kind on LINE. OpenRate is over the node's LINE sends.
	Opened   *uint64  `json:"opened"`
	OpenRate *float64 `json:"open_rate"`
	// Read counts Facebook, Instagram and WhatsApp sends read; nil when the
	// node sent none. ReadRate is over those sends.
	Read     *uint64  `json:"read"`
	ReadRate *float64 `json:"read_rate"`
	// Clicked is the sends with a url or module button click.
	Clicked   uint64   `json:"clicked"`
	ClickRate *float64 `json:"click_rate"`
	// RespondedNh is the sends followed by a response of the contact from
	// the send until N hours after its delivery.
	Responded12h    uint64   `json:"responded_12h"`
	ResponseRate12h *float64 `json:"response_rate_12h"`
	Responded24h    uint64   `json:"responded_24h"`
	ResponseRate24h *float64 `json:"response_rate_24h"`
	Responded48h    uint64   `json:"responded_48h"`
	ResponseRate48h *float64 `json:"response_rate_48h"`
	// Unsubscribed is the sends followed by the contact unsubscribing or
	// blocking within 24 hours of the delivery.
	Unsubscribed    uint64   `json:"unsubscribed"`
	UnsubscribeRate *float64 `json:"unsubscribe_rate"`

	lineSends, readSends uint64
	trackable            bool
	opened, read         uint64
}

// JourneyReport is the report of one journey, per message node.
type JourneyReport struct {
	JourneyID string        `json:"journey_id"`
	Total     JourneyNode   `json:"total"`
	Nodes     []JourneyNode `json:"nodes"`
}

// journeySQL is the per-node report of the journeys in {ids}, for sends
// delivered (or, failed ones, failed) in [{from}, {to}).
var journeySQL = withCTEs(sendsCTE) + `
SELECT source, send_node,
       countIf(ok) AS nsends,
       countIf(NOT ok) AS nfailed,
       countIf(ok AND ch = 'line') AS line_sends,
       toUInt8(max(ch = 'line' AND has({trk:Array(String)}, kind))) AS trackable,
       countIf(ok AND ch = 'line' AND is_opened AND has({trk:Array(String)}, kind))
         + if(max(ch = 'line' AND has({trk:Array(String)}, kind)) = 1,
              countIf(ok AND ch = 'line' AND is_opened AND kind = ''), 0) AS opened,
       countIf(ok AND ch IN ('facebook', 'instagram', 'whatsapp')) AS read_sends,
       countIf(ok AND ch IN ('facebook', 'instagram', 'whatsapp') AND is_read) AS nread,
       countIf(ok AND arrayExists(c -> c.1 = source AND (c.6 = send OR (c.6 = '' AND
                   arrayLast(x -> x.1 = c.1 AND x.3 = c.7 AND x.4 <= c.2, c_sends).2 = send)), c_clicks)) AS nclicked,
       countIf(ok AND arrayExists(x -> x >= t0 AND x <= delivered_at + INTERVAL 12 HOUR, responses)) AS r12,
       countIf(ok AND arrayExists(x -> x >= t0 AND x <= delivered_at + INTERVAL 24 HOUR, responses)) AS r24,
       countIf(ok AND arrayExists(x -> x >= t0 AND x <= delivered_at + INTERVAL 48 HOUR, responses)) AS r48,
       countIf(ok AND arrayExists(x -> x >= t0 AND x <= delivered_at + INTERVAL 24 HOUR, c_unsubs)) AS nunsub
FROM (
    SELECT *, arrayConcat(c_replies, arrayMap(x -> x.2, arrayFilter(x -> x.1 = source, c_answers))) AS responses
    FROM sends
    WHERE (ok OR is_failed)
      AND if(ok, delivered_at, failed_at) >= {from:DateTime64(3, 'UTC')}
      AND if(ok, delivered_at, failed_at) < {to:DateTime64(3, 'UTC')}
)
GROUP BY source, send_node
ORDER BY source, send_node`

// Journey computes the report of one journey of a team for sends in rng.
func (s *Service) Journey(ctx context.Context, team *teams.Team, id string, rng Range) (*JourneyReport, error) {
	from, to := rng.params()
	sp, err := s.span(ctx, team.ID, kindJourney, []string{id})
	if err != nil {
		return nil, err
	}
	rep := &JourneyReport{JourneyID: id, Nodes: []JourneyNode{}}
	if sp.n == 0 {
		if err := s.mustExist(ctx, team.ID, kindJourney, id); err != nil {
			return nil, err
		}
		rep.Total = total(nil)
		return rep, nil
	}
	rows, err := s.query(ctx, journeySQL, sourceParams(team.ID, kindJourney, []string{id}, sp, "from", from, "to", to)...)
	if err != nil {
		return nil, fmt.Errorf("query journey %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var n JourneyNode
		var trackable uint8
		if err := rows.Scan(&src, &n.NodeID, &n.Sends, &n.Failed, &n.lineSends, &trackable, &n.opened,
			&n.readSends, &n.read, &n.Clicked, &n.Responded12h, &n.Responded24h, &n.Responded48h, &n.Unsubscribed); err != nil {
			return nil, scanErr("journey", id, err)
		}
		n.trackable = trackable == 1
		n.fill()
		rep.Nodes = append(rep.Nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, scanErr("journey", id, err)
	}
	slices.SortFunc(rep.Nodes, func(a, b JourneyNode) int {
		switch {
		case a.NodeID < b.NodeID:
			return -1
		case a.NodeID > b.NodeID:
			return 1
		}
		return 0
	})
	rep.Total = total(rep.Nodes)
	return rep, nil
}

// total sums the nodes: every count is per send, so sums are exact; the
// open rate of the total covers the LINE sends of trackable nodes.
func total(nodes []JourneyNode) JourneyNode {
	var t JourneyNode
	for _, n := range nodes {
		t.Sends += n.Sends
		t.Failed += n.Failed
		t.Clicked += n.Clicked
		t.Responded12h += n.Responded12h
		t.Responded24h += n.Responded24h
		t.Responded48h += n.Responded48h
		t.Unsubscribed += n.Unsubscribed
		t.readSends += n.readSends
		t.read += n.read
		if n.trackable {
			t.trackable = true
			t.lineSends += n.lineSends
			t.opened += n.opened
		}
	}
	t.fill()
	return t
}

// fill sets the optional counts and the rates from the counters.
func (n *JourneyNode) fill() {
	if n.trackable {
		o := n.opened
		n.Opened, n.OpenRate = &o, rate(o, n.lineSends)
	}
	if n.readSends > 0 {
		r := n.read
		n.Read, n.ReadRate = &r, rate(r, n.readSends)
	}
	n.ClickRate = rate(n.Clicked, n.Sends)
	n.ResponseRate12h = rate(n.Responded12h, n.Sends)
	n.ResponseRate24h = rate(n.Responded24h, n.Sends)
	n.ResponseRate48h = rate(n.Responded48h, n.Sends)
	n.UnsubscribeRate = rate(n.Unsubscribed, n.Sends)
}

// existsSQL tells whether a source has any event.
const existsSQL = `
SELECT count() > 0
FROM events
WHERE team_id = {team:String}
  AND type IN ('message.sent', 'message.delivered', 'message.failed', 'message.read', 'message.opened',
               'button.clicked', 'broadcast.scheduled', 'broadcast.started', 'broadcast.completed',
               'broadcast.failed', 'broadcast.cancelled')
  AND source_id = {id:String} AND source_kind = {kind:String}`

// mustExist returns ErrNotFound when the source has no event at all.
func (s *Service) mustExist(ctx context.Context, teamID, kind, id string) error {
	ok, err := s.exists(ctx, teamID, kind, id)
	if err == nil && !ok {
		err = ErrNotFound
	}
	return err
}

func (s *Service) exists(ctx context.Context, teamID, kind, id string) (bool, error) {
	rows, err := s.query(ctx, existsSQL, "team", teamID, "kind", kind, "id", id)
	if err != nil {
		return false, fmt.Errorf("query %s %s: %w", kind, id, err)
	}
	defer rows.Close()
	var ok bool
	if rows.Next() {
		if err := rows.Scan(&ok); err != nil {
			return false, scanErr(kind, id, err)
		}
	}
	return ok, rows.Err()
}
