package chparam

import "testing"

func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{"a"}, "['a']"},
		{[]string{`it's`, `back\slash`, "x'); DROP TABLE t; --"}, `['it\'s','back\\slash','x\'); DROP TABLE t; --']`},
	} {
		if got := Strings(tc.in); got != tc.want {
			t.Errorf("Strings(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
