package app_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/queries/dashboard/cdp"
	"github.com/omnistream/omnistream/queries/reports"
)

// testOutput is the repository's test-output directory (gitignored).
func testOutput(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			out := filepath.Join(dir, "test-output")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			return out
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// shownMetric is a number the dashboard shows on a broadcast's page.
type shownMetric struct {
	Channel, Metric, Text string
}

// TestDashboard drives the dashboard in headless Chromium against a
// deployment loaded with demo data: it signs in with the team key, opens
// a broadcast from the list, checks that every count and rate shown equals
// the API's report (a rate as a percentage with one decimal, null as "—"),
// sees the numbers update live when new events arrive, visits every view,
// and saves screenshots under test-output/. It fails, not skips, when no
// Chromium can be started: `make test` installs Debian's chromium.
func TestDashboard(t *testing.T) {
	exe, err := cdp.Find()
	if err != nil {
		t.Fatalf("the dashboard's browser test needs Chromium: %v", err)
	}
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	d := loadTeam(t, a, "shop")
	out := testOutput(t)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	br, err := cdp.Launch(ctx, exe, t.TempDir(), 1440, 1000)
	if err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	defer br.Close()
	p, err := br.Page(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1440, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			p.Screenshot(context.Background(), filepath.Join(out, "dashboard-failure.png"))
			t.Fatalf("%s: %v (page errors: %q)", what, err, p.Errors())
		}
	}
	ready := func() error {
		return p.WaitFor(ctx, `document.getElementById('view').dataset.ready && !document.querySelector('#view .loading')`)
	}

	// Sign in: a wrong key is refused, the team's key opens the broadcasts.
	must("open the dashboard", p.Navigate(ctx, a.HTTPURL+"/"))
	must("login form", p.WaitFor(ctx, `!document.getElementById('login').hidden`))
	submit := func(key string) error {
		return p.Eval(ctx, fmt.Sprintf(`(() => { document.getElementById('key').value = %q; document.getElementById('login-form').requestSubmit(); return true })()`, key), nil)
	}
	must("submit a wrong key", submit("osk_wrong_key"))
	must("refusal shown", p.WaitFor(ctx, `document.getElementById('login-error').textContent.includes('refused')`))
	expected := len(p.Errors()) // the refused key's 401
	must("submit the key", submit(d.key))
	must("broadcast list", p.WaitFor(ctx, `!document.getElementById('shell').hidden && document.querySelector('table.broadcasts a')`))
	must("broadcast list ready", ready())
	var tz string
	must("time zone", p.Eval(ctx, `document.getElementById('tz').textContent`, &tz))
	if tz != "Asia/Taipei" {
		t.Errorf("the dashboard shows time zone %q, want the team's Asia/Taipei", tz)
	}
	var stored string
	must("session storage", p.Eval(ctx, `sessionStorage.getItem('omnistream.key')`, &stored))
	if stored != d.key {
		t.Errorf("the key is not kept in sessionStorage")
	}
	must("screenshot", p.Screenshot(ctx, filepath.Join(out, "dashboard-broadcasts.png")))

	// Open the broadcast from the list.
	must("open the broadcast", p.Eval(ctx, fmt.Sprintf(`(() => { document.querySelector('a[href="#/broadcasts/%s"]').click(); return true })()`, d.broadcast), nil))
	must("broadcast page", p.WaitFor(ctx, `document.querySelector('.channel-card [data-metric="click_rate"]')`))
	must("broadcast page ready", ready())

	// The numbers shown equal the API's.
	rep := apiReport(t, a.HTTPURL, d.key, d.broadcast)
	compare := func() []string {
		var shown []shownMetric
		must("read the page", p.Eval(ctx, `[...document.querySelectorAll('.channel-card .kpi-value[data-metric]')].map(el => ({
			Channel: el.closest('.channel-card').dataset.channel, Metric: el.dataset.metric, Text: el.textContent }))`, &shown))
		return diffShown(rep, shown)
	}
	if problems := compare(); len(problems) > 0 {
		t.Errorf("the broadcast page differs from GET /v1/reports/broadcasts/%s:\n%s", d.broadcast, strings.Join(problems, "\n"))
	}
	var buttons int
	must("button rows", p.Eval(ctx, `document.querySelectorAll('.channel-card .grid tbody tr').length`, &buttons))
	want := 0
	for _, c := range rep.Channels {
		want += len(c.Buttons)
	}
	if buttons != want {
		t.Errorf("%d per-button rows shown, want %d", buttons, want)
	}
	var charts int
	must("charts", p.Eval(ctx, `document.querySelectorAll('#view svg.chart rect.bar').length`, &charts))
	if charts < 10 {
		t.Errorf("the broadcast page draws %d bars", charts)
	}
	must("screenshot", p.Screenshot(ctx, filepath.Join(out, "dashboard-broadcast.png")))

	// Live: a new delivery shows up without reloading the page.
	before := rep
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	postRaw(t, a.HTTPURL, d.key, fmt.Sprintf(`{"event_id":"live-1","type":"message.sent","ts":%q,"channel":{"type":"line","id":"line-oa-1"},"contact":{"channel_user_id":"live-user"},"source":{"kind":"broadcast","id":%q},"message_id":"%s-m0","props":{"message_kind":"text_buttons"}}
{"event_id":"live-2","type":"message.delivered","ts":%q,"channel":{"type":"line","id":"line-oa-1"},"contact":{"channel_user_id":"live-user"},"source":{"kind":"broadcast","id":%q},"message_id":"%s-m0"}`,
		ts, d.broadcast, d.broadcast, ts, d.broadcast, d.broadcast), http.StatusAccepted)
	deadline := time.Now().Add(40 * time.Second)
	for {
		rep = apiReport(t, a.HTTPURL, d.key, d.broadcast)
		if lineOf(rep).Delivered > lineOf(before).Delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new delivery never reached the report")
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantDelivered := strconv.FormatUint(lineOf(rep).Delivered, 10)
	must("live update of delivered people", p.WaitFor(ctx, fmt.Sprintf(
		`document.querySelector('.channel-card[data-channel="line"] .kpi-value[data-metric="delivered"]').textContent.replaceAll(',', '') === %q`, wantDelivered)))
	if problems := compare(); len(problems) > 0 {
		t.Errorf("after the live update the page differs from the API:\n%s", strings.Join(problems, "\n"))
	}

	// Every other view renders its charts without an error.
	for _, v := range []struct{ hash, file string }{
		{"#/journeys/" + d.journey, "journey"}, {"#/tags", "tags"}, {"#/omnilink/" + d.campaign, "omnilink"},
		{"#/contacts", "contacts"}, {"#/customers", "customers"}, {"#/customer/" + d.customer, "customer"},
	} {
		must("open "+v.hash, p.Eval(ctx, fmt.Sprintf(`(() => { location.hash = %q; return true })()`, v.hash), nil))
		must(v.hash, p.WaitFor(ctx, fmt.Sprintf(`location.hash === %q && document.querySelector('#view .page') && !document.querySelector('#view .loading')`, v.hash)))
		var failed bool
		must(v.hash, p.Eval(ctx, `Boolean(document.querySelector('#view .error-card'))`, &failed))
		if failed {
			var msg string
			p.Eval(ctx, `document.querySelector('#view .error-card').textContent`, &msg)
			t.Errorf("%s: %s", v.hash, msg)
		}
		var svgs int
		must(v.hash, p.Eval(ctx, `document.querySelectorAll('#view svg.chart').length`, &svgs))
		if v.file != "customer" && svgs == 0 {
			t.Errorf("%s draws no chart", v.hash)
		}
		must("screenshot", p.Screenshot(ctx, filepath.Join(out, "dashboard-"+v.file+".png")))
	}
	if errs := p.Errors()[expected:]; len(errs) > 0 {
		t.Errorf("the page logged errors: %q", errs)
	}
	t.Logf("screenshots in %s", out)
}

func apiReport(t *testing.T, base, key, id string) *reports.BroadcastReport {
	t.Helper()
	r, code, err := getReport(base, key, id)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET broadcast %s: %d %v", id, code, err)
	}
	return r
}

