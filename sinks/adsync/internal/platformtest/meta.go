// Package platformtest holds fakes of the ad platforms Omnistream syncs
// audiences to, for tests only: httptest servers that enforce the documented
// contract of Meta's Graph API (customer-file Custom Audience uploads and the
// Conversions API), of the LINE Messaging API audience upload, and of the
// LINE Ads API custom audience upload with its JWS request signature.
//
// Requests enter as real HTTP from the clients under test; a request that
// breaks the contract (too many rows, a wrong schema, a batch out of
// sequence, a bad token or signature, an unhashed value) is answered with
// the platform's documented error shape, and recorded, so tests can assert
// on what was sent. Failures can be queued (rate limits, server errors,
// expired tokens) to test retries.
package platformtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

// Failure is a canned answer the next requests get instead of the real one.
type Failure struct {
	Status int
	Body   string
	Header map[string]string
}

// MetaRateLimited is Graph's answer to a throttled call (code 17).
var MetaRateLimited = Failure{Status: http.StatusBadRequest,
	Body: `{"error":{"message":"(#17) User request limit reached","type":"OAuthException","is_transient":true,"code":17,"error_subcode":2446079,"fbtrace_id":"FAKE"}}`}

// MetaTooManyRequests is an HTTP 429 with Retry-After.
var MetaTooManyRequests = Failure{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "0"},
	Body: `{"error":{"message":"(#80003) There have been too many calls to this ad-account.","type":"OAuthException","code":80003,"fbtrace_id":"FAKE"}}`}

// MetaServerError is a transient 503.
var MetaServerError = Failure{Status: http.StatusServiceUnavailable,
	Body: `{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"FAKE"}}`}

// MetaRequest is one request the fake received.
type MetaRequest struct {
	Method     string
	Edge       string // users, usersreplace, events
	ObjectID   string // audience or pixel id
	Rows       int
	Schema     []string
	SessionID  int64
	BatchSeq   int
	Last       bool
	Total      int
	Status     int
	ErrorCode  int
	Subcode    int
	EventCount int
}

type metaSession struct {
	audience string
	replace  bool
	schema   []string
	lastSeq  int
	done     bool
	received int
	staged   map[string]bool
}

// Meta is a fake Graph API.
type Meta struct {
	URL string

	mu        sync.Mutex
	tokens    map[string]string // token → "" valid, or why it is not
	audiences map[string]map[string]bool
	pixels    map[string][]map[string]any
	sessions  map[int64]*metaSession
	failures  []Failure
	requests  []MetaRequest
	// Delay is slept inside every request, to widen race windows.
	Delay time.Duration
	// Unmatchable are hashes Meta counts as invalid entries although they
	// are well-formed, as it does for data it cannot decode.
	Unmatchable map[string]bool
}

// NewMeta starts a fake Graph API for the test.
func NewMeta(t testing.TB) *Meta {
	m := &Meta{
		tokens: map[string]string{}, audiences: map[string]map[string]bool{},
		pixels: map[string][]map[string]any{}, sessions: map[int64]*metaSession{},
	}
	srv := httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

// AddToken makes token valid.
func (m *Meta) AddToken(token string) { m.mu.Lock(); m.tokens[token] = ""; m.mu.Unlock() }

// ExpireToken makes token answer OAuthException 190 from now on.
func (m *Meta) ExpireToken(token string) {
	m.mu.Lock()
	m.tokens[token] = "Error validating access token: Session has expired on Thursday, 05-Jan-23 10:00:00 PST."
	m.mu.Unlock()
}

// AddAudience creates an empty customer-file audience.
func (m *Meta) AddAudience(id string) {
	m.mu.Lock()
	m.audiences[id] = map[string]bool{}
	m.mu.Unlock()
}

// AddPixel creates a pixel (dataset) that accepts events.
func (m *Meta) AddPixel(id string) { m.mu.Lock(); m.pixels[id] = nil; m.mu.Unlock() }

// FailNext makes the next n requests answer f.
func (m *Meta) FailNext(n int, f Failure) {
	m.mu.Lock()
	for range n {
		m.failures = append(m.failures, f)
	}
	m.mu.Unlock()
}

// Members returns the audience's members as "emailhash|phonehash" keys.
func (m *Meta) Members(audience string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.audiences[audience] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Events returns the events a pixel received.
func (m *Meta) Events(pixel string) []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.pixels[pixel])
}

