package chserver

import (
	"strings"
)

// token is one lexical token of a ClickHouse statement.
type token struct {
	kind  tokenKind
	start int // byte offset of the token in the text
	end   int // byte offset just past it
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokQuotedIdent
	tokString
	tokNumber
	tokOpen  // ( or [
	tokClose // ) or ]
	tokSemicolon
	tokOther
	tokUnterminated // an unterminated string, identifier or comment
)

// lexer splits ClickHouse SQL into tokens, skipping whitespace and comments.
// It only needs to be exact about where strings, quoted identifiers and
// comments begin and end; everything else is coarse.
type lexer struct {
	s   string
	pos int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordStart(c byte) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}

func isWordChar(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9') || c == '$'
}

// skip moves past whitespace and comments. It returns false when a block
// comment is not terminated.
func (l *lexer) skip() bool {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '-' && strings.HasPrefix(l.s[l.pos:], "--"), c == '#':
			i := strings.IndexByte(l.s[l.pos:], '\n')
			if i < 0 {
				l.pos = len(l.s)
			} else {
				l.pos += i + 1
			}
		case c == '/' && strings.HasPrefix(l.s[l.pos:], "/*"):
			// ClickHouse block comments nest.
			depth, i := 0, l.pos
			for i < len(l.s) {
				if strings.HasPrefix(l.s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(l.s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth != 0 {
				l.pos = len(l.s)
				return false
			}
			l.pos = i
		default:
			return true
		}
	}
	return true
}

// quoted moves past a literal quoted with q, honouring backslash escapes and
// doubled quotes. It returns false if the literal is not terminated.
func (l *lexer) quoted(q byte) bool {
	i := l.pos + 1
	for i < len(l.s) {
		switch l.s[i] {
		case '\\':
			i += 2
		case q:
			if i+1 < len(l.s) && l.s[i+1] == q {
				i += 2
				continue
			}
			l.pos = i + 1
			return true
		default:
			i++
		}
	}
	l.pos = len(l.s)
	return false
}

func (l *lexer) next() token {
	if !l.skip() {
		return token{kind: tokUnterminated, start: l.pos, end: l.pos}
	}
	start := l.pos
	if l.pos >= len(l.s) {
		return token{kind: tokEOF, start: start, end: start}
	}
	c := l.s[l.pos]
	kind := tokOther
	switch {
	case c == '\'':
		kind = tokString
		if !l.quoted('\'') {
			kind = tokUnterminated
		}
	case c == '"' || c == '`':
		kind = tokQuotedIdent
		if !l.quoted(c) {
			kind = tokUnterminated
		}
	case isWordStart(c):
		kind = tokWord
		for l.pos < len(l.s) && isWordChar(l.s[l.pos]) {
			l.pos++
		}
	case c >= '0' && c <= '9':
		kind = tokNumber
		for l.pos < len(l.s) && (isWordChar(l.s[l.pos]) || l.s[l.pos] == '.') {
			l.pos++
		}
	case c == '(' || c == '[':
		kind = tokOpen
		l.pos++
	case c == ')' || c == ']':
		kind = tokClose
		l.pos++
	case c == ';':
		kind = tokSemicolon
		l.pos++
	default:
		l.pos++
	}
	return token{kind: kind, start: start, end: l.pos}
}

func (l *lexer) text(t token) string { return l.s[t.start:t.end] }

func (l *lexer) is(t token, word string) bool {
	return t.kind == tokWord && strings.EqualFold(l.text(t), word)
}

// insertStmt describes an INSERT statement that carries data, either inline
// after FORMAT/VALUES or in the request body.
type insertStmt struct {
	// Head is the statement up to the data clause: "INSERT INTO t (a, b)".
	Head string
	// Settings is the text of a SETTINGS clause without the keyword, or "".
	Settings string
	// Format is the data's format name ("Values" for VALUES).
	Format string
	// DataOffset is where inline data starts in the text (len(text) when
	// there is none).
	DataOffset int
}

// parseInsert recognises INSERT statements that take data. ok is false for
// anything else, including INSERT ... SELECT and INSERT ... FROM INFILE.
func parseInsert(text string) (ins insertStmt, ok bool) {
	l := &lexer{s: text}
	t := l.next()
	if !l.is(t, "INSERT") {
		return ins, false
	}
	t = l.next()
	if !l.is(t, "INTO") {
		return ins, false
	}
	t = l.next()
	if l.is(t, "TABLE") {
		t = l.next()
	} else if l.is(t, "FUNCTION") {
		t = l.next()
		// function name, then its argument list
		if t.kind != tokWord {
			return ins, false
		}
		t = l.next()
		if t.kind != tokOpen || !skipParens(l) {
			return ins, false
		}
		t = l.next()
		goto clauses
	}
	// table name: name or db.name, quoted or not
	if t.kind != tokWord && t.kind != tokQuotedIdent {
		return ins, false
	}
	t = l.next()
	if l.text(t) == "." {
		t = l.next()
		if t.kind != tokWord && t.kind != tokQuotedIdent {
			return ins, false
		}
		t = l.next()
	}
clauses:
	settingsStart, headEnd := -1, -1
	for {
		switch {
		case t.kind == tokOpen:
			if !skipParens(l) {
				return ins, false
			}
		case l.is(t, "SETTINGS"):
			if headEnd < 0 {
				headEnd = t.start
			}
			settingsStart = t.end
		case l.is(t, "FORMAT"):
			if headEnd < 0 {
				headEnd = t.start
			}
			f := l.next()
			if f.kind != tokWord && f.kind != tokQuotedIdent {
				return ins, false
			}
			ins.Format = strings.Trim(l.text(f), "`\"")
			ins.DataOffset = dataStart(text, f.end)
			if settingsStart >= 0 {
				ins.Settings = strings.TrimSpace(text[settingsStart:t.start])
			}
			ins.Head = strings.TrimSpace(text[:headEnd])
			return ins, true
		case l.is(t, "VALUES"):
			if headEnd < 0 {
				headEnd = t.start
			}
			ins.Format = "Values"
			ins.DataOffset = t.end
			for ins.DataOffset < len(text) && isSpace(text[ins.DataOffset]) {
				ins.DataOffset++
			}
			if settingsStart >= 0 {
				ins.Settings = strings.TrimSpace(text[settingsStart:t.start])
			}
			ins.Head = strings.TrimSpace(text[:headEnd])
			return ins, true
		case l.is(t, "SELECT"), l.is(t, "WITH"), l.is(t, "FROM"),
			t.kind == tokEOF, t.kind == tokSemicolon, t.kind == tokUnterminated:
			return ins, false
		}
		t = l.next()
	}
}

// dataStart applies ClickHouse's rule for inline data after FORMAT name: it
// starts after the first newline if there is one among the whitespace that
// follows, otherwise after all of that whitespace.
func dataStart(text string, i int) int {
	j := i
	for j < len(text) && isSpace(text[j]) {
		if text[j] == '\n' {
			return j + 1
		}
		j++
	}
	return j
}

// skipParens consumes tokens up to the bracket closing one already read.
func skipParens(l *lexer) bool {
	depth := 1
	for depth > 0 {
		t := l.next()
		switch t.kind {
		case tokOpen:
			depth++
		case tokClose:
			depth--
		case tokEOF, tokUnterminated:
			return false
		}
	}
	return true
}

// outputFormat returns the name in the last top-level FORMAT clause of a
// query that is not an INSERT, or "" if there is none.
func outputFormat(text string) string {
	l := &lexer{s: text}
	depth, format := 0, ""
	first := true
	for {
		t := l.next()
		if first {
			first = false
			if l.is(t, "INSERT") {
				return ""
			}
		}
		switch t.kind {
		case tokEOF, tokUnterminated:
			return format
		case tokOpen:
			depth++
		case tokClose:
			depth--
		case tokWord:
			if depth != 0 || !l.is(t, "FORMAT") {
				continue
			}
			save := l.pos
			f := l.next()
			if f.kind != tokWord && f.kind != tokQuotedIdent {
				l.pos = save
				continue
			}
			after := l.next()
			if after.kind == tokEOF || after.kind == tokSemicolon || l.is(after, "SETTINGS") {
				format = strings.Trim(l.text(f), "`\"")
			}
			l.pos = save
		}
	}
}

// firstKeyword returns the statement's first word, upper-cased.
func firstKeyword(text string) string {
	l := &lexer{s: text}
	t := l.next()
	if t.kind != tokWord {
		return ""
	}
	return strings.ToUpper(l.text(t))
}

// stripDropSync removes a trailing SYNC from DROP and DETACH statements:
// chDB 26.5 never returns from the synchronous wait (the drop itself is
// done), so the statement runs asynchronously instead; Atomic databases
// still free the name at once, so the same table can be created again.
func stripDropSync(text string) string {
	l := &lexer{s: text}
	first := l.next()
	if !l.is(first, "DROP") && !l.is(first, "DETACH") {
		return text
	}
	var last, prev token
	for {
		t := l.next()
		if t.kind == tokEOF || t.kind == tokUnterminated {
			break
		}
		if t.kind == tokSemicolon {
			// only a final semicolon may follow
			if n := l.next(); n.kind != tokEOF {
				return text
			}
			break
		}
		prev, last = last, t
	}
	// SYNC right after the object kind, IF EXISTS or a dot is the object's
	// name, not the modifier.
	for _, w := range []string{"TABLE", "DATABASE", "VIEW", "DICTIONARY", "EXISTS", "TEMPORARY"} {
		if l.is(prev, w) {
			return text
		}
	}
	if l.text(prev) == "." {
		return text
	}
	if l.is(last, "SYNC") {
		return text[:last.start] + text[last.end:]
	}
	return text
}

// returnsRows reports whether a statement is a query whose output may be
// streamed: SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS, or a bracketed
// SELECT.
func returnsRows(text string) bool {
	l := &lexer{s: text}
	t := l.next()
	if t.kind == tokOpen {
		return true
	}
	switch firstKeyword(text) {
	case "SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXPLAIN", "EXISTS":
		return true
	}
	return false
}
