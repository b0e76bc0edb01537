package meta

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Errors callers branch on.
var (
	// ErrTokenExpired: Meta refused the access token (OAuthException 190):
	// it expired, was revoked or the password changed. The ad account must
	// be reconnected; retrying cannot help.
	ErrTokenExpired = errors.New("meta: access token expired or invalid; reconnect the ad account")
	// ErrEmpty: there is no valid row to upload; a replacement with nothing
	// would empty the audience, so it is refused.
	ErrEmpty = errors.New("meta: no valid row to upload")
)

// APIError is an error answered by the Graph API.
type APIError struct {
	Status      int    // HTTP status
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	Type        string `json:"type"`
	Message     string `json:"message"`
	UserTitle   string `json:"error_user_title"`
	UserMessage string `json:"error_user_msg"`
	Transient   bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
	RetryAfter  string // the Retry-After header, if any
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("HTTP %d, %s code %d", e.Status, e.Type, e.Code)
	if e.Subcode != 0 {
		msg += fmt.Sprintf(" subcode %d", e.Subcode)
	}
	msg += ": " + e.Message
	if e.UserMessage != "" {
		msg += " (" + e.UserMessage + ")"
	}
	if e.FBTraceID != "" {
		msg += " [fbtrace_id " + e.FBTraceID + "]"
	}
	if e.Code == 190 {
		return ErrTokenExpired.Error() + ": " + msg
	}
	return "meta: " + msg
}

// Unwrap lets errors.Is(err, ErrTokenExpired) find an expired token.
func (e *APIError) Unwrap() error {
	if e.Code == 190 {
		return ErrTokenExpired
	}
	return nil
}

// Rate-limit error codes of the Graph and Marketing APIs: application (4),
// user (17), page (32), API-call (613) throttling, and the Custom Audience
// (80003) business-use-case limit.
var rateLimitCodes = []int{4, 17, 32, 613, 80003}

// RateLimited reports whether Meta asked the caller to slow down.
func (e *APIError) RateLimited() bool {
	return e.Status == http.StatusTooManyRequests || slices.Contains(rateLimitCodes, e.Code)
}

// Retryable reports whether the same request may succeed later: a rate
// limit, a server error, or an error Meta marks transient (codes 1 and 2,
// is_transient). An invalid token never is.
func (e *APIError) Retryable() bool {
	if e.Code == 190 {
		return false
	}
	return e.RateLimited() || e.Status >= 500 || e.Transient || e.Code == 1 || e.Code == 2
}
