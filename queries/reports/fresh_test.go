package reports_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/queries/reports"
)

// TestFreshness posts events one step at a time through the ingest API and
// waits for each step to show in the reports: every number must be
// visible within 10 s of the event being accepted (the goal, 2 s, is
// measured by the benchmarks).
func TestFreshness(t *testing.T) {
	d := start(t)
	d.team("fresh")
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

	broadcast := func(check func(c reports.BroadcastChannel) bool) func() bool {
		return func() bool {
			var r reports.BroadcastReport
			if code, _ := d.get(t, "fresh", "/v1/reports/broadcasts/live", nil, &r); code != http.StatusOK || len(r.Channels) != 1 {
				return false
			}
			return check(r.Channels[0])
		}
	}
	journey := func(check func(n reports.JourneyNode) bool) func() bool {
		return func() bool {
			var r reports.JourneyReport
			if code, _ := d.get(t, "fresh", "/v1/reports/journeys/live-j", nil, &r); code != http.StatusOK {
				return false
			}
			return check(r.Total)
		}
	}
	var s scenario
	steps := []struct {
		name    string
		add     func()
		visible func() bool
	}{
		{"delivery", func() {
			s.bsent("live", waNum, "X1", "wamid-X1", "template", now)
			s.hook(event.MessageDelivered, waNum, "X1", "wamid-X1", now.Add(sec), nil)
		}, broadcast(func(c reports.BroadcastChannel) bool { return c.Delivered == 1 })},
		{"read", func() {
			s.hook(event.MessageRead, waNum, "X1", "wamid-X1", now.Add(min_), nil)
		}, broadcast(func(c reports.BroadcastChannel) bool { return c.Read != nil && *c.Read == 1 })},
		{"click", func() {
			s.click("broadcast", "live", "", waNum, "X1", "wamid-X1", "", "url", "go", now.Add(2*min_))
		}, broadcast(func(c reports.BroadcastChannel) bool { return c.Clicked == 1 && len(c.Buttons) == 1 })},
		{"response", func() {
			s.inbound(waNum, "X1", "text", now.Add(3*min_), "")
		}, broadcast(func(c reports.BroadcastChannel) bool { return c.Responded == 1 })},
		{"order", func() {
			s.order("fresh-o1", waNum, "X1", "", "12.5", "TWD", now.Add(4*min_))
		}, broadcast(func(c reports.BroadcastChannel) bool { return c.Orders == 1 })},
		{"journey send", func() {
			s.jsent("live-j", "n1", waNum, "X1", "wamid-J1", "", "template", now)
			s.hook(event.MessageDelivered, waNum, "X1", "wamid-J1", now.Add(sec), nil)
		}, journey(func(n reports.JourneyNode) bool { return n.Sends == 1 && n.Responded12h == 1 })},
	}
	for _, st := range steps {
		before := len(s.evs)
		st.add()
		for i := range s.evs[before:] {
			s.evs[before+i].EventID = "fresh-" + s.evs[before+i].EventID
		}
		accepted := time.Now()
		d.post("fresh", s.evs[before:])
		for !st.visible() {
			if time.Since(accepted) > 10*time.Second {
				t.Fatalf("%s: not visible 10 s after it was accepted", st.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s visible %v after acceptance", st.name, time.Since(accepted).Round(time.Millisecond))
	}
}
