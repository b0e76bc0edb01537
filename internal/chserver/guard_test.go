package chserver

import "testing"

func TestIsSelect(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", true}, {"  with x AS (SELECT 1) SELECT * FROM x", true}, {"(SELECT 1)", true},
		{"-- note\nSELECT 1", true}, {"/* c */ select 1", true}, {"/* unterminated SELECT 1", false},
		{"INSERT INTO t SELECT 1", false}, {"DROP TABLE t", false}, {"SHOW TABLES", false}, {"", false},
		{"EXPLAIN SELECT 1", false}, {"SET readonly = 0", false},
	} {
		if got := isSelect(tc.sql); got != tc.want {
			t.Errorf("isSelect(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}

func TestField(t *testing.T) {
	line := "TABLE id: 3, alias: __table1, table_name: analyst_a.events"
	if got := field(line, "table_name"); got != "analyst_a.events" {
		t.Fatalf("table_name = %q", got)
	}
	if got := field("FUNCTION id: 2, function_name: count, function_type: aggregate", "function_name"); got != "count" {
		t.Fatalf("function_name = %q", got)
	}
}
