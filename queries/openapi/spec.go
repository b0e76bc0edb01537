package openapi

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/queries/analytics"
)

// Version is the API version the document states.
const Version = "1.0.0"

// Security scheme names.
const (
	TeamKey    = "teamKey"
	AdminToken = "adminToken"
)

var (
	specOnce sync.Once
	spec     *Document
)

// Spec returns the whole document: every operation Omnistream can serve.
// It is built once; callers must not modify it.
func Spec() *Document {
	specOnce.Do(func() { spec = build() })
	return spec
}

// builder accumulates the document.
type builder struct {
	doc *Document
	r   *reflector
	ids map[string]bool
}

func build() *Document {
	b := &builder{r: newReflector(), ids: map[string]bool{}}
	b.r.special[reflect.TypeFor[analytics.Date]()] = func() *Schema {
		return &Schema{Type: "string", Format: "date", Description: "a calendar day YYYY-MM-DD in the team's time zone"}
	}
	b.r.special[reflect.TypeFor[event.Time]()] = func() *Schema {
		return &Schema{Type: "string", Format: "date-time"}
	}
	b.doc = &Document{
		OpenAPI: "3.1.0",
		Info: Info{Title: "Omnistream API", Version: Version, Description: `Reports, customers, audiences and ingest of Omnistream.

Every /v1 route except the admin routes acts on the team of the API key in
"Authorization: Bearer <team API key>"; no parameter, path or body can name
another team. Dates are calendar days YYYY-MM-DD in the team's time zone,
both ends inclusive. A rate is a fraction from 0 to 1, or null when its
denominator is 0 or its numerator cannot be tracked: never 0 for "unknown".
Errors answer {"error": message, "parameter": the offending parameter} with
400 for a bad parameter, 401 without a valid key, 404 for an id the team
does not have, 503 with Retry-After when a store is unavailable.`},
		Servers:  []Server{{URL: "/", Description: "this Omnistream process"}},
		Security: []Requirement{{TeamKey: {}}},
		Paths:    map[string]PathItem{},
		Components: Components{
			Schemas: b.r.schemas,
			SecuritySchemes: map[string]*SecurityScheme{
				TeamKey:    {Type: "http", Scheme: "bearer", BearerFormat: "osk_…", Description: "A team API key: every request acts on that team only."},
				AdminToken: {Type: "http", Scheme: "bearer", Description: "The admin token of the deployment (omnistream run -admin-token): team creation, channels, credentials and keys."},
			},
			Responses: map[string]*Response{},
		},
	}
	b.components()
	b.tags()
	b.ingest()
	b.reports()
	b.analytics()
	b.customers()
	b.audiences()
	b.syncs()
	b.settings()
	b.exports()
	b.admin()
	b.operations()
	b.dashboard()
	b.finish()
	return b.doc
}

// add documents the operation served by the mux pattern.
func (b *builder) add(pattern string, op *Operation) {
	method, path, err := PathOf(pattern)
	if err != nil || method == "" {
		panic(fmt.Sprintf("openapi: pattern %q: %v", pattern, err))
	}
	if b.ids[op.OperationID] {
		panic("openapi: duplicate operationId " + op.OperationID)
	}
	b.ids[op.OperationID] = true
	for _, p := range op.Parameters {
		if p.In == "path" && !strings.Contains(path, "{"+p.Name+"}") {
			panic(fmt.Sprintf("openapi: %s: path parameter %s is not in the path", pattern, p.Name))
		}
	}
	item := b.doc.Paths[path]
	if item == nil {
		item = PathItem{}
		b.doc.Paths[path] = item
	}
	if item[method] != nil {
		panic("openapi: documented twice: " + pattern)
	}
	item[method] = op
}

// finish sorts lists for a stable document.
func (b *builder) finish() {
	for _, s := range b.r.schemas {
		sort.Strings(s.Required)
	}
}

func (b *builder) tags() {
	b.doc.Tags = []Tag{
		{Name: "reports", Description: "Broadcast, journey, tag, OmniLink, contacts, omni-customer, keyword, rich-menu and cart-remarketing reports (PRODUCT.md §4)."},
		{Name: "customers", Description: "The omni-customer 360° view."},
		{Name: "audiences", Description: "Audiences: saved conditions on one channel, their size and members."},
		{Name: "audience-syncs", Description: "Syncing audiences to Meta and LINE ad platforms, once or on a schedule."},
		{Name: "ingest", Description: "Events in: the canonical API, native webhooks, the click redirector and the website pixel."},
		{Name: "admin", Description: "Deployment administration with the admin token."},
		{Name: "operations", Description: "Health, readiness, metrics and this document."},
		{Name: "dashboard", Description: "The web dashboard (HTML, CSS and JavaScript)."},
	}
}

