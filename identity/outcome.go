package identity

import "time"

// Reasons of refused merges.
const (
	// ReasonMemberIDConflict: the two customers carry different member ids.
	ReasonMemberIDConflict = "member_id_conflict"
	// ReasonIdentifierLimit: the identifier is already held by
	// MaxContactsPerIdentifier contacts.
	ReasonIdentifierLimit = "identifier_limit"
)

// Outcome is what applying one event changed. Slices are nil when nothing of
// their kind changed, which is the common case.
type Outcome struct {
	// CustomerID is the customer of the event's contact after applying (of
	// its member id when the event has no contact); "" when the event has
	// neither, or deleted the contact.
	CustomerID string
	// Contacts are the contact → customer map rows that changed.
	Contacts []ContactRow
	// Customers are the customer → identifier rows that changed.
	Customers []CustomerRow
	// Merges are merge-log records: one per successful merge of the event
	// and one per refused attempt.
	Merges []MergeRecord
	// Splits record customers divided by an unbind or a deletion.
	Splits []SplitRecord
	// Ignored names the props that held junk or malformed identifiers
	// ("props.phone"); their values were not used.
	Ignored []string
}

// Failed returns the reason of the first refused merge attempt, or "".
// OmniLink reports it as its failure reason.
func (o *Outcome) Failed() string {
	for _, m := range o.Merges {
		if !m.OK {
			return m.Reason
		}
	}
	return ""
}

// ContactRow is one row of the contact → customer map.
type ContactRow struct {
	Team        string
	ChannelType string
	ChannelID   string
	ContactID   string // the channel user id
	CustomerID  string // the customer before deletion when Deleted
	Deleted     bool
	Version     uint64 // increases with every row the graph emits for the team
}

// CustomerRow is one row of the customer → identifiers table.
type CustomerRow struct {
	Team       string
	CustomerID string
	MemberID   string   // "" when none
	Phones     []string // normalized, sorted
	Emails     []string // normalized, sorted
	Methods    []string // binding methods of its contacts, sorted
	Contacts   int      // number of contacts
	Deleted    bool     // the customer no longer exists (merged away, split, emptied)
	Version    uint64
}

// MergeRecord is one entry of the merge log.
type MergeRecord struct {
	Time       time.Time // event time of the triggering event
	Team       string
	SurvivorID string   // the customer that remains (for a refusal: the event contact's customer)
	MergedIDs  []string // the customers merged into it (for a refusal: the one that could not be)
	Cause      string   // binding method: social, phone, omnilink, import, api, email, omo
	EventID    string
	Actor      string // props.actor, else source.kind
	OK         bool
	Reason     string // ReasonMemberIDConflict or ReasonIdentifierLimit when !OK
}

// SplitRecord says a customer was divided.
type SplitRecord struct {
	Time       time.Time
	Team       string
	CustomerID string   // the customer before the split
	IntoIDs    []string // the customers after it, sorted (may include CustomerID)
	Cause      string   // "unbind" or "delete"
	EventID    string
	Actor      string
}
