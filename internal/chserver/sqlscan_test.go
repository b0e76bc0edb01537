package chserver

import (
	"testing"
)

func TestParseInsert(t *testing.T) {
	tests := []struct {
		name string
		text string
		ok   bool
		want insertStmt
		data string
	}{
		{"format then newline data", "INSERT INTO t FORMAT JSONEachRow\n{\"a\":1}\n", true,
			insertStmt{Head: "INSERT INTO t", Format: "JSONEachRow"}, "{\"a\":1}\n"},
		{"format then spaces data", "INSERT INTO t FORMAT CSV   1,2", true,
			insertStmt{Head: "INSERT INTO t", Format: "CSV"}, "1,2"},
		{"only first newline skipped", "INSERT INTO t FORMAT TSV \n\n1\n", true,
			insertStmt{Head: "INSERT INTO t", Format: "TSV"}, "\n1\n"},
		{"no data", "INSERT INTO db.t (a, b) FORMAT Native", true,
			insertStmt{Head: "INSERT INTO db.t (a, b)", Format: "Native"}, ""},
		{"settings", "insert into `my db`.\"t\" (a) SETTINGS insert_deduplication_token = 'x FORMAT y' format RowBinary", true,
			insertStmt{Head: "insert into `my db`.\"t\" (a)", Settings: "insert_deduplication_token = 'x FORMAT y'", Format: "RowBinary"}, ""},
		{"values", "INSERT INTO t VALUES (1, 'a'), (2, 'b')", true,
			insertStmt{Head: "INSERT INTO t", Format: "Values"}, "(1, 'a'), (2, 'b')"},
		{"table named format", "INSERT INTO format FORMAT TSV\n1\n", true,
			insertStmt{Head: "INSERT INTO format", Format: "TSV"}, "1\n"},
		{"comments", "/* c */ INSERT -- x\n INTO t FORMAT TSV\n1\n", true,
			insertStmt{Head: "/* c */ INSERT -- x\n INTO t", Format: "TSV"}, "1\n"},
		{"leading comment", "INSERT /* FORMAT x */ INTO t FORMAT TSV\n1\n", true,
			insertStmt{Head: "INSERT /* FORMAT x */ INTO t", Format: "TSV"}, "1\n"},
		{"table function", "INSERT INTO FUNCTION file('a.tsv', 'TSV', 'x UInt8') FORMAT TSV\n1\n", true,
			insertStmt{Head: "INSERT INTO FUNCTION file('a.tsv', 'TSV', 'x UInt8')", Format: "TSV"}, "1\n"},
		{"insert select", "INSERT INTO t SELECT 1", false, insertStmt{}, ""},
		{"insert from infile", "INSERT INTO t FROM INFILE 'x' FORMAT TSV", false, insertStmt{}, ""},
		{"select", "SELECT 1 FORMAT TSV", false, insertStmt{}, ""},
		{"unterminated", "INSERT INTO t (a FORMAT TSV", false, insertStmt{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseInsert(tc.text)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			data := tc.text[got.DataOffset:]
			got.DataOffset = 0
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if data != tc.data {
				t.Errorf("data %q, want %q", data, tc.data)
			}
		})
	}
}

func TestOutputFormat(t *testing.T) {
	tests := map[string]string{
		"SELECT 1":              "",
		"SELECT 1 FORMAT JSON":  "JSON",
		"SELECT 1 FORMAT JSON;": "JSON",
		"SELECT 1 format `CSV` SETTINGS max_threads=1": "CSV",
		"SELECT format FROM t":                         "",
		"SELECT 'FORMAT JSON'":                         "",
		"SELECT (SELECT 1 FORMAT TSV)":                 "",
		"SELECT 1 -- FORMAT JSON":                      "",
		"INSERT INTO t FORMAT JSONEachRow":             "",
		"WITH 1 AS x SELECT x FORMAT Pretty":           "Pretty",
	}
	for text, want := range tests {
		if got := outputFormat(text); got != want {
			t.Errorf("outputFormat(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestStripDropSync(t *testing.T) {
	tests := map[string]string{
		"DROP TABLE t SYNC":               "DROP TABLE t ",
		"drop database if exists d sync;": "drop database if exists d ;",
		"DETACH TABLE t SYNC":             "DETACH TABLE t ",
		"DROP TABLE t":                    "DROP TABLE t",
		"DROP TABLE sync":                 "DROP TABLE sync",
		"DROP TABLE IF EXISTS sync":       "DROP TABLE IF EXISTS sync",
		"DROP TABLE db.sync":              "DROP TABLE db.sync",
		"DROP TABLE sync SYNC":            "DROP TABLE sync ",
		"SELECT 1 SYNC":                   "SELECT 1 SYNC",
		"DROP TABLE `SYNC` SYNC":          "DROP TABLE `SYNC` ",
	}
	for in, want := range tests {
		if got := stripDropSync(in); got != want {
			t.Errorf("stripDropSync(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzScan checks the statement scanner on arbitrary text: no panics, data
// offsets inside the text, and stripDropSync only ever removes one word.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"INSERT INTO t FORMAT JSONEachRow\n{}\n", "INSERT INTO t VALUES (1)", "SELECT 1 FORMAT JSON",
		"DROP TABLE t SYNC", "INSERT INTO t SETTINGS a=1 FORMAT TSV", "/* /* */ */ SELECT '\\'' FORMAT CSV",
		"INSERT INTO FUNCTION f(1)(2) FORMAT X", "INSERT INTO t (", "'", "`", "\"", "/*", "--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if ins, ok := parseInsert(text); ok {
			if ins.DataOffset < 0 || ins.DataOffset > len(text) {
				t.Fatalf("data offset %d outside text of %d bytes", ins.DataOffset, len(text))
			}
			if ins.Format == "" || firstKeyword(ins.Head) != "INSERT" {
				t.Fatalf("bad insert %+v", ins)
			}
		}
		_ = outputFormat(text)
		_ = firstKeyword(text)
		if out := stripDropSync(text); out != text && len(text)-len(out) != 4 {
			t.Fatalf("stripDropSync removed %d bytes", len(text)-len(out))
		}
	})
}
