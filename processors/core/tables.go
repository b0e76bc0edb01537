package core

import (
	c "github.com/omnistream/omnistream/sinks/chsink"
)

// Column positions of EventsTable, in order.
const (
	evTeam = iota
	evEventID
	evType
	evTS
	evChannelType
	evChannelID
	evContact
	evCustomer
	evSourceKind
	evSourceID
	evNode
	evMessageID
	evSendID
	evMessageKind
	evReason
	evWatermark
	evInboundKind
	evReplyTo
	evButtonKind
	evButtonID
	evURL
	evArea
	evKwGroup
	evKwCondition
	evTag
	evAttribute
	evValue
	evOrderID
	evAmount
	evCurrency
	evMemberID
	evMethod
	evCampaign
	evTargetChannelType
	evTargetChannelID
	evTargetContact
	evTargetNew
	evContactSource
	evActor
	evAudience
	evProps
	evPartition
	evOffset
	evIngested
)

// EventsTable is the events table as this processor writes it.
var EventsTable = c.NewTable("events",
	c.Column{Name: "team_id"}, c.Column{Name: "event_id"}, c.Column{Name: "type"}, c.Column{Name: "ts", Kind: c.TimeMilli},
	c.Column{Name: "channel_type"}, c.Column{Name: "channel_id"}, c.Column{Name: "contact_id"}, c.Column{Name: "customer_id"},
	c.Column{Name: "source_kind"}, c.Column{Name: "source_id"}, c.Column{Name: "node_id"}, c.Column{Name: "message_id"},
	c.Column{Name: "send_id"}, c.Column{Name: "message_kind"}, c.Column{Name: "reason"}, c.Column{Name: "watermark", Kind: c.TimeMilli},
	c.Column{Name: "inbound_kind"}, c.Column{Name: "reply_to"}, c.Column{Name: "button_kind"}, c.Column{Name: "button_id"},
	c.Column{Name: "url"}, c.Column{Name: "area"}, c.Column{Name: "kw_group"}, c.Column{Name: "kw_condition"},
	c.Column{Name: "tag"}, c.Column{Name: "attribute"}, c.Column{Name: "value"}, c.Column{Name: "order_id"},
	c.Column{Name: "amount", Kind: c.Decimal4}, c.Column{Name: "currency"}, c.Column{Name: "member_id"}, c.Column{Name: "method"},
	c.Column{Name: "campaign"}, c.Column{Name: "target_channel_type"}, c.Column{Name: "target_channel_id"}, c.Column{Name: "target_contact_id"},
	c.Column{Name: "target_new", Kind: c.UInt8}, c.Column{Name: "contact_source"}, c.Column{Name: "actor"}, c.Column{Name: "audience", Kind: c.UInt64},
	c.Column{Name: "props"}, c.Column{Name: "kafka_partition", Kind: c.UInt32}, c.Column{Name: "kafka_offset", Kind: c.UInt64},
	c.Column{Name: "ingested_at", Kind: c.TimeMilli},
)

// ContactMapTable is contact_map.
var ContactMapTable = c.NewTable("contact_map",
	c.Column{Name: "team_id"}, c.Column{Name: "channel_type"}, c.Column{Name: "channel_id"}, c.Column{Name: "contact_id"},
	c.Column{Name: "customer_id"}, c.Column{Name: "version", Kind: c.UInt64}, c.Column{Name: "deleted", Kind: c.UInt8},
	c.Column{Name: "updated_at", Kind: c.TimeMilli},
)

// CustomersTable is customers.
var CustomersTable = c.NewTable("customers",
	c.Column{Name: "team_id"}, c.Column{Name: "customer_id"}, c.Column{Name: "member_id"},
	c.Column{Name: "phones", Kind: c.StringArray}, c.Column{Name: "emails", Kind: c.StringArray}, c.Column{Name: "methods", Kind: c.StringArray},
	c.Column{Name: "version", Kind: c.UInt64}, c.Column{Name: "deleted", Kind: c.UInt8}, c.Column{Name: "updated_at", Kind: c.TimeMilli},
)

// MergeLogTable is merge_log.
var MergeLogTable = c.NewTable("merge_log",
	c.Column{Name: "team_id"}, c.Column{Name: "ts", Kind: c.TimeMilli}, c.Column{Name: "surviving_id"},
	c.Column{Name: "merged_ids", Kind: c.StringArray}, c.Column{Name: "cause"}, c.Column{Name: "event_id"},
	c.Column{Name: "actor"}, c.Column{Name: "ok", Kind: c.UInt8}, c.Column{Name: "reason"},
)

// ContactUpdatesTable is contact_updates.
var ContactUpdatesTable = c.NewTable("contact_updates",
	c.Column{Name: "team_id"}, c.Column{Name: "channel_type"}, c.Column{Name: "channel_id"}, c.Column{Name: "contact_id"},
	c.Column{Name: "version", Kind: c.UInt64}, c.Column{Name: "ts", Kind: c.TimeMilli}, c.Column{Name: "name"},
	c.Column{Name: "phone"}, c.Column{Name: "email"}, c.Column{Name: "member_id"}, c.Column{Name: "created_source"},
	c.Column{Name: "subscribed", Kind: c.Int8}, c.Column{Name: "over_quota", Kind: c.Int8}, c.Column{Name: "deleted", Kind: c.UInt8},
)

// ContactAttributesTable is contact_attributes.
var ContactAttributesTable = c.NewTable("contact_attributes",
	c.Column{Name: "team_id"}, c.Column{Name: "channel_type"}, c.Column{Name: "channel_id"}, c.Column{Name: "contact_id"},
	c.Column{Name: "attribute"}, c.Column{Name: "value"}, c.Column{Name: "version", Kind: c.UInt64}, c.Column{Name: "deleted", Kind: c.UInt8},
)
