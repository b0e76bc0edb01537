package hook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/omnistream/omnistream/ingest/webhooks"
)

// ErrTooLarge is returned by ReadBody when the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads the whole body, refusing more than max bytes.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrTooLarge
		}
		return nil, err
	}
	return body, nil
}

// VerifyHub checks Meta's X-Hub-Signature-256 header ("sha256=" and the hex
// HMAC-SHA256 of the raw body keyed with the app secret) in constant time.
func VerifyHub(secret webhooks.Secret, body []byte, header string) bool {
	if secret.Empty() {
		return false
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, secret.Bytes())
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// SignHub returns the X-Hub-Signature-256 value for body, for tests and tools.
func SignHub(secret webhooks.Secret, body []byte) string {
	mac := hmac.New(sha256.New, secret.Bytes())
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Handshake answers Meta's GET verification request: when hub.mode is
// "subscribe" and hub.verify_token equals token, it echoes hub.challenge as
// text/plain with 200 and reports true; otherwise it answers 403.
func Handshake(w http.ResponseWriter, r *http.Request, token webhooks.Secret) bool {
	q := r.URL.Query()
	challenge := q.Get("hub.challenge")
	ok := q.Get("hub.mode") == "subscribe" && !token.Empty() &&
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), token.Bytes()) == 1 &&
		challenge != "" && len(challenge) <= 256
	if !ok {
		http.Error(w, "verification refused", http.StatusForbidden)
		return false
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
	return true
}

// Unavailable answers 503 with Retry-After, so the platform redelivers.
func Unavailable(w http.ResponseWriter, retryAfter time.Duration, msg string) {
	secs := int(retryAfter / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	http.Error(w, msg, http.StatusServiceUnavailable)
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
