package event

// Type is the kind of an event. Only the types of the catalogue are accepted.
type Type string

// The event catalogue (PRODUCT.md §2).
const (
	MessageSent      Type = "message.sent"
	MessageDelivered Type = "message.delivered"
	MessageFailed    Type = "message.failed"
	MessageRead      Type = "message.read"
	MessageOpened    Type = "message.opened"
	MessageInbound   Type = "message.inbound"

	ButtonClicked    Type = "button.clicked"
	RichMenuClicked  Type = "richmenu.clicked"
	KeywordTriggered Type = "keyword.triggered"

	TagAdded     Type = "tag.added"
	TagRemoved   Type = "tag.removed"
	AttributeSet Type = "attribute.set"

	OrderPlaced    Type = "order.placed"
	PixelPageview  Type = "pixel.pageview"
	IdentityBind   Type = "identity.bind"
	IdentityUnbind Type = "identity.unbind"

	ContactCreated      Type = "contact.created"
	ContactDeleted      Type = "contact.deleted"
	ContactSubscribed   Type = "contact.subscribed"
	ContactUnsubscribed Type = "contact.unsubscribed"

	OmniLinkClicked   Type = "omnilink.clicked"
	OmniLinkSucceeded Type = "omnilink.succeeded"
	OmniLinkFailed    Type = "omnilink.failed"

	BroadcastScheduled Type = "broadcast.scheduled"
	BroadcastStarted   Type = "broadcast.started"
	BroadcastCompleted Type = "broadcast.completed"
	BroadcastFailed    Type = "broadcast.failed"
	BroadcastCancelled Type = "broadcast.cancelled"
)

// rule says what a type requires beyond the common envelope.
type rule struct {
	contact  bool // channel and contact.channel_user_id are required
	anyParty bool // contact or props.member_id is required (orders, page views)
}

var rules = map[Type]rule{
	MessageSent: {contact: true}, MessageDelivered: {contact: true}, MessageFailed: {contact: true},
	MessageRead: {contact: true}, MessageOpened: {contact: true}, MessageInbound: {contact: true},
	ButtonClicked: {contact: true}, RichMenuClicked: {contact: true}, KeywordTriggered: {contact: true},
	TagAdded: {contact: true}, TagRemoved: {contact: true}, AttributeSet: {contact: true},
	OrderPlaced: {anyParty: true}, PixelPageview: {anyParty: true},
	IdentityBind: {contact: true}, IdentityUnbind: {contact: true},
	ContactCreated: {contact: true}, ContactDeleted: {contact: true},
	ContactSubscribed: {contact: true}, ContactUnsubscribed: {contact: true},
	OmniLinkClicked: {contact: true}, OmniLinkSucceeded: {contact: true}, OmniLinkFailed: {contact: true},
	BroadcastScheduled: {}, BroadcastStarted: {}, BroadcastCompleted: {}, BroadcastFailed: {}, BroadcastCancelled: {},
}

// Types returns the catalogue, for documentation and tests.
func Types() []Type {
	out := make([]Type, 0, len(rules))
	for t := range rules {
		out = append(out, t)
	}
	return out
}

// Known reports whether t is in the catalogue.
func (t Type) Known() bool { _, ok := rules[t]; return ok }

// Channel types.
const (
	ChannelLINE      = "line"
	ChannelFacebook  = "facebook"
	ChannelInstagram = "instagram"
	ChannelWhatsApp  = "whatsapp"
	ChannelWeb       = "web"
	ChannelWeChat    = "wechat"
	ChannelSMS       = "sms"
)

var channelTypes = map[string]bool{
	ChannelLINE: true, ChannelFacebook: true, ChannelInstagram: true, ChannelWhatsApp: true,
	ChannelWeb: true, ChannelWeChat: true, ChannelSMS: true,
}

// Button kinds of button.clicked. Only url and module clicks count as clicks
// in broadcast reports; a module click is also a response.
const (
	ButtonURL      = "url"
	ButtonModule   = "module"
	ButtonTextLink = "text_link"
	ButtonReply    = "reply"
)

var buttonKinds = map[string]bool{ButtonURL: true, ButtonModule: true, ButtonTextLink: true, ButtonReply: true}

// Inbound message kinds. Text, image, file and sticker are responses; a
// reaction is a response on WhatsApp.
var inboundKinds = map[string]bool{
	"text": true, "image": true, "file": true, "sticker": true, "reaction": true,
	"video": true, "audio": true, "location": true, "postback": true, "other": true,
}

// Binding methods of identity.bind.
var bindMethods = map[string]bool{
	"social": true, "phone": true, "omnilink": true, "import": true, "api": true, "email": true, "omo": true,
}

// OmniLink failure reasons.
var omniLinkReasons = map[string]bool{
	"disabled": true, "link_generation_failed": true, "source_contact_not_found": true,
	"target_contact_not_found": true, "member_id_conflict": true, "internal_error": true,
}

// Message kinds that can carry open tracking on LINE (PRODUCT.md §4).
var trackableKinds = map[string]bool{
	"text_buttons": true, "carousel": true, "image_carousel": true, "imagemap": true, "rich": true, "coupon": true,
}

// TrackableKind reports whether a LINE message of this kind can be tracked
// for opens.
func TrackableKind(kind string) bool { return trackableKinds[kind] }
