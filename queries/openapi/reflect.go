package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// reflector derives component schemas from Go types, the way
// encoding/json (and segmentio/encoding/json, which follows it) writes
// them: exported fields under their json names, embedded structs
// flattened, "-" skipped. A pointer field without omitempty is required and
// nullable; a field with omitempty is optional; slices and maps are
// required and never null (handlers initialise them: the contract test
// catches one that does not).
type reflector struct {
	schemas map[string]*Schema
	names   map[reflect.Type]string
	// fields adds to the schema of a property: key "Component.property".
	fields map[string]func(*Schema)
	// special are schemas of types that encode themselves.
	special map[reflect.Type]func() *Schema
}

func newReflector() *reflector {
	r := &reflector{schemas: map[string]*Schema{}, names: map[reflect.Type]string{}, fields: map[string]func(*Schema){},
		special: map[reflect.Type]func() *Schema{
			reflect.TypeFor[time.Time](): func() *Schema {
				return &Schema{Type: "string", Format: "date-time"}
			},
			reflect.TypeFor[json.RawMessage](): func() *Schema {
				return &Schema{Description: "any JSON value"}
			},
		}}
	return r
}

// component returns a reference to the schema of v's type, derived once.
func (r *reflector) component(v any) *Schema {
	return r.schemaOf(reflect.TypeOf(v))
}

// name is the component name of a named struct type: package.Type.
func name(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}

func ref(name string) *Schema { return &Schema{Ref: "#/components/schemas/" + name} }

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

func (r *reflector) schemaOf(t reflect.Type) *Schema {
	if f, ok := r.special[t]; ok {
		return f()
	}
	if t.Kind() == reflect.Pointer {
		return r.schemaOf(t.Elem())
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		panic(fmt.Sprintf("openapi: %s encodes itself; describe it in reflector.special", t))
	}
	if t.Implements(textMarshaler) {
		if f, ok := r.special[t]; ok {
			return f()
		}
		return &Schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &Schema{Type: "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer", Minimum: ptr(0.0)}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Type: "string", Format: "byte"}
		}
		return &Schema{Type: "array", Items: r.schemaOf(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic(fmt.Sprintf("openapi: map key of %s is not a string", t))
		}
		return &Schema{Type: "object", AdditionalProperties: r.schemaOf(t.Elem())}
	case reflect.Interface:
		return &Schema{Description: "any JSON value"}
	case reflect.Struct:
		if t.Name() == "" {
			return r.structSchema(t, "")
		}
		n := name(t)
		if _, ok := r.names[t]; !ok {
			r.names[t] = n
			if other, ok := r.schemas[n]; ok && other != nil {
				panic("openapi: two types are named " + n)
			}
			r.schemas[n] = nil // reserve: recursive types refer to it
			r.schemas[n] = r.structSchema(t, n)
		}
		return ref(n)
	}
	panic(fmt.Sprintf("openapi: cannot describe %s", t))
}

// structSchema describes a struct; comp names it for field overrides.
func (r *reflector) structSchema(t reflect.Type, comp string) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}}
	r.addFields(s, t, comp)
	return s
}

func (r *reflector) addFields(s *Schema, t reflect.Type, comp string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		jname, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && jname == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				r.addFields(s, ft, comp)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if jname == "" {
			jname = f.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		p := r.schemaOf(f.Type)
		if f.Type.Kind() == reflect.Pointer && !omit {
			p = nullable(p)
		}
		if fn := r.fields[comp+"."+jname]; fn != nil {
			fn(p)
		}
		s.Properties[jname] = p
		if !omit {
			s.Required = append(s.Required, jname)
		}
	}
}

// nullable lets s also be null: a type list, or anyOf for references.
func nullable(s *Schema) *Schema {
	if s.Ref != "" {
		return &Schema{AnyOf: []*Schema{s, {Type: "null"}}}
	}
	switch t := s.Type.(type) {
	case string:
		s.Type = []string{t, "null"}
	case nil:
	}
	return s
}

func ptr[T any](v T) *T { return &v }
