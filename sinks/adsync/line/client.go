package line

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/sinks/adsync/internal/keylock"
)

// Client uploads audiences to LINE. It is safe for concurrent use; the
// credentials come with each call, so one client serves every team.
type Client struct {
	cfg    Config
	hc     *http.Client
	logger *slog.Logger
	locks  keylock.Locks
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

// Source yields the ids of an upload page by page. Next returns at most
// max ids, and none once the source is exhausted.
type Source interface {
	Next(ctx context.Context, max int) ([]string, error)
}

// IDs is a Source over ids held in memory.
func IDs(ids []string) Source { return &sliceSource{ids: ids} }

type sliceSource struct{ ids []string }

func (s *sliceSource) Next(_ context.Context, max int) ([]string, error) {
	n := min(max, len(s.ids))
	out := s.ids[:n]
	s.ids = s.ids[n:]
	return out, nil
}

// Description returns name cut to the 120 characters LINE allows an
// audience's name, for use as the default description.
func Description(name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) <= MaxDescription {
		return name
	}
	return string([]rune(name)[:MaxDescription])
}

// Upload is one upload of LINE user ids to a LINE Official Account
// audience.
type Upload struct {
	// Key serializes uploads: one with the same key waits for the previous
	// one to finish. Use the Omnistream audience ("team/audience").
	Key string
	// AudienceGroupID adds to that audience; 0 creates a new one.
	AudienceGroupID int64
	// Description is the new audience's name, 1…120 characters
	// (Description(name) cuts a longer name).
	Description string
	// UploadDescription labels the upload job.
	UploadDescription string
}

// Result is what an upload did, as far as it got.
type Result struct {
	AudienceGroupID int64 `json:"audience_group_id"`
	Created         bool  `json:"created"`
	Requests        int   `json:"requests"`
	Sent            int   `json:"sent"`
	// Skipped counts ids that are not LINE user ids, not sent.
	Skipped int `json:"skipped"`
}

// Progress is told the running Result after each request.
type Progress func(Result)

