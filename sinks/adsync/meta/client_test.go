package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/sinks/adsync/internal/platformtest"
)

func newClient(t *testing.T, fake *platformtest.Meta) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.GraphURL = fake.URL
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 10*time.Millisecond
	c, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// people returns n rows with distinct email hashes, every third with a
// phone hash too.
func people(n int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		rows[i].EmailSHA256 = Hash(fmt.Sprintf("user%d@example.com", i))
		if i%3 == 0 {
			rows[i].PhoneSHA256 = Hash(fmt.Sprintf("8869%08d", i))
		}
	}
	return rows
}

func TestReplaceIsOneSessionOfBatches(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	c := newClient(t, fake)
	var progress []int
	res, err := c.Replace(context.Background(), "tok", "ca1", 25000, Rows(people(25000)), func(r Result) { progress = append(progress, r.Sent) })
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		want := []int{10000, 10000, 5000}[i]
		if r.Edge != "usersreplace" || r.SessionID != res.SessionID || r.BatchSeq != i+1 || r.Last != (i == 2) ||
			r.Total != 25000 || r.Rows != want || r.Status != 200 || strings.Join(r.Schema, ",") != "EMAIL,PHONE" {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if res.Sent != 25000 || res.Received != 25000 || res.Invalid != 0 || res.Requests != 3 {
		t.Errorf("result %+v", res)
	}
	if fmt.Sprint(progress) != "[10000 20000 25000]" {
		t.Errorf("progress %v", progress)
	}
	if n := len(fake.Members("ca1")); n != 25000 {
		t.Errorf("audience holds %d members", n)
	}

	// A second replace swaps the members wholesale.
	if _, err := c.Replace(context.Background(), "tok", "ca1", 10, Rows(people(10)), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Members("ca1")); n != 10 {
		t.Errorf("after replace the audience holds %d members", n)
	}
}

func TestInvalidRowsAreReported(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	rows := people(10)
	rows[1] = Row{EmailSHA256: "not-a-hash"}                         // skipped: nothing valid left
	rows[2] = Row{EmailSHA256: strings.ToUpper(rows[2].EmailSHA256)} // skipped: hashes are lower-case
	rows[3].PhoneSHA256 = "123"                                      // phone dropped, email kept
	fake.Unmatchable = map[string]bool{rows[4].EmailSHA256: true, rows[5].EmailSHA256: true}
	c := newClient(t, fake)
	res, err := c.Replace(context.Background(), "tok", "ca1", 10, Rows(rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 8 || res.Skipped != 2 || res.Invalid != 2 || res.Received != 6 || len(res.InvalidSamples) != 2 {
		t.Errorf("result %+v", res)
	}
	if n := len(fake.Members("ca1")); n != 6 {
		t.Errorf("audience holds %d members", n)
	}
}

func TestRateLimitsAndServerErrorsAreRetried(t *testing.T) {
	for name, f := range map[string]platformtest.Failure{
		"429":        platformtest.MetaTooManyRequests,
		"code 17":    platformtest.MetaRateLimited,
		"503":        platformtest.MetaServerError,
		"code 613":   {Status: 400, Body: `{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613}}`},
		"code 4":     {Status: 403, Body: `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}`},
		"bare 502":   {Status: 502, Body: `<html>Bad Gateway</html>`},
		"page 32":    {Status: 400, Body: `{"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32}}`},
		"transient":  {Status: 500, Body: `{"error":{"message":"Please reduce the amount of data","type":"OAuthException","code":1,"is_transient":true}}`},
		"two in row": platformtest.MetaTooManyRequests,
	} {
		t.Run(name, func(t *testing.T) {
			fake := platformtest.NewMeta(t)
			fake.AddToken("tok")
			fake.AddAudience("ca1")
			n := 1
			if name == "two in row" {
				n = 2
			}
			fake.FailNext(n, f)
			c := newClient(t, fake)
			res, err := c.Replace(context.Background(), "tok", "ca1", 15000, Rows(people(15000)), nil)
			if err != nil {
				t.Fatal(err)
			}
			reqs := fake.Requests()
			if len(reqs) != 2+n || reqs[0].Status == 200 || reqs[n].BatchSeq != 1 || reqs[n+1].BatchSeq != 2 || !reqs[n+1].Last {
				t.Errorf("requests %+v", reqs)
			}
			if res.Received != 15000 || len(fake.Members("ca1")) != 15000 {
				t.Errorf("result %+v, members %d", res, len(fake.Members("ca1")))
			}
		})
	}
}

func TestRetriesGiveUp(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	fake.FailNext(100, platformtest.MetaRateLimited)
	c := newClient(t, fake)
	_, err := c.Add(context.Background(), "tok", "ca1", 3, Rows(people(3)), nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() || len(fake.Requests()) != DefaultConfig().MaxAttempts {
		t.Fatalf("err %v after %d requests", err, len(fake.Requests()))
	}
}

func TestExpiredTokenFailsAtOnce(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	c := newClient(t, fake)
	if _, err := c.Replace(context.Background(), "tok", "ca1", 5, Rows(people(5)), nil); err != nil {
		t.Fatal(err)
	}
	before := fake.Members("ca1")
	fake.ExpireToken("tok")
	res, err := c.Replace(context.Background(), "tok", "ca1", 25000, Rows(people(25000)), nil)
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "Session has expired") || res.Sent != 0 {
		t.Errorf("err %v, result %+v", err, res)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("%d requests: an expired token must not be retried", n)
	}
	if got := fake.Members("ca1"); len(got) != len(before) {
		t.Errorf("members changed to %d", len(got))
	}
	if _, err := c.Replace(context.Background(), "bogus", "ca1", 1, Rows(people(1)), nil); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("unknown token: %v", err)
	}
}

// expiringSource expires the token once the first batch has been read and
// the second is being read, so the session stops half way.
type expiringSource struct {
	Source
	reads  int
	expire func()
}

func (s *expiringSource) Next(ctx context.Context, n int) ([]Row, error) {
	s.reads++
	if s.reads == 3 {
		s.expire()
	}
	return s.Source.Next(ctx, n)
}

func TestTokenExpiringMidSessionLeavesTheAudience(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	c := newClient(t, fake)
	if _, err := c.Replace(context.Background(), "tok", "ca1", 5, Rows(people(5)), nil); err != nil {
		t.Fatal(err)
	}
	src := &expiringSource{Source: Rows(people(25000)), expire: func() { fake.ExpireToken("tok") }}
	res, err := c.Replace(context.Background(), "tok", "ca1", 25000, src, nil)
	if !errors.Is(err, ErrTokenExpired) || res.Sent != 10000 {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if n := len(fake.Members("ca1")); n != 5 {
		t.Errorf("an unfinished replace session changed the audience to %d members", n)
	}
}

func TestEmptyReplaceIsRefused(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	c := newClient(t, fake)
	_, err := c.Replace(context.Background(), "tok", "ca1", 1, Rows([]Row{{EmailSHA256: "x"}}), nil)
	if !errors.Is(err, ErrEmpty) || len(fake.Requests()) != 0 {
		t.Fatalf("err %v, %d requests", err, len(fake.Requests()))
	}
}

func TestAddAndRemove(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddAudience("ca1")
	c := newClient(t, fake)
	rows := people(12000)
	if res, err := c.Add(context.Background(), "tok", "ca1", len(rows), Rows(rows), nil); err != nil || res.Requests != 2 || res.Received != 12000 {
		t.Fatalf("add: %+v, %v", res, err)
	}
	res, err := c.Remove(context.Background(), "tok", "ca1", Rows(rows[:11000]), nil)
	if err != nil || res.Requests != 2 || res.Received != 11000 || res.SessionID != 0 {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	if n := len(fake.Members("ca1")); n != 1000 {
		t.Errorf("%d members left", n)
	}
	for _, r := range fake.Requests()[2:] {
		if r.Method != "DELETE" || r.SessionID != 0 {
			t.Errorf("removal request %+v", r)
		}
	}
}

func TestUnknownAudience(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	c := newClient(t, fake)
	_, err := c.Replace(context.Background(), "tok", "nope", 1, Rows(people(1)), nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 100 || apiErr.Retryable() || len(fake.Requests()) != 1 {
		t.Fatalf("err %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{GraphURL: "ftp://x", APIVersion: "25", BatchSize: 20000, EventBatchSize: 0, MinBackoff: time.Second}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"graph URL", "API version", "batch size", "event batch size", "max attempts", "backoff", "request timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
