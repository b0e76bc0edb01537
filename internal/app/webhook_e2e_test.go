package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/redirect"
	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/line"
	"github.com/omnistream/omnistream/internal/channels"
)

// TestLINEBroadcastReplyAndClick: a LINE broadcast delivered through
// canonical events, then one customer's reply through LINE's own webhook
// and another's tracked click, give the broadcast report's response and
// click numbers.
func TestLINEBroadcastReplyAndClick(t *testing.T) {
	e := newEnv(t)
	a := e.start(t)
	defer a.Close()
	key := createTeam(t, a, "lshop")
	const secret = "0123456789abcdef0123456789abcdef"
	if err := a.Channels.Put(context.Background(), channels.Channel{Kind: channels.KindLINE, ID: "oa1", TeamID: "lshop", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	sent := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	var evs []string
	for i, u := range []string{"Uaaa", "Ubbb", "Uccc"} {
		ts := sent.Format(time.RFC3339Nano)
		evs = append(evs,
			fmt.Sprintf(`{"event_id":"s%d","type":"message.sent","ts":%q,"channel":{"type":"line","id":"oa1"},"contact":{"channel_user_id":%q},"source":{"kind":"broadcast","id":"bc1"},"message_id":"m%d","props":{"message_kind":"text_buttons"}}`, i, ts, u, i),
			fmt.Sprintf(`{"event_id":"d%d","type":"message.delivered","ts":%q,"channel":{"type":"line","id":"oa1"},"contact":{"channel_user_id":%q},"source":{"kind":"broadcast","id":"bc1"},"message_id":"m%d"}`, i, sent.Add(time.Second).Format(time.RFC3339Nano), u, i))
	}
	postRaw(t, a.HTTPURL, key, strings.Join(evs, "\n"), http.StatusAccepted)

	// Uaaa replies through the LINE webhook, signed with the channel secret.
	body := fmt.Sprintf(`{"destination":"Uoa","events":[{"type":"message","mode":"active","timestamp":%d,"source":{"type":"user","userId":"Uaaa"},"webhookEventId":"01HREPLY0000000000000000AA","deliveryContext":{"isRedelivery":false},"replyToken":"r","message":{"id":"444","type":"text","quoteToken":"q","text":"I want one"}}]}`,
		time.Now().UnixMilli())
	sig := base64.StdEncoding.EncodeToString(line.Sign(webhooks.Secret(secret), []byte(body)))
	req, _ := http.NewRequest(http.MethodPost, a.HTTPURL+"/webhooks/line/oa1", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Line-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LINE webhook: status %d", resp.StatusCode)
	}
	// The same delivery with a wrong signature is refused.
	req, _ = http.NewRequest(http.MethodPost, a.HTTPURL+"/webhooks/line/oa1", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Line-Signature", base64.StdEncoding.EncodeToString([]byte("forged")))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged signature: %v %v", resp, err)
	}

	// Ubbb clicks a tracked url button of the broadcast.
	token, err := a.Redirect.Sign(redirect.Link{TeamID: "lshop", SourceKind: "broadcast", SourceID: "bc1", MessageID: "m1",
		ChannelType: "line", ChannelID: "oa1", ContactID: "Ubbb", ButtonID: "buy", ButtonKind: "url", Target: "https://shop.example/sale?x=1"})
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	creq, _ := http.NewRequest(http.MethodGet, a.HTTPURL+"/r/"+token, nil)
	creq.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Line/13.0.0")
	resp, err = noFollow.Do(creq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Host != "shop.example" || loc.Query().Get("x") != "1" || loc.Query().Get("utm_campaign") != "bc1" {
		t.Fatalf("redirect: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A tampered token leads nowhere.
	if resp, err := noFollow.Get(a.HTTPURL + "/r/" + token[:len(token)-2] + "xx"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("tampered token: %v %v", resp, err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		r, code, err := getReport(a.HTTPURL, key, "bc1")
		if err == nil && code == 200 && len(r.Channels) == 1 {
			c := r.Channels[0]
			if c.Delivered == 3 && c.Clicked == 1 && c.Responded == 2 {
				// Ubbb's url click is a click, not a response; Uaaa's reply is a response.
				t.Fatalf("a url click counted as a response: %+v", c)
			}
			if c.Delivered == 3 && c.Clicked == 1 && c.Responded == 1 && c.ClickRate != nil && *c.ClickRate == 1.0/3 &&
				c.ResponseRate != nil && *c.ResponseRate == 1.0/3 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("report: %+v", c)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("report: %d %v", code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
