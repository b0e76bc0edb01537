package adsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
	"github.com/omnistream/omnistream/internal/testenv"
	"github.com/omnistream/omnistream/queries/audience"
	"github.com/omnistream/omnistream/sinks/adsync/internal/platformtest"
	"github.com/omnistream/omnistream/sinks/adsync/line"
	"github.com/omnistream/omnistream/sinks/adsync/meta"
)

type teamsByID struct{}

func (teamsByID) Get(_ context.Context, id string) (*teams.Team, error) {
	t := teams.New(id, id, "TW")
	return &t, nil
}

// creds hands out one credential per platform; tests swap them.
type creds struct {
	mu sync.Mutex
	by map[Platform]Credential
}

func (c *creds) Credential(_ context.Context, _ string, t Target) (Credential, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.by[t.Platform]
	if !ok {
		return Credential{}, errors.New("no credential")
	}
	return cr, nil
}

func (c *creds) set(p Platform, cr Credential) { c.mu.Lock(); c.by[p] = cr; c.mu.Unlock() }

// env is a database with the schema, an audience store, the platform
// fakes and a runner wired to all of them.
type env struct {
	t      *testing.T
	db     *testenv.DB
	store  *Store
	aud    *audience.Store
	runner *Runner
	meta   *platformtest.Meta
	line   *platformtest.LINE
	ads    *platformtest.LINEAds
	creds  *creds
	seq    int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store, db := newStore(t)
	aud, err := audience.NewStore(db.Conn, audience.DefaultConfig(), nil, store)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, store: store, aud: aud, meta: platformtest.NewMeta(t), line: platformtest.NewLINE(t), ads: platformtest.NewLINEAds(t),
		creds: &creds{by: map[Platform]Credential{}}}
	e.meta.AddToken("meta-token")
	e.meta.AddAudience("ca1")
	e.line.AddToken("line-token")
	e.ads.AddKey("ak", "sk")
	e.ads.AddAccount("A1")
	e.creds.set(PlatformMeta, Credential{Token: "meta-token"})
	e.creds.set(PlatformLINE, Credential{Token: "line-token"})
	e.creds.set(PlatformLINEAds, Credential{AccessKey: "ak", SecretKey: "sk"})

	mcfg := meta.DefaultConfig()
	mcfg.GraphURL, mcfg.MinBackoff, mcfg.MaxBackoff = e.meta.URL, time.Millisecond, 5*time.Millisecond
	mc, err := meta.New(mcfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lcfg := line.DefaultConfig()
	lcfg.APIURL, lcfg.AdsURL, lcfg.MinBackoff, lcfg.MaxBackoff = e.line.URL, e.ads.URL, time.Millisecond, 5*time.Millisecond
	lc, err := line.New(lcfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.ProgressEvery = 0
	e.runner, err = NewRunner(cfg, Deps{Store: store, Audiences: aud, Teams: teamsByID{}, Credentials: e.creds, Meta: mc, LINE: lc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type person struct {
	id, email, phone string
	vip              bool
}

// seed writes contacts of team t1 on a LINE channel; vip ones get the vip
// tag, the others lose it.
func (e *env) seed(people []person) {
	e.t.Helper()
	ctx := context.Background()
	cu, err := e.db.Conn.PrepareBatch(ctx, `INSERT INTO contact_updates (team_id, channel_type, channel_id, contact_id, version, ts,
        name, phone, email, member_id, created_source, subscribed, over_quota, deleted)`)
	if err != nil {
		e.t.Fatal(err)
	}
	ev, err := e.db.Conn.PrepareBatch(ctx, `INSERT INTO events (team_id, event_id, type, ts, channel_type, channel_id, contact_id, tag)`)
	if err != nil {
		e.t.Fatal(err)
	}
	e.seq++
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(e.seq) * time.Hour)
	for i, p := range people {
		if err := cu.Append("t1", "line", "C1", p.id, uint64(at.UnixMilli())<<20|uint64(i), at, p.id, p.phone, p.email, "", "user", int8(1), int8(-1), uint8(0)); err != nil {
			e.t.Fatal(err)
		}
		typ := "tag.added"
		if !p.vip {
			typ = "tag.removed"
		}
		if err := ev.Append("t1", fmt.Sprintf("e%d-%d", e.seq, i), typ, at, "line", "C1", p.id, "vip"); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := cu.Send(); err != nil {
		e.t.Fatal(err)
	}
	if err := ev.Send(); err != nil {
		e.t.Fatal(err)
	}
}

func lineUser(i int) string { return fmt.Sprintf("U%032x", i) }

func crowd(from, to int) []person {
	var out []person
	for i := from; i < to; i++ {
		out = append(out, person{id: lineUser(i), email: fmt.Sprintf("user%d@example.com", i), phone: fmt.Sprintf("8869%08d", i), vip: true})
	}
	return out
}

// schedule saves a VIP audience and returns a schedule of it (not
// registered with any scheduler: the tests call the runner directly).
func (e *env) schedule(target Target, mode Mode) Schedule {
	e.t.Helper()
	team := teams.New("t1", "Team", "TW")
	a, err := e.aud.Create(context.Background(), &team, audience.Input{Name: "VIP customers",
		Channel: audience.Channel{Type: "line", ID: "C1"}, Conditions: []audience.Condition{{Field: "tags", Op: "has_any", Values: []string{"vip"}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	sc := Schedule{ID: "s-" + a.ID, TeamID: "t1", AudienceID: a.ID, Name: "sync", Target: target, Mode: mode, Status: StatusActive,
		Recurrence: Recurrence{Kind: KindOnce, Start: time.Now().Add(time.Hour), TimeZone: "Asia/Taipei"}}
	if err := e.store.PutSchedule(context.Background(), &sc); err != nil {
		e.t.Fatal(err)
	}
	return sc
}

func (e *env) run(sc Schedule) (Run, error) {
	e.t.Helper()
	return e.runner.Run(context.Background(), sc, time.Now(), TriggerManual)
}

// history reads a run back from the store, as the API shows it.
func (e *env) history(run Run) Run {
	e.t.Helper()
	got, err := e.store.Run(context.Background(), "t1", run.ScheduleID, run.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func TestMetaFullReplaceOf25000Members(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 25000))
	sc := e.schedule(Target{Platform: PlatformMeta, Account: "act_1", AudienceID: "ca1"}, ModeFull)
	run, err := e.run(sc)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.meta.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		want := []int{10000, 10000, 5000}[i]
		if r.Edge != "usersreplace" || r.SessionID != reqs[0].SessionID || r.BatchSeq != i+1 || r.Last != (i == 2) || r.Total != 25000 || r.Rows != want || r.Status != 200 {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	h := e.history(run)
	if h.Status != RunSucceeded || h.Mode != ModeFull || h.Size != 25000 || h.Sent != 25000 || h.Received != 25000 || h.Invalid != 0 ||
		h.SnapshotID == "" || h.FinishedAt == nil || h.PlatformAudienceID != "ca1" {
		t.Errorf("history %+v", h)
	}
	if n := len(e.meta.Members("ca1")); n != 25000 {
		t.Errorf("Meta holds %d members", n)
	}
}

func TestMetaIncrementalAndExpiredToken(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 10))
	sc := e.schedule(Target{Platform: PlatformMeta, Account: "act_1", AudienceID: "ca1"}, ModeIncremental)
	first, err := e.run(sc)
	if err != nil || first.Mode != ModeFull {
		t.Fatalf("first run (no base: full): %+v %v", first, err)
	}
	// Two leave, three join, one changes email.
	changes := []person{{id: lineUser(0)}, {id: lineUser(1)}, {id: lineUser(2), email: "new2@example.com", phone: "886900000002", vip: true}}
	changes = append(changes, crowd(100, 103)...)
	e.seed(changes)
	before := len(e.meta.Requests())
	second, err := e.run(sc)
	if err != nil {
		t.Fatal(err)
	}
	if second.Mode != ModeIncremental || second.BaseSnapshotID != first.SnapshotID || second.ToAdd != 4 || second.ToRemove != 3 || second.Size != 11 {
		t.Errorf("incremental run %+v", second)
	}
	reqs := e.meta.Requests()[before:]
	if len(reqs) != 2 || reqs[0].Edge != "users" || reqs[0].Method != "POST" || reqs[0].Rows != 4 || reqs[1].Method != "DELETE" || reqs[1].Rows != 3 {
		t.Errorf("incremental requests %+v", reqs)
	}
	if n := len(e.meta.Members("ca1")); n != 11 {
		t.Errorf("Meta holds %d members, want 11", n)
	}

	// The token expires: the run fails, says why, and is not a base.
	e.meta.ExpireToken("meta-token")
	e.seed(crowd(200, 205))
	failed, err := e.run(sc)
	if !errors.Is(err, meta.ErrTokenExpired) || failed.Status != RunFailed || !strings.Contains(failed.Error, "reconnect the ad account") {
		t.Fatalf("expired token: %+v %v", failed, err)
	}
	if h := e.history(failed); h.Status != RunFailed || h.Error == "" || h.Sent != 0 {
		t.Errorf("failed run history %+v", h)
	}
	if base, _, _ := e.store.LastSuccess(context.Background(), "t1", sc.ID); base.ID != second.ID {
		t.Errorf("last success is %s, want %s", base.ID, second.ID)
	}
	// With a new token the next run diffs against the last good snapshot.
	e.meta.AddToken("meta-token-2")
	e.creds.set(PlatformMeta, Credential{Token: "meta-token-2"})
	third, err := e.run(sc)
	if err != nil || third.BaseSnapshotID != second.SnapshotID || third.ToAdd != 5 || third.ToRemove != 0 {
		t.Fatalf("run after reconnecting: %+v %v", third, err)
	}
	if n := len(e.meta.Members("ca1")); n != 16 {
		t.Errorf("Meta holds %d members, want 16", n)
	}
}

func TestMetaInvalidRowsAndRateLimit(t *testing.T) {
	e := newEnv(t)
	people := crowd(0, 20)
	people[5].phone = ""
	people[6].email, people[6].phone = "", "" // cannot be matched: not sent
	e.seed(people)
	e.meta.Unmatchable = map[string]bool{meta.Hash("user3@example.com"): true, meta.Hash("user4@example.com"): true}
	e.meta.Unmatchable[meta.Hash("886900000003")] = true
	e.meta.Unmatchable[meta.Hash("886900000004")] = true
	e.meta.FailNext(1, platformtest.MetaTooManyRequests)
	sc := e.schedule(Target{Platform: PlatformMeta, Account: "act_1", AudienceID: "ca1"}, ModeFull)
	run, err := e.run(sc)
	if err != nil {
		t.Fatal(err)
	}
	h := e.history(run)
	if h.Status != RunSucceeded || h.Size != 20 || h.Sent != 19 || h.Received != 17 || h.Invalid != 2 || len(h.InvalidSamples) != 2 {
		t.Errorf("history %+v", h)
	}
	if reqs := e.meta.Requests(); len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Errorf("requests %+v", reqs)
	}
}

func TestLINERuns(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 25000))
	sc := e.schedule(Target{Platform: PlatformLINE, Account: "channel-1"}, ModeIncremental)
	first, err := e.run(sc)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.line.Requests()
	if len(reqs) != 3 || reqs[0].Method != "POST" || reqs[0].IDs != 10000 || reqs[1].IDs != 10000 || reqs[2].IDs != 5000 || reqs[0].Description != "VIP customers" {
		t.Fatalf("requests %+v", reqs)
	}
	if first.PlatformAudienceID != fmt.Sprint(reqs[0].AudienceGroupID) || first.Sent != 25000 || first.Mode != ModeFull {
		t.Errorf("first run %+v", first)
	}

	// Members join: only they are added to the same LINE audience.
	e.seed(crowd(30000, 30002))
	second, err := e.run(sc)
	if err != nil || second.Mode != ModeIncremental || second.PlatformAudienceID != first.PlatformAudienceID || second.Sent != 2 {
		t.Fatalf("incremental run %+v %v", second, err)
	}
	if r := e.line.Requests()[3]; r.Method != "PUT" || r.IDs != 2 {
		t.Errorf("incremental request %+v", r)
	}

	// A member leaves: LINE cannot remove, so the run builds a new audience.
	e.seed([]person{{id: lineUser(7)}})
	third, err := e.run(sc)
	if err != nil || third.Mode != ModeFull || third.PlatformAudienceID == first.PlatformAudienceID || third.Sent != 25001 {
		t.Fatalf("run after a removal %+v %v", third, err)
	}
	if last := e.line.Requests()[4]; last.Method != "POST" || !strings.HasPrefix(last.Description, "VIP customers 20") {
		t.Errorf("new audience request %+v", last)
	}
}

func TestEmptyAudienceIsRefused(t *testing.T) {
	e := newEnv(t)
	e.seed([]person{{id: lineUser(1), email: "a@example.com"}}) // not vip
	for _, target := range []Target{{Platform: PlatformLINE, Account: "channel-1"}, {Platform: PlatformMeta, Account: "act_1", AudienceID: "ca1"}} {
		sc := e.schedule(target, ModeFull)
		run, err := e.run(sc)
		if !errors.Is(err, ErrEmptyAudience) || run.Status != RunFailed || run.Size != 0 {
			t.Errorf("%s: %+v %v", target.Platform, run, err)
		}
	}
	if len(e.line.Requests()) != 0 || len(e.meta.Requests()) != 0 {
		t.Errorf("an empty audience was sent")
	}
}

func TestConcurrentRunsOfOneAudienceAreSerialized(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 12000))
	e.line.Delay = 10 * time.Millisecond
	sc := e.schedule(Target{Platform: PlatformLINE, Account: "channel-1"}, ModeFull)
	var wg sync.WaitGroup
	runs := make([]Run, 3)
	errs := make([]error, 3)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = e.runner.Run(context.Background(), sc, time.Now(), TriggerManual)
		}()
	}
	wg.Wait()
	for i := range runs {
		if errs[i] != nil || runs[i].Status != RunSucceeded || runs[i].Sent != 12000 {
			t.Errorf("run %d: %+v %v", i, runs[i], errs[i])
		}
	}
	if got := e.line.MaxInFlight(); got != 1 {
		t.Errorf("%d uploads of the audience in flight at once", got)
	}
	reqs := e.line.Requests()
	for i := 1; i < len(reqs); i++ {
		if reqs[i].Method == "PUT" && reqs[i].AudienceGroupID != reqs[i-1].AudienceGroupID {
			t.Fatalf("runs interleaved: %+v", reqs)
		}
	}
}

