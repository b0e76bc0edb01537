package line

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/sinks/adsync/internal/platformtest"
)

func newClient(t *testing.T, api, ads string) *Client {
	t.Helper()
	cfg := DefaultConfig()
	if api != "" {
		cfg.APIURL = api
	}
	if ads != "" {
		cfg.AdsURL = ads
	}
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 10*time.Millisecond
	c, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func userIDs(prefix byte, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("U%c%031x", prefix, i)
	}
	return ids
}

func TestUploadSplitsAtTenThousand(t *testing.T) {
	fake := platformtest.NewLINE(t)
	fake.AddToken("tok")
	c := newClient(t, fake.URL, "")
	ids := userIDs('a', 25000)
	ids = append(ids, "not-a-line-user", "Uxyz")
	name := strings.Repeat("受眾", 70) // 140 characters: the default description is cut to 120
	var progress []int
	res, err := c.Upload(context.Background(), "tok", Upload{Key: "t1/a1", Description: Description(name)}, IDs(ids),
		func(r Result) { progress = append(progress, r.Sent) })
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[0].Method != "POST" || reqs[1].Method != "PUT" || reqs[2].Method != "PUT" {
		t.Fatalf("requests %+v", reqs)
	}
	for i, want := range []int{10000, 10000, 5000} {
		if reqs[i].IDs != want || reqs[i].Status != 202 || reqs[i].AudienceGroupID != res.AudienceGroupID {
			t.Errorf("request %d: %+v", i, reqs[i])
		}
	}
	if !res.Created || res.Sent != 25000 || res.Skipped != 2 || res.Requests != 3 || fmt.Sprint(progress) != "[10000 20000 25000]" {
		t.Errorf("result %+v, progress %v", res, progress)
	}
	if got := fake.Description(res.AudienceGroupID); got != string([]rune(name)[:120]) {
		t.Errorf("description %q", got)
	}
	if n := len(fake.Members(res.AudienceGroupID)); n != 25000 {
		t.Errorf("%d members", n)
	}

	// Adding to the audience only PUTs.
	more, err := c.Upload(context.Background(), "tok", Upload{Key: "t1/a1", AudienceGroupID: res.AudienceGroupID}, IDs(userIDs('b', 3)), nil)
	if err != nil || more.Created || more.Requests != 1 || len(fake.Members(res.AudienceGroupID)) != 25003 {
		t.Fatalf("add: %+v, %v", more, err)
	}
}

func TestEmptyAudienceIsRefused(t *testing.T) {
	fake := platformtest.NewLINE(t)
	fake.AddToken("tok")
	c := newClient(t, fake.URL, "")
	for name, ids := range map[string][]string{"no ids": nil, "no valid id": {"x", "y"}} {
		_, err := c.Upload(context.Background(), "tok", Upload{Description: "VIP"}, IDs(ids), nil)
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests for empty audiences", n)
	}
	if _, err := c.Upload(context.Background(), "tok", Upload{Description: strings.Repeat("x", 121)}, IDs(userIDs('a', 1)), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("121-character description: %v", err)
	}
	if _, err := c.Upload(context.Background(), "tok", Upload{}, IDs(userIDs('a', 1)), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no description: %v", err)
	}
}

func TestConcurrentUploadsOfOneAudienceAreSerialized(t *testing.T) {
	fake := platformtest.NewLINE(t)
	fake.AddToken("tok")
	fake.Delay = 5 * time.Millisecond
	c := newClient(t, fake.URL, "")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Upload(context.Background(), "tok", Upload{Key: "t1/a1", Description: fmt.Sprintf("run %d", i)},
				IDs(userIDs(byte('a'+i), 25000)), nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.MaxInFlight(); got != 1 {
		t.Errorf("%d requests of the same audience in flight at once", got)
	}
	// Each upload's requests are contiguous: create, then its own adds.
	reqs := fake.Requests()
	seen := map[int64]bool{}
	for i, r := range reqs {
		if i > 0 && r.AudienceGroupID != reqs[i-1].AudienceGroupID {
			if seen[r.AudienceGroupID] {
				t.Fatalf("uploads interleaved at request %d: %+v", i, reqs)
			}
		}
		seen[r.AudienceGroupID] = true
	}
	if len(seen) != 4 || len(reqs) != 12 {
		t.Errorf("%d audiences from %d requests", len(seen), len(reqs))
	}

	// Different audiences do not wait for each other.
	fake2 := platformtest.NewLINE(t)
	fake2.AddToken("tok")
	fake2.Delay = 20 * time.Millisecond
	c2 := newClient(t, fake2.URL, "")
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c2.Upload(context.Background(), "tok", Upload{Key: fmt.Sprintf("t1/a%d", i), Description: fmt.Sprintf("aud %d", i)}, IDs(userIDs('a', 10)), nil)
		}()
	}
	wg.Wait()
	if fake2.MaxInFlight() < 2 {
		t.Errorf("uploads of different audiences were serialized")
	}
}

