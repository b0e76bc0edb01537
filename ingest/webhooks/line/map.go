package line

import (
	"fmt"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// envelope is the webhook request body. Events stay raw so that one event
// that fails to decode does not take the others with it.
type envelope struct {
	Destination string            `json:"destination"`
	Events      []json.RawMessage `json:"events"`
}

// webhookEvent is the part of a LINE webhook event object the mapping reads.
type webhookEvent struct {
	Type            string          `json:"type"`
	Mode            string          `json:"mode"`
	Timestamp       json.RawMessage `json:"timestamp"`
	WebhookEventID  string          `json:"webhookEventId"`
	DeliveryContext struct {
		IsRedelivery bool `json:"isRedelivery"`
	} `json:"deliveryContext"`
	Source struct {
		Type    string `json:"type"`
		UserID  string `json:"userId"`
		GroupID string `json:"groupId"`
		RoomID  string `json:"roomId"`
	} `json:"source"`
	Message *struct {
		ID              string `json:"id"`
		Type            string `json:"type"`
		PackageID       string `json:"packageId"`
		StickerID       string `json:"stickerId"`
		QuotedMessageID string `json:"quotedMessageId"`
	} `json:"message"`
	Follow *struct {
		IsUnblocked bool `json:"isUnblocked"`
	} `json:"follow"`
	Postback *struct {
		Data   string          `json:"data"`
		Params json.RawMessage `json:"params"`
	} `json:"postback"`
}

// messageKinds maps LINE message types to props.kind of message.inbound.
var messageKinds = map[string]string{
	"text": "text", "image": "image", "video": "video", "audio": "audio",
	"file": "file", "location": "location", "sticker": "sticker",
}

// mapBody maps a verified webhook body into b. It never fails as a whole:
// what cannot be mapped becomes a dead letter.
func mapBody(channelID, teamID string, body []byte, b *hook.Batch) {
	var env envelope
	if err := hook.Decode(body, &env); err != nil {
		b.DeadLetter(body, "body is not a LINE webhook object: "+err.Error())
		return
	}
	for _, raw := range env.Events {
		if err := mapEvent(channelID, teamID, raw, b); err != nil {
			b.DeadLetter(raw, err.Error())
		}
	}
}

func mapEvent(channelID, teamID string, raw json.RawMessage, b *hook.Batch) error {
	var ev webhookEvent
	if err := hook.Decode(raw, &ev); err != nil {
		return fmt.Errorf("decode LINE webhook event: %w", err)
	}
	switch ev.Type {
	case "message", "follow", "unfollow", "postback":
	default:
		b.Skip() // join, leave, beacon, accountLink, unsend, videoPlayComplete, …: not tracked
		return nil
	}
	ts, err := hook.UnixTime(ev.Timestamp)
	if err != nil {
		return fmt.Errorf("LINE %s event: timestamp %w", ev.Type, err)
	}
	if ev.Source.UserID == "" {
		return fmt.Errorf("LINE %s event: source.userId is missing (a group member who has not consented to profile access cannot be attributed)", ev.Type)
	}
	// Redeliveries carry the same webhookEventId; without one (very old
	// payloads) the natural key of the event stands in.
	key := ev.WebhookEventID
	if key == "" {
		key = fmt.Sprintf("%s|%d|%s", ev.Type, ts.UnixMilli(), ev.Source.UserID)
		if ev.Message != nil {
			key += "|" + ev.Message.ID
		}
	}
	m := mapper{channelID: channelID, teamID: teamID, ev: &ev, key: key, ts: ts, raw: raw, b: b}
	switch ev.Type {
	case "message":
		return m.message()
	case "follow":
		return m.follow()
	case "unfollow":
		return m.add(event.ContactUnsubscribed, event.Fields{Reason: "block"}, "")
	default:
		return m.postback()
	}
}

type mapper struct {
	channelID, teamID string
	ev                *webhookEvent
	key               string
	ts                time.Time
	raw               json.RawMessage
	b                 *hook.Batch
}

func (m *mapper) add(t event.Type, f event.Fields, messageID string, extra ...hook.KV) error {
	e := event.Event{
		EventID:   hook.ID(Source, m.channelID, m.key, string(t)),
		Type:      t,
		TS:        event.MilliTime(m.ts),
		Channel:   event.Channel{Type: event.ChannelLINE, ID: m.channelID},
		Contact:   event.Contact{ChannelUserID: m.ev.Source.UserID},
		MessageID: messageID,
	}
	if m.ev.Source.Type == "group" || m.ev.Source.Type == "room" {
		extra = append(extra, hook.KV{Key: "chat_type", Value: m.ev.Source.Type},
			hook.KV{Key: "chat_id", Value: m.ev.Source.GroupID + m.ev.Source.RoomID})
	}
	if m.ev.Mode == "standby" {
		extra = append(extra, hook.KV{Key: "mode", Value: "standby"})
	}
	if err := hook.Build(&e, f, extra...); err != nil {
		return err
	}
	m.b.Add(m.teamID, e, m.raw)
	return nil
}

func (m *mapper) message() error {
	msg := m.ev.Message
	if msg == nil {
		return fmt.Errorf("LINE message event without a message object")
	}
	kind, ok := messageKinds[msg.Type]
	var lineType string
	if !ok {
		kind, lineType = "other", msg.Type
	}
	return m.add(event.MessageInbound, event.Fields{Kind: kind}, msg.ID,
		hook.KV{Key: "line_type", Value: lineType},
		hook.KV{Key: "package_id", Value: msg.PackageID},
		hook.KV{Key: "sticker_id", Value: msg.StickerID},
		hook.KV{Key: "quoted_message_id", Value: msg.QuotedMessageID})
}

func (m *mapper) follow() error {
	unblocked := m.ev.Follow != nil && m.ev.Follow.IsUnblocked
	if err := m.add(event.ContactSubscribed, event.Fields{}, "", hook.KV{Key: "unblocked", Value: unblocked}); err != nil {
		return err
	}
	if unblocked {
		return nil
	}
	// A follow without follow.isUnblocked (older payloads) counts as a new
	// friend; contact.created for a contact that already exists is an upsert
	// downstream.
	return m.add(event.ContactCreated, event.Fields{ContactSrc: "organic"}, "")
}

func (m *mapper) postback() error {
	pb := m.ev.Postback
	if pb == nil {
		return fmt.Errorf("LINE postback event without a postback object")
	}
	return m.add(event.ButtonClicked, event.Fields{ButtonKind: event.ButtonModule}, "",
		hook.KV{Key: "data", Value: pb.Data},
		hook.KV{Key: "params", Value: pb.Params})
}
