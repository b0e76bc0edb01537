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

// CustomersQuery selects the omni-customer analysis.
type CustomersQuery struct {
	Range    Range
	Unit     Unit      // Week, Month or Year buckets of the channel series; default Month
	Channels []Channel // the channels compared (at most 5 over HTTP); every channel when empty
}

// CustomerTotals are the omni-customer cards, as the identity map is now.
// A share is of all omni-customers, null when there are none.
type CustomerTotals struct {
	OmniCustomers       uint64   `json:"omni_customers"`
	SociallyBound       uint64   `json:"socially_bound"`
	SociallyBoundShare  *float64 `json:"socially_bound_share"`
	WebsiteMembers      uint64   `json:"website_members"`
	WebsiteMembersShare *float64 `json:"website_members_share"`
	BoundMembers        uint64   `json:"bound_members"` // website members who are also socially bound
	BoundMembersShare   *float64 `json:"bound_members_share"`
}

// ChannelPoint is one bucket of a channel's series. Contacts, bound and
// effective contacts are counted at the end of the bucket (or of the range,
// for the last one); new contacts, unsubscribes and blocks within it.
type ChannelPoint struct {
	Period            Date   `json:"period"` // first day of the bucket; the first may start before the range
	Contacts          uint64 `json:"contacts"`
	BoundContacts     uint64 `json:"bound_contacts"` // effective contacts with a social binding
	EffectiveContacts uint64 `json:"effective_contacts"`
	NewContacts       uint64 `json:"new_contacts"`
	Unsubscribes      uint64 `json:"unsubscribes"` // unsubscribe and block events
	Blocks            uint64 `json:"blocks"`       // the blocks among them
}

// ChannelSeries is one channel account compared. The totals are as of the
// end of the range: contacts, effective (subscribed) contacts, the
// unsubscribed or blocked rest, and the effective share (null without
// contacts).
type ChannelSeries struct {
	ChannelType       string         `json:"channel_type"`
	ChannelID         string         `json:"channel_id"`
	Contacts          uint64         `json:"contacts"`
	EffectiveContacts uint64         `json:"effective_contacts"`
	Unsubscribed      uint64         `json:"unsubscribed"`
	EffectiveShare    *float64       `json:"effective_share"`
	Points            []ChannelPoint `json:"points"`
}

// MethodCount is a number of bindings by one method and source.
type MethodCount struct {
	Method string `json:"method"`
	Source string `json:"source"` // what the binding came through (source.kind): bot, pixel, cart_remarketing, …
	Count  uint64 `json:"count"`
}

// MethodMonth is the bindings of one month.
type MethodMonth struct {
	Month   Date          `json:"month"` // first day of the month
	Total   uint64        `json:"total"`
	Methods []MethodCount `json:"methods"`
}

// SourceMonth is the new contacts of one month by source.
type SourceMonth struct {
	Month   Date          `json:"month"`
	Total   uint64        `json:"total"`
	Sources []SourceCount `json:"sources"`
}

// CustomersReport is the omni-customer analysis.
type CustomersReport struct {
	Period            Period          `json:"period"`
	Unit              Unit            `json:"unit"`
	Customers         CustomerTotals  `json:"customers"`
	Channels          []ChannelSeries `json:"channels"`
	BindingMethods    []MethodMonth   `json:"binding_methods"`     // every month of the range
	NewContactSources []SourceMonth   `json:"new_contact_sources"` // every month of the range
}

// bucketOf is the SQL of the first day of ts's bucket, as YYYY-MM-DD.
func bucketOf(st *stmt, u Unit, weekStart time.Weekday) string {
	const d = "toDate(ts, {tz:String})"
	switch u {
	case Week:
		st.num("week_start", int64(isoWeekday(weekStart)))
		return "toString(subtractDays(" + d + ", (toDayOfWeek(" + d + ") + 7 - {week_start:UInt8}) % 7))"
	case Month:
		return "toString(toStartOfMonth(" + d + "))"
	case Year:
		return "toString(toStartOfYear(" + d + "))"
	}
	return "toString(" + d + ")"
}

