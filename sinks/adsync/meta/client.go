package meta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
)

// Client talks to the Graph API. It is safe for concurrent use; the access
// token is given with each call, so one client serves every team.
type Client struct {
	cfg    Config
	hc     *http.Client
	logger *slog.Logger
}

// New returns a client. hc nil means a client with cfg.RequestTimeout.
func New(cfg Config, hc *http.Client, logger *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: cfg.RequestTimeout}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, hc: hc, logger: logger}, nil
}

// Row is one person of a customer-file audience: the lower-case hex SHA-256
// of the normalized email and of the normalized phone. Either may be empty,
// not both.
type Row struct {
	EmailSHA256 string
	PhoneSHA256 string
}

// Source yields the rows of an upload page by page. Next returns at most
// max rows, and no row once the source is exhausted.
type Source interface {
	Next(ctx context.Context, max int) ([]Row, error)
}

// Rows is a Source over rows held in memory.
func Rows(rows []Row) Source { return &sliceSource{rows: rows} }

type sliceSource struct{ rows []Row }

func (s *sliceSource) Next(_ context.Context, max int) ([]Row, error) {
	n := min(max, len(s.rows))
	out := s.rows[:n]
	s.rows = s.rows[n:]
	return out, nil
}

// Result is what an upload did, as far as it got.
type Result struct {
	SessionID int64 `json:"session_id,omitempty"`
	Requests  int   `json:"requests"`
	// Sent counts rows sent to Meta.
	Sent int `json:"sent"`
	// Skipped counts rows not sent because they held no valid hash.
	Skipped int `json:"skipped"`
	// Received is Meta's num_received: rows received in the session.
	Received int `json:"received"`
	// Invalid sums Meta's num_invalid_entries over the requests.
	Invalid int `json:"invalid"`
	// InvalidSamples are up to 100 of Meta's invalid_entry_samples.
	InvalidSamples []string `json:"invalid_samples,omitempty"`
}

// Progress is told the running Result after each request.
type Progress func(Result)

// schema is the multi-key schema of every upload: email and phone hashes.
var schema = []string{"EMAIL", "PHONE"}

// Replace replaces the members of a customer-file audience with the rows
// of src through /usersreplace: one session, batches of at most BatchSize
// rows numbered from 1, the last flagged. total is the expected row count
// (estimated_num_total). Nothing valid to send is ErrEmpty, and Meta's
// audience is left as it was.
func (c *Client) Replace(ctx context.Context, token, audienceID string, total int, src Source, progress Progress) (Result, error) {
	return c.upload(ctx, token, audienceID, "usersreplace", http.MethodPost, true, total, src, progress)
}

// Add adds the rows of src to an audience through /users, in one session.
func (c *Client) Add(ctx context.Context, token, audienceID string, total int, src Source, progress Progress) (Result, error) {
	return c.upload(ctx, token, audienceID, "users", http.MethodPost, true, total, src, progress)
}

// Remove removes the rows of src from an audience (DELETE /users).
func (c *Client) Remove(ctx context.Context, token, audienceID string, src Source, progress Progress) (Result, error) {
	return c.upload(ctx, token, audienceID, "users", http.MethodDelete, false, 0, src, progress)
}

type usersResponse struct {
	AudienceID        string          `json:"audience_id"`
	SessionID         json.Number     `json:"session_id"`
	NumReceived       int             `json:"num_received"`
	NumInvalidEntries int             `json:"num_invalid_entries"`
	InvalidSamples    json.RawMessage `json:"invalid_entry_samples"`
}

func (c *Client) upload(ctx context.Context, token, audienceID, edge, method string, session bool, total int, src Source, progress Progress) (Result, error) {
	var res Result
	if session {
		res.SessionID = rand.Int64N(1<<62) + 1
	}
	b := &batcher{src: src, size: c.cfg.BatchSize}
	cur, err := b.next(ctx)
	if err != nil {
		return res, err
	}
	res.Skipped = b.skipped
	if len(cur) == 0 {
		if edge == "usersreplace" {
			return res, fmt.Errorf("replace audience %s: %w (%d rows without a valid hash)", audienceID, ErrEmpty, b.skipped)
		}
		return res, nil
	}
	endpoint := c.endpoint(audienceID, edge)
	for seq := 1; ; seq++ {
		nxt, err := b.next(ctx)
		if err != nil {
			return res, err
		}
		last := len(nxt) == 0
		form := url.Values{"access_token": {token}}
		payload, _ := json.Marshal(struct {
			Schema []string   `json:"schema"`
			Data   [][]string `json:"data"`
		}{schema, cur})
		form.Set("payload", string(payload))
		if session {
			s, _ := json.Marshal(struct {
				SessionID int64 `json:"session_id"`
				BatchSeq  int   `json:"batch_seq"`
				Last      bool  `json:"last_batch_flag"`
				Total     int   `json:"estimated_num_total,omitempty"`
			}{res.SessionID, seq, last, max(total, 0)})
			form.Set("session", string(s))
		}
		var resp usersResponse
		if err := c.do(ctx, method, endpoint, form, &resp); err != nil {
			return res, fmt.Errorf("%s %d rows (batch %d) to audience %s: %w", verb(edge, method), len(cur), seq, audienceID, err)
		}
		res.Requests++
		res.Sent += len(cur)
		res.Skipped = b.skipped
		if session {
			res.Received = max(res.Received, resp.NumReceived) // counted over the session
		} else {
			res.Received += resp.NumReceived // DELETE answers per request
		}
		res.Invalid += resp.NumInvalidEntries
		res.InvalidSamples = appendSamples(res.InvalidSamples, resp.InvalidSamples)
		if progress != nil {
			progress(res)
		}
		if last {
			return res, nil
		}
		cur = nxt
	}
}

