package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Doc is a decoded OpenAPI document, as a client reads it.
type Doc map[string]any

// ParseDoc decodes a served document.
func ParseDoc(b []byte) (Doc, error) {
	var d Doc
	if err := decode(b, &d); err != nil {
		return nil, fmt.Errorf("decode OpenAPI document: %w", err)
	}
	if v, _ := d["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		return nil, fmt.Errorf("openapi version %q, want 3.1.x", v)
	}
	return d, nil
}

// DecodeJSON decodes a JSON value keeping numbers exact (json.Number), as
// Validate expects.
func DecodeJSON(b []byte) (any, error) {
	var v any
	err := decode(b, &v)
	return v, err
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// Operation returns the operation of method (any case) on the documented
// path, or nil.
func (d Doc) Operation(method, path string) map[string]any {
	paths, _ := d["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op
}

// ResponseSchema is the JSON schema of the answer with status code (or
// "default") of an operation; ok is false when the status is not
// documented or has no JSON body.
func (d Doc) ResponseSchema(op map[string]any, code int) (schema any, ok bool) {
	resps, _ := op["responses"].(map[string]any)
	r, found := resps[strconv.Itoa(code)]
	if !found {
		if r, found = resps["default"]; !found {
			return nil, false
		}
	}
	rm, _ := d.resolve(r).(map[string]any)
	content, _ := rm["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	if mt == nil {
		return nil, false
	}
	return mt["schema"], true
}

// resolve follows a local $ref ("#/components/...").
func (d Doc) resolve(v any) any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = map[string]any(d)
		for _, part := range strings.Split(strings.TrimPrefix(r, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		if cur == nil {
			return map[string]any{"$unresolved": r}
		}
		v = cur
	}
	return v
}

// Validate checks a decoded JSON value (DecodeJSON) against a schema of
// the document and returns every problem, each with the JSON path of the
// value at fault. It understands $ref, anyOf, type (a name or a list),
// enum, required, properties, additionalProperties, items, minimum,
// maximum, minLength, maxLength, maxItems, pattern and the formats date
// and date-time. It is stricter than JSON Schema on one point: an object
// whose schema lists properties and says nothing of additionalProperties
// may not carry others, so a field the server sends but the document does
// not describe is a problem.
func (d Doc) Validate(schema, v any) []string {
	var out []string
	d.check(schema, v, "$", &out)
	return out
}

func (d Doc) check(schema, v any, at string, out *[]string) {
	add := func(format string, args ...any) { *out = append(*out, at+": "+fmt.Sprintf(format, args...)) }
	s, ok := d.resolve(schema).(map[string]any)
	if !ok {
		add("schema is not an object")
		return
	}
	if r, ok := s["$unresolved"].(string); ok {
		add("unresolved reference %s", r)
		return
	}
	if any, ok := s["anyOf"].([]any); ok {
		var best []string
		for i, alt := range any {
			var sub []string
			d.check(alt, v, at, &sub)
			if len(sub) == 0 {
				return
			}
			if i == 0 || len(sub) < len(best) {
				best = sub
			}
		}
		*out = append(*out, best...)
		return
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				if xs, ok := x.(string); ok {
					types = append(types, xs)
				}
			}
		}
		if got := jsonType(v); !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			add("is %s %s, want %s", got, short(v), strings.Join(types, " or "))
			return
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if fmt.Sprint(x) == fmt.Sprint(v) {
				found = true
				break
			}
		}
		if !found {
			add("%s is not one of %v", short(v), e)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				name, _ := r.(string)
				if _, ok := v[name]; !ok {
					add("required property %q is missing", name)
				}
			}
		}
		extra, hasExtra := s["additionalProperties"]
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := at + "." + k
			if ps, ok := props[k]; ok {
				d.check(ps, v[k], p, out)
				continue
			}
			switch {
			case hasExtra && extra == false:
				*out = append(*out, p+": property is not allowed")
			case hasExtra && extra != true:
				d.check(extra, v[k], p, out)
			case !hasExtra && props != nil:
				*out = append(*out, p+": property is not in the document")
			}
		}
	case []any:
		if n, ok := number(s["maxItems"]); ok && float64(len(v)) > n {
			add("has %d items, at most %v allowed", len(v), n)
		}
		if items, ok := s["items"]; ok {
			for i, x := range v {
				d.check(items, x, fmt.Sprintf("%s[%d]", at, i), out)
			}
		}
	case string:
		if n, ok := number(s["minLength"]); ok && float64(len([]rune(v))) < n {
			add("%q is shorter than %v", v, n)
		}
		if n, ok := number(s["maxLength"]); ok && float64(len([]rune(v))) > n {
			add("%s is longer than %v", short(v), n)
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err != nil {
				add("bad pattern %q in the document", p)
			} else if !re.MatchString(v) {
				add("%q does not match %s", v, p)
			}
		}
		switch s["format"] {
		case "date":
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				add("%q is not a date YYYY-MM-DD", v)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				add("%q is not an RFC 3339 date-time", v)
			}
		}
	case json.Number:
		f, _ := v.Float64()
		if n, ok := number(s["minimum"]); ok && f < n {
			add("%s is less than %v", v, n)
		}
		if n, ok := number(s["maximum"]); ok && f > n {
			add("%s is more than %v", v, n)
		}
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

// jsonType is the JSON Schema type of a decoded value; integral numbers
// are "integer".
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return "integer"
		}
		if _, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
