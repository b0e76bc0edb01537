package meta

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/segmentio/encoding/json"
)

// Event is one Conversions API server event.
type Event struct {
	EventName    string `json:"event_name"`
	EventTime    int64  `json:"event_time"` // Unix seconds
	EventID      string `json:"event_id,omitempty"`
	ActionSource string `json:"action_source"` // e.g. business_messaging, website, system_generated
	// MessagingChannel is set with action_source business_messaging:
	// messenger, instagram or whatsapp.
	MessagingChannel string         `json:"messaging_channel,omitempty"`
	EventSourceURL   string         `json:"event_source_url,omitempty"`
	UserData         UserData       `json:"user_data"`
	CustomData       map[string]any `json:"custom_data,omitempty"`
}

// UserData identifies the person: hashed contact information, or the
// page-scoped ids Meta gave the contact on Messenger or Instagram.
type UserData struct {
	Email            []string `json:"em,omitempty"` // hex SHA-256 of NormalizeEmail
	Phone            []string `json:"ph,omitempty"` // hex SHA-256 of NormalizePhone
	ExternalID       []string `json:"external_id,omitempty"`
	PageID           string   `json:"page_id,omitempty"`
	PageScopedUserID string   `json:"page_scoped_user_id,omitempty"`
	IGAccountID      string   `json:"ig_account_id,omitempty"`
	IGSID            string   `json:"ig_sid,omitempty"`
}

func (u UserData) identified() bool {
	return len(u.Email) > 0 || len(u.Phone) > 0 || len(u.ExternalID) > 0 ||
		(u.PageID != "" && u.PageScopedUserID != "") || (u.IGAccountID != "" && u.IGSID != "")
}

// EventError is an event refused before sending, with why.
type EventError struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// EventsResult is what SendEvents did.
type EventsResult struct {
	Requests int `json:"requests"`
	Sent     int `json:"sent"`
	// Received sums Meta's events_received.
	Received int `json:"received"`
	// Rejected lists the events refused locally, by index in the input.
	Rejected []EventError `json:"rejected,omitempty"`
	Messages []string     `json:"messages,omitempty"`
}

// Validate reports why Meta would refuse the event, or "".
func (e Event) Validate() string {
	switch {
	case e.EventName == "":
		return "event_name is required"
	case e.EventTime <= 0:
		return "event_time is required"
	case e.ActionSource == "":
		return "action_source is required"
	case !e.UserData.identified():
		return "user_data needs hashed em/ph, external_id, or a page (or Instagram) scoped id with its page"
	}
	for _, h := range append(append([]string{}, e.UserData.Email...), e.UserData.Phone...) {
		if !IsHash(h) {
			return "user_data em and ph must be lower-case hex SHA-256 of the normalized value"
		}
	}
	return ""
}

// SendEvents posts events to a pixel (or dataset) in requests of at most
// EventBatchSize events. Events that fail Validate are not sent and are
// listed in Rejected; the others are sent even so.
func (c *Client) SendEvents(ctx context.Context, token, pixelID string, events []Event) (EventsResult, error) {
	var res EventsResult
	valid := make([]Event, 0, len(events))
	for i, e := range events {
		if why := e.Validate(); why != "" {
			res.Rejected = append(res.Rejected, EventError{Index: i, Reason: why})
			continue
		}
		valid = append(valid, e)
	}
	endpoint := c.endpoint(pixelID, "events")
	for start := 0; start < len(valid); start += c.cfg.EventBatchSize {
		batch := valid[start:min(start+c.cfg.EventBatchSize, len(valid))]
		data, err := json.Marshal(batch)
		if err != nil {
			return res, fmt.Errorf("encode events for pixel %s: %w", pixelID, err)
		}
		var resp struct {
			EventsReceived int      `json:"events_received"`
			Messages       []string `json:"messages"`
		}
		form := url.Values{"access_token": {token}, "data": {string(data)}}
		if err := c.do(ctx, http.MethodPost, endpoint, form, &resp); err != nil {
			return res, fmt.Errorf("send events %d-%d to pixel %s: %w", start, start+len(batch)-1, pixelID, err)
		}
		res.Requests++
		res.Sent += len(batch)
		res.Received += resp.EventsReceived
		res.Messages = append(res.Messages, resp.Messages...)
	}
	return res, nil
}
