package teams

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
)

// Settings is the part of a team its own key may read and change.
type Settings struct {
	Name      string            `json:"name"`
	TimeZone  string            `json:"timezone"`
	Region    string            `json:"region"`
	Currency  string            `json:"currency"`
	WeekStart int               `json:"week_start"`
	Rates     map[string]string `json:"rates"`
	Junk      []string          `json:"junk"`
}

func settingsOf(t *Team) Settings {
	s := Settings{Name: t.Name, TimeZone: t.TimeZone, Region: t.Region, Currency: t.Currency, WeekStart: int(t.WeekStart), Rates: t.Rates, Junk: t.Junk}
	if s.Rates == nil {
		s.Rates = map[string]string{}
	}
	if s.Junk == nil {
		s.Junk = []string{}
	}
	return s
}

// Register mounts GET and PUT /v1/settings; auth is the team middleware.
// PUT replaces the settings given in the body and keeps the others; rates
// are merged per channel type (a rate cannot be removed, only changed).
func (s *Store) Register(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/settings", auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := FromContext(r.Context())
		writeJSON(w, http.StatusOK, settingsOf(t))
	})))
	mux.Handle("PUT /v1/settings", auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur, _ := FromContext(r.Context())
		in := settingsOf(cur)
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, "body", err.Error())
			return
		}
		next := *cur
		next.loc = nil
		next.Name, next.TimeZone, next.Region, next.Currency = in.Name, in.TimeZone, in.Region, in.Currency
		next.WeekStart = time.Weekday(in.WeekStart)
		next.Rates, next.Junk = in.Rates, in.Junk
		if err := next.Validate(); err != nil {
			param, msg, _ := strings.Cut(errors.Unwrap(joinFirst(err)).Error(), ": ")
			writeError(w, http.StatusBadRequest, param, msg)
			return
		}
		saved, err := s.Put(r.Context(), next)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "", "settings store unavailable, retry")
			return
		}
		writeJSON(w, http.StatusOK, settingsOf(saved))
	})))
}

// joinFirst returns the first error of a joined error, wrapped once so
// errors.Unwrap gives it back.
func joinFirst(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return wrapped{j.Unwrap()[0]}
	}
	return wrapped{err}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, param, msg string) {
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, code, map[string]string{"error": msg, "parameter": param})
}
