package platformtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

// LINERateLimited is the Messaging API's answer to a throttled call.
var LINERateLimited = Failure{Status: http.StatusTooManyRequests, Body: `{"message":"The API rate limit has been exceeded. Try again later."}`}

// LINEServerError is a transient 500.
var LINEServerError = Failure{Status: http.StatusInternalServerError, Body: `{"message":"An error occurred in the API server."}`}

// LINERequest is one Messaging API request the fake received.
type LINERequest struct {
	Method          string
	AudienceGroupID int64 // the group created or added to
	IDs             int
	Description     string
	Status          int
	Start, End      time.Time
}

// LINE is a fake LINE Messaging API (audience upload).
type LINE struct {
	URL string
	// Delay is slept inside every request, to widen race windows.
	Delay time.Duration

	mu       sync.Mutex
	tokens   map[string]bool
	groups   map[int64]*lineGroup
	nextID   int64
	failures []Failure
	requests []LINERequest
	inFlight int
	maxIn    int
}

type lineGroup struct {
	description string
	members     map[string]bool
}

// NewLINE starts a fake Messaging API for the test.
func NewLINE(t testing.TB) *LINE {
	l := &LINE{tokens: map[string]bool{}, groups: map[int64]*lineGroup{}, nextID: 1000}
	srv := httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	return l
}

// AddToken makes a channel access token valid.
func (l *LINE) AddToken(token string) { l.mu.Lock(); l.tokens[token] = true; l.mu.Unlock() }

// RevokeToken makes a token answer 401 from now on.
func (l *LINE) RevokeToken(token string) { l.mu.Lock(); delete(l.tokens, token); l.mu.Unlock() }

// FailNext makes the next n requests answer f.
func (l *LINE) FailNext(n int, f Failure) {
	l.mu.Lock()
	for range n {
		l.failures = append(l.failures, f)
	}
	l.mu.Unlock()
}

// Requests returns the requests received so far.
func (l *LINE) Requests() []LINERequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// MaxInFlight is the most requests the fake served at once.
func (l *LINE) MaxInFlight() int { l.mu.Lock(); defer l.mu.Unlock(); return l.maxIn }

// Members returns the user ids of an audience, sorted.
func (l *LINE) Members(id int64) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[id]
	if g == nil {
		return nil
	}
	var out []string
	for m := range g.members {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// Description returns an audience's name.
func (l *LINE) Description(id int64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.groups[id]; g != nil {
		return g.description
	}
	return ""
}

var lineUserID = regexp.MustCompile(`^U[0-9a-f]{32}$`)

type lineDetail struct {
	Message  string `json:"message"`
	Property string `json:"property"`
}

func lineError(w http.ResponseWriter, status int, msg string, details ...lineDetail) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Line-Request-Id", "fake-request")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"message": msg, "details": details})
	w.Write(b)
}