func verb(edge, method string) string {
	switch {
	case edge == "usersreplace":
		return "replace with"
	case method == http.MethodDelete:
		return "remove"
	}
	return "add"
}

// appendSamples adds invalid_entry_samples (strings or objects) to s, up
// to 100.
func appendSamples(s []string, raw json.RawMessage) []string {
	if len(raw) == 0 || len(s) >= 100 {
		return s
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		var m map[string]string
		if json.Unmarshal(raw, &m) == nil {
			for k, v := range m {
				items = append(items, json.RawMessage(strconv.Quote(k+": "+v)))
			}
		}
	}
	for _, it := range items {
		if len(s) >= 100 {
			break
		}
		var str string
		if json.Unmarshal(it, &str) == nil {
			s = append(s, str)
		} else {
			s = append(s, string(it))
		}
	}
	return s
}

// batcher regroups a source's rows into batches of valid rows: hashes
// that are not lower-case hex SHA-256 are dropped, and rows left with no
// hash are skipped (counted, not sent).
type batcher struct {
	src     Source
	size    int
	buf     [][]string
	done    bool
	skipped int
}

func (b *batcher) next(ctx context.Context) ([][]string, error) {
	for len(b.buf) < b.size && !b.done {
		rows, err := b.src.Next(ctx, b.size)
		if err != nil {
			return nil, fmt.Errorf("read rows to upload: %w", err)
		}
		if len(rows) == 0 {
			b.done = true
			break
		}
		for _, r := range rows {
			e, p := r.EmailSHA256, r.PhoneSHA256
			if !IsHash(e) {
				e = ""
			}
			if !IsHash(p) {
				p = ""
			}
			if e == "" && p == "" {
				b.skipped++
				continue
			}
			b.buf = append(b.buf, []string{e, p})
		}
	}
	n := min(b.size, len(b.buf))
	out := b.buf[:n:n]
	b.buf = b.buf[n:]
	return out, nil
}

func (c *Client) endpoint(id, edge string) string {
	return strings.TrimRight(c.cfg.GraphURL, "/") + "/" + c.cfg.APIVersion + "/" + url.PathEscape(id) + "/" + edge
}

// do sends a form request, retrying rate limits and transient failures
// with backoff, and decodes the JSON answer into out.
func (c *Client) do(ctx context.Context, method, endpoint string, form url.Values, out any) error {
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, method, endpoint, form, out)
		if err == nil {
			return nil
		}
		var apiErr *APIError
		isAPI := errors.As(err, &apiErr)
		retry := (isAPI && apiErr.Retryable()) || (!isAPI && ctx.Err() == nil)
		if !retry || attempt >= c.cfg.MaxAttempts {
			if attempt > 1 {
				return fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return err
		}
		wait := c.backoff(attempt, apiErr)
		c.logger.Warn("meta request failed, retrying", "endpoint", endpoint, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while waiting to retry: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// backoff is MinBackoff·2^(attempt-1) with ±25% jitter, or the server's
// Retry-After when longer, never above MaxBackoff.
func (c *Client) backoff(attempt int, apiErr *APIError) time.Duration {
	d := c.cfg.MinBackoff << min(attempt-1, 20)
	d = d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
	if apiErr != nil && apiErr.RetryAfter != "" {
		if s, err := strconv.Atoi(apiErr.RetryAfter); err == nil && time.Duration(s)*time.Second > d {
			d = time.Duration(s) * time.Second
		}
	}
	return min(d, c.cfg.MaxBackoff)
}

func (c *Client) once(ctx context.Context, method, endpoint string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		return nil
	}
	apiErr := &APIError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	var env struct {
		Error *APIError `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		env.Error.Status, env.Error.RetryAfter = apiErr.Status, apiErr.RetryAfter
		apiErr = env.Error
	} else {
		apiErr.Message = strings.TrimSpace(string(body[:min(len(body), 300)]))
		apiErr.Type = "HTTP"
	}
	return apiErr
}
