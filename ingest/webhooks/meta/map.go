package meta

import (
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

type envelope struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type entry struct {
	ID        string            `json:"id"`
	Time      json.RawMessage   `json:"time"`
	Messaging []json.RawMessage `json:"messaging"`
	Standby   []json.RawMessage `json:"standby"`
	Changes   []struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value"`
	} `json:"changes"`
}

// messagingFields are the changes[].field values whose value is a messaging
// item (the shape Meta uses for test notifications and newer deliveries).
var messagingFields = map[string]bool{
	"messages": true, "message_echoes": true, "messaging_postbacks": true, "message_reads": true,
	"messaging_seen": true, "message_deliveries": true, "message_reactions": true,
}

type item struct {
	Sender struct {
		ID      string `json:"id"`
		UserRef string `json:"user_ref"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Timestamp json.RawMessage `json:"timestamp"`
	Message   *struct {
		Mid        string          `json:"mid"`
		Text       string          `json:"text"`
		IsEcho     bool            `json:"is_echo"`
		IsDeleted  bool            `json:"is_deleted"`
		AppID      json.RawMessage `json:"app_id"`
		Metadata   string          `json:"metadata"`
		QuickReply *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
		ReplyTo *struct {
			Mid string `json:"mid"`
		} `json:"reply_to"`
		Attachments []struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
	Postback *struct {
		Mid      string          `json:"mid"`
		Title    string          `json:"title"`
		Payload  string          `json:"payload"`
		Referral json.RawMessage `json:"referral"`
	} `json:"postback"`
	Read *struct {
		Watermark json.RawMessage `json:"watermark"`
		Mid       string          `json:"mid"`
	} `json:"read"`
	Delivery *struct {
		Mids      []string        `json:"mids"`
		Watermark json.RawMessage `json:"watermark"`
	} `json:"delivery"`
	Reaction *struct {
		Reaction string `json:"reaction"`
		Emoji    string `json:"emoji"`
		Action   string `json:"action"`
		Mid      string `json:"mid"`
	} `json:"reaction"`
}

// attachmentKinds maps attachment types to props.kind; others are "other".
var attachmentKinds = map[string]string{
	"image": "image", "video": "video", "audio": "audio", "file": "file", "location": "location",
}

// resolver finds the team of an account; an error not wrapping
// webhooks.ErrNotFound aborts the request (the platform will retry).
type resolver func(channelType, accountID string) (string, error)

// mapBody maps a verified body into b. Only a failing account lookup is an
// error; everything else that cannot be mapped becomes a dead letter.
func mapBody(body []byte, resolve resolver, b *hook.Batch) error {
	var env envelope
	if err := hook.Decode(body, &env); err != nil {
		b.DeadLetter(body, "body is not a Meta webhook object: "+err.Error())
		return nil
	}
	var channelType string
	switch env.Object {
	case "page":
		channelType = event.ChannelFacebook
	case "instagram":
		channelType = event.ChannelInstagram
	default:
		b.DeadLetter(body, fmt.Sprintf("object %q is not handled by the Meta messaging receiver (page, instagram)", env.Object))
		return nil
	}
	teams := map[string]string{}
	for _, raw := range env.Entry {
		var en entry
		if err := hook.Decode(raw, &en); err != nil {
			b.DeadLetter(raw, "decode entry: "+err.Error())
			continue
		}
		team, ok := teams[en.ID]
		if !ok {
			t, err := resolve(channelType, en.ID)
			switch {
			case errors.Is(err, webhooks.ErrNotFound):
			case err != nil:
				return fmt.Errorf("look up %s account %s: %w", channelType, en.ID, err)
			}
			team, teams[en.ID] = t, t
		}
		if team == "" {
			b.DeadLetter(raw, fmt.Sprintf("%s account %q is not configured for this app", channelType, en.ID))
			continue
		}
		m := mapper{channelType: channelType, account: en.ID, team: team, b: b}
		m.entryTime, _ = hook.UnixTime(en.Time)
		for _, it := range en.Messaging {
			m.item(it, false)
		}
		for _, it := range en.Standby {
			m.item(it, true)
		}
		for _, c := range en.Changes {
			if !messagingFields[c.Field] {
				b.Skip() // feed, comments, mentions, …: not messaging
				continue
			}
			m.item(c.Value, false)
		}
	}
	return nil
}

type mapper struct {
	channelType, account, team string
	entryTime                  time.Time
	b                          *hook.Batch
}

func (m *mapper) item(raw json.RawMessage, standby bool) {
	if err := m.mapItem(raw, standby); err != nil {
		m.b.DeadLetter(raw, err.Error())
	}
}

func (m *mapper) mapItem(raw json.RawMessage, standby bool) error {
	var it item
	if err := hook.Decode(raw, &it); err != nil {
		return fmt.Errorf("decode %s messaging item: %w", m.channelType, err)
	}
	ts, err := hook.UnixTime(it.Timestamp)
	if err != nil {
		if len(it.Timestamp) != 0 || m.entryTime.IsZero() {
			return fmt.Errorf("%s messaging item: timestamp %w", m.channelType, err)
		}
		ts = m.entryTime // message_deliveries items may carry no timestamp
	}
	x := itemCtx{mapper: m, raw: raw, ts: ts, standby: standby}
	switch {
	case it.Message != nil && it.Message.IsEcho:
		return x.echo(&it)
	case it.Message != nil:
		return x.message(&it)
	case it.Postback != nil:
		return x.postback(&it)
	case it.Read != nil:
		return x.read(&it)
	case it.Delivery != nil:
		return x.delivery(&it)
	case it.Reaction != nil:
		return x.reaction(&it)
	}
	m.b.Skip() // optin, referral, account linking, handover, policy enforcement, …
	return nil
}

type itemCtx struct {
	*mapper
	raw     json.RawMessage
	ts      time.Time
	standby bool
	source  event.Source
}

// customer returns the person's id on the platform: the PSID / IGSID, or
// the chat plugin's user_ref.
func customer(it *item) (id string, userRef bool, err error) {
	switch {
	case it.Sender.ID != "":
		return it.Sender.ID, false, nil
	case it.Sender.UserRef != "":
		return it.Sender.UserRef, true, nil
	}
	return "", false, errors.New("sender.id is missing")
}

func (x *itemCtx) add(t event.Type, contact, messageID string, key []string, f event.Fields, extra ...hook.KV) error {
	if x.standby {
		extra = append(extra, hook.KV{Key: "standby", Value: true})
	}
	e := event.Event{
		EventID:   hook.ID(x.channelType, append([]string{x.account, string(t)}, key...)...),
		Type:      t,
		TS:        event.MilliTime(x.ts),
		Channel:   event.Channel{Type: x.channelType, ID: x.account},
		Contact:   event.Contact{ChannelUserID: contact},
		Source:    x.source,
		MessageID: messageID,
	}
	if err := hook.Build(&e, f, extra...); err != nil {
		return err
	}
	x.b.Add(x.team, e, x.raw)
	return nil
}

// midProps keeps the full mid when MessageID had to shorten it.
func midProps(mid string) hook.KV {
	if MessageID(mid) == mid {
		return hook.KV{}
	}
	return hook.KV{Key: "mid", Value: mid}
}

func (x *itemCtx) message(it *item) error {
	msg := it.Message
	if msg.IsDeleted {
		x.b.Skip() // Instagram unsend notification
		return nil
	}
	who, userRef, err := customer(it)
	if err != nil {
		return fmt.Errorf("%s message: %w", x.channelType, err)
	}
	if msg.Mid == "" {
		return fmt.Errorf("%s message: message.mid is missing", x.channelType)
	}
	kind, attType := "other", ""
	switch {
	case len(msg.Attachments) > 0:
		a := msg.Attachments[0]
		if k, ok := attachmentKinds[a.Type]; ok {
			kind = k
		} else {
			attType = a.Type
		}
		if a.Type == "image" && hasSticker(a.Payload) {
			kind = "sticker"
		}
	case msg.Text != "":
		kind = "text"
	}
	var quoted string
	if msg.ReplyTo != nil {
		quoted = MessageID(msg.ReplyTo.Mid)
	}
	var qrPayload string
	if msg.QuickReply != nil {
		qrPayload = msg.QuickReply.Payload
	}
	if err := x.add(event.MessageInbound, who, MessageID(msg.Mid), []string{msg.Mid}, event.Fields{Kind: kind},
		hook.KV{Key: "attachment_type", Value: attType},
		hook.KV{Key: "attachments", Value: countIfMany(len(msg.Attachments))},
		hook.KV{Key: "quoted_message_id", Value: quoted},
		hook.KV{Key: "quick_reply", Value: qrPayload},
		hook.KV{Key: "user_ref", Value: userRef},
		midProps(msg.Mid)); err != nil {
		return err
	}
	if msg.QuickReply == nil {
		return nil
	}
	return x.add(event.ButtonClicked, who, MessageID(msg.Mid), []string{msg.Mid},
		event.Fields{ButtonKind: event.ButtonReply},
		hook.KV{Key: "data", Value: qrPayload}, hook.KV{Key: "user_ref", Value: userRef}, midProps(msg.Mid))
}

func countIfMany(n int) any {
	if n > 1 {
		return n
	}
	return nil
}

func hasSticker(payload json.RawMessage) bool {
	var p struct {
		StickerID json.RawMessage `json:"sticker_id"`
	}
	return json.Unmarshal(payload, &p) == nil && len(p.StickerID) > 0 && string(p.StickerID) != "null"
}

func (x *itemCtx) echo(it *item) error {
	msg := it.Message
	if it.Recipient.ID == "" {
		return fmt.Errorf("%s echo: recipient.id is missing", x.channelType)
	}
	if msg.Mid == "" {
		return fmt.Errorf("%s echo: message.mid is missing", x.channelType)
	}
	var appID string
	if len(msg.AppID) > 0 {
		var s string
		if json.Unmarshal(msg.AppID, &s) == nil {
			appID = s
		} else {
			appID = string(msg.AppID)
		}
	}
	if appID == "null" {
		appID = ""
	}
	x.source = event.Source{Kind: "echo"} // sent by the Page: our platform, another app, or a person in the inbox
	return x.add(event.MessageSent, it.Recipient.ID, MessageID(msg.Mid), []string{msg.Mid}, event.Fields{},
		hook.KV{Key: "app_id", Value: appID},
		hook.KV{Key: "metadata", Value: msg.Metadata},
		midProps(msg.Mid))
}

func (x *itemCtx) postback(it *item) error {
	who, userRef, err := customer(it)
	if err != nil {
		return fmt.Errorf("%s postback: %w", x.channelType, err)
	}
	pb := it.Postback
	key := []string{pb.Mid}
	if pb.Mid == "" {
		key = []string{who, x.ts.Format(time.RFC3339Nano), pb.Payload}
	}
	return x.add(event.ButtonClicked, who, "", key, event.Fields{ButtonKind: event.ButtonModule},
		hook.KV{Key: "data", Value: pb.Payload},
		hook.KV{Key: "title", Value: pb.Title},
		hook.KV{Key: "referral", Value: pb.Referral},
		hook.KV{Key: "user_ref", Value: userRef},
		hook.KV{Key: "mid", Value: pb.Mid})
}

func (x *itemCtx) read(it *item) error {
	who, _, err := customer(it)
	if err != nil {
		return fmt.Errorf("%s read: %w", x.channelType, err)
	}
	rd := it.Read
	if len(rd.Watermark) > 0 {
		wm, err := hook.UnixTime(rd.Watermark)
		if err != nil {
			return fmt.Errorf("%s read: watermark %w", x.channelType, err)
		}
		w := event.MilliTime(wm)
		return x.add(event.MessageRead, who, "", []string{who, "watermark", w.Format(time.RFC3339Nano)},
			event.Fields{Watermark: &w})
	}
	if rd.Mid == "" {
		return fmt.Errorf("%s read: neither read.watermark nor read.mid is set", x.channelType)
	}
	return x.add(event.MessageRead, who, MessageID(rd.Mid), []string{who, "mid", rd.Mid}, event.Fields{}, midProps(rd.Mid))
}

func (x *itemCtx) delivery(it *item) error {
	who, _, err := customer(it)
	if err != nil {
		return fmt.Errorf("%s delivery: %w", x.channelType, err)
	}
	d := it.Delivery
	var wm *event.Time
	if len(d.Watermark) > 0 {
		t, err := hook.UnixTime(d.Watermark)
		if err != nil {
			return fmt.Errorf("%s delivery: watermark %w", x.channelType, err)
		}
		w := event.MilliTime(t)
		wm = &w
	}
	if len(d.Mids) == 0 {
		if wm == nil {
			return fmt.Errorf("%s delivery: neither delivery.watermark nor delivery.mids is set", x.channelType)
		}
		return x.add(event.MessageDelivered, who, "", []string{who, "watermark", wm.Format(time.RFC3339Nano)},
			event.Fields{Watermark: wm})
	}
	for _, mid := range d.Mids {
		if mid == "" {
			continue
		}
		if err := x.add(event.MessageDelivered, who, MessageID(mid), []string{who, "mid", mid},
			event.Fields{Watermark: wm}, midProps(mid)); err != nil {
			return err
		}
	}
	return nil
}

func (x *itemCtx) reaction(it *item) error {
	who, userRef, err := customer(it)
	if err != nil {
		return fmt.Errorf("%s reaction: %w", x.channelType, err)
	}
	r := it.Reaction
	if r.Action == "unreact" {
		x.b.Skip() // removing a reaction is not a response
		return nil
	}
	if r.Mid == "" {
		return fmt.Errorf("%s reaction: reaction.mid is missing", x.channelType)
	}
	return x.add(event.MessageInbound, who, "", []string{who, r.Mid, r.Reaction, r.Emoji, x.ts.Format(time.RFC3339Nano)},
		event.Fields{Kind: "reaction", ReplyTo: MessageID(r.Mid)},
		hook.KV{Key: "emoji", Value: r.Emoji},
		hook.KV{Key: "reaction", Value: r.Reaction},
		hook.KV{Key: "user_ref", Value: userRef})
}
