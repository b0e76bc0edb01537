package audience

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// hostile are values an attacker might put anywhere a definition takes text.
var hostile = []string{
	`'; DROP TABLE events; --`,
	`x' OR '1'='1`,
	`\'); SELECT 1; --`,
	`{p1:String}`,
	`{team:String}`,
	"line\nbreak",
	"tab\there",
	`back\slash`,
	`"double"`,
	"`backtick`",
	"nul\x00byte",
	"標籤 🏷️",
}

// everyCondition has one condition per field and operator family, each
// holding v wherever the condition takes text.
func everyCondition(v string) []Condition {
	return []Condition{
		{Field: FieldTags, Op: OpHasAny, Values: []string{v, "vip"}},
		{Field: FieldTags, Op: OpHasAll, Values: []string{v}},
		{Field: FieldTags, Op: OpHasNone, Values: []string{v}},
		{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpEq, Value: v},
		{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpContains, Value: v},
		{Field: FieldAttribute, Attribute: v, Type: TypeText, Op: OpStartsWith, Value: v},
		{Field: FieldAttribute, Attribute: v, Type: TypeNumber, Op: OpGt, Value: "1.5"},
		{Field: FieldAttribute, Attribute: v, Type: TypeBool, Op: OpIsTrue},
		{Field: FieldAttribute, Attribute: v, Type: TypeDate, Op: OpOn, Value: "2023-01-05"},
		{Field: FieldAttribute, Attribute: v, Type: TypeDatetime, Op: OpMonth, Month: "this"},
		{Field: FieldName, Op: OpEq, Value: v},
		{Field: FieldMemberID, Op: OpEq, Value: v},
		{Field: FieldPhone, Op: OpEq, Value: v},
		{Field: FieldEmail, Op: OpEq, Value: v},
		{Field: FieldLastCheckout, Op: OpWithinLast, N: 30},
		{Field: FieldOMOStaff, Op: OpIn, Values: []string{v}},
		{Field: FieldOMOStore, Op: OpNotIn, Values: []string{v}},
		{Field: FieldBroadcast, Op: OpBroadcastNOpen, Broadcast: v},
	}
}

func TestCompileKeepsValuesOutOfSQL(t *testing.T) {
	env := Env{TeamID: "t1", Location: time.UTC, Region: "TW", Now: time.Date(2023, 1, 5, 18, 0, 0, 0, time.UTC)}
	for _, v := range hostile {
		def := Definition{Channel: Channel{Type: "line", ID: v}, Conditions: everyCondition(v)}
		q, err := Compile(def, env)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		// A placeholder-shaped value is legitimately in the text as the
		// placeholder itself; its binding is checked below.
		if !strings.HasPrefix(v, "{") && strings.Contains(q.SQL, v) {
			t.Errorf("%q appears in the SQL text", v)
		}
		found := false
		for _, p := range q.Params {
			if p == v {
				found = true
			}
		}
		if !found {
			t.Errorf("%q is not bound as a parameter", v)
		}
		// Every placeholder in the text has a value, and every value a placeholder.
		for name := range q.Params {
			if !strings.Contains(q.SQL, "{"+name+":") {
				t.Errorf("parameter %s is never used", name)
			}
		}
	}
}

func TestEscapeParam(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		`a\b`:          `a\\b`,
		"a\nb\tc\rd":   `a\nb\tc\rd`,
		"nul\x00":      `nul\0`,
		`'quote'`:      `'quote'`,
		`\'; --`:       `\\'; --`,
		"{p1:String}":  "{p1:String}",
		"中文\\n":        `中文\\n`,
		"tab\\\tmixed": `tab\\\tmixed`,
	} {
		if got := escapeParam(in); got != want {
			t.Errorf("escapeParam(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	def := Definition{
		Channel: Channel{Type: "telegram"},
		Conditions: []Condition{
			{Field: "tags", Op: OpHasAny},
			{Field: "colour", Op: OpEq, Value: "x"},
			{Field: FieldAttribute, Attribute: "age", Type: "float", Op: OpGt, Value: "3"},
			{Field: FieldAttribute, Attribute: "age", Type: TypeNumber, Op: OpGt, Value: "three"},
			{Field: FieldAttribute, Attribute: "birthday", Type: TypeDate, Op: OpOn, Value: "2023/01/05"},
			{Field: FieldLastInteraction, Op: OpWithinLast, N: -1},
			{Field: FieldSubscribedAt, Op: OpMonth, Month: "13"},
			{Field: FieldName, Op: OpContains, Value: "a"},
			{Field: FieldFBRecurring, Op: OpIsTrue},
			{Field: FieldAttribute, Attribute: "n", Type: TypeNumber, Op: OpBetween, From: "5", To: "1"},
			{Field: FieldBroadcast, Op: "ignored"},
		},
	}
	err := def.Validate()
	var inv Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want Invalid", err)
	}
	want := []string{
		"channel.type", "channel.id", "conditions[0].values", "conditions[1].field", "conditions[2].type",
		"conditions[3].value", "conditions[4].value", "conditions[5].n", "conditions[6].month",
		"conditions[7].op", "conditions[8].field", "conditions[9].to", "conditions[10].op",
	}
	got := map[string]bool{}
	for _, e := range inv {
		got[e.Field] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no error for %s; got %v", f, inv)
		}
	}
	if len(inv) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(inv), len(want), inv)
	}
}

func TestValidateAcceptsEveryOperator(t *testing.T) {
	for field, ops := range fieldOps {
		for op := range ops {
			c := sampleCondition(field, "", op)
			ch := "line"
			if field == FieldFBRecurring {
				ch = "facebook"
			}
			if err := (Definition{Channel: Channel{Type: ch, ID: "c1"}, Conditions: []Condition{c}}).Validate(); err != nil {
				t.Errorf("%s %s: %v", field, op, err)
			}
		}
	}
	for typ, ops := range typeOps {
		for op := range ops {
			c := sampleCondition(FieldAttribute, typ, op)
			if err := (Definition{Channel: Channel{Type: "line", ID: "c1"}, Conditions: []Condition{c}}).Validate(); err != nil {
				t.Errorf("attribute %s %s: %v", typ, op, err)
			}
		}
	}
}

// sampleCondition fills the operands op needs with valid values.
func sampleCondition(field, typ, op string) Condition {
	c := Condition{Field: field, Op: op}
	if field == FieldAttribute {
		c.Attribute, c.Type = "k", typ
	}
	switch op {
	case OpHasAny, OpHasAll, OpHasNone, OpIn, OpNotIn:
		c.Values = []string{"a"}
	case OpEq, OpNeq, OpContains, OpNotContains, OpStartsWith, OpGt, OpGte, OpLt, OpLte:
		c.Value = "1"
	case OpOn, OpBefore, OpAfter:
		c.Value = "2023-01-05"
	case OpBetween:
		c.From, c.To = "2023-01-01", "2023-01-05"
		if typ == TypeNumber {
			c.From, c.To = "1", "5"
		}
	case OpMonth:
		c.Month = "last"
	case OpDaysAgo, OpDaysAhead, OpWithinNext, OpAfterDays, OpWithinLast, OpBeforeDays:
		c.N = 3
	}
	return c
}
