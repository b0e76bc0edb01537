// Package httpx holds the small HTTP helpers the team-scoped JSON APIs share
// (queries/audience, sinks/adsync): answering JSON, answering a plain error,
// decoding a bounded JSON request body, and adapting a handler that acts on
// the authenticated team.
//
// Data enters as the *http.Request (its body and the team
// teams.FromContext finds in its context) and leaves as the JSON answer
// written to the http.ResponseWriter.
package httpx

import (
	"fmt"
	"io"
	"net/http"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/internal/teams"
)

// WriteJSON answers code with v as JSON, followed by a newline.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

// WriteError answers code with {"error": msg}.
func WriteError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

// BodyError is a request body DecodeJSON refused: larger than allowed or not
// JSON that fits the target. Problem continues the word "body": "must be at
// most 1048576 bytes", "must be a JSON object: …".
type BodyError struct {
	Problem string
}

func (e *BodyError) Error() string { return "body " + e.Problem }

// DecodeJSON reads the request body, at most max bytes, into v. A body that
// is too large or does not decode gives a *BodyError; a failed read gives
// the read error, wrapped.
func DecodeJSON(r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if int64(len(body)) > max {
		return &BodyError{Problem: fmt.Sprintf("must be at most %d bytes", max)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &BodyError{Problem: "must be a JSON object: " + err.Error()}
	}
	return nil
}

// TeamHandler adapts fn, which acts on the team that authenticated the
// request, to an http.Handler. A request without a team in its context
// (teams.FromContext) is answered 401; an error fn returns is handed to fail,
// which answers it.
func TeamHandler(fn func(http.ResponseWriter, *http.Request, *teams.Team) error, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		team, ok := teams.FromContext(r.Context())
		if !ok {
			WriteError(w, http.StatusUnauthorized, "authorization: no authenticated team")
			return
		}
		if err := fn(w, r, team); err != nil {
			fail(w, r, err)
		}
	})
}
