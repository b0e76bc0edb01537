package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/omnistream/omnistream/internal/app"
	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/processors/core"
	"github.com/omnistream/omnistream/queries/customers"
)

func ev(id, typ, ts, ch, chID, user, props string) string {
	s := fmt.Sprintf(`{"event_id":%q,"type":%q,"ts":%q,"channel":{"type":%q,"id":%q},"contact":{"channel_user_id":%q}`, id, typ, ts, ch, chID, user)
	if props != "" {
		s += `,"props":` + props
	}
	return s + "}"
}

func queryUint(t *testing.T, a *app.App, q string, kv ...string) uint64 {
	t.Helper()
	var n uint64
	if err := a.DB.QueryRow(chparam.With(context.Background(), kv...), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// waitUint polls a count until it equals want.
func waitUint(t *testing.T, a *app.App, want uint64, q string, kv ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := queryUint(t, a, q, kv...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %d, want %d", q, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func view(t *testing.T, a *app.App, key, path string) (*customers.Customer, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.HTTPURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	var c customers.Customer
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return &c, resp.StatusCode
}

const distinctCustomers = `SELECT uniqExact(m.customer_id) FROM events AS e
	INNER JOIN contact_map_current AS m ON m.team_id = e.team_id AND m.channel_type = e.channel_type AND m.channel_id = e.channel_id AND m.contact_id = e.contact_id
	WHERE e.team_id = {team:String}`

func TestIdentityThroughPipeline(t *testing.T) {
	e := newEnv(t)
	e.logs = &syncBuffer{}
	a := e.start(t)
	key := createTeam(t, a, "idt")
	post := func(evs ...string) { postRaw(t, a.HTTPURL, key, strings.Join(evs, "\n"), http.StatusAccepted) }
	post(
		ev("c1", "contact.created", "2026-01-05T01:00:00Z", "line", "oa", "UA", `{"contact_source":"organic"}`),
		`{"event_id":"c2","type":"contact.created","ts":"2026-01-05T01:01:00Z","channel":{"type":"facebook","id":"page"},"contact":{"channel_user_id":"PB","name":"Amy F"},"props":{"contact_source":"organic"}}`,
		ev("t1", "tag.added", "2026-01-05T01:02:00Z", "line", "oa", "UA", `{"tag":"vip"}`),
		ev("a1", "attribute.set", "2026-01-05T01:03:00Z", "line", "oa", "UA", `{"attribute":"tier","value":"gold"}`),
		ev("i1", "message.inbound", "2026-01-05T01:04:00Z", "line", "oa", "UA", `{"kind":"text"}`),
		ev("i2", "message.inbound", "2026-01-05T01:05:00Z", "facebook", "page", "PB", `{"kind":"text"}`),
	)
	waitCount(t, a, "idt", 6)
	waitUint(t, a, 2, distinctCustomers, "team", "idt")
	// Social binding of both contacts to one member id merges them; the
	// number changes through the map, the events keep their rows.
	post(
		ev("b1", "identity.bind", "2026-01-05T02:00:00Z", "line", "oa", "UA", `{"method":"social","member_id":"M1"}`),
		ev("b2", "identity.bind", "2026-01-05T02:01:00Z", "facebook", "page", "PB", `{"method":"social","member_id":"M1","phone":"0911223344"}`),
	)
	waitUint(t, a, 1, distinctCustomers, "team", "idt")
	if got := queryUint(t, a, `SELECT uniqExact(customer_id) FROM events WHERE team_id = {team:String} AND type = 'contact.created'`, "team", "idt"); got != 2 {
		t.Fatalf("events were rewritten: %d customer ids on contact.created rows, want the original 2", got)
	}
	c, code := view(t, a, key, "/v1/contacts/facebook/page/PB")
	if code != 200 {
		t.Fatalf("360 view: status %d", code)
	}
	var chans []string
	for _, k := range c.Contacts {
		chans = append(chans, k.ChannelType+"/"+k.UserID)
	}
	if got := strings.Join(chans, ","); got != "line/UA,facebook/PB" || c.MemberID != "M1" || strings.Join(c.Tags, ",") != "vip" ||
		c.Contacts[0].Attributes["tier"] != "gold" || c.LastInteractionAt == nil || !c.LastInteractionAt.Equal(time.Date(2026, 1, 5, 1, 5, 0, 0, time.UTC)) ||
		strings.Join(c.BindingMethods, ",") != "social" || c.Contacts[1].Name != "Amy F" {
		t.Fatalf("360 view: contacts %s, member %q, tags %v, attrs %v, last %v, methods %v, name %q", got, c.MemberID, c.Tags, c.Contacts[0].Attributes, c.LastInteractionAt, c.BindingMethods, c.Contacts[1].Name)
	}
	merged := c.CustomerID
	// A different member id never merges: the OmniLink attempt is refused
	// and recorded with its reason.
	post(
		ev("b3", "identity.bind", "2026-01-05T03:00:00Z", "whatsapp", "wa", "886922000111", `{"method":"social","member_id":"M2"}`),
		ev("o1", "omnilink.succeeded", "2026-01-05T03:01:00Z", "whatsapp", "wa", "886922000111", `{"campaign":"cmp","target":{"channel":{"type":"line","id":"oa"},"channel_user_id":"UA"}}`),
	)
	waitUint(t, a, 1, `SELECT count() FROM merge_log WHERE team_id = {team:String} AND ok = 0 AND reason = 'member_id_conflict' AND event_id = 'o1'`, "team", "idt")
	waitUint(t, a, 2, distinctCustomers, "team", "idt")
	// Every identity change is also an event on the identity topic.
	changes := identityChanges(t, e.brokers, a.Topics.Identity, 2)
	if c := changes["b2"]; c.Kind != "merge" || c.Cause != "social" || c.Team != "idt" || len(c.Others) != 1 {
		t.Errorf("identity topic, merge of b2: %+v", c)
	}
	if c := changes["o1"]; c.Kind != "refused" || c.Reason != "member_id_conflict" {
		t.Errorf("identity topic, refusal of o1: %+v", c)
	}

	// Restart the processors: the graph comes back from the state topic, so
	// a new contact binding M1 joins the same customer id.
	a.Close()
	a = e.start(t)
	defer a.Close()
	post(ev("b4", "identity.bind", "2026-01-05T04:00:00Z", "instagram", "ig", "IGC", `{"method":"social","member_id":"M1"}`))
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, code = view(t, a, key, "/v1/contacts/instagram/ig/IGC")
		if code == 200 && len(c.Contacts) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: status %d, view %+v", code, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.CustomerID != merged {
		t.Fatalf("after restart the member joined customer %s, want %s", c.CustomerID, merged)
	}
	// Deleting a contact removes it from the customer and erases its
	// personal data from ClickHouse.
	post(ev("d1", "contact.deleted", "2026-01-05T05:00:00Z", "facebook", "page", "PB", ""))
	waitUint(t, a, 0, `SELECT count() FROM contact_updates WHERE team_id = {team:String} AND contact_id = 'PB' AND (name != '' OR phone != '')`, "team", "idt")
	if _, code := view(t, a, key, "/v1/contacts/facebook/page/PB"); code != http.StatusNotFound {
		t.Fatalf("deleted contact: status %d, want 404", code)
	}
	c, _ = view(t, a, key, "/v1/customers/"+merged)
	if c == nil || len(c.Contacts) != 2 {
		t.Fatalf("after deletion the customer has %+v, want 2 contacts", c)
	}
	// Personal data never reaches the logs, at any level.
	logs := e.logs.String()
	if !strings.Contains(logs, "partition assigned") {
		t.Fatal("the log capture saw nothing")
	}
	for _, pii := range []string{"0911223344", "886911223344", "Amy F"} {
		if strings.Contains(logs, pii) {
			t.Errorf("the logs contain personal data %q", pii)
		}
	}
}

// identityChanges reads the identity topic until it holds at least n
// changes, keyed by triggering event id.
func identityChanges(t *testing.T, brokers []string, topic string, n int) map[string]core.IdentityChange {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[string]core.IdentityChange{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("identity topic: %d of %d changes: %+v", len(out), n, out)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var c core.IdentityChange
			if err := json.Unmarshal(r.Value, &c); err != nil {
				t.Errorf("identity record %s: %v", r.Value, err)
				return
			}
			out[c.EventID] = c
		})
	}
	return out
}
