package hook

import (
	"fmt"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/event"
)

// KV is one extra prop beyond event.Fields, kept in Event.Props.
type KV struct {
	Key   string
	Value any
}

// Props encodes f and the extras as one JSON object for Event.Props. Extras
// whose value is nil, "" or false are left out; keys must not repeat those of
// event.Fields. Order is Fields first, then extras in call order, so the wire
// form is stable for golden tests.
func Props(f *event.Fields, extra ...KV) (json.RawMessage, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode props: %w", err)
	}
	b = b[:len(b)-1] // drop '}'
	first := len(b) == 1
	for _, kv := range extra {
		switch v := kv.Value.(type) {
		case nil:
			continue
		case string:
			if v == "" {
				continue
			}
		case bool:
			if !v {
				continue
			}
		case json.RawMessage:
			if len(v) == 0 || string(v) == "null" {
				continue
			}
		}
		val, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("encode prop %s: %w", kv.Key, err)
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = json.AppendEscape(b, kv.Key, 0)
		b = append(b, ':')
		b = append(b, val...)
	}
	return append(b, '}'), nil
}

// Build sets e.Fields and e.Props from f and extras.
func Build(e *event.Event, f event.Fields, extra ...KV) error {
	p, err := Props(&f, extra...)
	if err != nil {
		return err
	}
	e.Fields, e.Props = f, p
	if string(p) == "{}" {
		e.Props = nil
	}
	return nil
}
