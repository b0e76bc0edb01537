package audience

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is the channel account an audience is built on. An audience
// always targets the contacts of exactly one channel account.
type Channel struct {
	Type string `json:"type"` // line, facebook, instagram, whatsapp, web, wechat, sms
	ID   string `json:"id"`   // the channel account id
}

// Condition is one condition of an audience. Conditions of an audience are
// ANDed. Which operand fields a condition uses depends on Field and Op; the
// rest stay empty (see Validate and the package documentation).
type Condition struct {
	// Field is what the condition looks at: one of the Field* constants.
	Field string `json:"field"`
	// Op is the operator: one of the Op* constants allowed for Field.
	Op string `json:"op"`

	// Attribute is the custom attribute's key (Field "attribute").
	Attribute string `json:"attribute,omitempty"`
	// Type is the custom attribute's type (Field "attribute"): text,
	// number, bool, date or datetime.
	Type string `json:"type,omitempty"`

	// Value is the single operand: text to compare, a number as a decimal
	// string, or a day "YYYY-MM-DD" for date operators.
	Value string `json:"value,omitempty"`
	// Values are the operands of list operators: tags, staff ids, store ids.
	Values []string `json:"values,omitempty"`
	// From and To bound "between" (inclusive): numbers or days.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// N is the day count of the relative date operators.
	N int `json:"n,omitempty"`
	// Month is the month of OpMonth: this, last, next or 1…12.
	Month string `json:"month,omitempty"`
	// Broadcast restricts a broadcast interaction to one broadcast id;
	// empty means any broadcast.
	Broadcast string `json:"broadcast,omitempty"`
}

// Fields a condition can look at: a closed set.
const (
	FieldTags            = "tags"             // current tags of the contact
	FieldAttribute       = "attribute"        // a custom attribute
	FieldName            = "name"             // display name, exact
	FieldMemberID        = "member_id"        // website member id
	FieldPhone           = "phone"            // phone, normalized with the team's region
	FieldEmail           = "email"            // email, trimmed and lower-cased
	FieldSubscribedAt    = "subscribed_at"    // when the contact last subscribed
	FieldLastInteraction = "last_interaction" // latest inbound message, click, postback or subscription
	FieldLastMarketing   = "last_marketing"   // latest broadcast, journey or cart-remarketing message sent
	FieldLastManual      = "last_manual"      // latest 1:1 message sent by staff
	FieldLastCheckout    = "last_checkout"    // latest order of the contact or of its member id
	FieldPhoneBinding    = "phone_binding"    // bound by phone
	FieldSocialBinding   = "social_binding"   // bound to the website member (social binding)
	FieldFBRecurring     = "fb_recurring"     // subscribed to Facebook recurring notifications
	FieldOMOStatus       = "omo_status"       // OMO binding to a staff member
	FieldOMOStaff        = "omo_staff"        // the bound OMO staff member
	FieldOMOStore        = "omo_store"        // the bound OMO store
	FieldBroadcast       = "broadcast"        // interaction with a broadcast
)

// Attribute types.
const (
	TypeText     = "text"
	TypeNumber   = "number"
	TypeBool     = "bool"
	TypeDate     = "date"
	TypeDatetime = "datetime"
)

// Operators.
const (
	// Lists (tags, OMO staff and store).
	OpHasAny  = "has_any"
	OpHasAll  = "has_all"
	OpHasNone = "has_none"
	OpIn      = "in"
	OpNotIn   = "not_in"

	// Text and numbers.
	OpEq          = "eq"
	OpNeq         = "neq"
	OpContains    = "contains"
	OpNotContains = "not_contains"
	OpStartsWith  = "starts_with"
	OpGt          = "gt"
	OpGte         = "gte"
	OpLt          = "lt"
	OpLte         = "lte"
	OpBetween     = "between"
	OpIsSet       = "is_set"
	OpIsNotSet    = "is_not_set"

	// Booleans and states.
	OpIsTrue  = "is_true"
	OpIsFalse = "is_false"

	// Dates and date-times, evaluated in the team's time zone at run time
	// (PRODUCT.md §5). OpBetween, OpIsSet and OpIsNotSet apply too.
	OpOn             = "on"               // Value: that day
	OpToday          = "today"            // today
	OpDaysAgo        = "days_ago"         // the Nth day ago
	OpDaysAhead      = "days_ahead"       // the Nth day ahead
	OpWithinNext     = "within_next_days" // from now to N days ahead
	OpAfterDays      = "after_days"       // N days from now onward (after the window of OpWithinNext)
	OpWithinLast     = "within_last_days" // from N days ago to now
	OpBeforeDays     = "before_days"      // before N days ago (before the window of OpWithinLast)
	OpBefore         = "before"           // before the day Value
	OpAfter          = "after"            // after the day Value
	OpMonth          = "month"            // in a month, any year (100 years back to 30 ahead)
	OpBroadcastOpen  = "opened"
	OpBroadcastNOpen = "not_opened"
	OpBroadcastRead  = "read"
	OpBroadcastNRead = "not_read"
	OpBroadcastClick = "clicked"
	OpBroadcastNClk  = "not_clicked"
)

