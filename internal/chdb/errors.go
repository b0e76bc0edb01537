package chdb

import (
	"errors"
	"regexp"
	"strconv"
)

// ErrLibraryMissing reports that libchdb.so is not at the configured path.
// `make chdb` fetches it.
var ErrLibraryMissing = errors.New("chDB library not found")

// ErrClosed is returned by Query after Close.
var ErrClosed = errors.New("chdb: database is closed")

// Error is an exception raised by the engine while running a query.
type Error struct {
	// Code is ClickHouse's error code (e.g. 62 for SYNTAX_ERROR); 0 if the
	// text carried none.
	Code int
	// Name is ClickHouse's error name, e.g. "SYNTAX_ERROR"; may be empty.
	Name string
	// Text is the exception text as the engine wrote it, starting with
	// "Code: N. DB::Exception: ".
	Text string
}

func (e *Error) Error() string { return e.Text }

var (
	codeRe = regexp.MustCompile(`^Code: (\d+)\.`)
	nameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\.?\s*$`)
)

// parseError turns the engine's exception text into an *Error.
func parseError(text string) *Error {
	e := &Error{Text: text}
	if m := codeRe.FindStringSubmatch(text); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
	}
	if m := nameRe.FindStringSubmatch(text); m != nil {
		e.Name = m[1]
	}
	return e
}
