package chserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/omnistream/omnistream/internal/chdb"
)

func passwordMatches(u User, pass string) bool {
	if u.PasswordSHA256 != "" {
		h := sha256.Sum256([]byte(pass))
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(h[:])), []byte(u.PasswordSHA256)) == 1
	}
	return subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) == 1
}

// allowedTableFunctions generate data and read no table.
var allowedTableFunctions = []string{"numbers", "numbers_mt", "zeros", "zeros_mt"}

// harmlessTables hold no data of anyone (a query without FROM reads
// system.one).
var harmlessTables = []string{"system.one", "system.numbers", "system.numbers_mt", "system.zeros", "system.zeros_mt"}

// tableReadingFunctions read tables, dictionaries or files by name.
var tableReadingFunctions = []string{"joinGet", "joinGetOrNull", "file", "hasColumnInTable", "getSetting"}

// guard lets a confined user run only SELECT queries over its databases.
// The engine resolves the query first, so views, subqueries, IN tables and
// CTEs are all seen as the tables they are.
func (s *Server) guard(ctx context.Context, u User, sql string, opts chdb.QueryOptions) error {
	deny := func(what string) error {
		return errorf(codeAccessDenied, "%s: Not enough privileges: %s (this user may only SELECT from the tables of %s)", u.Name, what, strings.Join(u.Databases, ", "))
	}
	opts.ReadOnly = true
	stmt := strings.TrimRight(strings.TrimSpace(sql), "; \n\t")
	if !isSelect(stmt) {
		return deny("only SELECT queries are allowed")
	}
	res, err := s.eng.QueryWith(ctx, "EXPLAIN QUERY TREE "+stmt, "TabSeparatedRaw", opts)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(res.Data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "TABLE_FUNCTION "):
			name := field(line, "table_function_name")
			if !slices.Contains(allowedTableFunctions, name) {
				return deny("table function " + name)
			}
		case strings.HasPrefix(line, "TABLE "):
			name := field(line, "table_name")
			db, _, ok := strings.Cut(name, ".")
			if slices.Contains(harmlessTables, name) {
				continue
			}
			if !ok || !slices.Contains(u.Databases, db) {
				return deny("table " + name)
			}
		case strings.HasPrefix(line, "FUNCTION "):
			name := field(line, "function_name")
			if slices.Contains(tableReadingFunctions, name) || strings.HasPrefix(name, "dict") {
				return deny("function " + name)
			}
		}
	}
	return nil
}

// field reads "key: value" out of an EXPLAIN QUERY TREE node line.
func field(line, key string) string {
	_, rest, ok := strings.Cut(line, key+": ")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// isSelect reports whether a statement is a SELECT (possibly with WITH or
// in parentheses), leading comments skipped.
func isSelect(sql string) bool {
	for {
		sql = strings.TrimLeft(sql, " \t\r\n(")
		switch {
		case strings.HasPrefix(sql, "--"):
			_, rest, _ := strings.Cut(sql, "\n")
			sql = rest
		case strings.HasPrefix(sql, "/*"):
			_, rest, ok := strings.Cut(sql, "*/")
			if !ok {
				return false
			}
			sql = rest
		default:
			word := strings.ToUpper(sql[:min(len(sql), 6)])
			return strings.HasPrefix(word, "SELECT") || strings.HasPrefix(word, "WITH")
		}
	}
}
