package event

import (
	"errors"
	"strings"
)

var (
	errBadTime   = errors.New("must be an RFC 3339 time or Unix milliseconds")
	errBadAmount = errors.New("must be a decimal number with at most 4 decimals")
)

// FieldError is one problem with one field of one record.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Invalid lists every problem found in one record.
type Invalid []FieldError

func (v Invalid) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid event: " + strings.Join(parts, "; ")
}