func lineOf(r *reports.BroadcastReport) reports.BroadcastChannel {
	for _, c := range r.Channels {
		if c.Channel == "line" {
			return c
		}
	}
	return reports.BroadcastChannel{}
}

// diffShown compares the numbers shown with the report: counts exactly
// (thousands separators aside), rates as percentages with one decimal
// (within half of the last digit shown) and null as "—".
func diffShown(rep *reports.BroadcastReport, shown []shownMetric) []string {
	var problems []string
	seen := map[string]bool{}
	for _, s := range shown {
		seen[s.Channel+"/"+s.Metric] = true
	}
	for _, c := range rep.Channels {
		counts := map[string]uint64{"audience": c.Audience, "delivered": c.Delivered, "failed": c.Failed}
		rates := map[string]*float64{"success_rate": c.SuccessRate, "click_rate": c.ClickRate, "response_rate": c.ResponseRate}
		if c.Channel == "line" {
			rates["open_rate"] = c.OpenRate
		} else {
			rates["read_rate"] = c.ReadRate
		}
		for m := range counts {
			if !seen[c.Channel+"/"+m] {
				problems = append(problems, fmt.Sprintf("%s: %s is not shown", c.Channel, m))
			}
		}
		for m := range rates {
			if !seen[c.Channel+"/"+m] {
				problems = append(problems, fmt.Sprintf("%s: %s is not shown", c.Channel, m))
			}
		}
		for _, s := range shown {
			if s.Channel != c.Channel {
				continue
			}
			if n, ok := counts[s.Metric]; ok {
				if got := strings.ReplaceAll(s.Text, ",", ""); got != strconv.FormatUint(n, 10) {
					problems = append(problems, fmt.Sprintf("%s %s: shown %q, API %d", c.Channel, s.Metric, s.Text, n))
				}
			}
			r, ok := rates[s.Metric]
			if !ok {
				continue
			}
			if r == nil {
				if s.Text != "—" {
					problems = append(problems, fmt.Sprintf("%s %s: shown %q, API null (want —)", c.Channel, s.Metric, s.Text))
				}
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSuffix(s.Text, "%"), 64)
			if err != nil || !strings.HasSuffix(s.Text, "%") || math.Abs(v-*r*100) > 0.05+1e-9 {
				problems = append(problems, fmt.Sprintf("%s %s: shown %q, API %.6f (%.1f%%)", c.Channel, s.Metric, s.Text, *r, *r*100))
			}
		}
	}
	if len(rep.Channels) == 0 {
		problems = append(problems, "the report has no channel")
	}
	return problems
}