// components are the shared schemas and error answers.
func (b *builder) components() {
	s := b.r.schemas
	s["Error"] = &Schema{Type: "object", Required: []string{"error"},
		Description: "An error. parameter names the request parameter (query, path, header or \"body\") at fault when there is one; the audience API lists body problems in fields, the sync API in problems.",
		Properties: map[string]*Schema{
			"error":     {Type: "string", Description: "what went wrong, for people"},
			"parameter": {Type: "string", Description: "the parameter at fault; empty or absent when none is"},
			"fields": {Type: "array", Items: &Schema{Type: "object", Required: []string{"field", "message"}, Properties: map[string]*Schema{
				"field": {Type: "string", Description: "path of the body field, e.g. conditions[2].n"}, "message": {Type: "string"}}}},
			"problems": {Type: "array", Items: &Schema{Type: "string"}},
		}}
	errResp := func(desc string) *Response {
		return &Response{Description: desc, Content: map[string]MediaType{"application/json": {Schema: ref("Error")}}}
	}
	r := b.doc.Components.Responses
	r["BadRequest"] = errResp("A parameter is invalid; parameter names it.")
	r["Unauthorized"] = errResp("No valid credentials: send Authorization: Bearer <key>.")
	r["NotFound"] = errResp("The team has no such object.")
	r["Conflict"] = errResp("The object's state does not allow this change (edited meanwhile, archived, in use).")
	r["Timeout"] = errResp("The query took too long; narrow the range or retry.")
	r["Unavailable"] = &Response{Description: "A store is unavailable; retry after Retry-After seconds.",
		Headers: map[string]*Header{"Retry-After": {Description: "seconds to wait", Schema: &Schema{Type: "integer"}}},
		Content: map[string]MediaType{"application/json": {Schema: ref("Error")}}}
	r["Internal"] = errResp("An unexpected failure; it is logged.")
}

// Helpers used by the operation files.

func errs(codes ...string) map[string]*Response {
	out := map[string]*Response{}
	for _, c := range codes {
		name := map[string]string{"400": "BadRequest", "401": "Unauthorized", "404": "NotFound", "409": "Conflict",
			"500": "Internal", "503": "Unavailable", "504": "Timeout"}[c]
		if name == "" {
			panic("openapi: no shared response for " + c)
		}
		out[c] = &Response{Ref: "#/components/responses/" + name}
	}
	return out
}

// ok returns the responses: code with a JSON body of schema s, plus the
// shared error answers.
func ok(code string, desc string, s *Schema, errCodes ...string) map[string]*Response {
	out := errs(errCodes...)
	out[code] = &Response{Description: desc, Content: map[string]MediaType{"application/json": {Schema: s}}}
	return out
}

func jsonBody(desc string, s *Schema) *RequestBody {
	return &RequestBody{Description: desc, Required: true, Content: map[string]MediaType{"application/json": {Schema: s}}}
}

func pathParam(name, desc string, s *Schema) *Parameter {
	return &Parameter{Name: name, In: "path", Required: true, Description: desc, Schema: s}
}

func queryParam(name, desc string, s *Schema) *Parameter {
	return &Parameter{Name: name, In: "query", Description: desc, Schema: s}
}

// repeated is a query parameter given once per value (name=a&name=b).
func repeated(name, desc string, item *Schema, most int) *Parameter {
	return &Parameter{Name: name, In: "query", Description: desc, Style: "form", Explode: ptr(true),
		Schema: &Schema{Type: "array", Items: item, MaxItems: ptr(most)}}
}

// commaList is a query parameter holding comma-separated values.
func commaList(name, desc string, item *Schema) *Parameter {
	return &Parameter{Name: name, In: "query", Description: desc, Style: "form", Explode: ptr(false),
		Schema: &Schema{Type: "array", Items: item}}
}

func str() *Schema { return &Schema{Type: "string"} }
func strN(min, max int) *Schema {
	return &Schema{Type: "string", MinLength: ptr(min), MaxLength: ptr(max)}
}
func integer(min, max int) *Schema {
	return &Schema{Type: "integer", Minimum: ptr(float64(min)), Maximum: ptr(float64(max))}
}
func enum(values ...string) *Schema {
	s := &Schema{Type: "string"}
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

func object(required []string, props map[string]*Schema) *Schema {
	sort.Strings(required)
	return &Schema{Type: "object", Required: required, Properties: props}
}

func withDefault(s *Schema, v any) *Schema { s.Default = v; return s }

func describe(s *Schema, desc string) *Schema { s.Description = desc; return s }

func team() *[]Requirement  { return &[]Requirement{{TeamKey: {}}} }
func admin() *[]Requirement { return &[]Requirement{{AdminToken: {}}} }
func public() *[]Requirement {
	none := []Requirement{}
	return &none
}

// ChannelTypes are the channel types of the platform.
var ChannelTypes = []string{"line", "facebook", "instagram", "whatsapp", "web", "wechat", "sms"}

func channelType() *Schema { return enum(ChannelTypes...) }
