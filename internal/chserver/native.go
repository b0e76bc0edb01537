package chserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The engine writes the Native format as protocol revision 0 does: blocks of
// (columns, rows, then per column name, type and data). A client that sent
// client_protocol_version=N over HTTP (clickhouse-go does) reads blocks as
// the TCP protocol frames them at revision N: a BlockInfo before each block
// and, from revision 54454 on, a "has custom serialization" byte after each
// column's type. reframeNative rewrites the engine's output that way; it has
// to walk each column's data to find where the next one starts.

const revisionWithCustomSerialization = 54454

var errUnsupportedNative = errors.New("unsupported type for Native output")

// reframeNative converts revision-0 Native data to revision rev framing.
func reframeNative(src []byte, rev uint64) ([]byte, error) {
	if rev == 0 {
		return src, nil
	}
	out := make([]byte, 0, len(src)+64)
	r := &nativeReader{b: src}
	for r.off < len(src) {
		out = append(out, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0) // BlockInfo: is_overflows=0, bucket_num=-1
		cols, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		rows, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, cols)
		out = binary.AppendUvarint(out, rows)
		for range cols {
			start := r.off
			if _, err := r.str(); err != nil { // name
				return nil, err
			}
			typ, err := r.str()
			if err != nil {
				return nil, err
			}
			out = append(out, src[start:r.off]...)
			if rev >= revisionWithCustomSerialization {
				out = append(out, 0)
			}
			t, err := parseType(typ)
			if err != nil {
				return nil, err
			}
			start = r.off
			if rows > 0 {
				if err := r.prefix(t); err != nil {
					return nil, fmt.Errorf("column type %s: %w", typ, err)
				}
				if err := r.data(t, rows); err != nil {
					return nil, fmt.Errorf("column type %s: %w", typ, err)
				}
			}
			out = append(out, src[start:r.off]...)
		}
	}
	return out, nil
}

type typeKind int

const (
	kFixed typeKind = iota
	kString
	kNullable
	kArray
	kTuple
	kLowCardinality
)

type chType struct {
	kind  typeKind
	size  int       // kFixed: bytes per row
	elems []*chType // element types
}

var fixedSizes = map[string]int{
	"UInt8": 1, "Int8": 1, "Bool": 1, "Enum8": 1, "Nothing": 1,
	"UInt16": 2, "Int16": 2, "Date": 2, "Enum16": 2, "BFloat16": 2,
	"UInt32": 4, "Int32": 4, "Float32": 4, "Date32": 4, "DateTime": 4, "IPv4": 4, "Decimal32": 4, "Time": 4,
	"UInt64": 8, "Int64": 8, "Float64": 8, "DateTime64": 8, "Decimal64": 8, "Time64": 8,
	"UInt128": 16, "Int128": 16, "UUID": 16, "IPv6": 16, "Decimal128": 16,
	"UInt256": 32, "Int256": 32, "Decimal256": 32,
	"IntervalNanosecond": 8, "IntervalMicrosecond": 8, "IntervalMillisecond": 8, "IntervalSecond": 8,
	"IntervalMinute": 8, "IntervalHour": 8, "IntervalDay": 8, "IntervalWeek": 8, "IntervalMonth": 8,
	"IntervalQuarter": 8, "IntervalYear": 8,
}

// parseType parses a ClickHouse type name into the shape its Native data has.
func parseType(s string) (*chType, error) {
	s = strings.TrimSpace(s)
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		name, args = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	if n, ok := fixedSizes[name]; ok {
		return &chType{kind: kFixed, size: n}, nil
	}
	switch name {
	case "String", "JSONString":
		return &chType{kind: kString}, nil
	case "FixedString":
		n, err := strconv.Atoi(strings.TrimSpace(args))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: %s", errUnsupportedNative, s)
		}
		return &chType{kind: kFixed, size: n}, nil
	case "Decimal":
		p, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(args, ",", 2)[0]))
		if err != nil {
			return nil, fmt.Errorf("%w: %s", errUnsupportedNative, s)
		}
		switch {
		case p <= 9:
			return &chType{kind: kFixed, size: 4}, nil
		case p <= 18:
			return &chType{kind: kFixed, size: 8}, nil
		case p <= 38:
			return &chType{kind: kFixed, size: 16}, nil
		default:
			return &chType{kind: kFixed, size: 32}, nil
		}
	case "Nullable", "LowCardinality", "Array":
		e, err := parseType(args)
		if err != nil {
			return nil, err
		}
		k := map[string]typeKind{"Nullable": kNullable, "LowCardinality": kLowCardinality, "Array": kArray}[name]
		return &chType{kind: k, elems: []*chType{e}}, nil
	case "SimpleAggregateFunction":
		parts := splitTopLevel(args)
		if len(parts) < 2 {
			return nil, fmt.Errorf("%w: %s", errUnsupportedNative, s)
		}
		return parseType(strings.Join(parts[1:], ","))
	case "Tuple", "Map":
		parts := splitTopLevel(args)
		t := &chType{kind: kTuple}
		for _, p := range parts {
			e, err := parseType(stripElementName(p))
			if err != nil {
				return nil, err
			}
			t.elems = append(t.elems, e)
		}
		if name == "Map" {
			if len(t.elems) != 2 {
				return nil, fmt.Errorf("%w: %s", errUnsupportedNative, s)
			}
			return &chType{kind: kArray, elems: []*chType{t}}, nil
		}
		return t, nil
	case "Point":
		return parseType("Tuple(Float64, Float64)")
	case "Ring", "LineString":
		return parseType("Array(Point)")
	case "Polygon", "MultiLineString":
		return parseType("Array(Array(Point))")
	case "MultiPolygon":
		return parseType("Array(Array(Array(Point)))")
	}
	return nil, fmt.Errorf("%w: %s", errUnsupportedNative, s)
}

