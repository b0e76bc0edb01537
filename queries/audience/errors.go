package audience

import (
	"errors"
	"strings"
)

// FieldError is one problem with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Invalid lists every problem of a definition or request at once.
type Invalid []FieldError

func (v Invalid) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid audience: " + strings.Join(parts, "; ")
}

// Errors callers branch on.
var (
	// ErrNotFound: no audience with that id in the team.
	ErrNotFound = errors.New("audience not found")
	// ErrInUse: the audience cannot be archived while something uses it.
	ErrInUse = errors.New("audience is in use")
	// ErrConflict: the audience changed since the version the caller read.
	ErrConflict = errors.New("audience was changed by someone else")
	// ErrArchived: an archived audience cannot be edited or materialized.
	ErrArchived = errors.New("audience is archived")
)
