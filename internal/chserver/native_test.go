package chserver

import (
	"bytes"
	"testing"
)

func TestParseType(t *testing.T) {
	ok := []string{
		"UInt8", "String", "Nullable(String)", "Array(Array(UInt64))", "LowCardinality(Nullable(String))",
		"Map(String, Array(UInt8))", "Tuple(a Int16, b String)", "Tuple(Int16, String)", "DateTime64(3, 'UTC')",
		"DateTime('Europe/Paris')", "Decimal(18, 4)", "Decimal(76, 2)", "FixedString(16)", "Enum8('a' = 1, 'b' = 2)",
		"SimpleAggregateFunction(sum, UInt64)", "Point", "MultiPolygon", "Tuple(`my col` String, `x` UInt8)",
	}
	for _, s := range ok {
		if _, err := parseType(s); err != nil {
			t.Errorf("parseType(%q): %v", s, err)
		}
	}
	for _, s := range []string{"JSON", "Dynamic", "Variant(String, UInt8)", "AggregateFunction(uniq, String)", "FixedString(x)"} {
		if _, err := parseType(s); err == nil {
			t.Errorf("parseType(%q) accepted", s)
		}
	}
}

func TestReframeNative(t *testing.T) {
	// SELECT 1 AS x as the engine writes it (revision 0).
	src := []byte{0x01, 0x01, 0x01, 'x', 0x05, 'U', 'I', 'n', 't', '8', 0x01}
	got, err := reframeNative(src, 54460)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0x01, 0x01, 0x01, 'x', 0x05, 'U', 'I', 'n', 't', '8', 0x00}, 0x01)
	if !bytes.Equal(got, want) {
		t.Fatalf("reframe = % x, want % x", got, want)
	}
	if _, err := reframeNative(src[:len(src)-1], 54460); err == nil {
		t.Fatal("truncated block accepted")
	}
}

func FuzzReframeNative(f *testing.F) {
	f.Add([]byte{0x01, 0x01, 0x01, 'x', 0x05, 'U', 'I', 'n', 't', '8', 0x01}, uint64(54460))
	f.Add([]byte{0x01, 0x02, 0x01, 's', 0x06, 'S', 't', 'r', 'i', 'n', 'g', 0x01, 'a', 0x00}, uint64(1))
	f.Add([]byte{0x01, 0x01, 0x01, 'a', 0x0d, 'A', 'r', 'r', 'a', 'y', '(', 'U', 'I', 'n', 't', '8', ')', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint64(54460))
	f.Fuzz(func(t *testing.T, src []byte, rev uint64) {
		out, err := reframeNative(src, rev)
		if err == nil && rev == 0 && !bytes.Equal(out, src) {
			t.Fatal("revision 0 changed the data")
		}
	})
}
