package chdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// ErrNotStreamable is returned by Stream for statements the engine cannot
// stream (DDL, INSERT, SET, ...); run those with QueryWith.
var ErrNotStreamable = errors.New("chdb: statement cannot be streamed")

// Stream is a query whose output is read in chunks as the engine produces
// them, so a large result never has to be held in memory whole. It holds a
// query slot and a connection until Close.
type Stream struct {
	db   *DB
	c    *conn
	s    *cstream
	ctx  context.Context
	stop func() bool // stops the cancel-on-context hook

	mu     sync.Mutex
	done   bool
	closed bool
	rowsRd uint64
}

// Stream starts sql and returns a Stream of its output in format. Only
// queries that return rows (SELECT, WITH, SHOW, ...) stream; for others it
// returns ErrNotStreamable. Cancelling ctx kills the query.
func (db *DB) Stream(ctx context.Context, sql, format string, o QueryOptions) (*Stream, error) {
	if err := db.admit(ctx, o); err != nil {
		return nil, err
	}
	tag := db.newTag()
	deadline, hasDeadline := ctx.Deadline()
	c, err := db.prepare(ctx, o, tag, deadline, hasDeadline)
	if err != nil {
		db.release()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { db.kill(tag) })
	cs, res, err := c.stream(sql, format, o.Params)
	if err == nil && res.hasErr {
		e := parseError(res.errText)
		if e.Name == "BAD_ARGUMENTS" && strings.Contains(e.Text, "Streaming query is not supported") {
			err = ErrNotStreamable
		} else {
			err = e
		}
	}
	if err != nil {
		stop()
		c.close()
		db.release()
		if ctx.Err() != nil && !errors.Is(err, ErrNotStreamable) {
			return nil, fmt.Errorf("run query: %w", ctx.Err())
		}
		return nil, err
	}
	return &Stream{db: db, c: c, s: cs, ctx: ctx, stop: stop}, nil
}

// Next returns the next chunk of output, or io.EOF after the last one. An
// exception raised while the query runs is returned as an *Error; if the
// query was cancelled through its context, the context's error.
func (s *Stream) Next() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("chdb: stream is closed")
	}
	if s.done {
		return nil, io.EOF
	}
	r, err := s.s.fetch()
	if err != nil {
		s.done = true
		return nil, fmt.Errorf("fetch query output: %w", err)
	}
	if r.hasErr {
		s.done = true
		if err := s.ctx.Err(); err != nil {
			return nil, fmt.Errorf("run query: %w", err)
		}
		// A query with no output ends before the first fetch; chDB then
		// reports that no streaming query is active: that is the end.
		if strings.Contains(r.errText, "No active streaming query") {
			return nil, io.EOF
		}
		return nil, parseError(r.errText)
	}
	s.rowsRd += r.rowsRead
	if len(r.data) == 0 {
		s.done = true
		return nil, io.EOF
	}
	return r.data, nil
}

// RowsRead counts the rows the query read so far.
func (s *Stream) RowsRead() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rowsRd
}

// Close cancels the query if it has not finished and releases its
// connection and slot.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.stop()
	if !s.done {
		s.s.cancel()
	}
	s.s.destroy()
	s.c.close()
	s.db.release()
	return nil
}
