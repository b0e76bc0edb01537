package openapi

import (
	"github.com/omnistream/omnistream/queries/analytics"
	"github.com/omnistream/omnistream/queries/reports"
)

// Values the report handlers accept (they are unexported there; the
// contract test proves every one is accepted and nothing else is).
var (
	broadcastStatuses = []string{reports.StatusScheduled, reports.StatusSending, reports.StatusCompleted,
		reports.StatusFailed, reports.StatusCancelled, reports.StatusUnknown}
	recipientStates = []string{reports.StateDelivered, reports.StateFailed, reports.StateOpened,
		reports.StateRead, reports.StateClicked, reports.StateResponded}
	presets = []string{analytics.PresetToday, analytics.PresetYesterday, analytics.PresetLast7Days,
		analytics.PresetLast14Days, analytics.PresetLast30Days, analytics.PresetThisMonth, analytics.PresetLastMonth}
	omniLinkReasons = []string{"disabled", "link_generation_failed", "source_contact_not_found",
		"target_contact_not_found", "member_id_conflict", "internal_error"}
)

const rateDesc = "fraction from 0 to 1; null when the denominator is 0 or the numerator cannot be tracked"

func date(desc string) *Schema { return &Schema{Type: "string", Format: "date", Description: desc} }

func (b *builder) reportOverrides() {
	f := b.r.fields
	rate := func(s *Schema) {
		s.Description = rateDesc
		s.Minimum = ptr(0.0)
	}
	for _, k := range []string{"success_rate", "read_rate", "open_rate", "click_rate", "response_rate"} {
		f["reports.BroadcastChannel."+k] = rate
	}
	f["reports.Button.click_rate"] = rate
	for _, k := range []string{"open_rate", "read_rate", "click_rate", "response_rate_12h", "response_rate_24h", "response_rate_48h", "unsubscribe_rate"} {
		f["reports.JourneyNode."+k] = rate
	}
	for _, k := range []string{"socially_bound_share", "website_members_share", "bound_members_share"} {
		f["analytics.CustomerTotals."+k] = rate
	}
	f["analytics.ChannelSeries.effective_share"] = rate
	conv := func(s *Schema) {
		s.Description = "orders / distinct clickers (may exceed 1); null without clickers"
		s.Minimum = ptr(0.0)
	}
	f["analytics.CartCounts.conversion"] = conv
	f["analytics.CartReport.conversion"] = conv
	f["analytics.CartChannel.conversion"] = conv
	f["reports.BroadcastReport.status"] = func(s *Schema) { s.Enum = anys(broadcastStatuses) }
	f["reports.RecipientPage.state"] = func(s *Schema) { s.Enum = anys(recipientStates) }
	f["reports.BroadcastChannel.channel"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	f["reports.Recipient.channel"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	f["reports.Button.kind"] = func(s *Schema) { s.Enum = anys([]string{"url", "module"}) }
	f["reports.BroadcastChannel.read"] = func(s *Schema) {
		s.Description = "contacts who read; null on channels without read receipts (LINE)"
	}
	f["reports.BroadcastChannel.opened"] = func(s *Schema) {
		s.Description = "distinct openers on LINE; null elsewhere and for broadcasts without a trackable message"
	}
	f["reports.BroadcastChannel.estimated_cost"] = func(s *Schema) {
		s.Description = "successful deliveries × the team's per-message rate; null without a rate for the channel"
	}
	f["analytics.CustomersReport.unit"] = func(s *Schema) { s.Enum = anys([]string{"week", "month", "year"}) }
	for _, c := range []string{"analytics.TagApplication", "analytics.ContactLogRow", "analytics.ChannelCount",
		"analytics.ChannelSeries", "analytics.KeywordChannel", "analytics.RichMenuArea", "analytics.CartChannel",
		"analytics.ContactRef", "analytics.Channel"} {
		f[c+".channel_type"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	}
	for _, k := range []string{"source_channel_type", "target_channel_type"} {
		f["analytics.OmniLinkSuccess."+k] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	}
	f["analytics.OmniLinkFailure.source_channel_type"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	f["analytics.OmniLinkFailure.reason"] = func(s *Schema) {
		s.Enum = anys(omniLinkReasons)
		s.Description = "absent: no reason recorded (the customer did not submit or has not installed the target app)"
	}
	f["analytics.ReasonCount.reason"] = func(s *Schema) { s.Enum = anys(omniLinkReasons) }
}

func anys(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func (b *builder) reports() {
	b.reportOverrides()
	r := b.r
	from := queryParam("from", "first day of the range (team's time zone); open when absent", date(""))
	to := queryParam("to", "last day of the range, inclusive; open when absent", date(""))
	id := func(what string) *Parameter { return pathParam("id", what, strN(1, 128)) }

	b.add("GET /v1/reports/broadcasts", &Operation{
		OperationID: "listBroadcasts", Tags: []string{"reports"}, Security: team(),
		Summary:     "Broadcasts with their reports, newest first",
		Description: "Broadcasts whose broadcast time (broadcast.started, else the first message event, else broadcast.scheduled) is in the range, newest first, paged with an opaque cursor.",
		Parameters: []*Parameter{from, to,
			commaList("channel", "keep broadcasts with a send on one of these channel types (comma-separated)", channelType()),
			commaList("status", "keep broadcasts in one of these statuses (comma-separated)", enum(broadcastStatuses...)),
			queryParam("limit", "page size", withDefault(integer(1, 100), 20)),
			queryParam("cursor", "next_cursor of the previous page", str()),
		},
		Responses: ok("200", "A page of broadcasts.", r.component(reports.BroadcastPage{}), "400", "401", "503", "504"),
	})
	b.add("GET /v1/reports/broadcasts/{id}", &Operation{
		OperationID: "getBroadcast", Tags: []string{"reports"}, Security: team(),
		Summary:     "One broadcast's report, per channel",
		Description: "Audience, deliveries, failures by reason, read/open, click (24 h) and response (48 h) rates, per-button clicks, attributed orders and revenue, estimated message cost.",
		Parameters:  []*Parameter{id("the broadcast id (source.id of its events)")},
		Responses:   ok("200", "The report.", r.component(reports.BroadcastReport{}), "400", "401", "404", "503", "504"),
	})
	b.add("GET /v1/reports/broadcasts/{id}/recipients", &Operation{
		OperationID: "listBroadcastRecipients", Tags: []string{"reports"}, Security: team(),
		Summary:     "Recipients of a broadcast in one state",
		Description: "Delivered, failed (with reason), opened, read, clicked (24 h) or responded (48 h) contacts, ordered by channel, account and contact, paged with an opaque cursor.",
		Parameters: []*Parameter{id("the broadcast id"),
			{Name: "state", In: "query", Required: true, Description: "which list", Schema: enum(recipientStates...)},
			queryParam("channel", "keep one channel type", channelType()),
			queryParam("limit", "page size", withDefault(integer(1, 1000), 100)),
			queryParam("cursor", "next_cursor of the previous page", str()),
		},
		Responses: ok("200", "A page of recipients.", r.component(reports.RecipientPage{}), "400", "401", "404", "503", "504"),
	})
	b.add("GET /v1/reports/journeys/{id}", &Operation{
		OperationID: "getJourney", Tags: []string{"reports"}, Security: team(),
		Summary:     "One journey's report, per message node",
		Description: "Successful sends (every receipt counts), opens, reads and clicks (one per send), responses within 12/24/48 h and unsubscribes within 24 h; every rate is over successful sends.",
		Parameters:  []*Parameter{id("the journey id (source.id of its events)"), from, to},
		Responses:   ok("200", "The report.", r.component(reports.JourneyReport{}), "400", "401", "404", "503", "504"),
	})
}

func (b *builder) analytics() {
	r := b.r
	rng := func(def string) []*Parameter {
		d := "default: the last 30 days, today included"
		if def == "" {
			d = "default: all time"
		}
		return []*Parameter{
			queryParam("from", "first day of the range (team's time zone); requires to; "+d, date("")),
			queryParam("to", "last day of the range, inclusive; requires from; at most 3660 days after from", date("")),
			queryParam("preset", "a range relative to today in the team's time zone, instead of from and to", enum(presets...)),
		}
	}
	channels := func(most int) *Parameter {
		return repeated("channel", "only these channels: TYPE or TYPE:ACCOUNT (repeat the parameter for several)",
			&Schema{Type: "string", Pattern: "^(line|facebook|instagram|whatsapp|web|wechat|sms)(:.{0,128})?$"}, most)
	}
	list := func(name, desc string) *Parameter { return repeated(name, desc, strN(1, 128), 50) }
	limit := queryParam("limit", "rows of each log; a longer log says truncated", withDefault(integer(1, analytics.MaxLogRows), analytics.MaxLogRows))
	op := func(pattern, id, summary, desc string, resp any, params []*Parameter, errCodes ...string) {
		b.add(pattern, &Operation{OperationID: id, Tags: []string{"reports"}, Security: team(), Summary: summary, Description: desc,
			Parameters: params, Responses: ok("200", "The report.", r.component(resp), errCodes...)})
	}
	std := []string{"400", "401", "503", "504"}
	op("GET /v1/reports/tags", "getTagReport", "Tag statistics, daily series and application log",
		"Tag count (applications in the range), tagged people (distinct contacts), per tag and per day, and the application log. Removing a tag deletes the contact's earlier applications of it from every count.",
		analytics.TagReport{}, append(rng("30d"), list("tag", "only these tags"), list("source", "only applications from these sources (source.kind)"), channels(50), limit), std...)
	op("GET /v1/reports/contacts/{channel_type}/{channel_id}/{user_id}/tags", "getContactTagReport", "A contact's tag frequency",
		"Each tag applied to the contact in the range and how many times.",
		analytics.ContactTagReport{}, append([]*Parameter{
			pathParam("channel_type", "the contact's channel type", channelType()),
			pathParam("channel_id", "the channel account", strN(1, 128)),
			pathParam("user_id", "the channel user id", strN(1, 128)),
		}, append(rng("30d"), list("tag", "only these tags"), list("source", "only applications from these sources"))...), std...)
	op("GET /v1/reports/omnilink/{campaign}", "getOmniLinkReport", "An OmniLink campaign",
		"Participants (first click) = successes + failures; target-channel new contacts; failures by reason and without one; success and failure lists.",
		analytics.OmniLinkReport{}, append([]*Parameter{pathParam("campaign", "the campaign id", strN(1, 128))},
			append(rng(""), channels(50), limit)...), "400", "401", "404", "503", "504")
	op("GET /v1/reports/contacts", "getContactsReport", "Contacts added, connected, deleted and merged",
		"Totals, added by source, connected by channel and by source, a daily bar-chart series and the logs (at most 10,000 rows each).",
		analytics.ContactsReport{}, append(rng("30d"), channels(50), list("user", "only rows of these staff users"),
			list("source", "only these sources"), queryParam("contact", "only this contact id", strN(1, 128)), limit), std...)
	op("GET /v1/reports/customers", "getCustomerAnalysis", "Omni-customer analysis",
		"Omni-customers, social binding, website members; per channel (up to 5 compared) contacts, bound, new, unsubscribed and effective contacts by week, month or year; binding methods and new-contact sources per month.",
		analytics.CustomersReport{}, append(rng("30d"), queryParam("unit", "bucket of the channel series", withDefault(enum("week", "month", "year"), "month")), channels(5)), std...)
	op("GET /v1/reports/keywords", "getKeywordReport", "Keyword auto-reply triggers",
		"Triggers and distinct contacts per group, condition and channel.",
		analytics.KeywordReport{}, append(rng("30d"), channels(50), list("group", "only these keyword groups")), std...)
	op("GET /v1/reports/richmenus", "getRichMenuReport", "Rich-menu area clicks",
		"Clicks and distinct clickers per channel, menu and area.",
		analytics.RichMenuReport{}, append(rng("30d"), channels(50), list("menu", "only these rich menus")), std...)
	op("GET /v1/reports/cart", "getCartReport", "Cart remarketing",
		"Messages, clicks, distinct clickers, attributed orders and revenue per currency, conversion = orders / distinct clickers.",
		analytics.CartReport{}, append(rng("30d"), channels(50)), std...)
}