func TestUploadRetriesAndRefusedToken(t *testing.T) {
	fake := platformtest.NewLINE(t)
	fake.AddToken("tok")
	fake.FailNext(1, platformtest.LINERateLimited)
	fake.FailNext(1, platformtest.LINEServerError)
	c := newClient(t, fake.URL, "")
	res, err := c.Upload(context.Background(), "tok", Upload{Description: "VIP"}, IDs(userIDs('a', 5)), nil)
	if err != nil || res.Requests != 1 || len(fake.Requests()) != 3 {
		t.Fatalf("%+v %v after %d requests", res, err, len(fake.Requests()))
	}
	fake.RevokeToken("tok")
	_, err = c.Upload(context.Background(), "tok", Upload{AudienceGroupID: res.AudienceGroupID}, IDs(userIDs('b', 5)), nil)
	if !errors.Is(err, ErrUnauthorized) || len(fake.Requests()) != 4 {
		t.Fatalf("revoked token: %v", err)
	}
	_, err = c.Upload(context.Background(), "other", Upload{AudienceGroupID: 424242}, IDs(userIDs('b', 5)), nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("unknown group with bad token: %v", err)
	}
}

func hashOf(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }

// TestSignAdsDocumentedExamples reproduces the two worked examples of the
// LINE Ads API authentication documentation.
func TestSignAdsDocumentedExamples(t *testing.T) {
	cred := AdsCredentials{AccessKey: "LINEADSAMPLE", SecretKey: "LINEADSECRETKEYSAMPLE"}
	date := time.Date(2021, 12, 22, 0, 0, 0, 0, time.UTC)
	got := SignAds(cred, `{"name":"test","campaignObjective":"VISIT_MY_WEBSITE"}`, "application/json", date, "/api/v3/adaccounts/A1/campaigns")
	want := "eyJhbGciOiJIUzI1NiIsImtpZCI6IkxJTkVBRFNBTVBMRSIsInR5cCI6InRleHQvcGxhaW4ifQ==" +
		".NDljODdjMWViNmU1NTg4NTgyYzEzYjE1MjEyOTczZjZhM2VmNjQ0ODcyZDQ4ZmNhMzI1MmY2OTA0MzUyMmIxYQphcHBsaWNhdGlvbi9qc29uCjIwMjExMjIyCi9hcGkvdjMvYWRhY2NvdW50cy9BMS9jYW1wYWlnbnM=" +
		".Krh1Xh-kWldS-MkOmNH6dmMdkWDTBVmnkDCZHlMRUoo="
	if got != want {
		t.Errorf("with body:\n got %s\nwant %s", got, want)
	}
	got = SignAds(cred, "", "", date, "/api/v3/adaccounts/A1/campaigns")
	if sig := got[strings.LastIndex(got, ".")+1:]; sig != "xHzIHHbWvIZUiek7Jy0fuyG6U0FQpobUyFXybcx9t4c=" {
		t.Errorf("without body: signature %s", sig)
	}
}

func TestUploadAds(t *testing.T) {
	fake := platformtest.NewLINEAds(t)
	fake.AddKey("ak", "sk")
	fake.AddAccount("A1")
	cfg := DefaultConfig()
	cfg.AdsURL, cfg.AdsFileRows = fake.URL, 1000
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, time.Millisecond
	c, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred := AdsCredentials{AccessKey: "ak", SecretKey: "sk"}
	var hashes []string
	for i := range 2500 {
		hashes = append(hashes, hashOf(fmt.Sprintf("user%d@example.com", i)))
	}
	hashes = append(hashes, "mary@example.com") // not hashed: skipped
	res, err := c.UploadAds(context.Background(), cred, AdsUpload{Key: "t1/a1", AdAccountID: "A1", Name: "VIP", IDType: IDTypeEmail}, IDs(hashes), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Requests != 3 || res.Sent != 2500 || res.Skipped != 1 || len(fake.Members(res.AudienceID)) != 2500 {
		t.Fatalf("create: %+v", res)
	}
	reqs := fake.Requests()
	if reqs[0].Name != "VIP" || reqs[0].AudienceID != res.AudienceID || reqs[1].AudienceID != res.AudienceID || reqs[2].Action != "ADD" {
		t.Errorf("requests %+v", reqs)
	}

	// A replacement: REPLACE first, then ADD.
	fake.FailNext(1, platformtest.Failure{Status: 429})
	rep, err := c.UploadAds(context.Background(), cred, AdsUpload{AdAccountID: "A1", AudienceID: res.AudienceID, IDType: IDTypeEmail, Replace: true},
		IDs(hashes[:1500]), nil)
	if err != nil || rep.Created || rep.Requests != 2 || len(fake.Members(res.AudienceID)) != 1500 {
		t.Fatalf("replace: %+v %v", rep, err)
	}
	reqs = fake.Requests()[3:]
	if reqs[0].Status != 429 || reqs[1].Action != "REPLACE" || reqs[2].Action != "ADD" {
		t.Errorf("replace requests %+v", reqs)
	}

	if _, err := c.UploadAds(context.Background(), AdsCredentials{AccessKey: "ak", SecretKey: "wrong"}, AdsUpload{AdAccountID: "A1", Name: "x", IDType: IDTypePhone}, IDs(hashes[:1]), nil); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := c.UploadAds(context.Background(), cred, AdsUpload{AdAccountID: "A1", Name: "x", IDType: IDTypePhone}, IDs([]string{"+886911"}), nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("nothing hashed: %v", err)
	}
	if _, err := c.UploadAds(context.Background(), cred, AdsUpload{AdAccountID: "A1", Name: "x", IDType: "IFA"}, IDs(hashes[:1]), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("IFA: %v", err)
	}
	if last := fake.Requests()[len(fake.Requests())-1]; last.Reason != "INVALID_SIGNATURE" {
		t.Errorf("the fake saw %+v", last)
	}
}
