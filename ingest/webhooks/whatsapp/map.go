package whatsapp

import (
	"errors"
	"fmt"
	"strings"
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
	ID      string            `json:"id"`
	Changes []json.RawMessage `json:"changes"`
}

type change struct {
	Field string `json:"field"`
	Value struct {
		Metadata struct {
			PhoneNumberID string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts []struct {
			Profile struct {
				Name string `json:"name"`
			} `json:"profile"`
			WaID string `json:"wa_id"`
		} `json:"contacts"`
		Messages []json.RawMessage `json:"messages"`
		Statuses []json.RawMessage `json:"statuses"`
		Errors   []json.RawMessage `json:"errors"`
	} `json:"value"`
}

type message struct {
	From      string          `json:"from"`
	ID        string          `json:"id"`
	Timestamp json.RawMessage `json:"timestamp"`
	Type      string          `json:"type"`
	Context   *struct {
		From                string          `json:"from"`
		ID                  string          `json:"id"`
		Forwarded           bool            `json:"forwarded"`
		FrequentlyForwarded bool            `json:"frequently_forwarded"`
		ReferredProduct     json.RawMessage `json:"referred_product"`
	} `json:"context"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Referral json.RawMessage `json:"referral"`
}

type status struct {
	ID                     string          `json:"id"`
	Status                 string          `json:"status"`
	Timestamp              json.RawMessage `json:"timestamp"`
	RecipientID            string          `json:"recipient_id"`
	RecipientParticipantID string          `json:"recipient_participant_id"`
	BizOpaqueCallbackData  string          `json:"biz_opaque_callback_data"`
	Conversation           *struct {
		Origin struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
	Pricing *struct {
		Billable *bool  `json:"billable"`
		Category string `json:"category"`
	} `json:"pricing"`
	Errors []struct {
		Code      json.RawMessage `json:"code"`
		Title     string          `json:"title"`
		Message   string          `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

// messageKinds maps WhatsApp message types to props.kind of message.inbound.
var messageKinds = map[string]string{
	"text": "text", "image": "image", "video": "video", "audio": "audio", "voice": "audio",
	"document": "file", "sticker": "sticker", "location": "location",
}

// skippedTypes are message types that are not the customer talking.
var skippedTypes = map[string]bool{"system": true, "request_welcome": true, "ephemeral": true}

type resolver func(phoneNumberID string) (teamID string, err error)

// mapBody maps a verified body into b. Only a failing number lookup is an
// error; everything else that cannot be mapped becomes a dead letter.
func mapBody(body []byte, resolve resolver, b *hook.Batch) error {
	var env envelope
	if err := hook.Decode(body, &env); err != nil {
		b.DeadLetter(body, "body is not a WhatsApp webhook object: "+err.Error())
		return nil
	}
	if env.Object != "whatsapp_business_account" {
		b.DeadLetter(body, fmt.Sprintf("object %q is not handled by the WhatsApp receiver (whatsapp_business_account)", env.Object))
		return nil
	}
	teams := map[string]string{}
	for _, rawEntry := range env.Entry {
		var en entry
		if err := hook.Decode(rawEntry, &en); err != nil {
			b.DeadLetter(rawEntry, "decode entry: "+err.Error())
			continue
		}
		for _, raw := range en.Changes {
			if err := mapChange(raw, resolve, teams, b); err != nil {
				return err
			}
		}
	}
	return nil
}

func mapChange(raw json.RawMessage, resolve resolver, teams map[string]string, b *hook.Batch) error {
	var c change
	if err := hook.Decode(raw, &c); err != nil {
		b.DeadLetter(raw, "decode change: "+err.Error())
		return nil
	}
	if c.Field != "messages" {
		b.Skip() // account_update, message_template_status_update, …: not interactions
		return nil
	}
	number := c.Value.Metadata.PhoneNumberID
	if number == "" {
		b.DeadLetter(raw, "value.metadata.phone_number_id is missing")
		return nil
	}
	team, ok := teams[number]
	if !ok {
		t, err := resolve(number)
		switch {
		case errors.Is(err, webhooks.ErrNotFound):
			t = ""
		case err != nil:
			return fmt.Errorf("look up WhatsApp number %s: %w", number, err)
		}
		team, teams[number] = t, t
	}
	if team == "" {
		b.DeadLetter(raw, fmt.Sprintf("WhatsApp number %q is not configured", number))
		return nil
	}
	names := make(map[string]string, len(c.Value.Contacts))
	for _, ct := range c.Value.Contacts {
		names[digits(ct.WaID)] = ct.Profile.Name
	}
	m := mapper{number: number, team: team, names: names, b: b}
	for _, it := range c.Value.Messages {
		if err := m.message(it); err != nil {
			b.DeadLetter(it, err.Error())
		}
	}
	for _, it := range c.Value.Statuses {
		if err := m.status(it); err != nil {
			b.DeadLetter(it, err.Error())
		}
	}
	for _, it := range c.Value.Errors {
		b.DeadLetter(it, "WhatsApp reported an error for number "+number+" (value.errors); no event to map")
	}
	return nil
}

type mapper struct {
	number, team string
	names        map[string]string
	b            *hook.Batch
}

// digits keeps the digits of a WhatsApp id or phone number.
func digits(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			sb.WriteByte(s[i])
		}
	}
	return sb.String()
}