// Requests returns the requests received so far.
func (m *Meta) Requests() []MetaRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.requests)
}

var (
	versionRe = regexp.MustCompile(`^/v\d+\.\d+/([^/]+)/(users|usersreplace|events)$`)
	hashRe    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	metaKeys  = map[string]bool{"EMAIL": true, "PHONE": true, "EMAIL_SHA256": true, "PHONE_SHA256": true,
		"FN": true, "LN": true, "EXTERN_ID": true, "MADID": true, "COUNTRY": true, "ZIP": true}
)

type graphError struct {
	status  int
	code    int
	subcode int
	typ     string
	msg     string
}

func (m *Meta) fail(w http.ResponseWriter, rec *MetaRequest, e graphError) {
	if e.typ == "" {
		e.typ = "OAuthException"
	}
	rec.Status, rec.ErrorCode, rec.Subcode = e.status, e.code, e.subcode
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": e.msg, "type": e.typ, "code": e.code, "error_subcode": e.subcode, "fbtrace_id": "FAKE",
	}})
	w.Write(b)
}

func (m *Meta) serve(w http.ResponseWriter, r *http.Request) {
	if m.Delay > 0 {
		time.Sleep(m.Delay)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := MetaRequest{Method: r.Method}
	defer func() { m.requests = append(m.requests, rec) }()
	match := versionRe.FindStringSubmatch(r.URL.Path)
	if match == nil {
		m.fail(w, &rec, graphError{status: 400, code: 100, msg: "Unknown path components: " + r.URL.Path})
		return
	}
	rec.ObjectID, rec.Edge = match[1], match[2]
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		m.fail(w, &rec, graphError{status: 400, code: 100, msg: "the fake expects form-encoded parameters, got " + ct})
		return
	}
	if err := parseForm(r); err != nil {
		m.fail(w, &rec, graphError{status: 400, code: 100, msg: "cannot parse parameters: " + err.Error()})
		return
	}
	if len(m.failures) > 0 {
		f := m.failures[0]
		m.failures = m.failures[1:]
		for k, v := range f.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
		rec.Status = f.Status
		return
	}
	token := r.PostForm.Get("access_token")
	why, known := m.tokens[token]
	switch {
	case token == "" || !known:
		m.fail(w, &rec, graphError{status: 400, code: 190, msg: "Invalid OAuth access token - Cannot parse access token"})
		return
	case why != "":
		m.fail(w, &rec, graphError{status: 400, code: 190, subcode: 463, msg: why})
		return
	}
	if rec.Edge == "events" {
		m.events(w, r, &rec)
		return
	}
	m.users(w, r, &rec)
}

