package event

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"
)

// Decode parses one JSON event and decodes its known props. It does not
// validate; call Validate. Errors are Invalid and name the field.
func Decode(data []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return Event{}, explain(data, err)
	}
	if len(e.Props) > 0 && !bytes.Equal(e.Props, nullJSON) {
		if e.Props[0] != '{' {
			return Event{}, Invalid{{Field: "props", Message: "must be a JSON object"}}
		}
		if err := json.Unmarshal(e.Props, &e.Fields); err != nil {
			return Event{}, prefix("props.", explainObject(e.Props, err, propsFields))
		}
	} else {
		e.Props = nil
	}
	return e, nil
}

var nullJSON = []byte("null")

// AppendJSON appends the wire form of e to b. Empty optional parts are left
// out; Props is written as received.
func AppendJSON(b []byte, e *Event) ([]byte, error) {
	if len(e.Props) > 0 && !json.Valid(e.Props) {
		return b, fmt.Errorf("encode event %s: props is not valid JSON", e.EventID)
	}
	b = appendStr(append(b, `{"event_id":`...), e.EventID)
	if e.TeamID != "" {
		b = appendStr(append(b, `,"team_id":`...), e.TeamID)
	}
	b = appendStr(append(b, `,"type":`...), string(e.Type))
	b = append(b, `,"ts":"`...)
	b = e.TS.UTC().AppendFormat(b, wireLayout)
	b = append(b, '"')
	if e.Channel != (Channel{}) {
		b = appendStr(append(b, `,"channel":{"type":`...), e.Channel.Type)
		b = appendStr(append(b, `,"id":`...), e.Channel.ID)
		b = append(b, '}')
	}
	if e.Contact != (Contact{}) {
		b = appendStr(append(b, `,"contact":{"channel_user_id":`...), e.Contact.ChannelUserID)
		if e.Contact.Name != "" {
			b = appendStr(append(b, `,"name":`...), e.Contact.Name)
		}
		b = append(b, '}')
	}
	if e.Source != (Source{}) {
		b = appendStr(append(b, `,"source":{"kind":`...), e.Source.Kind)
		if e.Source.ID != "" {
			b = appendStr(append(b, `,"id":`...), e.Source.ID)
		}
		if e.Source.NodeID != "" {
			b = appendStr(append(b, `,"node_id":`...), e.Source.NodeID)
		}
		b = append(b, '}')
	}
	if e.MessageID != "" {
		b = appendStr(append(b, `,"message_id":`...), e.MessageID)
	}
	if e.SendID != "" {
		b = appendStr(append(b, `,"send_id":`...), e.SendID)
	}
	if len(e.Props) > 0 {
		b = append(append(b, `,"props":`...), e.Props...)
	}
	return append(b, '}'), nil
}

func appendStr(b []byte, s string) []byte { return json.AppendEscape(b, s, 0) }

// DecodeBatch splits a request body into records: a JSON array of objects,
// or NDJSON (one object per line, blank lines ignored). Each element keeps
// its raw bytes so per-record errors can point at an index.
func DecodeBatch(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("body is empty: send a JSON array of events or NDJSON")
	}
	if trimmed[0] == '[' {
		var recs []json.RawMessage
		if err := json.Unmarshal(trimmed, &recs); err != nil {
			return nil, fmt.Errorf("body is not a valid JSON array: %s", syntaxMessage(err))
		}
		return recs, nil
	}
	var recs []json.RawMessage
	line := 0
	for len(trimmed) > 0 {
		line++
		var rec []byte
		if i := bytes.IndexByte(trimmed, '\n'); i >= 0 {
			rec, trimmed = trimmed[:i], trimmed[i+1:]
		} else {
			rec, trimmed = trimmed, nil
		}
		rec = bytes.TrimSpace(rec)
		if len(rec) == 0 {
			continue
		}
		if !json.Valid(rec) {
			return nil, fmt.Errorf("line %d is not a valid JSON object", line)
		}
		recs = append(recs, json.RawMessage(rec))
	}
	return recs, nil
}

// envelopeFields are decoded one by one to find which field failed.
var envelopeFields = map[string]any{
	"event_id": new(string), "team_id": new(string), "type": new(Type), "ts": new(Time),
	"channel": new(Channel), "contact": new(Contact), "source": new(Source),
	"message_id": new(string), "send_id": new(string), "props": new(json.RawMessage),
}

var propsFields = func() map[string]any {
	return map[string]any{
		"message_kind": new(string), "reason": new(string), "watermark": new(Time), "kind": new(string),
		"reply_to": new(string), "button_kind": new(string), "button_id": new(string), "url": new(string),
		"area": new(string), "group": new(string), "condition": new(string), "tag": new(string),
		"attribute": new(string), "order_id": new(string), "amount": new(Amount), "currency": new(string),
		"member_id": new(string), "phone": new(string), "email": new(string), "method": new(string),
		"campaign": new(string), "target": new(Target), "target_new": new(bool), "contact_source": new(string),
		"actor": new(string), "audience": new(int64),
	}
}()

func explain(data []byte, err error) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Invalid{{Field: "", Message: "record must be a JSON object"}}
	}
	return explainObject(data, err, envelopeFields)
}

// explainObject finds the first field of obj whose value does not decode
// into its Go type; it falls back to the decoder's own message.
func explainObject(obj []byte, err error, fields map[string]any) error {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return Invalid{{Field: "", Message: "malformed JSON: " + syntaxMessage(err)}}
	}
	var out Invalid
	for name, dst := range fields {
		raw, ok := m[name]
		if !ok {
			continue
		}
		if derr := json.Unmarshal(raw, dst); derr != nil {
			out = append(out, FieldError{Field: name, Message: typeMessage(raw, derr)})
		}
	}
	if len(out) == 0 {
		return Invalid{{Field: "", Message: syntaxMessage(err)}}
	}
	sortErrors(out)
	return out
}

func typeMessage(raw []byte, err error) string {
	for _, known := range []error{errBadTime, errBadAmount} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("must be %s, got %s", kindName(te.Type.Kind().String()), jsonKind(raw))
	}
	return err.Error()
}

func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func kindName(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "int64", "int", "float64":
		return "a number"
	case "bool":
		return "true or false"
	}
	return "a " + k
}

func syntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

func prefix(p string, err error) error {
	var inv Invalid
	if errors.As(err, &inv) {
		for i := range inv {
			if inv[i].Field == "" {
				inv[i].Field = "props"
			} else {
				inv[i].Field = p + inv[i].Field
			}
		}
		return inv
	}
	return err
}