// splitTopLevel splits a type argument list at commas outside brackets and
// quotes.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		parts = append(parts, rest)
	}
	return parts
}

// stripElementName drops the name of a named tuple element ("a UInt8").
func stripElementName(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return p
	}
	if p[0] == '`' || p[0] == '"' {
		if j := strings.IndexByte(p[1:], p[0]); j >= 0 {
			return strings.TrimSpace(p[j+2:])
		}
	}
	i := strings.IndexAny(p, " (")
	if i > 0 && p[i] == ' ' {
		if _, err := parseType(p[:i]); err != nil {
			return strings.TrimSpace(p[i+1:])
		}
	}
	return p
}

type nativeReader struct {
	b   []byte
	off int
}

var errShortNative = errors.New("truncated Native data")

func (r *nativeReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, errShortNative
	}
	r.off += n
	return v, nil
}

func (r *nativeReader) skip(n uint64) error {
	if n > uint64(len(r.b)-r.off) {
		return errShortNative
	}
	r.off += int(n)
	return nil
}

func (r *nativeReader) u64() (uint64, error) {
	if len(r.b)-r.off < 8 {
		return 0, errShortNative
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v, nil
}

func (r *nativeReader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	start := r.off
	if err := r.skip(n); err != nil {
		return "", err
	}
	return string(r.b[start:r.off]), nil
}

// prefix skips the serialization state prefix of a column of type t.
func (r *nativeReader) prefix(t *chType) error {
	switch t.kind {
	case kLowCardinality:
		_, err := r.u64() // keys serialization version
		return err
	case kNullable, kArray, kTuple:
		for _, e := range t.elems {
			if err := r.prefix(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// data skips the data of rows values of type t.
func (r *nativeReader) data(t *chType, rows uint64) error {
	switch t.kind {
	case kFixed:
		if rows > uint64(len(r.b)) {
			return errShortNative
		}
		return r.skip(rows * uint64(t.size))
	case kString:
		for range rows {
			n, err := r.uvarint()
			if err != nil {
				return err
			}
			if err := r.skip(n); err != nil {
				return err
			}
		}
		return nil
	case kNullable:
		if err := r.skip(rows); err != nil {
			return err
		}
		return r.data(t.elems[0], rows)
	case kArray:
		if rows > uint64(len(r.b))/8 {
			return errShortNative
		}
		if err := r.skip((rows - 1) * 8); err != nil {
			return err
		}
		total, err := r.u64()
		if err != nil {
			return err
		}
		if total == 0 {
			return nil
		}
		return r.data(t.elems[0], total)
	case kTuple:
		for _, e := range t.elems {
			if err := r.data(e, rows); err != nil {
				return err
			}
		}
		return nil
	case kLowCardinality:
		return r.lowCardinality(t.elems[0], rows)
	}
	return errUnsupportedNative
}

const (
	lcHasAdditionalKeys    = 1 << 9
	lcNeedGlobalDictionary = 1 << 8
)

func (r *nativeReader) lowCardinality(t *chType, rows uint64) error {
	dict := t
	if t.kind == kNullable {
		dict = t.elems[0]
	}
	var read uint64
	for read < rows {
		flags, err := r.u64()
		if err != nil {
			return err
		}
		if flags&lcNeedGlobalDictionary != 0 {
			return fmt.Errorf("%w: LowCardinality with a global dictionary", errUnsupportedNative)
		}
		if flags&lcHasAdditionalKeys != 0 {
			keys, err := r.u64()
			if err != nil {
				return err
			}
			if keys > 0 {
				if err := r.data(dict, keys); err != nil {
					return err
				}
			}
		}
		n, err := r.u64()
		if err != nil {
			return err
		}
		width := uint64(1) << (flags & 0xff)
		if width > 8 {
			return errShortNative
		}
		if n > uint64(len(r.b)) {
			return errShortNative
		}
		if err := r.skip(n * width); err != nil {
			return err
		}
		if n == 0 {
			return errShortNative
		}
		read += n
	}
	return nil
}
