package event

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on field sizes, so one record cannot bloat every table.
const (
	MaxIDLen    = 128
	MaxTextLen  = 2048
	MaxPropsLen = 16 << 10
)

// earliest is the oldest event time accepted (imports of old history are
// fine; year-1 times are bugs).
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks e against the envelope rules and its type's rules, and
// returns every problem at once as Invalid, or nil. now bounds event times:
// more than a day in the future is refused.
func (e *Event) Validate(now time.Time) error {
	var errs Invalid
	add := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	id := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			add(field, "is required")
		case len(v) > MaxIDLen:
			add(field, "is longer than 128 bytes")
		case !utf8.ValidString(v):
			add(field, "is not valid UTF-8")
		}
	}
	id("event_id", e.EventID, true)
	id("team_id", e.TeamID, false)
	r, known := rules[e.Type]
	switch {
	case e.Type == "":
		add("type", "is required")
	case !known:
		add("type", "unknown event type "+quote(string(e.Type)))
	}
	switch {
	case e.TS.IsZero():
		add("ts", "is required")
	case e.TS.Before(earliest):
		add("ts", "is before 2000-01-01")
	case e.TS.After(now.Add(24 * time.Hour)):
		add("ts", "is more than 24h in the future")
	}
	f := &e.Fields
	hasContact := e.Contact.ChannelUserID != ""
	if r.contact || hasContact || e.Channel.Type != "" {
		if e.Channel.Type == "" {
			add("channel.type", "is required")
		} else if !channelTypes[e.Channel.Type] {
			add("channel.type", "unknown channel type "+quote(e.Channel.Type)+" (line, facebook, instagram, whatsapp, web, wechat, sms)")
		}
		id("channel.id", e.Channel.ID, true)
		id("contact.channel_user_id", e.Contact.ChannelUserID, true)
	}
	if r.anyParty && !hasContact && f.MemberID == "" {
		add("contact.channel_user_id", "is required unless props.member_id is set")
	}
	if len(e.Contact.Name) > MaxTextLen {
		add("contact.name", "is longer than 2048 bytes")
	}
	id("source.kind", e.Source.Kind, false)
	id("source.id", e.Source.ID, false)
	id("source.node_id", e.Source.NodeID, false)
	if (e.Source.Kind == "broadcast" || e.Source.Kind == "journey") && e.Source.ID == "" {
		add("source.id", "is required when source.kind is "+e.Source.Kind)
	}
	id("message_id", e.MessageID, false)
	id("send_id", e.SendID, false)
	if len(e.Props) > MaxPropsLen {
		add("props", "is larger than 16 KiB")
	}

	switch e.Type {
	case MessageFailed:
		if f.Reason == "" {
			add("props.reason", "is required for message.failed")
		}
	case MessageInbound:
		if f.Kind == "" {
			add("props.kind", "is required for message.inbound")
		} else if !inboundKinds[f.Kind] {
			add("props.kind", "unknown inbound kind "+quote(f.Kind))
		}
	case ButtonClicked:
		if f.ButtonKind == "" {
			add("props.button_kind", "is required for button.clicked")
		} else if !buttonKinds[f.ButtonKind] {
			add("props.button_kind", "unknown button kind "+quote(f.ButtonKind)+" (url, module, text_link, reply)")
		}
	case RichMenuClicked:
		if f.Area == "" {
			add("props.area", "is required for richmenu.clicked")
		}
	case TagAdded, TagRemoved:
		if strings.TrimSpace(f.Tag) == "" {
			add("props.tag", "is required for "+string(e.Type))
		}
	case AttributeSet:
		if f.Attribute == "" {
			add("props.attribute", "is required for attribute.set")
		}
	case OrderPlaced:
		if f.OrderID == "" {
			add("props.order_id", "is required for order.placed")
		}
		if f.Amount < 0 {
			add("props.amount", "must not be negative")
		}
		if len(f.Currency) != 3 || strings.ToUpper(f.Currency) != f.Currency {
			add("props.currency", "must be a 3-letter ISO 4217 code such as TWD")
		}
	case IdentityBind, IdentityUnbind:
		if f.Method == "" {
			add("props.method", "is required for "+string(e.Type))
		} else if !bindMethods[f.Method] {
			add("props.method", "unknown binding method "+quote(f.Method))
		}
		if e.Type == IdentityBind && f.MemberID == "" && f.Phone == "" && f.Email == "" && f.Target == nil {
			add("props", "identity.bind needs member_id, phone, email or target")
		}
	case OmniLinkClicked, OmniLinkSucceeded, OmniLinkFailed:
		if f.Campaign == "" {
			add("props.campaign", "is required for "+string(e.Type))
		}
		if e.Type == OmniLinkFailed && f.Reason != "" && !omniLinkReasons[f.Reason] {
			add("props.reason", "unknown OmniLink failure reason "+quote(f.Reason))
		}
		if e.Type == OmniLinkSucceeded && (f.Target == nil || f.Target.UserID == "" || f.Target.Channel.Type == "") {
			add("props.target", "is required for omnilink.succeeded")
		}
	case ContactUnsubscribed:
		if f.Reason != "" && f.Reason != "block" && f.Reason != "unsubscribe" {
			add("props.reason", "must be block or unsubscribe")
		}
	}
	if f.Target != nil && f.Target.Channel.Type != "" && !channelTypes[f.Target.Channel.Type] {
		add("props.target.channel.type", "unknown channel type "+quote(f.Target.Channel.Type))
	}
	if len(errs) == 0 {
		return nil
	}
	sortErrors(errs)
	return errs
}

func sortErrors(errs Invalid) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
