package chserver

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/omnistream/omnistream/internal/chdb"
)

// ClickHouse error codes of sessions.
const (
	codeSessionNotFound       = 372
	codeSessionIsLocked       = 373
	codeInvalidSessionTimeout = 374
)

func init() {
	codeNames[codeSessionNotFound] = "SESSION_NOT_FOUND"
	codeNames[codeSessionIsLocked] = "SESSION_IS_LOCKED"
	codeNames[codeInvalidSessionTimeout] = "INVALID_SESSION_TIMEOUT"
}

// A session (session_id=) belongs to one user and keeps its connection,
// with SET values, USE and temporary tables, until it has been idle for its
// session_timeout. Read-only users run their queries without one: they can
// neither SET nor create tables, so a session would hold nothing for them.

type sessionKey struct{ user, id string }

type session struct {
	s       *chdb.Session
	timeout time.Duration
	expires time.Time // guarded by Server.sessMu
}

// session returns the user's session id, creating it unless session_check=1.
func (s *Server) session(user, id string, q url.Values) (*session, error) {
	timeout := s.cfg.DefaultSessionTimeout
	if v := q.Get("session_timeout"); v != "" {
		secs, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, errorf(codeInvalidSessionTimeout, "Invalid session timeout: '%s'", v)
		}
		timeout = time.Duration(secs) * time.Second
		if timeout > s.cfg.MaxSessionTimeout {
			return nil, errorf(codeInvalidSessionTimeout, "Session timeout '%d' is larger than max_session_timeout: %d",
				secs, int(s.cfg.MaxSessionTimeout.Seconds()))
		}
	}
	key := sessionKey{user, id}
	now := time.Now()
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	if sess, ok := s.sessions[key]; ok {
		if now.Before(sess.expires) {
			if q.Get("session_timeout") != "" {
				sess.timeout = timeout
			}
			sess.expires = now.Add(sess.timeout)
			return sess, nil
		}
		delete(s.sessions, key)
		go sess.s.Close()
	}
	if q.Get("session_check") == "1" {
		return nil, errorf(codeSessionNotFound, "Session %s not found", id)
	}
	if len(s.sessions) >= s.cfg.MaxSessions {
		return nil, errorf(codeSessionIsLocked, "Too many sessions (%d) are open", len(s.sessions))
	}
	cs, err := s.eng.OpenSession()
	if err != nil {
		return nil, err
	}
	sess := &session{s: cs, timeout: timeout, expires: now.Add(timeout)}
	if s.sessions == nil {
		s.sessions = map[sessionKey]*session{}
	}
	s.sessions[key] = sess
	return sess, nil
}

// touch restarts a session's idle timeout after a query.
func (s *Server) touch(sess *session) {
	s.sessMu.Lock()
	sess.expires = time.Now().Add(sess.timeout)
	s.sessMu.Unlock()
}

// runInSession runs one query of a session.
func (s *Server) runInSession(ctx context.Context, sess *session, sql, format string, o chdb.QueryOptions, id string) (*chdb.Result, error) {
	res, err := sess.s.QueryWith(ctx, sql, format, o)
	s.touch(sess)
	if errors.Is(err, chdb.ErrSessionLocked) {
		return nil, errorf(codeSessionIsLocked, "Session %s is locked by a concurrent client", id)
	}
	return res, err
}

// reapSessions closes idle sessions until ctx ends.
func (s *Server) reapSessions(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			var idle []*session
			s.sessMu.Lock()
			for k, sess := range s.sessions {
				if now.After(sess.expires) {
					idle = append(idle, sess)
					delete(s.sessions, k)
				}
			}
			s.sessMu.Unlock()
			for _, sess := range idle {
				if err := sess.s.Close(); err != nil {
					s.log.Warn("close idle session", slog.String("error", err.Error()))
				}
			}
		}
	}
}

// closeSessions closes every session.
func (s *Server) closeSessions() {
	s.sessMu.Lock()
	all := s.sessions
	s.sessions = nil
	s.sessMu.Unlock()
	for _, sess := range all {
		sess.s.Close()
	}
}

// sessionReadonly enforces a per-query readonly setting (from a GET, or the
// URL) on a session query. The engine cannot take readonly back once set,
// so instead of setting it the statement's kind is checked: readonly=1
// allows queries that return rows, readonly=2 also SET and USE.
func sessionReadonly(o *chdb.QueryOptions, sql string) error {
	v, ok := o.Settings["readonly"]
	if !ok {
		return nil
	}
	delete(o.Settings, "readonly")
	if v == "" || v == "0" {
		return nil
	}
	kw := firstKeyword(sql)
	if returnsRows(sql) || (v != "1" && (kw == "SET" || kw == "USE")) {
		return nil
	}
	return errorf(codeReadonly, "Cannot execute query in readonly mode")
}
