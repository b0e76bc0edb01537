package reports

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/internal/teams"
)

// Recipient is one contact of a recipient list.
type Recipient struct {
	Channel    string `json:"channel"`
	ChannelID  string `json:"channel_id"`
	ContactID  string `json:"contact_id"`
	CustomerID string `json:"customer_id,omitempty"`
	// At is when the contact entered the state: first delivery, last
	// failure, first open or read, first counted click or response.
	At time.Time `json:"at"`
	// Reason is the reason of the last failure (state failed).
	Reason string `json:"reason,omitempty"`
}

// RecipientPage is one page of a recipient list, ordered by channel type,
// channel account and contact id.
type RecipientPage struct {
	BroadcastID string      `json:"broadcast_id"`
	State       string      `json:"state"`
	Recipients  []Recipient `json:"recipients"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// recipientsSQL lists the contacts of one broadcast in one state, with the
// same definitions as broadcastSQL, after a (ch, acc, contact) cursor.
var recipientsSQL = withCTEs(sendsCTE, peopleCTEs, `
listed AS (
    SELECT ch, acc, contact,
           multiIf({state:String} = 'delivered', first_delivered_at,
                   {state:String} = 'failed', last_failed_at,
                   {state:String} = 'opened', first_opened_at,
                   {state:String} = 'read', first_read_at,
                   {state:String} = 'clicked', arrayMin(arrayMap(x -> x.2, counted)),
                   arrayMin(resp_ts)) AS at,
           if({state:String} = 'failed', last_reason, '') AS why,
           multiIf({state:String} = 'delivered', delivered,
                   {state:String} = 'failed', has_failed AND NOT delivered,
                   {state:String} = 'opened', ch = 'line' AND (opened_trk OR (opened_unk AND max(sent_trk) OVER (PARTITION BY ch) = 1)),
                   {state:String} = 'read', ch IN ('facebook', 'instagram', 'whatsapp') AND has_read,
                   {state:String} = 'clicked', notEmpty(counted),
                   notEmpty(resp_ts)) AS keep
    FROM people
    WHERE source = {id:String}
)
SELECT ch, acc, contact, at, why
FROM listed
WHERE keep AND ({channel:String} = '' OR ch = {channel:String})
  AND (ch, acc, contact) > ({c_ch:String}, {c_acc:String}, {c_contact:String})
ORDER BY ch, acc, contact
LIMIT {limit:UInt32}`)

// customersSQL reads the current customer of some contacts.
const customersSQL = `
SELECT channel_type, channel_id, contact_id, customer_id
FROM contact_map_current
WHERE team_id = {team:String} AND contact_id IN {contacts:Array(String)}`

// Recipients returns one page of a broadcast's recipient list.
func (s *Service) Recipients(ctx context.Context, team *teams.Team, id string, q RecipientQuery) (*RecipientPage, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	cur := []string{"", "", ""}
	if q.Cursor != "" {
		var err error
		if cur, err = decodeCursor(q.Cursor, 3); err != nil {
			return nil, err
		}
	}
	sp, err := s.span(ctx, team.ID, kindBroadcast, []string{id})
	if err != nil {
		return nil, err
	}
	page := &RecipientPage{BroadcastID: id, State: q.State, Recipients: []Recipient{}}
	if sp.n == 0 {
		return page, s.mustExist(ctx, team.ID, kindBroadcast, id)
	}
	rows, err := s.query(ctx, recipientsSQL, sourceParams(team.ID, kindBroadcast, []string{id}, sp,
		"id", id, "state", q.State, "channel", q.Channel, "c_ch", cur[0], "c_acc", cur[1], "c_contact", cur[2],
		"limit", strconv.Itoa(q.Limit+1))...)
	if err != nil {
		return nil, fmt.Errorf("query recipients of broadcast %s: %w", id, err)
	}
	defer rows.Close()
	loc := team.Location()
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.Channel, &r.ChannelID, &r.ContactID, &r.At, &r.Reason); err != nil {
			return nil, scanErr("recipients of broadcast", id, err)
		}
		r.At = r.At.In(loc)
		page.Recipients = append(page.Recipients, r)
	}
	if err := rows.Err(); err != nil {
		return nil, scanErr("recipients of broadcast", id, err)
	}
	rows.Close()
	if len(page.Recipients) > q.Limit {
		page.Recipients = page.Recipients[:q.Limit]
		last := page.Recipients[q.Limit-1]
		page.NextCursor = encodeCursor(last.Channel, last.ChannelID, last.ContactID)
	}
	if len(page.Recipients) == 0 {
		return page, nil
	}
	return page, s.addCustomers(ctx, team.ID, page.Recipients)
}

// addCustomers fills in the current customer of each recipient.
func (s *Service) addCustomers(ctx context.Context, teamID string, rs []Recipient) error {
	contacts := make([]string, len(rs))
	for i, r := range rs {
		contacts[i] = r.ContactID
	}
	rows, err := s.query(ctx, customersSQL, "team", teamID, "contacts", chparam.Strings(contacts))
	if err != nil {
		return fmt.Errorf("query customers of recipients: %w", err)
	}
	defer rows.Close()
	type key struct{ ch, acc, contact string }
	m := map[key]string{}
	for rows.Next() {
		var k key
		var c string
		if err := rows.Scan(&k.ch, &k.acc, &k.contact, &c); err != nil {
			return scanErr("customers of recipients", "", err)
		}
		m[k] = c
	}
	if err := rows.Err(); err != nil {
		return scanErr("customers of recipients", "", err)
	}
	for i := range rs {
		rs[i].CustomerID = m[key{rs[i].Channel, rs[i].ChannelID, rs[i].ContactID}]
	}
	return nil
}