// IsUserID reports whether s looks like a LINE user id.
func IsUserID(s string) bool {
	if len(s) != 33 || s[0] != 'U' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Upload creates an audience with the ids of src (AudienceGroupID 0) or
// adds them to an existing one, BatchSize ids per request. Creating with no
// valid id is ErrEmpty; adding none does nothing.
func (c *Client) Upload(ctx context.Context, token string, up Upload, src Source, progress Progress) (Result, error) {
	res := Result{AudienceGroupID: up.AudienceGroupID}
	create := up.AudienceGroupID == 0
	if create {
		if n := utf8.RuneCountInString(up.Description); n == 0 || n > MaxDescription {
			return res, fmt.Errorf("%w: description must be 1-%d characters, got %d", ErrInvalid, MaxDescription, n)
		}
	}
	if up.Key != "" {
		unlock, err := c.locks.Lock(ctx, up.Key)
		if err != nil {
			return res, fmt.Errorf("wait for the previous upload of %s: %w", up.Key, err)
		}
		defer unlock()
	}
	b := &batcher{src: src, size: c.cfg.BatchSize, valid: IsUserID}
	for {
		ids, err := b.next(ctx)
		if err != nil {
			return res, err
		}
		res.Skipped = b.skipped
		if len(ids) == 0 {
			if create && res.Requests == 0 {
				return res, fmt.Errorf("create LINE audience %q: %w (%d ids are not LINE user ids)", up.Description, ErrEmpty, b.skipped)
			}
			return res, nil
		}
		audiences := make([]map[string]string, len(ids))
		for i, id := range ids {
			audiences[i] = map[string]string{"id": id}
		}
		if res.AudienceGroupID == 0 {
			body, _ := json.Marshal(map[string]any{
				"description": up.Description, "isIfaAudience": false,
				"uploadDescription": up.UploadDescription, "audiences": audiences,
			})
			var created struct {
				AudienceGroupID int64 `json:"audienceGroupId"`
			}
			if err := c.do(ctx, http.MethodPost, c.cfg.APIURL+"/v2/bot/audienceGroup/upload", token, body, &created); err != nil {
				return res, fmt.Errorf("create LINE audience %q with %d ids: %w", up.Description, len(ids), err)
			}
			if created.AudienceGroupID == 0 {
				return res, fmt.Errorf("create LINE audience %q: the answer has no audienceGroupId", up.Description)
			}
			res.AudienceGroupID, res.Created = created.AudienceGroupID, true
		} else {
			body, _ := json.Marshal(map[string]any{
				"audienceGroupId": res.AudienceGroupID, "uploadDescription": up.UploadDescription, "audiences": audiences,
			})
			if err := c.do(ctx, http.MethodPut, c.cfg.APIURL+"/v2/bot/audienceGroup/upload", token, body, nil); err != nil {
				return res, fmt.Errorf("add %d ids to LINE audience %d: %w", len(ids), res.AudienceGroupID, err)
			}
		}
		res.Requests++
		res.Sent += len(ids)
		if progress != nil {
			progress(res)
		}
	}
}

// batcher regroups a source's ids into batches of valid ids.
type batcher struct {
	src     Source
	size    int
	valid   func(string) bool
	buf     []string
	done    bool
	skipped int
}

func (b *batcher) next(ctx context.Context) ([]string, error) {
	for len(b.buf) < b.size && !b.done {
		ids, err := b.src.Next(ctx, b.size)
		if err != nil {
			return nil, fmt.Errorf("read ids to upload: %w", err)
		}
		if len(ids) == 0 {
			b.done = true
			break
		}
		for _, id := range ids {
			if b.valid(id) {
				b.buf = append(b.buf, id)
			} else {
				b.skipped++
			}
		}
	}
	n := min(b.size, len(b.buf))
	out := b.buf[:n:n]
	b.buf = b.buf[n:]
	return out, nil
}

// do sends a JSON request to the Messaging API with retries.
func (c *Client) do(ctx context.Context, method, url, token string, body []byte, out any) error {
	return c.retry(ctx, url, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, out)
}

// retry sends the request build makes, retrying rate limits, server
// errors and network failures with backoff.
func (c *Client) retry(ctx context.Context, url string, build func() (*http.Request, error), out any) error {
	for attempt := 1; ; attempt++ {
		err := c.once(build, out)
		if err == nil {
			return nil
		}
		var apiErr *APIError
		isAPI := errors.As(err, &apiErr)
		if (isAPI && !apiErr.Retryable()) || (!isAPI && ctx.Err() != nil) || attempt >= c.cfg.MaxAttempts {
			if attempt > 1 {
				return fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return err
		}
		d := c.cfg.MinBackoff << min(attempt-1, 20)
		d = min(d-d/4+time.Duration(rand.Int64N(int64(d/2)+1)), c.cfg.MaxBackoff)
		c.logger.Warn("LINE request failed, retrying", "url", url, "attempt", attempt, "wait", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while waiting to retry: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (c *Client) once(build func() (*http.Request, error), out any) error {
	req, err := build()
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
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
		if out != nil && len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
		}
		return nil
	}
	apiErr := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Line-Request-Id")}
	var e struct {
		Message string `json:"message"`
		Details []struct {
			Message  string `json:"message"`
			Property string `json:"property"`
		} `json:"details"`
		Errors []struct {
			Reason   string `json:"reason"`
			Property string `json:"property"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil {
		apiErr.Message = e.Message
		for _, d := range e.Details {
			apiErr.Details = append(apiErr.Details, d.Property+": "+d.Message)
		}
		for _, d := range e.Errors {
			apiErr.Details = append(apiErr.Details, d.Property+": "+d.Reason)
		}
	}
	if apiErr.Message == "" {
		apiErr.Message = http.StatusText(resp.StatusCode)
		if s := strings.TrimSpace(string(body[:min(len(body), 200)])); s != "" && len(apiErr.Details) == 0 {
			apiErr.Message += ": " + s
		}
	}
	return apiErr
}
