package app_test

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/demo"
	"github.com/omnistream/omnistream/internal/gen"
	"github.com/omnistream/omnistream/queries/openapi"
)

// teamData is one team loaded with realistic data: generated broadcasts,
// a journey, commerce and tags, plus OmniLink, keyword, rich-menu and
// cart-remarketing events, an audience, a sync schedule and an export.
type teamData struct {
	team, key  string
	gen        gen.Config
	exp        gen.Expected
	from, to   string // a date range (Asia/Taipei) covering every event
	broadcast  string
	journey    string
	campaign   string
	contact    [3]string // channel type, account, user id
	customer   string
	tag        string
	audience   string
	sync       string
	export     string
	events     int
	keyword    string
	menu       string
	memberUser string
}

// loadTeam creates team prefix+"0" in a and loads its data through the
// public API, then waits until every event is in ClickHouse.
func loadTeam(t *testing.T, a *app.App, prefix string) *teamData {
	t.Helper()
	d := &teamData{team: prefix + "0"}
	d.key = createTeam(t, a, d.team)
	cfg := gen.DefaultConfig()
	cfg.TeamPrefix, cfg.Teams, cfg.Contacts, cfg.Broadcasts, cfg.Journeys, cfg.Commerce = prefix, 1, 48, 2, 1, true
	cfg.Start = time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	d.gen = cfg
	d.exp, _ = expected(t, cfg)
	n, err := demo.Post(context.Background(), a.HTTPURL, d.key, cfg, 250, nil)
	if err != nil || n != d.exp.Events {
		t.Fatalf("post %s's events: %d of %d: %v", d.team, n, d.exp.Events, err)
	}
	loc, _ := time.LoadLocation("Asia/Taipei")
	d.from = cfg.Start.Add(-40 * 24 * time.Hour).In(loc).Format(time.DateOnly)
	d.to = time.Now().Add(24 * time.Hour).In(loc).Format(time.DateOnly)
	d.broadcast, d.journey = d.team+"-b0", d.team+"-j0"
	d.campaign, d.keyword, d.menu, d.tag = d.team+"-spring", d.team+"-greeting", d.team+"-menu", d.team+"-gold"
	u := func(i int) string { return fmt.Sprintf("%s-u%05d", d.team, i) }
	d.contact = [3]string{"line", "line-oa-1", u(0)}
	at := cfg.Start.Add(30 * time.Minute)
	ts := func(m int) string { return at.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	var lines []string
	ev := func(id, typ string, m int, ch, chID, user, src string, props string) {
		e := fmt.Sprintf(`{"event_id":"%s-x-%s","type":%q,"ts":%q,"channel":{"type":%q,"id":%q},"contact":{"channel_user_id":%q}`,
			d.team, id, typ, ts(m), ch, chID, user)
		if src != "" {
			e += `,"source":` + src
		}
		if props != "" {
			e += `,"props":` + props
		}
		lines = append(lines, e+"}")
	}
	camp := fmt.Sprintf(`"campaign":%q`, d.campaign)
	ev("ol1", "omnilink.clicked", 1, "line", "line-oa-1", u(0), `{"kind":"omnilink","id":"`+d.campaign+`"}`, "{"+camp+"}")
	ev("ol2", "omnilink.succeeded", 3, "line", "line-oa-1", u(0), `{"kind":"omnilink","id":"`+d.campaign+`"}`,
		fmt.Sprintf(`{%s,"target":{"channel":{"type":"facebook","id":"fb-page-1"},"channel_user_id":%q}}`, camp, u(1)))
	ev("ol3", "omnilink.clicked", 2, "instagram", "ig-1", u(2), `{"kind":"omnilink","id":"`+d.campaign+`"}`, "{"+camp+"}")
	ev("ol4", "omnilink.failed", 4, "instagram", "ig-1", u(2), `{"kind":"omnilink","id":"`+d.campaign+`"}`, "{"+camp+`,"reason":"target_contact_not_found"}`)
	ev("ol5", "omnilink.clicked", 5, "whatsapp", "wa-886900000000", u(3), `{"kind":"omnilink","id":"`+d.campaign+`"}`, "{"+camp+"}")
	ev("kw1", "keyword.triggered", 6, "line", "line-oa-1", u(0), `{"kind":"keyword_reply","id":"`+d.keyword+`"}`, `{"group":"`+d.keyword+`","condition":"hello"}`)
	ev("kw2", "keyword.triggered", 7, "line", "line-oa-1", u(4), `{"kind":"keyword_reply","id":"`+d.keyword+`"}`, `{"group":"`+d.keyword+`","condition":"price"}`)
	ev("rm1", "richmenu.clicked", 8, "line", "line-oa-1", u(0), `{"kind":"richmenu","id":"`+d.menu+`"}`, `{"area":"A"}`)
	ev("ct1", "message.sent", 9, "line", "line-oa-1", u(0), `{"kind":"cart_remarketing","id":"`+d.team+`-cart"}`, `{"message_kind":"text_buttons"}`)
	ev("ct2", "button.clicked", 20, "line", "line-oa-1", u(0), `{"kind":"cart_remarketing","id":"`+d.team+`-cart"}`, `{"button_kind":"url","button_id":"buy","url":"https://shop.example/cart"}`)
	ev("ct3", "order.placed", 40, "line", "line-oa-1", u(0), `{"kind":"pixel","id":"shop"}`, `{"order_id":"`+d.team+`-o1","amount":1250,"currency":"TWD"}`)
	ev("tg1", "tag.added", 41, "line", "line-oa-1", u(0), `{"kind":"manual","id":"staff-1"}`, `{"tag":"`+d.tag+`"}`)
	postRaw(t, a.HTTPURL, d.key, strings.Join(lines, "\n"), http.StatusAccepted)
	d.events = d.exp.Events + len(lines)
	waitCount(t, a, d.team, uint64(d.events))

	// The contact's customer, an audience, a sync schedule, an export job.
	var c struct {
		CustomerID string `json:"customer_id"`
	}
	waitJSON(t, a.HTTPURL, d.key, "/v1/contacts/"+strings.Join(d.contact[:], "/"), &c)
	d.customer = c.CustomerID
	var aud struct{ ID string }
	call(t, a.HTTPURL, d.key, http.MethodPost, "/v1/audiences",
		`{"name":"VIP on LINE","channel":{"type":"line","id":"line-oa-1"},"conditions":[{"field":"tags","op":"has_any","values":["vip"]}]}`, http.StatusCreated, &aud)
	d.audience = aud.ID
	var sc struct{ ID string }
	call(t, a.HTTPURL, d.key, http.MethodPost, "/v1/audience-syncs",
		`{"audience_id":"`+d.audience+`","name":"to Meta","target":{"platform":"meta_custom_audience","account":"act_1","audience_id":"6001"},"kind":"once","start_at":"2099-01-01T00:00:00Z"}`,
		http.StatusCreated, &sc)
	d.sync = sc.ID
	var job struct{ ID string }
	call(t, a.HTTPURL, d.key, http.MethodPost, "/v1/exports", `{"kind":"events","format":"csv","from":"`+d.from+`","to":"`+d.to+`"}`, http.StatusAccepted, &job)
	d.export = job.ID
	return d
}

// call sends a request and decodes a JSON answer of status want into out.
func call(t *testing.T, base, key, method, path, body string, want int, out any) []byte {
	t.Helper()
	code, b := do(t, base, key, method, path, body)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

func do(t *testing.T, base, key, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// waitJSON polls a GET until it answers 200 (the identity map lags the
// events table by a flush).
func waitJSON(t *testing.T, base, key, path string, out any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b := do(t, base, key, http.MethodGet, path, "")
		if code == http.StatusOK {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: status %d: %s", path, code, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// contract is the served document and what the checks need of it.
type contract struct {
	t    *testing.T
	doc  openapi.Doc
	base string
	key  string
}

func fetchDoc(t *testing.T, base string) openapi.Doc {
	t.Helper()
	code, b := do(t, base, "", http.MethodGet, "/v1/openapi.json", "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d %s", code, b)
	}
	doc, err := openapi.ParseDoc(b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// params of a documented operation, references resolved.
func (c *contract) params(op map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func schemaOf(p map[string]any) map[string]any {
	s, _ := p["schema"].(map[string]any)
	return s
}

// check sends a request and validates the answer against the document:
// the status is documented, the content type is one documented for it,
// and a JSON body matches the documented schema. It returns the status
// and the decoded body.
func (c *contract) check(method, docPath, path string, q url.Values) (int, any) {
	c.t.Helper()
	u := path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(method, c.base+u, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	op := c.doc.Operation(method, docPath)
	if op == nil {
		c.t.Fatalf("%s %s is not documented", method, docPath)
	}
	resps, _ := op["responses"].(map[string]any)
	if _, ok := resps[fmt.Sprint(res.StatusCode)]; !ok {
		c.t.Errorf("%s %s: status %d is not documented (%s)", method, u, res.StatusCode, trim(body))
		return res.StatusCode, nil
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if r, ok := resps[fmt.Sprint(res.StatusCode)].(map[string]any); ok && len(body) > 0 {
		if ref, ok := r["$ref"].(string); ok {
			name := ref[strings.LastIndex(ref, "/")+1:]
			r = c.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
		}
		content, _ := r["content"].(map[string]any)
		if _, ok := content[mt]; !ok && content != nil {
			c.t.Errorf("%s %s: content type %q is not documented for %d", method, u, mt, res.StatusCode)
		}
	}
	if mt != "application/json" {
		return res.StatusCode, nil
	}
	v, err := openapi.DecodeJSON(body)
	if err != nil {
		c.t.Errorf("%s %s: body is not JSON: %v: %s", method, u, err, trim(body))
		return res.StatusCode, nil
	}
	if schema, ok := c.doc.ResponseSchema(op, res.StatusCode); ok {
		for _, p := range c.doc.Validate(schema, v) {
			c.t.Errorf("%s %s (%d): %s", method, u, res.StatusCode, p)
		}
	}
	return res.StatusCode, v
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestAPIContract checks the implementation against the OpenAPI document
// it serves: every served route is documented and every documented route
// is served; every GET route answers, against realistic data, JSON that
// matches its documented schema (statuses and content types documented
// too); every enum value of a parameter is accepted; and a bad parameter of
// a report route is refused with 400 naming it.
func TestAPIContract(t *testing.T) {
	e := newEnv(t)
	e.cfg.AdminToken = "contract-admin-token"
	a := e.start(t)
	defer a.Close()
	d := loadTeam(t, a, "acme")
	c := &contract{t: t, doc: fetchDoc(t, a.HTTPURL), base: a.HTTPURL, key: d.key}

	// 1. Served routes and documented operations are the same set.
	patterns, err := a.Routes()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, p := range patterns {
		m, path, err := openapi.PathOf(p)
		if err != nil || m == "" {
			t.Errorf("route %q has no method or is not a path pattern: every route names its method", p)
			continue
		}
		served = append(served, strings.ToUpper(m)+" "+path)
	}
	slices.Sort(served)
	documented := openapi.Spec().Operations()
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("served but not documented: %s (describe it in queries/openapi)", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("documented but not served: %s", op)
		}
	}
	var inServedDoc []string
	for path, item := range c.doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			inServedDoc = append(inServedDoc, strings.ToUpper(m)+" "+path)
		}
	}
	slices.Sort(inServedDoc)
	if !slices.Equal(inServedDoc, served) {
		t.Errorf("/v1/openapi.json lists %d operations, the process serves %d", len(inServedDoc), len(served))
	}
	if len(served) < 50 {
		t.Errorf("only %d routes served", len(served))
	}

	// 2. Every GET answers as documented, with the loaded data.
	examples := map[string]string{
		"campaign": d.campaign, "channel_type": d.contact[0], "channel_id": d.contact[1], "user_id": d.contact[2],
		"customer_id": d.customer, "kind": "events", "file": "app.js", "token": "not-a-token", "app": "no-such-app", "number": "no-such-number",
	}
	idOf := map[string]string{
		"/v1/reports/broadcasts/": d.broadcast, "/v1/reports/journeys/": d.journey, "/v1/audiences/": d.audience,
		"/v1/audience-syncs/": d.sync, "/v1/exports/": d.export,
	}
	wantOK := regexp.MustCompile(`^/v1/(reports|customers|contacts|audiences|audience-syncs|settings|exports/\{id\}$|openapi)`)
	templ := regexp.MustCompile(`\{([^}]+)\}`)
	var gets []string
	for _, op := range documented {
		if strings.HasPrefix(op, "GET ") {
			gets = append(gets, strings.TrimPrefix(op, "GET "))
		}
	}
	validCalls := 0
	for _, docPath := range gets {
		path := templ.ReplaceAllStringFunc(docPath, func(m string) string {
			name := m[1 : len(m)-1]
			if name == "id" {
				for prefix, v := range idOf {
					if strings.HasPrefix(docPath, prefix) {
						return url.PathEscape(v)
					}
				}
			}
			if v, ok := examples[name]; ok {
				return url.PathEscape(v)
			}
			t.Errorf("GET %s: no example value for {%s}: add one to the contract test", docPath, name)
			return "x"
		})
		op := c.doc.Operation("GET", docPath)
		q := url.Values{}
		for _, p := range c.params(op) {
			name, in := p["name"].(string), p["in"].(string)
			switch {
			case in != "query":
			case name == "from":
				q.Set("from", d.from)
			case name == "to":
				q.Set("to", d.to)
			case p["required"] == true && name == "state":
				q.Set("state", "delivered")
			case p["required"] == true:
				t.Errorf("GET %s: no example value for the required %s", docPath, name)
			}
		}
		if docPath == "/v1/exports/{id}/download" {
			waitExport(t, a.HTTPURL, d.key, d.export)
		}
		code, _ := c.check("GET", docPath, path, q)
		validCalls++
		if wantOK.MatchString(docPath) && code != http.StatusOK {
			t.Errorf("GET %s?%s: status %d, want 200 with the loaded data", path, q.Encode(), code)
		}
		// Every enum value of every query parameter is accepted.
		for _, p := range c.params(op) {
			name := p["name"].(string)
			s := schemaOf(p)
			enum, _ := s["enum"].([]any)
			if items, ok := s["items"].(map[string]any); ok {
				enum, _ = items["enum"].([]any)
			}
			if p["in"] != "query" || len(enum) == 0 {
				continue
			}
			for _, v := range enum {
				q2 := url.Values{}
				for k, vs := range q {
					q2[k] = vs
				}
				q2.Set(name, fmt.Sprint(v))
				if name == "preset" {
					q2.Del("from")
					q2.Del("to")
				}
				code, body := c.check("GET", docPath, path, q2)
				validCalls++
				if code == http.StatusBadRequest {
					t.Errorf("GET %s: documented %s=%v refused: %v", docPath, name, v, body)
				}
			}
		}
	}
	t.Logf("%d GET calls validated against the document", validCalls)

	// 3. A bad parameter of a report or export route is refused, naming it.
	refusals := 0
	for _, docPath := range gets {
		if !strings.HasPrefix(docPath, "/v1/reports/") && !strings.HasPrefix(docPath, "/v1/exports/") {
			continue
		}
		op := c.doc.Operation("GET", docPath)
		params := c.params(op)
		for _, p := range params {
			name, in := p["name"].(string), p["in"].(string)
			for _, bad := range badValues(p) {
				q := url.Values{}
				path := templ.ReplaceAllStringFunc(docPath, func(m string) string {
					n := m[1 : len(m)-1]
					if in == "path" && n == name {
						return url.PathEscape(bad.value)
					}
					if n == "id" {
						for prefix, v := range idOf {
							if strings.HasPrefix(docPath, prefix) {
								return url.PathEscape(v)
							}
						}
					}
					return url.PathEscape(examples[n])
				})
				if in == "query" {
					q[name] = bad.values()
					// A range needs both ends.
					if name == "from" {
						q.Set("to", d.to)
					}
					if name == "to" {
						q.Set("from", d.from)
					}
				}
				for _, r := range params {
					if r["required"] == true && r["in"] == "query" && r["name"] != name {
						q.Set(r["name"].(string), "delivered")
					}
				}
				code, body := c.check("GET", docPath, path, q)
				refusals++
				got, _ := body.(map[string]any)
				if code != http.StatusBadRequest || got["parameter"] != name {
					t.Errorf("GET %s?%s (%s): status %d, parameter %v; want 400 naming %s", path, q.Encode(), bad.why, code, got["parameter"], name)
				}
			}
		}
		if strings.HasPrefix(docPath, "/v1/reports/") {
			path := templ.ReplaceAllStringFunc(docPath, func(m string) string {
				n := m[1 : len(m)-1]
				for prefix, v := range idOf {
					if n == "id" && strings.HasPrefix(docPath, prefix) {
						return v
					}
				}
				return url.PathEscape(examples[n])
			})
			code, body := c.check("GET", docPath, path, url.Values{"team_id": {"acme0"}})
			refusals++
			if got, _ := body.(map[string]any); code != http.StatusBadRequest || got["parameter"] != "team_id" {
				t.Errorf("GET %s?team_id=…: status %d, %v; want 400 naming the unknown parameter team_id", path, code, body)
			}
		}
	}
	t.Logf("%d bad parameters refused", refusals)
	if refusals < 60 {
		t.Errorf("only %d bad-parameter checks ran", refusals)
	}
}

// bad is a value a parameter must refuse.
type bad struct {
	value  string
	repeat int // send the value this many times (maxItems)
	why    string
}

func (b bad) values() []string {
	n := max(1, b.repeat)
	out := make([]string, n)
	for i := range out {
		out[i] = b.value
	}
	return out
}

// badValues derives refused values from a parameter's documented schema.
func badValues(p map[string]any) []bad {
	s := schemaOf(p)
	var out []bad
	var fromString func(s map[string]any)
	fromString = func(s map[string]any) {
		if _, ok := s["enum"]; ok {
			out = append(out, bad{value: "no-such-value", why: "not in the enum"})
			return
		}
		if s["format"] == "date" {
			out = append(out, bad{value: "2024-02-30", why: "not a date"})
		}
		if pat, ok := s["pattern"].(string); ok && !regexp.MustCompile(pat).MatchString("no-such:value") {
			out = append(out, bad{value: "no-such:value", why: "does not match the pattern"})
		}
		if n, ok := s["maxLength"].(stdjson.Number); ok {
			l, _ := n.Int64()
			out = append(out, bad{value: strings.Repeat("x", int(l)+1), why: "too long"})
		}
	}
	switch s["type"] {
	case "string":
		fromString(s)
		if p["name"] == "cursor" {
			out = append(out, bad{value: "!!not-a-cursor!!", why: "not a cursor"})
		}
	case "integer":
		out = append(out, bad{value: "twelve", why: "not an integer"})
		if n, ok := s["maximum"].(stdjson.Number); ok {
			v, _ := n.Int64()
			out = append(out, bad{value: fmt.Sprint(v + 1), why: "above the maximum"})
		}
		if n, ok := s["minimum"].(stdjson.Number); ok {
			v, _ := n.Int64()
			out = append(out, bad{value: fmt.Sprint(v - 1), why: "below the minimum"})
		}
	case "array":
		items, _ := s["items"].(map[string]any)
		fromString(items)
		if n, ok := s["maxItems"].(stdjson.Number); ok && p["explode"] == true {
			v, _ := n.Int64()
			valid := map[string]string{"channel": "line"}[p["name"].(string)]
			if valid == "" {
				valid = "x"
			}
			out = append(out, bad{value: valid, repeat: int(v) + 1, why: "too many values"})
		}
	}
	return out
}

// waitExport waits until an export job is done.
func waitExport(t *testing.T, base, key, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var j struct{ Status, Error string }
		call(t, base, key, http.MethodGet, "/v1/exports/"+id, "", http.StatusOK, &j)
		if j.Status == "done" {
			return
		}
		if j.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("export %s: %s %s", id, j.Status, j.Error)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
