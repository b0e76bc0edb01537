package openapi

import (
	"slices"

	"github.com/omnistream/omnistream/ingest/api"
	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/channels"
	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/queries/customers"
	"github.com/omnistream/omnistream/sinks/adsync"
)

func text(desc string) *Response {
	return &Response{Description: desc, Content: map[string]MediaType{"text/plain": {Schema: str()}}}
}

func noBody(desc string) *Response { return &Response{Description: desc} }

func (b *builder) ingest() {
	r := b.r
	var types []string
	for _, t := range event.Types() {
		types = append(types, string(t))
	}
	r.fields["event.Event.type"] = func(s *Schema) { s.Enum = anys(sortedStrings(types)) }
	r.fields["event.Channel.type"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	r.fields["event.Event.team_id"] = func(s *Schema) {
		s.Description = "optional; when given it must be the API key's team (else 403)"
	}
	r.fields["event.Event.props"] = func(s *Schema) {
		s.Type = "object"
		s.Description = "type-specific fields (button_kind, tag, order_id, amount, currency, member_id, reason, campaign, target, …)"
	}
	ev := r.component(event.Event{})
	r.schemas["event.Event"].Required = []string{"event_id", "type", "ts"}
	ingestErr := object([]string{"errors"}, map[string]*Schema{"errors": {Type: "array", Items: r.component(api.RecordError{})}})
	plainErr := object([]string{"error"}, map[string]*Schema{"error": str()})
	resp := func(desc string, s *Schema) *Response {
		return &Response{Description: desc, Content: map[string]MediaType{"application/json": {Schema: s}}}
	}
	b.add("POST /v1/events", &Operation{
		OperationID: "postEvents", Tags: []string{"ingest"}, Security: team(),
		Summary:     "Send events",
		Description: "One event, a JSON array of events or NDJSON (one event per line). Events are written to Kafka before the answer; a repeated event_id is the same event. Nothing of a refused batch is written.",
		RequestBody: &RequestBody{Required: true, Content: map[string]MediaType{
			"application/json":     {Schema: &Schema{AnyOf: []*Schema{ev, {Type: "array", Items: ev}}}},
			"application/x-ndjson": {Schema: ev},
		}},
		Responses: map[string]*Response{
			"202": resp("Accepted and stored in the event log.", object([]string{"accepted"}, map[string]*Schema{"accepted": integer(0, 1<<31)})),
			"400": resp("Invalid events: each error names the record (index, -1 for the whole body) and the field.", &Schema{AnyOf: []*Schema{ingestErr, plainErr}}),
			"401": {Ref: "#/components/responses/Unauthorized"},
			"403": resp("A record names another team.", plainErr),
			"413": resp("The body or the batch is too large; split it.", plainErr),
			"429": {Description: "More requests per second than the team's limit.", Headers: map[string]*Header{"Retry-After": {Schema: &Schema{Type: "integer"}}},
				Content: map[string]MediaType{"application/json": {Schema: plainErr}}},
			"503": {Ref: "#/components/responses/Unavailable"},
		},
	})
	hookParams := func(name, desc, sigHeader string) []*Parameter {
		ps := []*Parameter{pathParam(name, desc, str())}
		if sigHeader != "" {
			ps = append(ps, &Parameter{Name: sigHeader, In: "header", Required: true, Description: "HMAC signature of the body with the channel secret", Schema: str()})
		}
		return ps
	}
	hookResponses := map[string]*Response{
		"200": noBody("Accepted: the mapped events are in the event log."),
		"400": text("The body cannot be read."), "401": text("Missing or invalid signature."),
		"404": text("Unknown channel account."), "413": text("Body too large."),
		"503": text("Event log unavailable; the platform redelivers."),
	}
	verify := func(pattern, id, what, name string) {
		b.add(pattern, &Operation{OperationID: id, Tags: []string{"ingest"}, Security: public(),
			Summary: what + " webhook verification handshake",
			Parameters: append(hookParams(name, "the app or number the webhook is registered for", ""),
				queryParam("hub.mode", "must be subscribe", enum("subscribe")),
				queryParam("hub.verify_token", "the verify token configured for the app", str()),
				queryParam("hub.challenge", "echoed back on success", strN(1, 256))),
			Responses: map[string]*Response{"200": text("The challenge."), "403": text("Verification refused."), "404": text("Unknown app or number.")},
		})
	}
	b.add("POST /webhooks/line/{channel}", &Operation{OperationID: "lineWebhook", Tags: []string{"ingest"}, Security: public(),
		Summary: "LINE Messaging API webhook", Description: "Signed with X-Line-Signature; events are mapped to canonical events.",
		Parameters: hookParams("channel", "the LINE channel id", "X-Line-Signature"), RequestBody: jsonBody("LINE webhook body", &Schema{Type: "object"}),
		Responses: hookResponses})
	verify("GET /webhooks/meta/{app}", "metaWebhookVerify", "Messenger and Instagram", "app")
	b.add("POST /webhooks/meta/{app}", &Operation{OperationID: "metaWebhook", Tags: []string{"ingest"}, Security: public(),
		Summary: "Messenger and Instagram webhook", Description: "Signed with X-Hub-Signature-256; read and delivery watermarks cover every earlier message.",
		Parameters: hookParams("app", "the Meta app id", "X-Hub-Signature-256"), RequestBody: jsonBody("Meta webhook body", &Schema{Type: "object"}),
		Responses: hookResponses})
	verify("GET /webhooks/whatsapp/{number}", "whatsappWebhookVerify", "WhatsApp Cloud API", "number")
	b.add("POST /webhooks/whatsapp/{number}", &Operation{OperationID: "whatsappWebhook", Tags: []string{"ingest"}, Security: public(),
		Summary: "WhatsApp Cloud API webhook", Description: "Inbound messages and sent/delivered/read/failed statuses, signed with X-Hub-Signature-256.",
		Parameters: hookParams("number", "the WhatsApp phone number id", "X-Hub-Signature-256"), RequestBody: jsonBody("WhatsApp webhook body", &Schema{Type: "object"}),
		Responses: hookResponses})
	b.add("GET /r/{token}", &Operation{OperationID: "clickRedirect", Tags: []string{"ingest"}, Security: public(),
		Summary: "Tracked link", Description: "Redirects to the link's target and records button.clicked (not for HEAD or bots).",
		Parameters: []*Parameter{pathParam("token", "the signed link token", str())},
		Responses: map[string]*Response{
			"302": {Description: "Redirect to the target.", Headers: map[string]*Header{"Location": {Schema: &Schema{Type: "string", Format: "uri"}}}},
			"404": text("Unknown, expired or forged link."),
		}})
	b.add("GET /pixel.js", &Operation{OperationID: "pixelScript", Tags: []string{"ingest"}, Security: public(),
		Summary: "The website pixel script",
		Responses: map[string]*Response{"200": {Description: "JavaScript.", Content: map[string]MediaType{"text/javascript": {Schema: str()}}},
			"304": noBody("Not modified.")}})
	pixelErr := object([]string{"error"}, map[string]*Schema{"error": str(), "field": str()})
	b.add("POST /v1/pixel", &Operation{OperationID: "pixelCollect", Tags: []string{"ingest"}, Security: public(),
		Summary: "Website pixel report", Description: "A page view or an order from the site's pixel; the Origin must be allowed for the site.",
		Parameters:  []*Parameter{{Name: "site", In: "query", Required: true, Description: "the site key", Schema: str()}},
		RequestBody: &RequestBody{Required: true, Content: map[string]MediaType{"text/plain": {Schema: &Schema{Type: "object"}}, "application/json": {Schema: &Schema{Type: "object"}}}},
		Responses: map[string]*Response{
			"204": noBody("Recorded."), "400": resp("Invalid report or unknown site.", pixelErr),
			"403": resp("Origin not allowed.", pixelErr), "413": resp("Too large.", pixelErr),
			"415": resp("Unsupported content type.", pixelErr), "503": resp("Unavailable, retry.", pixelErr),
		}})
	b.add("OPTIONS /v1/pixel", &Operation{OperationID: "pixelPreflight", Tags: []string{"ingest"}, Security: public(),
		Summary:    "CORS preflight of the pixel",
		Parameters: []*Parameter{{Name: "site", In: "query", Required: true, Description: "the site key", Schema: str()}},
		Responses:  map[string]*Response{"204": noBody("Allowed."), "400": resp("Unknown site.", pixelErr), "403": resp("Origin not allowed.", pixelErr)}})
}

func (b *builder) customers() {
	r := b.r
	cust := r.component(customers.Customer{})
	r.schemas["customers.Contact"].Properties["channel_type"].Enum = anys(ChannelTypes)
	b.add("GET /v1/customers/{customer_id}", &Operation{OperationID: "getCustomer", Tags: []string{"customers"}, Security: team(),
		Summary:     "An omni-customer's 360° view",
		Description: "Contacts on every channel, identifiers, binding methods, current tags, custom attributes and last interaction times, through the current identity map.",
		Parameters:  []*Parameter{pathParam("customer_id", "the customer id", str())},
		Responses:   ok("200", "The customer.", cust, "401", "404", "503")})
	b.add("GET /v1/contacts/{channel_type}/{channel_id}/{user_id}", &Operation{OperationID: "getContactCustomer", Tags: []string{"customers"}, Security: team(),
		Summary:     "The 360° view of a contact's customer",
		Description: "Resolves the contact to its current omni-customer. An unknown channel type answers 400 naming channel_type; an unknown contact 404 naming user_id.",
		Parameters: []*Parameter{
			pathParam("channel_type", "the channel type", &Schema{Type: "string", Enum: anys(ChannelTypes)}),
			pathParam("channel_id", "the channel account", str()),
			pathParam("user_id", "the channel user id", str()),
		},
		Responses: ok("200", "The customer.", cust, "400", "401", "404", "503")})
}

func (b *builder) audiences() {
	r := b.r
	r.fields["audience.Channel.type"] = func(s *Schema) { s.Enum = anys(ChannelTypes) }
	aud := r.component(audience.Audience{})
	in := r.component(audience.Input{})
	r.schemas["audience.Input"].Required = []string{"channel", "conditions", "name"}
	def := r.component(audience.Definition{})
	page := r.component(audience.Page{})
	id := pathParam("id", "the audience id", str())
	pageParams := []*Parameter{
		queryParam("limit", "members of the page", &Schema{Type: "integer", Minimum: ptr(1.0)}),
		queryParam("cursor", "next of the previous page", str()),
	}
	tag := []string{"audiences"}
	b.add("GET /v1/audiences", &Operation{OperationID: "listAudiences", Tags: tag, Security: team(), Summary: "The team's audiences, newest first",
		Parameters: []*Parameter{
			queryParam("archived", "true lists the archived audiences instead of the active ones", enum("true", "false")),
			queryParam("channel", "only audiences on this channel type", str()),
			queryParam("q", "name contains, case-insensitive", str()),
		},
		Responses: ok("200", "The audiences.", object([]string{"audiences"}, map[string]*Schema{"audiences": {Type: "array", Items: aud}}), "401", "500")})
	b.add("POST /v1/audiences", &Operation{OperationID: "createAudience", Tags: tag, Security: team(), Summary: "Create an audience",
		RequestBody: jsonBody("name, channel and ANDed conditions", in),
		Responses:   ok("201", "Created.", aud, "400", "401", "500")})
	b.add("POST /v1/audiences/preview", &Operation{OperationID: "previewDefinition", Tags: tag, Security: team(),
		Summary: "Size and first members of an unsaved definition", Parameters: pageParams,
		RequestBody: jsonBody("the definition", def),
		Responses:   ok("200", "Size and a page of members, most recently updated first.", page, "400", "401", "500", "504")})
	b.add("GET /v1/audiences/{id}", &Operation{OperationID: "getAudience", Tags: tag, Security: team(), Summary: "One audience",
		Parameters: []*Parameter{id}, Responses: ok("200", "The audience.", aud, "401", "404", "500")})
	update := object([]string{"channel", "conditions", "name", "version"}, map[string]*Schema{
		"name": str(), "channel": ref("audience.Channel"), "conditions": {Type: "array", Items: ref("audience.Condition")},
		"version": {Type: "integer", Minimum: ptr(0.0), Description: "the version read; a concurrent edit answers 409"},
	})
	b.add("PUT /v1/audiences/{id}", &Operation{OperationID: "updateAudience", Tags: tag, Security: team(), Summary: "Edit an audience",
		Parameters: []*Parameter{id}, RequestBody: jsonBody("the new definition and the version it replaces", update),
		Responses: ok("200", "The edited audience.", aud, "400", "401", "404", "409", "500")})
	for _, a := range []struct{ verb, id, summary, code string }{
		{"copy", "copyAudience", "Copy an audience", "201"},
		{"archive", "archiveAudience", "Archive an audience (409 while a sync schedule uses it)", "200"},
		{"unarchive", "unarchiveAudience", "Make an archived audience active again", "200"},
	} {
		b.add("POST /v1/audiences/{id}/"+a.verb, &Operation{OperationID: a.id, Tags: tag, Security: team(), Summary: a.summary,
			Parameters: []*Parameter{id}, Responses: ok(a.code, "The audience.", aud, "401", "404", "409", "500")})
	}
	b.add("POST /v1/audiences/{id}/preview", &Operation{OperationID: "previewAudience", Tags: tag, Security: team(),
		Summary: "Current size and a page of members", Parameters: append([]*Parameter{id}, pageParams...),
		Responses: ok("200", "Size and a page of members, most recently updated first.", page, "400", "401", "404", "500", "504")})
}

func (b *builder) syncs() {
	r := b.r
	r.fields["adsync.Target.platform"] = func(s *Schema) {
		s.Enum = anys([]string{string(adsync.PlatformMeta), string(adsync.PlatformLINE), string(adsync.PlatformLINEAds)})
	}
	r.fields["adsync.Target.id_type"] = func(s *Schema) { s.Enum = anys([]string{"email", "phone"}) }
	modes := func(s *Schema) { s.Enum = anys([]string{string(adsync.ModeFull), string(adsync.ModeIncremental)}) }
	r.fields["adsync.Schedule.mode"], r.fields["adsync.Run.mode"], r.fields["adsync.ScheduleInput.mode"] = modes, modes, modes
	r.fields["adsync.Schedule.status"] = func(s *Schema) { s.Enum = anys([]string{adsync.StatusActive, adsync.StatusCancelled}) }
	r.fields["adsync.Run.status"] = func(s *Schema) {
		s.Enum = anys([]string{adsync.RunWaiting, adsync.RunRunning, adsync.RunSucceeded, adsync.RunFailed, adsync.RunCancelled})
	}
	r.fields["adsync.Run.trigger"] = func(s *Schema) {
		s.Enum = anys([]string{adsync.TriggerSchedule, adsync.TriggerCatchUp, adsync.TriggerManual})
	}
	r.fields["adsync.Recurrence.kind"] = func(s *Schema) { s.Enum = anys([]string{adsync.KindOnce, adsync.KindEvery}) }
	r.fields["adsync.Recurrence.unit"] = func(s *Schema) { s.Enum = anys([]string{adsync.UnitDay, adsync.UnitWeek, adsync.UnitMonth}) }
	r.fields["adsync.ScheduleInput.kind"] = r.fields["adsync.Recurrence.kind"]
	r.fields["adsync.ScheduleInput.start_at"] = func(s *Schema) {
		s.Description = "the first run: RFC 3339 with an offset, or a wall time 2006-01-02T15:04:05 in the team's time zone"
	}
	sched := r.component(adsync.Schedule{})
	input := r.component(adsync.ScheduleInput{})
	r.schemas["adsync.ScheduleInput"].Required = []string{"audience_id", "kind", "start_at", "target"}
	run := r.component(adsync.Run{})
	status := func(v string) *Schema {
		return object([]string{"status"}, map[string]*Schema{"status": enum(v)})
	}
	id := pathParam("id", "the schedule id", str())
	tag := []string{"audience-syncs"}
	b.add("POST /v1/audience-syncs", &Operation{OperationID: "createSync", Tags: tag, Security: team(),
		Summary: "Schedule a sync of an audience", RequestBody: jsonBody("audience, target, mode and schedule", input),
		Responses: ok("201", "The schedule with its next runs.", sched, "400", "401", "404", "409", "500")})
	b.add("GET /v1/audience-syncs", &Operation{OperationID: "listSyncs", Tags: tag, Security: team(), Summary: "Sync schedules with their next runs",
		Parameters: []*Parameter{queryParam("audience_id", "only this audience's schedules", str())},
		Responses:  ok("200", "The schedules.", object([]string{"schedules"}, map[string]*Schema{"schedules": {Type: "array", Items: sched}}), "401", "500")})
	b.add("GET /v1/audience-syncs/{id}", &Operation{OperationID: "getSync", Tags: tag, Security: team(), Summary: "One schedule with its next runs",
		Parameters: []*Parameter{id}, Responses: ok("200", "The schedule.", sched, "401", "404", "500")})
	b.add("DELETE /v1/audience-syncs/{id}", &Operation{OperationID: "cancelSync", Tags: tag, Security: team(), Summary: "Cancel a whole schedule",
		Parameters: []*Parameter{id}, Responses: ok("200", "The cancelled schedule.", sched, "401", "404", "500")})
	b.add("POST /v1/audience-syncs/{id}/skip", &Operation{OperationID: "skipSyncRun", Tags: tag, Security: team(), Summary: "Cancel one upcoming run",
		Parameters:  []*Parameter{id},
		RequestBody: jsonBody("the run to skip", object([]string{"at"}, map[string]*Schema{"at": {Type: "string", Format: "date-time"}})),
		Responses:   ok("200", "The schedule.", sched, "400", "401", "404", "500")})
	b.add("POST /v1/audience-syncs/{id}/run", &Operation{OperationID: "runSyncNow", Tags: tag, Security: team(), Summary: "Run a sync now",
		Parameters: []*Parameter{id}, Responses: ok("202", "Started.", status("started"), "401", "404", "409", "500")})
	b.add("GET /v1/audience-syncs/{id}/runs", &Operation{OperationID: "listSyncRuns", Tags: tag, Security: team(),
		Summary: "Run history, newest first (running ones with progress)", Parameters: []*Parameter{id},
		Responses: ok("200", "The runs.", object([]string{"runs"}, map[string]*Schema{"runs": {Type: "array", Items: run}}), "401", "404", "500")})
	b.add("POST /v1/audience-syncs/{id}/runs/{run}/cancel", &Operation{OperationID: "cancelSyncRun", Tags: tag, Security: team(),
		Summary: "Cancel a running run", Parameters: []*Parameter{id, pathParam("run", "the run id", str())},
		Responses: ok("202", "Cancelling.", status("cancelling"), "400", "401", "404", "500")})
}

func (b *builder) admin() {
	r := b.r
	tag := []string{"admin"}
	r.fields["channels.Channel.kind"] = func(s *Schema) {
		s.Enum = anys([]string{channels.KindLINE, channels.KindMetaApp, channels.KindMetaAccount, channels.KindWhatsApp, channels.KindPixelSite})
	}
	r.fields["channels.Credential.platform"] = r.fields["adsync.Target.platform"]
	teamS := r.component(teams.Team{})
	b.add("POST /v1/admin/teams", &Operation{OperationID: "createTeam", Tags: tag, Security: admin(), Summary: "Create or update a team and mint a key",
		RequestBody: jsonBody("the team", object([]string{"id"}, map[string]*Schema{"id": str(), "name": str(), "region": describe(str(), "ISO 3166 alpha-2: decides the time zone, currency and default rates")})),
		Responses:   ok("201", "The team and a new API key.", object([]string{"api_key", "team"}, map[string]*Schema{"team": teamS, "api_key": str()}), "400", "401", "503")})
	b.add("PUT /v1/admin/channels", &Operation{OperationID: "putChannel", Tags: tag, Security: admin(), Summary: "Register a channel account, app, number or pixel site",
		RequestBody: jsonBody("the channel", r.component(channels.Channel{})),
		Responses:   merge(map[string]*Response{"204": noBody("Stored.")}, errs("400", "401", "503"))})
	b.add("PUT /v1/admin/credentials", &Operation{OperationID: "putCredential", Tags: tag, Security: admin(), Summary: "Store an ad-platform credential of a team",
		RequestBody: jsonBody("the credential", r.component(channels.Credential{})),
		Responses:   merge(map[string]*Response{"204": noBody("Stored.")}, errs("400", "401"))})
	b.add("POST /v1/admin/teams/{id}/analyst", &Operation{OperationID: "createAnalyst", Tags: tag, Security: admin(),
		Summary:     "Provision a read-only ClickHouse account for a team's analysts",
		Description: "The account reads the team's report views only (one per report), over the ClickHouse HTTP interface; standard ClickHouse clients connect with it.",
		Parameters:  []*Parameter{pathParam("id", "the team id", str())},
		Responses: ok("201", "The account.", object([]string{"clickhouse_url", "database", "password", "user", "views"}, map[string]*Schema{
			"user": str(), "password": str(), "database": describe(str(), "the team's database of views"),
			"clickhouse_url": &Schema{Type: "string", Format: "uri"}, "views": {Type: "array", Items: str()},
		}), "401", "404", "503")})
	b.add("POST /v1/admin/teams/{id}/keys", &Operation{OperationID: "createKey", Tags: tag, Security: admin(), Summary: "Mint an API key for a team",
		Parameters: []*Parameter{pathParam("id", "the team id", str())},
		Responses:  ok("201", "The new key.", object([]string{"api_key"}, map[string]*Schema{"api_key": str()}), "401", "404", "503")})
	b.add("DELETE /v1/admin/teams/{id}/keys/{key}", &Operation{OperationID: "revokeKey", Tags: tag, Security: admin(), Summary: "Revoke a team's API key",
		Parameters: []*Parameter{pathParam("id", "the team id", str()), pathParam("key", "the key id", str())},
		Responses:  merge(map[string]*Response{"204": noBody("Revoked.")}, errs("401", "503"))})
}

func (b *builder) operations() {
	tag := []string{"operations"}
	b.add("GET /healthz", &Operation{OperationID: "health", Tags: tag, Security: public(), Summary: "Liveness",
		Responses: map[string]*Response{"200": text("ok")}})
	b.add("GET /readyz", &Operation{OperationID: "ready", Tags: tag, Security: public(), Summary: "Readiness: started and ClickHouse reachable",
		Responses: map[string]*Response{"200": text("ready"), "503": text("Starting, or ClickHouse unreachable.")}})
	b.add("GET /metrics", &Operation{OperationID: "metrics", Tags: tag, Security: public(), Summary: "Prometheus metrics",
		Responses: map[string]*Response{"200": {Description: "Prometheus text exposition format.", Content: map[string]MediaType{"text/plain": {Schema: str()}}}}})
	b.add("GET /v1/openapi.json", &Operation{OperationID: "openapi", Tags: tag, Security: public(), Summary: "This document",
		Description: "The operations this process serves (a process started with some roles only lists theirs).",
		Responses:   map[string]*Response{"200": {Description: "OpenAPI 3.1.", Content: map[string]MediaType{"application/json": {Schema: &Schema{Type: "object"}}}}}})
}

func (b *builder) dashboard() {
	tag := []string{"dashboard"}
	b.add("GET /{$}", &Operation{OperationID: "dashboard", Tags: tag, Security: public(), Summary: "The web dashboard",
		Description: "A single page; it asks for a team API key, keeps it in the browser's sessionStorage and calls this API with it.",
		Responses:   map[string]*Response{"200": {Description: "HTML.", Content: map[string]MediaType{"text/html": {Schema: str()}}}}})
	b.add("GET /ui/{file...}", &Operation{OperationID: "dashboardAsset", Tags: tag, Security: public(), Summary: "A static file of the dashboard",
		Parameters: []*Parameter{pathParam("file", "file name, e.g. app.js", str())},
		Responses: map[string]*Response{"200": {Description: "The file.", Content: map[string]MediaType{"text/css": {Schema: str()}, "text/javascript": {Schema: str()}}},
			"404": text("No such file.")}})
}

func merge(a, b map[string]*Response) map[string]*Response {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func sortedStrings(xs []string) []string {
	out := append([]string(nil), xs...)
	slices.Sort(out)
	return out
}
