package openapi

import (
	"mime"
	"slices"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/queries/export"
)

func (b *builder) settings() {
	r := b.r
	r.fields["teams.Settings.timezone"] = func(s *Schema) { s.Description = "IANA time zone of every report date" }
	r.fields["teams.Settings.region"] = func(s *Schema) {
		s.Description = "ISO 3166 alpha-2: phone country codes and WhatsApp rates"
		s.Pattern = "^[A-Z]{2}$"
	}
	r.fields["teams.Settings.currency"] = func(s *Schema) { s.Description = "ISO 4217 currency of rates"; s.Pattern = "^[A-Z]{3}$" }
	r.fields["teams.Settings.week_start"] = func(s *Schema) {
		s.Description = "first day of report weeks: 0 Sunday … 6 Saturday"
		s.Minimum, s.Maximum = ptr(0.0), ptr(6.0)
	}
	r.fields["teams.Settings.rates"] = func(s *Schema) {
		s.Description = "per-message cost by channel type, decimal strings in currency; merged per channel on PUT"
	}
	r.fields["teams.Settings.junk"] = func(s *Schema) { s.Description = "extra identifier values never used for merging" }
	set := r.component(teams.Settings{})
	tag := []string{"settings"}
	b.doc.Tags = append(b.doc.Tags, Tag{Name: "settings", Description: "The team's own settings: time zone, region, currency, message-cost rates, junk identifiers."})
	b.add("GET /v1/settings", &Operation{OperationID: "getSettings", Tags: tag, Security: team(), Summary: "The team's settings",
		Responses: ok("200", "The settings.", set, "401")})
	in := &Schema{Type: "object", Properties: r.schemas["teams.Settings"].Properties,
		Description: "the settings to change; absent ones are kept. Unknown fields are refused."}
	b.add("PUT /v1/settings", &Operation{OperationID: "putSettings", Tags: tag, Security: team(), Summary: "Change the team's settings",
		RequestBody: jsonBody("settings to change", in),
		Responses:   ok("200", "The settings now.", set, "400", "401", "503")})
}

func (b *builder) exports() {
	r := b.r
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range export.Kinds {
			if !yield(k) {
				return
			}
		}
	})
	formats := []string{export.CSV, export.Parquet, export.Arrow}
	r.fields["export.Job.kind"] = func(s *Schema) { s.Enum = anys(kinds) }
	r.fields["export.Job.format"] = func(s *Schema) { s.Enum = anys(formats) }
	r.fields["export.Job.status"] = func(s *Schema) { s.Enum = anys([]string{"queued", "running", "done", "failed"}) }
	job := r.component(export.Job{})
	tag := []string{"exports"}
	b.doc.Tags = append(b.doc.Tags, Tag{Name: "exports", Description: "Reports and lists as CSV (UTF-8 with BOM, English or Traditional Chinese headers), Parquet or Arrow IPC; streamed, or as jobs with progress."})
	files := map[string]MediaType{}
	for _, f := range formats {
		mt, _, _ := mime.ParseMediaType(export.ContentType[f])
		files[mt] = MediaType{Schema: &Schema{Type: "string", Format: "binary"}}
	}
	rules := "A broadcast export needs a date range and exactly one channel; an OmniLink export a range shorter than 90 days; a cart-order export at most 31 days. A refused request names the rule (parameter range)."
	opts := map[string]*Schema{
		"kind":    enum(kinds...),
		"format":  withDefault(enum(formats...), export.CSV),
		"lang":    describe(withDefault(enum("en", "zh-TW"), "en"), "language of the CSV header row"),
		"from":    date("first day (team's time zone)"),
		"to":      date("last day, inclusive"),
		"channel": describe(str(), "channel type (broadcast exports need exactly one)"),
		"id":      describe(str(), "the object exported, e.g. an OmniLink campaign"),
	}
	var params []*Parameter
	for _, n := range []string{"format", "lang", "from", "to", "channel", "id"} {
		params = append(params, queryParam(n, opts[n].Description, opts[n]))
	}
	b.add("GET /v1/exports/{kind}/stream", &Operation{OperationID: "streamExport", Tags: tag, Security: team(),
		Summary: "Stream an export", Description: "The file is written while it is read: nothing is held in memory. " + rules,
		Parameters: append([]*Parameter{pathParam("kind", "what to export", enum(kinds...))}, params...),
		Responses: merge(map[string]*Response{"200": {Description: "The file (Content-Disposition: attachment).", Content: files}},
			errs("400", "401", "500"))})
	b.add("POST /v1/exports", &Operation{OperationID: "createExport", Tags: tag, Security: team(),
		Summary: "Start an export job", Description: "GET /v1/exports/{id} shows rows done and total, then the download URL. " + rules,
		RequestBody: jsonBody("what to export", object([]string{"kind"}, opts)),
		Responses:   ok("202", "The job.", job, "400", "401", "500")})
	b.add("GET /v1/exports/{id}", &Operation{OperationID: "getExport", Tags: tag, Security: team(), Summary: "An export job's progress",
		Parameters: []*Parameter{pathParam("id", "the job id", str())},
		Responses:  ok("200", "The job.", job, "401", "404")})
	b.add("GET /v1/exports/{id}/download", &Operation{OperationID: "downloadExport", Tags: tag, Security: team(), Summary: "Download a finished export",
		Parameters: []*Parameter{pathParam("id", "the job id", str())},
		Responses: merge(map[string]*Response{"200": {Description: "The file.", Content: files}},
			errs("401", "404", "409"))})
}
