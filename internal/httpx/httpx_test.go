package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omnistream/omnistream/internal/teams"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, body string
		problem    string // "" for success
	}{
		{"object", `{"a":1}`, ""},
		{"exactly max", `{"a":12}`, ""},
		{"too large", `{"a":123}`, "must be at most 8 bytes"},
		{"not json", `{"a":`, "must be a JSON object: "},
		{"wrong type", `[1]`, "must be a JSON object: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v struct{ A int }
			err := DecodeJSON(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body)), 8, &v)
			var be *BodyError
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.problem != "" && (!errors.As(err, &be) || !strings.HasPrefix(be.Problem, tc.problem)):
				t.Fatalf("got %v, want a BodyError %q…", err, tc.problem)
			case be != nil && be.Error() != "body "+be.Problem:
				t.Fatalf("Error() = %q", be.Error())
			}
		})
	}
}

func TestTeamHandler(t *testing.T) {
	var failed error
	h := TeamHandler(func(w http.ResponseWriter, _ *http.Request, team *teams.Team) error {
		if team.ID == "bad" {
			return errors.New("boom")
		}
		WriteJSON(w, http.StatusOK, map[string]string{"team": team.ID})
		return nil
	}, func(w http.ResponseWriter, _ *http.Request, err error) {
		failed = err
		WriteError(w, http.StatusInternalServerError, "internal error")
	})

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusUnauthorized || w.Body.String() != `{"error":"authorization: no authenticated team"}`+"\n" ||
		w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("no team: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}

	for id, want := range map[string]string{"t1": `{"team":"t1"}` + "\n", "bad": `{"error":"internal error"}` + "\n"} {
		team := teams.New(id, id, "TW")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(teams.WithTeam(t.Context(), &team)))
		if w.Body.String() != want {
			t.Errorf("team %s: %q, want %q", id, w.Body, want)
		}
	}
	if failed == nil || failed.Error() != "boom" {
		t.Fatalf("fail got %v", failed)
	}
}
