package hook

import (
	stdjson "encoding/json"

	"github.com/segmentio/encoding/json"
)

// Decode unmarshals raw into v with the fast decoder. On failure it decodes
// again with encoding/json, whose error names the offending field in a form
// fit for a dead-letter reason ("cannot unmarshal number into Go struct field
// .message.id of type string").
func Decode(raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	if serr := stdjson.Unmarshal(raw, v); serr != nil {
		return serr
	}
	return err
}
