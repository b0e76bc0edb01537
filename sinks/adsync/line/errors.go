package line

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Errors callers branch on.
var (
	// ErrEmpty: the audience has no valid id; LINE audiences are never
	// created or replaced empty.
	ErrEmpty = errors.New("line: audience has no member to upload")
	// ErrUnauthorized: LINE refused the channel access token or the LINE
	// Ads keys; the channel or ad account must be reconnected.
	ErrUnauthorized = errors.New("line: credentials refused; reconnect the LINE channel or LINE Ads account")
	// ErrInvalid: the request itself is wrong (an empty or too long name).
	ErrInvalid = errors.New("line: invalid upload")
)

// APIError is an error answered by a LINE API.
type APIError struct {
	Status    int
	Message   string
	Details   []string
	RequestID string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("line: HTTP %d: %s", e.Status, e.Message)
	if len(e.Details) > 0 {
		msg += " (" + strings.Join(e.Details, "; ") + ")"
	}
	if e.RequestID != "" {
		msg += " [request id " + e.RequestID + "]"
	}
	return msg
}

// Unwrap lets errors.Is(err, ErrUnauthorized) find a refused credential.
func (e *APIError) Unwrap() error {
	if e.Status == http.StatusUnauthorized {
		return ErrUnauthorized
	}
	return nil
}

// Retryable reports whether the same request may succeed later.
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}