// contactStates is the SQL of the state of every contact at the end of
// each bucket i (ends[i], ms since the epoch, exclusive), from its events
// in event time:
//
//   - it exists when its latest event before the end is later than its
//     latest contact.deleted (page views and orders do not make a contact);
//   - it is subscribed unless its latest contact.unsubscribed since then is
//     at least as late as its latest contact.subscribed;
//   - it is socially bound when its latest social identity.bind since then
//     is later than its latest social identity.unbind.
//
// To keep the arrays short, events are first reduced to the latest time of
// each kind in each bucket: the latest of a kind before ends[i] is the
// greatest of those in buckets 1..i.
func contactStates(st *stmt, scope string) string {
	last := func(kind string) string { return "arrayMax(arrayFilter(x -> x < T, " + kind + "))" }
	return `
SELECT channel_type, channel_id, i,
       countIf(alive) AS contacts,
       countIf(alive AND subscribed) AS effective,
       countIf(alive AND subscribed AND bound) AS bound
FROM (
    SELECT channel_type, channel_id, i,
           ` + last("del") + ` AS last_del,
           greatest(` + last("seen") + `, ` + last("sub") + `, ` + last("unsub") + `, ` + last("bind") + `, ` + last("unbind") + `) > last_del AS alive,
           ` + last("unsub") + ` AS last_unsub,
           NOT (last_unsub > last_del AND last_unsub >= ` + last("sub") + `) AS subscribed,
           ` + last("bind") + ` AS last_bind,
           last_bind > last_del AND last_bind > ` + last("unbind") + ` AS bound
    FROM (
        SELECT channel_type, channel_id, contact_id,
               groupArrayIf(m, k = 'seen') AS seen, groupArrayIf(m, k = 'del') AS del,
               groupArrayIf(m, k = 'sub') AS sub, groupArrayIf(m, k = 'unsub') AS unsub,
               groupArrayIf(m, k = 'bind') AS bind, groupArrayIf(m, k = 'unbind') AS unbind
        FROM (
            SELECT channel_type, channel_id, contact_id,
                   multiIf(type = 'contact.deleted', 'del', type = 'contact.subscribed', 'sub',
                           type = 'contact.unsubscribed', 'unsub', type = 'identity.bind' AND method = 'social', 'bind',
                           type = 'identity.unbind' AND method = 'social', 'unbind', 'seen') AS k,
                   arrayFirstIndex(T -> toUnixTimestamp64Milli(ts) < T, {ends:Array(Int64)}) AS b,
                   max(toUnixTimestamp64Milli(ts)) AS m
            FROM events
            WHERE team_id = {team:String} AND contact_id != '' AND channel_type != ''
              AND type NOT IN ('pixel.pageview', 'order.placed')
              AND ts < {end:DateTime64(3, 'UTC')}` + scope + `
            GROUP BY channel_type, channel_id, contact_id, k, b
        )
        GROUP BY channel_type, channel_id, contact_id
    )
    ARRAY JOIN {ends:Array(Int64)} AS T, arrayEnumerate({ends:Array(Int64)}) AS i
)
GROUP BY channel_type, channel_id, i`
}