func (m *mapper) add(raw json.RawMessage, t event.Type, contact, messageID string, ts time.Time, keyID string, f event.Fields, extra ...hook.KV) error {
	e := event.Event{
		EventID:   hook.ID(Source, m.number, string(t), keyID),
		Type:      t,
		TS:        event.MilliTime(ts),
		Channel:   event.Channel{Type: event.ChannelWhatsApp, ID: m.number},
		Contact:   event.Contact{ChannelUserID: contact, Name: m.names[contact]},
		MessageID: messageID,
	}
	if err := hook.Build(&e, f, extra...); err != nil {
		return err
	}
	m.b.Add(m.team, e, raw)
	return nil
}

func (m *mapper) message(raw json.RawMessage) error {
	var msg message
	if err := hook.Decode(raw, &msg); err != nil {
		return fmt.Errorf("decode WhatsApp message: %w", err)
	}
	if skippedTypes[msg.Type] {
		m.b.Skip()
		return nil
	}
	from := digits(msg.From)
	if from == "" {
		return fmt.Errorf("WhatsApp %s message: from is missing or has no digits", msg.Type)
	}
	if msg.ID == "" {
		return fmt.Errorf("WhatsApp %s message: id is missing", msg.Type)
	}
	ts, err := hook.UnixTime(msg.Timestamp)
	if err != nil {
		return fmt.Errorf("WhatsApp %s message: timestamp %w", msg.Type, err)
	}
	var contextID string
	var forwarded bool
	var product json.RawMessage
	if msg.Context != nil {
		contextID = msg.Context.ID
		forwarded = msg.Context.Forwarded || msg.Context.FrequentlyForwarded
		product = msg.Context.ReferredProduct
	}
	common := []hook.KV{{Key: "referral", Value: msg.Referral}}

	switch msg.Type {
	case "button", "interactive":
		data, title, ok := buttonReply(&msg)
		if !ok {
			break // an interactive type without a reply (nfm_reply, …): an "other" message below
		}
		return m.add(raw, event.ButtonClicked, from, contextID, ts, msg.ID, event.Fields{ButtonKind: event.ButtonModule},
			append([]hook.KV{{Key: "data", Value: data}, {Key: "title", Value: title}, {Key: "wa_message_id", Value: msg.ID}}, common...)...)
	case "reaction":
		if msg.Reaction == nil || msg.Reaction.MessageID == "" {
			return fmt.Errorf("WhatsApp reaction message: reaction.message_id is missing")
		}
		if msg.Reaction.Emoji == "" {
			m.b.Skip() // the customer removed a reaction: not a response
			return nil
		}
		return m.add(raw, event.MessageInbound, from, msg.ID, ts, msg.ID,
			event.Fields{Kind: "reaction", ReplyTo: msg.Reaction.MessageID},
			append([]hook.KV{{Key: "emoji", Value: msg.Reaction.Emoji}}, common...)...)
	}
	kind, ok := messageKinds[msg.Type]
	var waType string
	if !ok {
		kind, waType = "other", msg.Type
	}
	return m.add(raw, event.MessageInbound, from, msg.ID, ts, msg.ID, event.Fields{Kind: kind},
		append([]hook.KV{
			{Key: "wa_type", Value: waType},
			{Key: "quoted_message_id", Value: contextID},
			{Key: "forwarded", Value: forwarded},
			{Key: "referred_product", Value: product},
		}, common...)...)
}

