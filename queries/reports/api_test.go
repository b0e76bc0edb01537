package reports_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/queries/reports"
)

// apiScenario is the golden scenario plus broadcasts without messages: b5
// only scheduled, b6 scheduled then cancelled.
func apiScenario() []event.Event {
	s := scenario{evs: golden()}
	s.lifecycle(event.BroadcastScheduled, "b5", T0.Add(20*day), nil)
	s.lifecycle(event.BroadcastScheduled, "b6", T0.Add(5*day), nil)
	s.lifecycle(event.BroadcastCancelled, "b6", T0.Add(6*day), nil)
	return s.evs
}

func listIDs(p *reports.BroadcastPage) string {
	var ids []string
	for _, b := range p.Broadcasts {
		ids = append(ids, b.BroadcastID+":"+b.Status)
	}
	return strings.Join(ids, " ")
}

func TestAPI(t *testing.T) {
	d := start(t)
	d.team("api")
	d.team("other")
	d.post("api", apiScenario())
	d.settle("api")

	t.Run("list", func(t *testing.T) {
		tests := []struct {
			name, query, want string
		}{
			// Newest first by broadcast time; b1, b3 and b4 share theirs.
			{"all", "", "b5:scheduled b2:completed b6:cancelled b4:completed b3:failed b1:completed"},
			// b2 was sent 2026-03-11 16:30 UTC: 03-12 in Asia/Taipei.
			{"team's day", "from=2026-03-12&to=2026-03-12", "b2:completed"},
			{"not the UTC day", "from=2026-03-11&to=2026-03-11", ""},
			{"from only", "from=2026-03-07", "b5:scheduled b2:completed b6:cancelled"},
			{"to only", "to=2026-03-02", "b4:completed b3:failed b1:completed"},
			{"one channel", "channel=whatsapp", "b4:completed"},
			{"channels", "channel=line,facebook", "b2:completed b3:failed b1:completed"},
			{"status", "status=failed", "b3:failed"},
			{"statuses", "status=scheduled,cancelled", "b5:scheduled b6:cancelled"},
			{"everything", "from=2026-03-01&to=2026-03-31&channel=line&status=completed", "b2:completed b1:completed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q, _ := url.ParseQuery(tt.query)
				var p reports.BroadcastPage
				d.mustGet(t, "api", "/v1/reports/broadcasts", q, &p)
				if got := listIDs(&p); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				if p.NextCursor != "" {
					t.Errorf("next cursor %q on a single page", p.NextCursor)
				}
			})
		}
	})

	t.Run("list pages", func(t *testing.T) {
		var got []string
		q := url.Values{"limit": {"4"}}
		for page := 0; ; page++ {
			var p reports.BroadcastPage
			d.mustGet(t, "api", "/v1/reports/broadcasts", q, &p)
			got = append(got, listIDs(&p))
			if p.NextCursor == "" {
				break
			}
			if page > 3 {
				t.Fatal("no last page")
			}
			q.Set("cursor", p.NextCursor)
		}
		if want := []string{"b5:scheduled b2:completed b6:cancelled b4:completed", "b3:failed b1:completed"}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("pages %q, want %q", got, want)
		}
	})

	t.Run("list items are full reports", func(t *testing.T) {
		var p reports.BroadcastPage
		d.mustGet(t, "api", "/v1/reports/broadcasts", url.Values{"channel": {"whatsapp"}}, &p)
		if len(p.Broadcasts) != 1 || renderBroadcast(p.Broadcasts[0]) != goldenBroadcasts["b4"] {
			t.Errorf("got %+v", p.Broadcasts)
		}
	})

	t.Run("broadcast without messages", func(t *testing.T) {
		var r reports.BroadcastReport
		d.mustGet(t, "api", "/v1/reports/broadcasts/b5", nil, &r)
		want := "b5 scheduled sent=2026-03-22T10:00:00+08:00 scheduled=2026-03-22T10:00:00+08:00 ended=-\n"
		if got := renderBroadcast(&r); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("json shape", func(t *testing.T) {
		code, body := d.get(t, "api", "/v1/reports/broadcasts/b2", nil, nil)
		if code != http.StatusOK {
			t.Fatal(code, body)
		}
		var m struct {
			Channels []map[string]json.RawMessage `json:"channels"`
		}
		if err := json.Unmarshal([]byte(body), &m); err != nil || len(m.Channels) != 1 {
			t.Fatal(err, body)
		}
		c := m.Channels[0]
		for _, f := range []string{"audience", "delivered", "failed", "success_rate", "read", "read_rate", "opened", "open_rate",
			"clicked", "click_rate", "responded", "response_rate", "orders", "revenue", "estimated_cost", "buttons"} {
			if _, ok := c[f]; !ok {
				t.Errorf("field %s missing in %s", f, body)
			}
		}
		// LINE without trackable messages: no read, no open rate.
		for _, f := range []string{"read", "read_rate", "opened", "open_rate"} {
			if string(c[f]) != "null" {
				t.Errorf("%s = %s, want null", f, c[f])
			}
		}
		if string(c["buttons"]) != "[]" || string(c["revenue"]) != "[]" {
			t.Errorf("buttons %s, revenue %s: want []", c["buttons"], c["revenue"])
		}
	})

	t.Run("recipients", func(t *testing.T) {
		tests := []struct {
			id, state, want string
		}{
			{"b1", "delivered", "L1@10:00:01 L2@10:00:01 L3@10:00:01 L4@10:00:01 L5@10:00:01"},
			{"b1", "failed", "L6@10:00:02(blocked) L7@10:00:02(invalid_user)"},
			{"b1", "opened", "L1@10:10:00 L2@10:05:00"},
			{"b1", "read", ""},
			{"b1", "clicked", "L1@11:00:01"},
			{"b1", "responded", "L1@13:00:01 L4@09:00:01"},
			{"b2", "opened", ""},
			{"b2", "responded", "L2@01:30:00"},
			{"b3", "read", "F1@11:00:00"},
			{"b3", "delivered", "F1@10:00:40 F2@10:00:15"},
			{"b4", "read", "W1@10:05:00 W3@10:10:00"},
			{"b4", "delivered", "W1@10:05:00 W2@10:01:00 W3@10:10:00 W5@10:01:00"},
			{"b4", "failed", "W4@10:01:00(Message undeliverable)"},
			{"b4", "clicked", "W5@13:00:00"},
			{"b4", "responded", "W2@12:00:00"},
		}
		for _, tt := range tests {
			t.Run(tt.id+"/"+tt.state, func(t *testing.T) {
				var p reports.RecipientPage
				d.mustGet(t, "api", "/v1/reports/broadcasts/"+tt.id+"/recipients", url.Values{"state": {tt.state}}, &p)
				var got []string
				for _, r := range p.Recipients {
					s := r.ContactID + "@" + r.At.Format("15:04:05")
					if r.Reason != "" {
						s += "(" + r.Reason + ")"
					}
					if r.CustomerID == "" {
						s += "(no customer)"
					}
					if _, off := r.At.Zone(); off != 8*3600 {
						s += "(not in the team's zone)"
					}
					got = append(got, s)
				}
				if g := strings.Join(got, " "); g != tt.want {
					t.Errorf("got %q, want %q", g, tt.want)
				}
			})
		}
	})

	t.Run("recipient pages", func(t *testing.T) {
		var got []string
		q := url.Values{"state": {"delivered"}, "limit": {"2"}}
		for page := 0; ; page++ {
			var p reports.RecipientPage
			d.mustGet(t, "api", "/v1/reports/broadcasts/b1/recipients", q, &p)
			var ids []string
			for _, r := range p.Recipients {
				ids = append(ids, r.ContactID)
			}
			got = append(got, strings.Join(ids, ","))
			if p.NextCursor == "" {
				break
			}
			if page > 5 {
				t.Fatal("no last page")
			}
			q.Set("cursor", p.NextCursor)
		}
		if g := strings.Join(got, "|"); g != "L1,L2|L3,L4|L5" {
			t.Errorf("pages %q", g)
		}
	})

	t.Run("journey date range", func(t *testing.T) {
		var j reports.JourneyReport
		d.mustGet(t, "api", "/v1/reports/journeys/j1", url.Values{"from": {"2026-03-02"}, "to": {"2026-03-02"}}, &j)
		if got := renderJourney(&j); got != goldenJourney {
			t.Errorf("got %s, want %s", got, goldenJourney)
		}
		j = reports.JourneyReport{}
		d.mustGet(t, "api", "/v1/reports/journeys/j1", url.Values{"from": {"2026-03-03"}}, &j)
		if len(j.Nodes) != 0 || j.Total.Sends != 0 || j.Total.ClickRate != nil {
			t.Errorf("after the sends: %s", renderJourney(&j))
		}
	})

	t.Run("bad requests name the parameter", func(t *testing.T) {
		tests := []struct{ path, query, param string }{
			{"/v1/reports/broadcasts", "from=2026-13-01", "from"},
			{"/v1/reports/broadcasts", "to=yesterday", "to"},
			{"/v1/reports/broadcasts", "from=2026-03-02&to=2026-03-01", "to"},
			{"/v1/reports/broadcasts", "channel=telegram", "channel"},
			{"/v1/reports/broadcasts", "channel=line,", "channel"},
			{"/v1/reports/broadcasts", "status=done", "status"},
			{"/v1/reports/broadcasts", "limit=0", "limit"},
			{"/v1/reports/broadcasts", "limit=101", "limit"},
			{"/v1/reports/broadcasts", "cursor=%%%", "cursor"},
			{"/v1/reports/broadcasts", "cursor=bm90IGEgY3Vyc29y", "cursor"},
			{"/v1/reports/broadcasts", "chanel=line", "chanel"},
			{"/v1/reports/broadcasts", "channel=line&channel=whatsapp", "channel"},
			{"/v1/reports/broadcasts/b1", "from=2026-03-01", "from"},
			{"/v1/reports/broadcasts/b1/recipients", "", "state"},
			{"/v1/reports/broadcasts/b1/recipients", "state=bounced", "state"},
			{"/v1/reports/broadcasts/b1/recipients", "state=delivered&channel=fax", "channel"},
			{"/v1/reports/broadcasts/b1/recipients", "state=delivered&limit=1001", "limit"},
			{"/v1/reports/broadcasts/b1/recipients", "state=delivered&cursor=YQ", "cursor"},
			{"/v1/reports/broadcasts/" + strings.Repeat("x", 129), "", "id"},
			{"/v1/reports/journeys/j1", "from=03/02/2026", "from"},
			{"/v1/reports/journeys/j1", "node=n1", "node"},
		}
		for _, tt := range tests {
			q, _ := url.ParseQuery(tt.query)
			if tt.query == "cursor=%%%" {
				q = url.Values{"cursor": {"%%%"}}
			}
			code, body := d.get(t, "api", tt.path, q, nil)
			var e struct{ Error, Parameter string }
			json.Unmarshal([]byte(body), &e)
			if code != http.StatusBadRequest || e.Parameter != tt.param || e.Error == "" {
				t.Errorf("%s?%s: %d %s, want 400 naming %s", tt.path, tt.query, code, body, tt.param)
			}
		}
	})

	t.Run("not found and team isolation", func(t *testing.T) {
		for _, c := range []struct{ team, path, query string }{
			{"api", "/v1/reports/broadcasts/nope", ""},
			{"api", "/v1/reports/broadcasts/nope/recipients", "state=delivered"},
			{"api", "/v1/reports/journeys/nope", ""},
			{"api", "/v1/reports/journeys/b1", ""}, // a broadcast is not a journey
			{"other", "/v1/reports/broadcasts/b1", ""},
			{"other", "/v1/reports/broadcasts/b1/recipients", "state=delivered"},
			{"other", "/v1/reports/journeys/j1", ""},
		} {
			q, _ := url.ParseQuery(c.query)
			if code, body := d.get(t, c.team, c.path, q, nil); code != http.StatusNotFound {
				t.Errorf("%s %s: %d %s, want 404", c.team, c.path, code, body)
			}
		}
		var p reports.BroadcastPage
		d.mustGet(t, "other", "/v1/reports/broadcasts", nil, &p)
		if len(p.Broadcasts) != 0 {
			t.Errorf("team other lists %s", listIDs(&p))
		}
		req, _ := http.NewRequest(http.MethodGet, d.a.HTTPURL+"/v1/reports/broadcasts/b1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without a key: %d, want 401", resp.StatusCode)
		}
	})
}