func (l *LINE) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.inFlight++
	l.maxIn = max(l.maxIn, l.inFlight)
	rec := LINERequest{Method: r.Method, Start: time.Now()}
	l.mu.Unlock()
	if l.Delay > 0 {
		time.Sleep(l.Delay)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		l.inFlight--
		rec.End = time.Now()
		l.requests = append(l.requests, rec)
	}()
	sw := &statusWriter{ResponseWriter: w}
	l.handle(sw, r, &rec)
	rec.Status = sw.status
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (l *LINE) handle(w http.ResponseWriter, r *http.Request, rec *LINERequest) {
	if r.URL.Path != "/v2/bot/audienceGroup/upload" || (r.Method != http.MethodPost && r.Method != http.MethodPut) {
		lineError(w, http.StatusNotFound, "Not found")
		return
	}
	if len(l.failures) > 0 {
		f := l.failures[0]
		l.failures = l.failures[1:]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !l.tokens[token] {
		lineError(w, http.StatusUnauthorized, "Authentication failed. Confirm that the access token in the authorization header is valid.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		lineError(w, http.StatusBadRequest, "Content-Type must be application/json")
		return
	}
	var body struct {
		AudienceGroupID   int64  `json:"audienceGroupId"`
		Description       string `json:"description"`
		IsIfaAudience     bool   `json:"isIfaAudience"`
		UploadDescription string `json:"uploadDescription"`
		Audiences         []struct {
			ID string `json:"id"`
		} `json:"audiences"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		lineError(w, http.StatusBadRequest, "The request body could not be parsed as JSON")
		return
	}
	rec.IDs, rec.Description = len(body.Audiences), body.Description
	var details []lineDetail
	if len(body.Audiences) > 10000 {
		details = append(details, lineDetail{"size must be between 0 and 10000", "audiences"})
	}
	if body.IsIfaAudience {
		details = append(details, lineDetail{"the fake only knows user id audiences", "isIfaAudience"})
	}
	if r.Method == http.MethodPost {
		if n := utf8.RuneCountInString(body.Description); n == 0 || n > 120 {
			details = append(details, lineDetail{"size must be between 1 and 120", "description"})
		}
		for _, g := range l.groups {
			if strings.EqualFold(g.description, body.Description) {
				details = append(details, lineDetail{"An audience with this description already exists", "description"})
				break
			}
		}
	} else if l.groups[body.AudienceGroupID] == nil {
		details = append(details, lineDetail{"audience group not found", "audienceGroupId"})
	}
	if len(details) > 0 {
		lineError(w, http.StatusBadRequest, fmt.Sprintf("The request body has %d error(s)", len(details)), details...)
		return
	}
	g := l.groups[body.AudienceGroupID]
	if r.Method == http.MethodPost {
		l.nextID++
		g = &lineGroup{description: body.Description, members: map[string]bool{}}
		l.groups[l.nextID] = g
		body.AudienceGroupID = l.nextID
	}
	rec.AudienceGroupID = body.AudienceGroupID
	for _, a := range body.Audiences {
		if lineUserID.MatchString(a.ID) { // LINE ignores ids that are not user ids of the channel
			g.members[a.ID] = true
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	if r.Method == http.MethodPost {
		b, _ := json.Marshal(map[string]any{"audienceGroupId": body.AudienceGroupID, "createRoute": "MESSAGING_API", "type": "UPLOAD",
			"description": body.Description, "created": time.Now().Unix(), "permission": "READ_WRITE", "isIfaAudience": false})
		w.Write(b)
		return
	}
	w.Write([]byte("{}"))
}

// LINEAdsRequest is one LINE Ads API request the fake received.
type LINEAdsRequest struct {
	AdAccountID string
	AudienceID  string
	Action      string
	IDType      string
	Name        string
	Hashes      int
	Status      int
	Reason      string
}

// LINEAds is a fake LINE Ads API (custom audience upload) that checks the
// JWS signature of every request.
type LINEAds struct {
	URL string

	mu        sync.Mutex
	keys      map[string]string // access key → secret key
	accounts  map[string]bool
	audiences map[string]*adsAudience
	nextID    int
	failures  []Failure
	requests  []LINEAdsRequest
}

type adsAudience struct {
	account, name, idType string
	members               map[string]bool
}

// NewLINEAds starts a fake LINE Ads API for the test.
func NewLINEAds(t testing.TB) *LINEAds {
	a := &LINEAds{keys: map[string]string{}, accounts: map[string]bool{}, audiences: map[string]*adsAudience{}, nextID: 5000}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// AddKey authorizes an access key / secret key pair.
func (a *LINEAds) AddKey(access, secret string) { a.mu.Lock(); a.keys[access] = secret; a.mu.Unlock() }

// AddAccount makes an ad account reachable with the keys.
func (a *LINEAds) AddAccount(id string) { a.mu.Lock(); a.accounts[id] = true; a.mu.Unlock() }

// FailNext makes the next n requests answer f.
func (a *LINEAds) FailNext(n int, f Failure) {
	a.mu.Lock()
	for range n {
		a.failures = append(a.failures, f)
	}
	a.mu.Unlock()
}

// Requests returns the requests received so far.
func (a *LINEAds) Requests() []LINEAdsRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

// Members returns an audience's hashes, sorted.
func (a *LINEAds) Members(id string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	aud := a.audiences[id]
	if aud == nil {
		return nil
	}
	var out []string
	for m := range aud.members {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

var adsPath = regexp.MustCompile(`^/api/v3/adaccounts/([^/]+)/custom-audiences/upload$`)

func adsError(w http.ResponseWriter, rec *LINEAdsRequest, status int, reason, property string) {
	rec.Status, rec.Reason = status, reason
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"reason": reason, "property": property}}})
	w.Write(b)
}

func (a *LINEAds) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var rec LINEAdsRequest
	defer func() { a.requests = append(a.requests, rec) }()
	m := adsPath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost {
		adsError(w, &rec, http.StatusNotFound, "NOT_FOUND", "path")
		return
	}
	rec.AdAccountID = m[1]
	if len(a.failures) > 0 {
		f := a.failures[0]
		a.failures = a.failures[1:]
		rec.Status = f.Status
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
		return
	}
	if why := a.verify(r); why != "" {
		adsError(w, &rec, http.StatusUnauthorized, why, "Authorization")
		return
	}
	if !a.accounts[rec.AdAccountID] {
		adsError(w, &rec, http.StatusForbidden, "NO_AUTHORITY", "adaccountId")
		return
	}
	if err := r.ParseMultipartForm(128 << 20); err != nil {
		adsError(w, &rec, http.StatusBadRequest, "INVALID_REQUEST", "body")
		return
	}
	rec.Action, rec.IDType, rec.Name, rec.AudienceID = r.FormValue("action"), r.FormValue("idType"), r.FormValue("name"), r.FormValue("id")
	if rec.Action != "ADD" && rec.Action != "REPLACE" {
		adsError(w, &rec, http.StatusBadRequest, "INVALID_VALUE", "action")
		return
	}
	if rec.IDType != "HASHED_EMAIL" && rec.IDType != "HASHED_PHONE_NUMBER" && rec.IDType != "IFA" {
		adsError(w, &rec, http.StatusBadRequest, "INVALID_VALUE", "idType")
		return
	}
	aud := a.audiences[rec.AudienceID]
	switch {
	case rec.AudienceID == "" && (rec.Name == "" || utf8.RuneCountInString(rec.Name) > 120):
		adsError(w, &rec, http.StatusBadRequest, "INVALID_VALUE", "name")
		return
	case rec.AudienceID != "" && (aud == nil || aud.account != rec.AdAccountID):
		adsError(w, &rec, http.StatusBadRequest, "NOT_FOUND", "id")
		return
	case aud != nil && aud.idType != rec.IDType:
		adsError(w, &rec, http.StatusBadRequest, "INVALID_VALUE", "idType")
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		adsError(w, &rec, http.StatusBadRequest, "REQUIRED", "file")
		return
	}
	content, _ := io.ReadAll(f)
	var hashes []string
	for _, line := range strings.Split(string(content), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !hashRe.MatchString(line) {
			adsError(w, &rec, http.StatusBadRequest, "INVALID_FILE_FORMAT", "file")
			return
		}
		hashes = append(hashes, line)
	}
	rec.Hashes = len(hashes)
	if aud == nil {
		a.nextID++
		rec.AudienceID = strconv.Itoa(a.nextID)
		aud = &adsAudience{account: rec.AdAccountID, name: rec.Name, idType: rec.IDType, members: map[string]bool{}}
		a.audiences[rec.AudienceID] = aud
	}
	if rec.Action == "REPLACE" {
		aud.members = map[string]bool{}
	}
	for _, h := range hashes {
		aud.members[h] = true
	}
	rec.Status = http.StatusAccepted
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	ft := "HASHED_EMAIL_UPLOAD"
	if aud.idType == "HASHED_PHONE_NUMBER" {
		ft = "HASHED_PHONE_NUMBER_UPLOAD"
	}
	b, _ := json.Marshal(map[string]any{"id": rec.AudienceID, "name": aud.name, "functionType": ft, "status": "IN_PROGRESS"})
	w.Write(b)
}

// verify checks the JWS of a multipart request as LINE documents it, and
// says why it fails, or "".
func (a *LINEAds) verify(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(token, ".")
	if !ok || len(parts) != 3 {
		return "INVALID_AUTHORIZATION_HEADER"
	}
	hdr, err := base64.URLEncoding.DecodeString(parts[0])
	if err != nil {
		return "INVALID_JWS_HEADER"
	}
	var h struct{ Alg, Kid, Typ string }
	if json.Unmarshal(hdr, &h) != nil || h.Alg != "HS256" || h.Typ != "text/plain" {
		return "INVALID_JWS_HEADER"
	}
	secret, known := a.keys[h.Kid]
	if !known {
		return "UNKNOWN_ACCESS_KEY"
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal([]byte(base64.URLEncoding.EncodeToString(mac.Sum(nil))), []byte(parts[2])) {
		return "INVALID_SIGNATURE"
	}
	payload, err := base64.URLEncoding.DecodeString(parts[1])
	lines := strings.Split(string(payload), "\n")
	if err != nil || len(lines) != 4 {
		return "INVALID_JWS_PAYLOAD"
	}
	date, err := time.Parse(http.TimeFormat, r.Header.Get("Date"))
	if err != nil || time.Since(date).Abs() > 15*time.Minute {
		return "INVALID_DATE"
	}
	empty := sha256.Sum256(nil)
	mediaType, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	switch {
	case mediaType != "multipart/form-data" || lines[1] != mediaType:
		return "INVALID_CONTENT_TYPE"
	case lines[0] != hex.EncodeToString(empty[:]): // multipart bodies are signed as ""
		return "INVALID_DIGEST"
	case lines[2] != date.UTC().Format("20060102"):
		return "INVALID_DATE"
	case lines[3] != r.URL.Path:
		return "INVALID_CANONICAL_URI"
	}
	return ""
}