// buttonReply returns the data and label of a tapped button or list row.
func buttonReply(msg *message) (data, title string, ok bool) {
	switch {
	case msg.Button != nil:
		return msg.Button.Payload, msg.Button.Text, true
	case msg.Interactive != nil && msg.Interactive.ButtonReply != nil:
		return msg.Interactive.ButtonReply.ID, msg.Interactive.ButtonReply.Title, true
	case msg.Interactive != nil && msg.Interactive.ListReply != nil:
		return msg.Interactive.ListReply.ID, msg.Interactive.ListReply.Title, true
	}
	return "", "", false
}

var statusTypes = map[string]event.Type{
	"sent": event.MessageSent, "delivered": event.MessageDelivered, "read": event.MessageRead, "failed": event.MessageFailed,
}

func (m *mapper) status(raw json.RawMessage) error {
	var st status
	if err := hook.Decode(raw, &st); err != nil {
		return fmt.Errorf("decode WhatsApp status: %w", err)
	}
	t, ok := statusTypes[st.Status]
	if !ok {
		m.b.Skip() // played, deleted, …
		return nil
	}
	if st.ID == "" {
		return fmt.Errorf("WhatsApp %s status: id is missing", st.Status)
	}
	contact := digits(st.RecipientParticipantID)
	if contact == "" {
		contact = digits(st.RecipientID)
	}
	if contact == "" {
		return fmt.Errorf("WhatsApp %s status: recipient_id is missing or has no digits", st.Status)
	}
	ts, err := hook.UnixTime(st.Timestamp)
	if err != nil {
		return fmt.Errorf("WhatsApp %s status: timestamp %w", st.Status, err)
	}
	extra := []hook.KV{{Key: "callback_data", Value: st.BizOpaqueCallbackData}}
	if st.Pricing != nil {
		extra = append(extra, hook.KV{Key: "pricing_category", Value: st.Pricing.Category})
		if st.Pricing.Billable != nil {
			extra = append(extra, hook.KV{Key: "billable", Value: *st.Pricing.Billable})
		}
	}
	if st.Conversation != nil {
		extra = append(extra, hook.KV{Key: "conversation_origin", Value: st.Conversation.Origin.Type})
	}
	var f event.Fields
	if t == event.MessageFailed {
		reason, code, details := failure(&st)
		f.Reason = reason
		extra = append(extra, hook.KV{Key: "error_code", Value: code}, hook.KV{Key: "error_details", Value: details})
	}
	if err := m.add(raw, t, contact, st.ID, ts, st.ID, f, extra...); err != nil {
		return err
	}
	if t != event.MessageRead {
		return nil
	}
	// A read implies a delivery; WhatsApp may not send the delivered status
	// at all. Same id as the delivered status's own event, so whichever
	// arrives second deduplicates.
	return m.add(raw, event.MessageDelivered, contact, st.ID, ts, st.ID, event.Fields{},
		append(extra, hook.KV{Key: "implied_by", Value: "read"})...)
}

// failure describes a failed status: reason (the error title), code, details.
func failure(st *status) (reason, code, details string) {
	if len(st.Errors) == 0 {
		return "unknown (no errors in the status)", "", ""
	}
	e := st.Errors[0]
	code = strings.Trim(string(e.Code), `"`)
	if code == "null" {
		code = ""
	}
	reason = e.Title
	if reason == "" {
		reason = e.Message
	}
	if reason == "" && code != "" {
		reason = "error " + code
	}
	if reason == "" {
		reason = "unknown"
	}
	return reason, code, e.ErrorData.Details
}