// Customers computes the omni-customer analysis.
func (s *Service) Customers(ctx context.Context, team *teams.Team, q CustomersQuery) (*CustomersReport, error) {
	loc := zoneOf(team)
	if q.Unit == "" {
		q.Unit = Month
	}
	if !q.Range.Bounded() {
		return nil, invalid("from", "the omni-customer analysis needs a date range")
	}
	rep := &CustomersReport{Period: periodOf(q.Range, loc), Unit: q.Unit, Channels: []ChannelSeries{},
		BindingMethods: []MethodMonth{}, NewContactSources: []SourceMonth{}}

	// Cards: customers as the identity map is now. Customers without a
	// contact (website members seen only through orders) count too.
	st := newStmt(team.ID)
	var c CustomerTotals
	err := s.query(ctx, "omni-customers", st, `
SELECT uniqExact(customer_id), uniqExactIf(customer_id, social), uniqExactIf(customer_id, member),
       uniqExactIf(customer_id, social AND member)
FROM (
    SELECT customer_id, has(methods, 'social') AS social, member_id != '' AS member
    FROM customers_current WHERE team_id = {team:String}
    UNION ALL
    SELECT customer_id, false AS social, false AS member
    FROM contact_map_current WHERE team_id = {team:String}
)`, func(rows driver.Rows) error {
		return rows.Scan(&c.OmniCustomers, &c.SociallyBound, &c.WebsiteMembers, &c.BoundMembers)
	})
	if err != nil {
		return nil, err
	}
	c.SociallyBoundShare = share(c.SociallyBound, c.OmniCustomers)
	c.WebsiteMembersShare = share(c.WebsiteMembers, c.OmniCustomers)
	c.BoundMembersShare = share(c.BoundMembers, c.OmniCustomers)
	rep.Customers = c

	// Channel series: states at the bucket ends, flows within buckets.
	bs := buckets(q.Range, q.Unit, team.WeekStart)
	ends := make([]int64, len(bs))
	for i, b := range bs {
		ends[i] = b.End.UnixMilli()
	}
	series := map[Channel]*ChannelSeries{}
	get := func(ct, ci string) *ChannelSeries {
		k := Channel{ct, ci}
		if x := series[k]; x != nil {
			return x
		}
		x := &ChannelSeries{ChannelType: ct, ChannelID: ci, Points: make([]ChannelPoint, len(bs))}
		for i, b := range bs {
			x.Points[i].Period = b.Label
		}
		series[k] = x
		return x
	}
	st = newStmt(team.ID)
	st.period(q.Range)
	st.ints("ends", ends)
	scope := filter{Channels: q.Channels}.where(st, eventColumns)
	err = s.query(ctx, "channel contacts", st, contactStates(st, scope), func(rows driver.Rows) error {
		var ct, ci string
		var i uint32
		var p ChannelPoint
		if err := rows.Scan(&ct, &ci, &i, &p.Contacts, &p.EffectiveContacts, &p.BoundContacts); err != nil {
			return err
		}
		if i < 1 || int(i) > len(bs) {
			return nil
		}
		pt := &get(ct, ci).Points[i-1]
		pt.Contacts, pt.EffectiveContacts, pt.BoundContacts = p.Contacts, p.EffectiveContacts, p.BoundContacts
		return nil
	})
	if err != nil {
		return nil, err
	}
	labels := map[string]int{}
	for i, b := range bs {
		labels[b.Label.String()] = i
	}
	st = newStmt(team.ID)
	st.period(q.Range)
	bucket := bucketOf(st, q.Unit, team.WeekStart)
	scope = filter{Channels: q.Channels}.where(st, eventColumns)
	err = s.query(ctx, "channel flows", st, `
SELECT channel_type, channel_id, `+bucket+` AS bucket,
       countIf(type = 'contact.created'), countIf(type = 'contact.unsubscribed'),
       countIf(type = 'contact.unsubscribed' AND reason = 'block')
FROM (
    SELECT event_id, ts, type, channel_type, channel_id, reason
    FROM events
    WHERE team_id = {team:String} AND type IN ('contact.created', 'contact.unsubscribed') AND `+inPeriod+scope+`
    LIMIT 1 BY event_id
)
GROUP BY channel_type, channel_id, bucket`, func(rows driver.Rows) error {
		var ct, ci, b string
		var p ChannelPoint
		if err := rows.Scan(&ct, &ci, &b, &p.NewContacts, &p.Unsubscribes, &p.Blocks); err != nil {
			return err
		}
		i, ok := labels[b]
		if !ok {
			return nil
		}
		pt := &get(ct, ci).Points[i]
		pt.NewContacts, pt.Unsubscribes, pt.Blocks = p.NewContacts, p.Unsubscribes, p.Blocks
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, x := range series {
		if len(x.Points) > 0 {
			end := x.Points[len(x.Points)-1]
			x.Contacts, x.EffectiveContacts = end.Contacts, end.EffectiveContacts
			x.Unsubscribed = end.Contacts - end.EffectiveContacts
			x.EffectiveShare = share(end.EffectiveContacts, end.Contacts)
		}
		rep.Channels = append(rep.Channels, *x)
	}
	slices.SortFunc(rep.Channels, func(a, b ChannelSeries) int {
		if c := strings.Compare(a.ChannelType, b.ChannelType); c != 0 {
			return c
		}
		return strings.Compare(a.ChannelID, b.ChannelID)
	})

	// Binding methods and new-contact sources per month.
	months := buckets(q.Range, Month, team.WeekStart)
	byMonth := map[string]int{}
	for i, m := range months {
		byMonth[m.Label.String()] = i
		rep.BindingMethods = append(rep.BindingMethods, MethodMonth{Month: m.Label, Methods: []MethodCount{}})
		rep.NewContactSources = append(rep.NewContactSources, SourceMonth{Month: m.Label, Sources: []SourceCount{}})
	}
	st = newStmt(team.ID)
	st.period(q.Range)
	month := bucketOf(st, Month, team.WeekStart)
	scope = filter{Channels: q.Channels}.where(st, eventColumns)
	err = s.query(ctx, "binding methods", st, `
SELECT `+month+` AS month, method, source_kind, count()
FROM (
    SELECT event_id, ts, method, source_kind
    FROM events
    WHERE team_id = {team:String} AND type = 'identity.bind' AND `+inPeriod+scope+`
    LIMIT 1 BY event_id
)
GROUP BY month, method, source_kind
ORDER BY month, count() DESC, method, source_kind`, func(rows driver.Rows) error {
		var m MethodCount
		var label string
		if err := rows.Scan(&label, &m.Method, &m.Source, &m.Count); err != nil {
			return err
		}
		if i, ok := byMonth[label]; ok {
			mm := &rep.BindingMethods[i]
			mm.Methods = append(mm.Methods, m)
			mm.Total += m.Count
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st = newStmt(team.ID)
	st.period(q.Range)
	month = bucketOf(st, Month, team.WeekStart)
	scope = filter{Channels: q.Channels}.where(st, eventColumns)
	err = s.query(ctx, "new-contact sources", st, `
SELECT `+month+` AS month, source, count()
FROM (
    SELECT event_id, ts, if(contact_source = '', 'organic', toString(contact_source)) AS source
    FROM events
    WHERE team_id = {team:String} AND type = 'contact.created' AND `+inPeriod+scope+`
    LIMIT 1 BY event_id
)
GROUP BY month, source
ORDER BY month, count() DESC, source`, func(rows driver.Rows) error {
		var sc SourceCount
		var label string
		if err := rows.Scan(&label, &sc.Source, &sc.Count); err != nil {
			return err
		}
		if i, ok := byMonth[label]; ok {
			sm := &rep.NewContactSources[i]
			sm.Sources = append(sm.Sources, sc)
			sm.Total += sc.Count
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Service) serveCustomers(r *http.Request, team *teams.Team) (any, error) {
	p, err := readParams(r, "from", "to", "preset", "unit", "channel")
	if err != nil {
		return nil, err
	}
	var q CustomersQuery
	if q.Range, err = p.dateRange(zoneOf(team), s.now(), defaultPreset); err != nil {
		return nil, err
	}
	if q.Unit, err = p.unit(Month); err != nil {
		return nil, err
	}
	if q.Channels, err = p.channels(maxCompared); err != nil {
		return nil, err
	}
	return s.Customers(r.Context(), team, q)
}