func TestLINEAdsRuns(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 30))
	sc := e.schedule(Target{Platform: PlatformLINEAds, Account: "A1", IDType: "phone"}, ModeIncremental)
	first, err := e.run(sc)
	if err != nil || first.PlatformAudienceID == "" || first.Sent != 30 {
		t.Fatalf("first run %+v %v", first, err)
	}
	if got := e.ads.Members(first.PlatformAudienceID); len(got) != 30 || !slices.Contains(got, meta.Hash("886900000000")) {
		t.Errorf("LINE Ads holds %d members: %v", len(got), got)
	}
	e.seed(crowd(40, 45))
	second, err := e.run(sc)
	if err != nil || second.Mode != ModeIncremental || second.Sent != 5 {
		t.Fatalf("second run %+v %v", second, err)
	}
	e.seed([]person{{id: lineUser(3)}})
	third, err := e.run(sc)
	if err != nil || third.Mode != ModeFull || third.PlatformAudienceID != first.PlatformAudienceID || len(e.ads.Members(first.PlatformAudienceID)) != 34 {
		t.Fatalf("replacing run %+v %v", third, err)
	}
	reqs := e.ads.Requests()
	if reqs[0].Action != "ADD" || reqs[0].Name != "VIP customers" || reqs[1].Action != "ADD" || reqs[2].Action != "REPLACE" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestCancelARunningRun(t *testing.T) {
	e := newEnv(t)
	e.seed(crowd(0, 30000))
	e.line.Delay = 300 * time.Millisecond
	sc := e.schedule(Target{Platform: PlatformLINE, Account: "channel-1"}, ModeFull)
	done := make(chan Run)
	go func() {
		run, _ := e.runner.Run(context.Background(), sc, time.Now(), TriggerManual)
		done <- run
	}()
	deadline := time.Now().Add(10 * time.Second)
	var runID string
	for runID == "" && time.Now().Before(deadline) {
		runs, _ := e.store.Runs(context.Background(), "t1", sc.ID, 1)
		if len(runs) == 1 && runs[0].Status == RunRunning && runs[0].SnapshotID != "" {
			runID = runs[0].ID
		}
		time.Sleep(10 * time.Millisecond)
	}
	if runID == "" || !e.runner.Cancel("t1", runID) {
		t.Fatalf("no running run to cancel (%q)", runID)
	}
	if e.runner.Cancel("t2", runID) {
		t.Error("another team cancelled the run")
	}
	run := <-done
	if run.Status != RunCancelled || e.history(run).Status != RunCancelled {
		t.Errorf("cancelled run %+v", run)
	}
}