func (m *Meta) users(w http.ResponseWriter, r *http.Request, rec *MetaRequest) {
	members, ok := m.audiences[rec.ObjectID]
	if !ok {
		m.fail(w, rec, graphError{status: 400, code: 100, subcode: 33, typ: "GraphMethodException",
			msg: fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist", rec.ObjectID)})
		return
	}
	replace := rec.Edge == "usersreplace"
	if replace && r.Method != http.MethodPost || !replace && r.Method != http.MethodPost && r.Method != http.MethodDelete {
		m.fail(w, rec, graphError{status: 400, code: 100, msg: "unsupported method " + r.Method})
		return
	}
	var payload struct {
		Schema json.RawMessage   `json:"schema"`
		Data   []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &payload); err != nil || payload.Schema == nil {
		m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) param payload must be a JSON object with schema and data"})
		return
	}
	var schema []string
	if json.Unmarshal(payload.Schema, &schema) != nil {
		var one string
		if json.Unmarshal(payload.Schema, &one) != nil {
			m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) payload.schema must be a key or an array of keys"})
			return
		}
		schema = []string{one}
	}
	for _, k := range schema {
		if !metaKeys[k] {
			m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) unknown schema key " + k})
			return
		}
	}
	rec.Schema, rec.Rows = schema, len(payload.Data)
	if len(payload.Data) == 0 {
		m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) payload.data must not be empty"})
		return
	}
	if len(payload.Data) > 10000 {
		m.fail(w, rec, graphError{status: 400, code: 100, subcode: 1870054,
			msg: fmt.Sprintf("(#100) You can add at most 10000 users at a time, got %d", len(payload.Data))})
		return
	}

	// The session: required to add or replace, numbered from 1, in order.
	var sess *metaSession
	if r.Method == http.MethodPost {
		var s struct {
			SessionID int64 `json:"session_id"`
			BatchSeq  int   `json:"batch_seq"`
			Last      *bool `json:"last_batch_flag"`
			Total     int   `json:"estimated_num_total"`
		}
		if err := json.Unmarshal([]byte(r.PostForm.Get("session")), &s); err != nil || s.SessionID <= 0 || s.BatchSeq < 1 || s.Last == nil {
			m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) param session must have a positive session_id, batch_seq from 1 and last_batch_flag"})
			return
		}
		rec.SessionID, rec.BatchSeq, rec.Last, rec.Total = s.SessionID, s.BatchSeq, *s.Last, s.Total
		sess = m.sessions[s.SessionID]
		switch {
		case s.BatchSeq == 1 && sess != nil:
			m.fail(w, rec, graphError{status: 400, code: 2650, subcode: 1870147, msg: "Invalid Upload Batch for Replace: batch 1 sent twice"})
			return
		case s.BatchSeq == 1:
			for _, other := range m.sessions {
				if other.audience == rec.ObjectID && other.replace && !other.done {
					m.fail(w, rec, graphError{status: 400, code: 2650, subcode: 1870145, msg: "Audience Update In Progress"})
					return
				}
			}
			sess = &metaSession{audience: rec.ObjectID, replace: replace, schema: schema, staged: map[string]bool{}}
			m.sessions[s.SessionID] = sess
		case sess == nil:
			m.fail(w, rec, graphError{status: 400, code: 2650, subcode: 1870147, msg: "Invalid Upload Batch for Replace: the first batch_seq was not detected"})
			return
		case sess.done:
			m.fail(w, rec, graphError{status: 400, code: 2650, subcode: 1870159, msg: "Replace Session Finished"})
			return
		case s.BatchSeq != sess.lastSeq+1 && s.BatchSeq != sess.lastSeq:
			m.fail(w, rec, graphError{status: 400, code: 100, msg: fmt.Sprintf("(#100) batch_seq %d out of sequence after %d", s.BatchSeq, sess.lastSeq)})
			return
		case sess.audience != rec.ObjectID || sess.replace != replace:
			m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) session belongs to another audience or operation"})
			return
		case !slices.Equal(sess.schema, schema):
			m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) the schema of a session cannot change between batches"})
			return
		}
		sess.lastSeq = s.BatchSeq
		sess.done = *s.Last
	}

	invalid, received := 0, 0
	var samples []string
	for _, raw := range payload.Data {
		var vals []string
		if json.Unmarshal(raw, &vals) != nil {
			var one string
			if json.Unmarshal(raw, &one) != nil || len(schema) != 1 {
				invalid++
				samples = appendSample(samples, string(raw))
				continue
			}
			vals = []string{one}
		}
		if len(vals) != len(schema) {
			invalid++
			samples = appendSample(samples, string(raw))
			continue
		}
		ok, any := true, false
		for i, v := range vals {
			if (schema[i] == "EMAIL" || schema[i] == "PHONE" || strings.HasSuffix(schema[i], "_SHA256")) && v != "" {
				if !hashRe.MatchString(v) || m.Unmatchable[v] {
					ok = false
				}
				any = true
			}
		}
		if !ok || !any {
			invalid++
			samples = appendSample(samples, strings.Join(vals, ","))
			continue
		}
		received++
		key := strings.Join(vals, "|")
		switch {
		case sess != nil && sess.replace:
			sess.staged[key] = true
		case r.Method == http.MethodDelete:
			delete(members, key)
		default:
			members[key] = true
		}
	}
	answer := map[string]any{"audience_id": rec.ObjectID, "num_invalid_entries": invalid, "invalid_entry_samples": samples}
	if sess != nil {
		sess.received += received
		answer["session_id"] = rec.SessionID
		answer["num_received"] = sess.received
		if sess.replace && sess.done {
			m.audiences[rec.ObjectID] = sess.staged
		}
	} else {
		answer["num_received"] = received
	}
	rec.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(answer)
	w.Write(b)
}

