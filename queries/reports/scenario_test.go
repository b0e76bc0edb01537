package reports_test

import (
	"fmt"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

// scenario builds canonical events as the platform's senders, the native
// webhooks (no source; message ids, watermarks) and the click redirector
// would send them.
type scenario struct {
	evs []event.Event
}

// account is a channel account.
type account struct{ typ, id string }

var (
	lineOA = account{"line", "oa1"}
	fbPage = account{"facebook", "page1"}
	waNum  = account{"whatsapp", "wa1"}
)

// T0 is 2026-03-02 10:00 in Asia/Taipei.
var T0 = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

// e is one event; fields left empty are absent.
type e struct {
	typ       event.Type
	at        time.Time
	acc       account
	contact   string
	kind, id  string // source kind and id
	node      string
	mid, sid  string // message id, send id
	props     map[string]any
	noContact bool
}

func (s *scenario) add(x e) {
	ev := event.Event{
		EventID:   fmt.Sprintf("ev-%04d", len(s.evs)+1),
		Type:      x.typ,
		TS:        event.MilliTime(x.at),
		Source:    event.Source{Kind: x.kind, ID: x.id, NodeID: x.node},
		MessageID: x.mid,
		SendID:    x.sid,
	}
	if !x.noContact {
		ev.Channel = event.Channel{Type: x.acc.typ, ID: x.acc.id}
		ev.Contact = event.Contact{ChannelUserID: x.contact}
	}
	if x.props != nil {
		b, err := json.Marshal(x.props)
		if err != nil {
			panic(err)
		}
		ev.Props = b
	}
	s.evs = append(s.evs, ev)
}

// lifecycle adds a broadcast.* event.
func (s *scenario) lifecycle(typ event.Type, id string, at time.Time, props map[string]any) {
	s.add(e{typ: typ, at: at, kind: "broadcast", id: id, noContact: true, props: props})
}

// bsent, bdelivered, … are events of the platform's broadcast sender: they
// carry the broadcast as source.
func (s *scenario) bsent(id string, acc account, contact, mid, kind string, at time.Time) {
	s.add(e{typ: event.MessageSent, at: at, acc: acc, contact: contact, kind: "broadcast", id: id, mid: mid, props: map[string]any{"message_kind": kind}})
}

func (s *scenario) breceipt(typ event.Type, id string, acc account, contact, mid string, at time.Time, props map[string]any) {
	s.add(e{typ: typ, at: at, acc: acc, contact: contact, kind: "broadcast", id: id, mid: mid, props: props})
}

// click is a tracked click (click redirector, or a platform callback) with
// its source.
func (s *scenario) click(kind, id, node string, acc account, contact, mid, sid, buttonKind, button string, at time.Time) {
	props := map[string]any{"button_kind": buttonKind, "button_id": button}
	if buttonKind == "url" {
		props["url"] = "https://shop.example/" + button
	}
	s.add(e{typ: event.ButtonClicked, at: at, acc: acc, contact: contact, kind: kind, id: id, node: node, mid: mid, sid: sid, props: props})
}

// hook is a receipt of a native webhook: no source.
func (s *scenario) hook(typ event.Type, acc account, contact, mid string, at time.Time, props map[string]any) {
	s.add(e{typ: typ, at: at, acc: acc, contact: contact, mid: mid, props: props})
}

func (s *scenario) inbound(acc account, contact, kind string, at time.Time, replyTo string) {
	props := map[string]any{"kind": kind}
	if replyTo != "" {
		props["reply_to"] = replyTo
	}
	s.add(e{typ: event.MessageInbound, at: at, acc: acc, contact: contact, props: props})
}

func (s *scenario) bind(acc account, contact, member string, at time.Time) {
	s.add(e{typ: event.IdentityBind, at: at, acc: acc, contact: contact, kind: "pixel", props: map[string]any{"method": "social", "member_id": member}})
}

// order is order.placed by a contact (acc/contact set) or by a member id
// only (contact empty).
func (s *scenario) order(id string, acc account, contact, member string, amount, currency string, at time.Time) {
	props := map[string]any{"order_id": id, "amount": amount, "currency": currency}
	if member != "" {
		props["member_id"] = member
	}
	s.add(e{typ: event.OrderPlaced, at: at, acc: acc, contact: contact, kind: "pixel", props: props, noContact: contact == ""})
}

// jsent, jreceipt are events of the journey engine.
func (s *scenario) jsent(id, node string, acc account, contact, mid, sid, kind string, at time.Time) {
	s.add(e{typ: event.MessageSent, at: at, acc: acc, contact: contact, kind: "journey", id: id, node: node, mid: mid, sid: sid, props: map[string]any{"message_kind": kind}})
}

func (s *scenario) jreceipt(typ event.Type, id, node string, acc account, contact, mid, sid string, at time.Time, props map[string]any) {
	s.add(e{typ: typ, at: at, acc: acc, contact: contact, kind: "journey", id: id, node: node, mid: mid, sid: sid, props: props})
}

const (
	sec  = time.Second
	min_ = time.Minute
	hour = time.Hour
	day  = 24 * time.Hour
)

// golden is the scenario of the acceptance tests. Every edge case of the
// definitions sits in its own broadcast, contact or journey send, so the
// expected numbers in goldenBroadcasts and goldenJourney can be computed by
// hand from the comments here.
func golden() []event.Event {
	var s scenario

	// Identity: L1 (LINE) and, later, W5 (WhatsApp) bind member M1, so they
	// are one customer as the map is now; L3 binds M3.
	s.bind(lineOA, "L1", "M1", T0.Add(-day))
	s.bind(lineOA, "L3", "M3", T0.Add(-day))
	s.bind(waNum, "W5", "M1", T0.Add(10*day))

	// b1 — LINE, two trackable messages to L1, one to the others.
	// Announced audience 10; 7 contacts have events.
	s.lifecycle(event.BroadcastScheduled, "b1", T0.Add(-day), nil)
	s.lifecycle(event.BroadcastStarted, "b1", T0, map[string]any{"audience": 10})
	s.lifecycle(event.BroadcastCompleted, "b1", T0.Add(10*min_), nil)
	d1 := T0.Add(sec) // delivery time of b1
	// L1: two messages, three buttons clicked (2 url, 1 module): one
	// clicker; the module click is also a response. Opened twice: one
	// opener.
	s.bsent("b1", lineOA, "L1", "b1-L1-m1", "text_buttons", T0)
	s.bsent("b1", lineOA, "L1", "b1-L1-m2", "carousel", T0)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L1", "b1-L1-m1", d1, nil)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L1", "b1-L1-m2", d1, nil)
	s.breceipt(event.MessageOpened, "b1", lineOA, "L1", "b1-L1-m1", T0.Add(10*min_), nil)
	s.breceipt(event.MessageOpened, "b1", lineOA, "L1", "b1-L1-m2", T0.Add(20*min_), nil)
	s.click("broadcast", "b1", "", lineOA, "L1", "b1-L1-m1", "", "url", "btn-a", d1.Add(hour))
	s.click("broadcast", "b1", "", lineOA, "L1", "b1-L1-m2", "", "url", "btn-b", d1.Add(2*hour))
	s.click("broadcast", "b1", "", lineOA, "L1", "b1-L1-m2", "", "module", "btn-c", d1.Add(3*hour))
	// L2: opened; a text-link click and a quick-reply click: no click, no
	// response.
	s.bsent("b1", lineOA, "L2", "b1-L2-m1", "text_buttons", T0)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L2", "b1-L2-m1", d1, nil)
	s.breceipt(event.MessageOpened, "b1", lineOA, "L2", "b1-L2-m1", T0.Add(5*min_), nil)
	s.click("broadcast", "b1", "", lineOA, "L2", "b1-L2-m1", "", "text_link", "link-1", d1.Add(hour))
	s.click("broadcast", "b1", "", lineOA, "L2", "b1-L2-m1", "", "reply", "qr-1", d1.Add(hour))
	// L3: url click 25 h after delivery: not a click of the rate, but it
	// attributes orders.
	s.bsent("b1", lineOA, "L3", "b1-L3-m1", "text_buttons", T0)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L3", "b1-L3-m1", d1, nil)
	c3 := d1.Add(25 * hour)
	s.click("broadcast", "b1", "", lineOA, "L3", "b1-L3-m1", "", "url", "btn-a", c3)
	// L4 replies 47 h after delivery (a response), L5 49 h after (none).
	s.bsent("b1", lineOA, "L4", "b1-L4-m1", "text_buttons", T0)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L4", "b1-L4-m1", d1, nil)
	s.inbound(lineOA, "L4", "text", d1.Add(47*hour), "")
	s.bsent("b1", lineOA, "L5", "b1-L5-m1", "text_buttons", T0)
	s.breceipt(event.MessageDelivered, "b1", lineOA, "L5", "b1-L5-m1", d1, nil)
	s.inbound(lineOA, "L5", "text", d1.Add(49*hour), "")
	// L6, L7 failed; L7's last failure reason counts.
	s.bsent("b1", lineOA, "L6", "b1-L6-m1", "text_buttons", T0)
	s.breceipt(event.MessageFailed, "b1", lineOA, "L6", "b1-L6-m1", T0.Add(2*sec), map[string]any{"reason": "blocked"})
	s.bsent("b1", lineOA, "L7", "b1-L7-m1", "text_buttons", T0)
	s.breceipt(event.MessageFailed, "b1", lineOA, "L7", "b1-L7-m1", T0.Add(sec), map[string]any{"reason": "rate_limited"})
	s.breceipt(event.MessageFailed, "b1", lineOA, "L7", "b1-L7-m1", T0.Add(2*sec), map[string]any{"reason": "invalid_user"})

	// b2 — LINE, plain text only: no open rate even with an open event.
	// Sent at 2026-03-12 00:30 Taipei (still 03-11 in UTC).
	tb2 := time.Date(2026, 3, 11, 16, 30, 0, 0, time.UTC)
	s.lifecycle(event.BroadcastStarted, "b2", tb2, nil)
	s.lifecycle(event.BroadcastCompleted, "b2", tb2.Add(5*min_), nil)
	s.bsent("b2", lineOA, "L1", "b2-L1-m1", "text", tb2)
	s.breceipt(event.MessageDelivered, "b2", lineOA, "L1", "b2-L1-m1", tb2.Add(sec), nil)
	s.breceipt(event.MessageOpened, "b2", lineOA, "L1", "b2-L1-m1", tb2.Add(min_), nil)
	s.bsent("b2", lineOA, "L2", "b2-L2-m1", "text", tb2)
	s.breceipt(event.MessageDelivered, "b2", lineOA, "L2", "b2-L2-m1", tb2.Add(sec), nil)
	s.inbound(lineOA, "L2", "sticker", tb2.Add(hour), "")

	// b3 — Messenger, receipts from the webhook only (no source).
	s.lifecycle(event.BroadcastStarted, "b3", T0, nil)
	s.lifecycle(event.BroadcastFailed, "b3", T0.Add(hour), nil)
	// F1: three messages; a delivery watermark covers all three, a read
	// watermark the first two: delivered, read, 3 deliveries.
	s.bsent("b3", fbPage, "F1", "b3-F1-m1", "text", T0.Add(10*sec))
	s.bsent("b3", fbPage, "F1", "b3-F1-m2", "text", T0.Add(20*sec))
	s.bsent("b3", fbPage, "F1", "b3-F1-m3", "text", T0.Add(30*sec))
	s.hook(event.MessageDelivered, fbPage, "F1", "", T0.Add(40*sec), map[string]any{"watermark": T0.Add(30 * sec).UnixMilli()})
	s.hook(event.MessageRead, fbPage, "F1", "", T0.Add(hour), map[string]any{"watermark": T0.Add(20 * sec).UnixMilli()})
	// F2: delivered by message id; a read watermark older than the send
	// does not cover it.
	s.bsent("b3", fbPage, "F2", "b3-F2-m1", "text", T0.Add(10*sec))
	s.hook(event.MessageDelivered, fbPage, "F2", "b3-F2-m1", T0.Add(15*sec), nil)
	s.hook(event.MessageRead, fbPage, "F2", "", T0.Add(2*hour), map[string]any{"watermark": T0.Add(5 * sec).UnixMilli()})
	// F3: sent, nothing else.
	s.bsent("b3", fbPage, "F3", "b3-F3-m1", "text", T0.Add(10*sec))

	// b4 — WhatsApp, statuses from the webhook carry the wamid only.
	s.lifecycle(event.BroadcastScheduled, "b4", T0.Add(-2*hour), nil)
	s.lifecycle(event.BroadcastStarted, "b4", T0, nil)
	s.lifecycle(event.BroadcastCompleted, "b4", T0.Add(hour), nil)
	for _, w := range []string{"W1", "W2", "W3", "W4", "W5"} {
		s.bsent("b4", waNum, w, "wamid-"+w, "template", T0)
	}
	// W1: read with no delivered: delivered and read.
	s.hook(event.MessageRead, waNum, "W1", "wamid-W1", T0.Add(5*min_), nil)
	// W2: delivered; a reaction to the broadcast message: a response.
	s.hook(event.MessageDelivered, waNum, "W2", "wamid-W2", T0.Add(min_), nil)
	s.inbound(waNum, "W2", "reaction", T0.Add(2*hour), "wamid-W2")
	// W3: the sender reports only the read, with the broadcast as source.
	s.breceipt(event.MessageRead, "b4", waNum, "W3", "wamid-W3", T0.Add(10*min_), nil)
	// W4: failed (webhook).
	s.hook(event.MessageFailed, waNum, "W4", "wamid-W4", T0.Add(min_), map[string]any{"reason": "Message undeliverable"})
	// W5: delivered; a reaction to another message (no response); a url
	// click 3 h after: a click, not a response.
	s.hook(event.MessageDelivered, waNum, "W5", "wamid-W5", T0.Add(min_), nil)
	s.inbound(waNum, "W5", "reaction", T0.Add(20*min_), "wamid-other")
	s.click("broadcast", "b4", "", waNum, "W5", "wamid-W5", "", "url", "btn-shop", T0.Add(3*hour))

	// Orders. Customer M1 (L1 + W5) clicked b1's url buttons at d1+1h and
	// d1+2h and b4's at T0+3h: the last click before o1 and o5 is b4's.
	s.order("o6", lineOA, "L1", "", "30", "TWD", T0.Add(30*min_)) // before any url click: nobody's
	s.order("o1", account{}, "", "M1", "100", "TWD", T0.Add(day))
	s.order("o5", lineOA, "L1", "", "9.99", "USD", T0.Add(2*day))
	// Customer M3 clicked b1 at c3: an order at day 29 is b1's (reported
	// twice, counted once), one at day 31 is nobody's.
	s.order("o3", lineOA, "L3", "", "50", "TWD", c3.Add(29*day))
	s.order("o3", lineOA, "L3", "M3", "50", "TWD", c3.Add(29*day))
	s.order("o4", account{}, "", "M3", "70", "TWD", c3.Add(31*day))

	// Journey j1: node n1 on LINE (trackable), node n2 on WhatsApp.
	// L8 receives n1 twice (two sends; the message id is the node's content
	// id, the send id tells the sends apart).
	s.jsent("j1", "n1", lineOA, "L8", "j1-n1-msg", "j1-s1", "text_buttons", T0)
	s.jreceipt(event.MessageDelivered, "j1", "n1", lineOA, "L8", "j1-n1-msg", "j1-s1", T0.Add(sec), nil)
	s.jsent("j1", "n1", lineOA, "L8", "j1-n1-msg", "j1-s2", "text_buttons", T0.Add(3*hour))
	s.jreceipt(event.MessageDelivered, "j1", "n1", lineOA, "L8", "j1-n1-msg", "j1-s2", T0.Add(3*hour+sec), nil)
	// s1 opened twice: one open. s2 url-clicked twice: one click. A text
	// link on s1: no click.
	s.jreceipt(event.MessageOpened, "j1", "n1", lineOA, "L8", "", "j1-s1", T0.Add(10*min_), nil)
	s.jreceipt(event.MessageOpened, "j1", "n1", lineOA, "L8", "", "j1-s1", T0.Add(20*min_), nil)
	s.click("journey", "j1", "n1", lineOA, "L8", "", "j1-s2", "url", "j-btn", T0.Add(4*hour))
	s.click("journey", "j1", "n1", lineOA, "L8", "", "j1-s2", "url", "j-btn", T0.Add(4*hour+min_))
	s.click("journey", "j1", "n1", lineOA, "L8", "", "j1-s1", "text_link", "j-link", T0.Add(30*min_))
	// A reply at T0+14h credits both sends within 24 h (s1 was delivered
	// 14 h before: not within 12 h; s2 11 h before: within 12 h); a second
	// reply adds nothing.
	s.inbound(lineOA, "L8", "text", T0.Add(14*hour), "")
	s.inbound(lineOA, "L8", "image", T0.Add(15*hour), "")
	// L9 blocks 23 h after delivery (counted), L10 unsubscribes after 25 h
	// (not counted), L11's send failed.
	s.jsent("j1", "n1", lineOA, "L9", "j1-n1-msg", "j1-s3", "text_buttons", T0.Add(hour))
	s.jreceipt(event.MessageDelivered, "j1", "n1", lineOA, "L9", "j1-n1-msg", "j1-s3", T0.Add(hour+sec), nil)
	s.add(e{typ: event.ContactUnsubscribed, at: T0.Add(hour + sec + 23*hour), acc: lineOA, contact: "L9", props: map[string]any{"reason": "block"}})
	s.jsent("j1", "n1", lineOA, "L10", "j1-n1-msg", "j1-s4", "text_buttons", T0)
	s.jreceipt(event.MessageDelivered, "j1", "n1", lineOA, "L10", "j1-n1-msg", "j1-s4", T0.Add(sec), nil)
	s.add(e{typ: event.ContactUnsubscribed, at: T0.Add(sec + 25*hour), acc: lineOA, contact: "L10", props: map[string]any{"reason": "unsubscribe"}})
	s.jsent("j1", "n1", lineOA, "L11", "j1-n1-msg", "j1-s5", "text_buttons", T0)
	s.jreceipt(event.MessageFailed, "j1", "n1", lineOA, "L11", "j1-n1-msg", "j1-s5", T0.Add(sec), map[string]any{"reason": "blocked"})
	// W6 on n2: the WhatsApp read from the webhook (no delivered, no
	// source), and a button reply naming the message: click and response.
	s.jsent("j1", "n2", waNum, "W6", "wamid-J6", "", "interactive", T0)
	s.hook(event.MessageRead, waNum, "W6", "wamid-J6", T0.Add(10*min_), nil)
	s.hook(event.ButtonClicked, waNum, "W6", "wamid-J6", T0.Add(30*min_), map[string]any{"button_kind": "module", "button_id": "yes"})
	return s.evs
}