// Limits of a definition.
const (
	MaxConditions = 50
	MaxValues     = 200
	MaxValueLen   = 1000
	MaxDays       = 36600 // a hundred years
	MaxNameLen    = 200
)

var (
	textOps     = set(OpEq, OpNeq, OpContains, OpNotContains, OpStartsWith, OpIsSet, OpIsNotSet)
	numberOps   = set(OpEq, OpNeq, OpGt, OpGte, OpLt, OpLte, OpBetween, OpIsSet, OpIsNotSet)
	boolOps     = set(OpIsTrue, OpIsFalse, OpIsSet, OpIsNotSet)
	dateOps     = set(OpOn, OpToday, OpDaysAgo, OpDaysAhead, OpWithinNext, OpAfterDays, OpWithinLast, OpBeforeDays, OpBefore, OpAfter, OpBetween, OpMonth, OpIsSet, OpIsNotSet)
	tagOps      = set(OpHasAny, OpHasAll, OpHasNone)
	idOps       = set(OpEq, OpNeq, OpIsSet, OpIsNotSet)
	stateOps    = set(OpIsTrue, OpIsFalse)
	listOps     = set(OpIn, OpNotIn)
	broadcastOp = set(OpBroadcastOpen, OpBroadcastNOpen, OpBroadcastRead, OpBroadcastNRead, OpBroadcastClick, OpBroadcastNClk)

	fieldOps = map[string]map[string]bool{
		FieldTags: tagOps, FieldName: set(OpEq), FieldMemberID: idOps, FieldPhone: idOps, FieldEmail: idOps,
		FieldSubscribedAt: dateOps, FieldLastInteraction: dateOps, FieldLastMarketing: dateOps,
		FieldLastManual: dateOps, FieldLastCheckout: dateOps,
		FieldPhoneBinding: stateOps, FieldSocialBinding: stateOps, FieldFBRecurring: stateOps, FieldOMOStatus: stateOps,
		FieldOMOStaff: listOps, FieldOMOStore: listOps, FieldBroadcast: broadcastOp,
	}
	typeOps = map[string]map[string]bool{
		TypeText: textOps, TypeNumber: numberOps, TypeBool: boolOps, TypeDate: dateOps, TypeDatetime: dateOps,
	}

	channelTypes = set("line", "facebook", "instagram", "whatsapp", "web", "wechat", "sms")
	dayRe        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Definition is what an audience selects: one channel and ANDed conditions.
type Definition struct {
	Channel    Channel     `json:"channel"`
	Conditions []Condition `json:"conditions"`
}

// Validate reports every problem of the definition at once, each naming
// the offending field ("conditions[2].n").
func (d Definition) Validate() error {
	var errs Invalid
	if !channelTypes[d.Channel.Type] {
		errs = append(errs, FieldError{"channel.type", fmt.Sprintf("must be one of line, facebook, instagram, whatsapp, web, wechat, sms, got %q", d.Channel.Type)})
	}
	if d.Channel.ID == "" || len(d.Channel.ID) > 200 {
		errs = append(errs, FieldError{"channel.id", "must be 1-200 characters"})
	}
	if len(d.Conditions) == 0 {
		errs = append(errs, FieldError{"conditions", "must have at least one condition"})
	}
	if len(d.Conditions) > MaxConditions {
		errs = append(errs, FieldError{"conditions", fmt.Sprintf("must have at most %d conditions, got %d", MaxConditions, len(d.Conditions))})
	}
	for i, c := range d.Conditions {
		for _, e := range c.validate(d.Channel.Type) {
			e.Field = fmt.Sprintf("conditions[%d].%s", i, e.Field)
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (c Condition) validate(channelType string) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	ops, known := fieldOps[c.Field]
	if c.Field == FieldAttribute {
		known = true
		if c.Attribute == "" || utf8.RuneCountInString(c.Attribute) > 100 {
			add("attribute", "must be 1-100 characters")
		}
		ops = typeOps[c.Type]
		if ops == nil {
			add("type", "must be one of text, number, bool, date, datetime, got %q", c.Type)
			return errs
		}
	} else if c.Type != "" || c.Attribute != "" {
		add("type", "only custom attributes take a type and an attribute key")
	}
	if !known {
		add("field", "unknown field %q", c.Field)
		return errs
	}
	if !ops[c.Op] {
		add("op", "%q does not apply to %s", c.Op, c.describe())
		return errs
	}
	if c.Field == FieldFBRecurring && channelType != "" && channelType != "facebook" {
		add("field", "Facebook recurring notifications exist only on facebook channels")
	}
	for i, v := range c.Values {
		if v == "" || len(v) > MaxValueLen {
			add(fmt.Sprintf("values[%d]", i), "must be 1-%d bytes", MaxValueLen)
		}
	}
	if len(c.Value) > MaxValueLen {
		add("value", "must be at most %d bytes", MaxValueLen)
	}
	switch c.Op {
	case OpHasAny, OpHasAll, OpHasNone, OpIn, OpNotIn:
		if len(c.Values) == 0 || len(c.Values) > MaxValues {
			add("values", "must list 1-%d values", MaxValues)
		}
	case OpEq, OpNeq, OpContains, OpNotContains, OpStartsWith, OpGt, OpGte, OpLt, OpLte:
		if c.Value == "" {
			add("value", "is required (use is_set or is_not_set for presence)")
		}
		if c.isNumber() && c.Value != "" {
			if _, err := parseNumber(c.Value); err != nil {
				add("value", "must be a number, got %q", c.Value)
			}
		}
	case OpBetween:
		for _, b := range []struct{ name, v string }{{"from", c.From}, {"to", c.To}} {
			if c.isNumber() {
				if _, err := parseNumber(b.v); err != nil {
					add(b.name, "must be a number, got %q", b.v)
				}
			} else if _, err := parseDay(b.v); err != nil {
				add(b.name, "must be a day YYYY-MM-DD, got %q", b.v)
			}
		}
		if len(errs) == 0 && c.isNumber() {
			f, _ := parseNumber(c.From)
			t, _ := parseNumber(c.To)
			if f > t {
				add("to", "must not be less than from")
			}
		} else if len(errs) == 0 && c.From > c.To {
			add("to", "must not be before from")
		}
	case OpOn, OpBefore, OpAfter:
		if _, err := parseDay(c.Value); err != nil {
			add("value", "must be a day YYYY-MM-DD, got %q", c.Value)
		}
	case OpDaysAgo, OpDaysAhead, OpWithinNext, OpAfterDays, OpWithinLast, OpBeforeDays:
		if c.N < 0 || c.N > MaxDays {
			add("n", "must be 0-%d days, got %d", MaxDays, c.N)
		}
	case OpMonth:
		if _, err := parseMonth(c.Month); err != nil {
			add("month", "%v", err)
		}
	case OpBroadcastOpen, OpBroadcastNOpen, OpBroadcastRead, OpBroadcastNRead, OpBroadcastClick, OpBroadcastNClk:
		if len(c.Broadcast) > MaxValueLen {
			add("broadcast", "must be at most %d bytes", MaxValueLen)
		}
	}
	return errs
}

func (c Condition) isNumber() bool { return c.Field == FieldAttribute && c.Type == TypeNumber }

func (c Condition) describe() string {
	if c.Field == FieldAttribute {
		return c.Type + " attributes"
	}
	return c.Field
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f { // NaN
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

// parseDay parses "YYYY-MM-DD" as a calendar day.
func parseDay(s string) (day, error) {
	if !dayRe.MatchString(s) {
		return day{}, fmt.Errorf("not a day")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return day{}, err
	}
	return dayOf(t), nil
}

// parseMonth parses this, last, next or 1…12. Relative months return
// 0, -1 and +1 offsets as negative values are impossible months: the caller
// resolves them against the run time.
func parseMonth(s string) (monthSpec, error) {
	switch s {
	case "this":
		return monthSpec{rel: true, offset: 0}, nil
	case "last":
		return monthSpec{rel: true, offset: -1}, nil
	case "next":
		return monthSpec{rel: true, offset: 1}, nil
	}
	m, err := strconv.Atoi(s)
	if err != nil || m < 1 || m > 12 || strconv.Itoa(m) != s {
		return monthSpec{}, fmt.Errorf("must be this, last, next or 1-12, got %q", s)
	}
	return monthSpec{month: time.Month(m)}, nil
}

type monthSpec struct {
	rel    bool
	offset int
	month  time.Month
}