// parseForm parses a form body for every method: Graph reads the
// parameters of a DELETE from its body too, as net/http does not.
func parseForm(r *http.Request) error {
	if r.Method != http.MethodDelete {
		return r.ParseForm()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return err
	}
	r.PostForm, err = url.ParseQuery(string(body))
	return err
}

func appendSample(s []string, v string) []string {
	if len(s) < 100 {
		s = append(s, v)
	}
	return s
}

var actionSources = map[string]bool{"email": true, "website": true, "app": true, "phone_call": true, "chat": true,
	"physical_store": true, "system_generated": true, "business_messaging": true, "other": true}

func (m *Meta) events(w http.ResponseWriter, r *http.Request, rec *MetaRequest) {
	if _, ok := m.pixels[rec.ObjectID]; !ok || r.Method != http.MethodPost {
		m.fail(w, rec, graphError{status: 400, code: 100, subcode: 33, typ: "GraphMethodException",
			msg: fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist", rec.ObjectID)})
		return
	}
	var data []map[string]any
	if err := json.Unmarshal([]byte(r.PostForm.Get("data")), &data); err != nil || len(data) == 0 {
		m.fail(w, rec, graphError{status: 400, code: 100, msg: "(#100) param data must be a non-empty array of events"})
		return
	}
	rec.EventCount = len(data)
	if len(data) > 1000 {
		m.fail(w, rec, graphError{status: 400, code: 100, msg: fmt.Sprintf("(#100) at most 1000 events per request, got %d", len(data))})
		return
	}
	now := time.Now().Unix()
	for i, e := range data {
		name, _ := e["event_name"].(string)
		src, _ := e["action_source"].(string)
		at, _ := e["event_time"].(json.Number)
		ts, err := strconv.ParseInt(string(at), 10, 64)
		if f, ok := e["event_time"].(float64); ok {
			ts, err = int64(f), nil
		}
		why := ""
		switch {
		case name == "":
			why = "event_name is required"
		case err != nil || ts <= 0:
			why = "event_time must be a Unix time in seconds"
		case ts < now-7*24*3600:
			why = "event_time is more than 7 days in the past"
		case ts > now+60:
			why = "event_time is in the future"
		case !actionSources[src]:
			why = "action_source is not one of the documented values"
		}
		ud, _ := e["user_data"].(map[string]any)
		if why == "" {
			why = checkUserData(ud)
		}
		if why != "" {
			m.fail(w, rec, graphError{status: 400, code: 100, subcode: 2804003, msg: fmt.Sprintf("(#100) Invalid parameter: event %d: %s", i, why)})
			return
		}
	}
	m.pixels[rec.ObjectID] = append(m.pixels[rec.ObjectID], data...)
	rec.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"events_received":%d,"messages":[],"fbtrace_id":"FAKE"}`, len(data))
}

func checkUserData(ud map[string]any) string {
	if ud == nil {
		return "user_data is required"
	}
	ids := 0
	for _, k := range []string{"em", "ph"} {
		list, _ := ud[k].([]any)
		for _, v := range list {
			s, _ := v.(string)
			if !hashRe.MatchString(s) {
				return k + " must be hashed with SHA-256 after normalization"
			}
			ids++
		}
	}
	if list, _ := ud["external_id"].([]any); len(list) > 0 {
		ids++
	}
	if ud["page_scoped_user_id"] != nil {
		if ud["page_id"] == nil {
			return "page_scoped_user_id needs page_id"
		}
		ids++
	}
	if ids == 0 {
		return "user_data has no customer information parameter"
	}
	return ""
}
