package line

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Route is the pattern the handler serves.
const Route = "POST /webhooks/line/{channel}"

// Source names this receiver in dead letters and metrics.
const Source = "line"

// Handler is the LINE webhook receiver.
type Handler struct {
	rc  *hook.Receiver[ChannelConfig]
	mux *http.ServeMux
}

// New returns a receiver; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	rc, err := hook.NewReceiver(hook.Platform[ChannelConfig]{
		Source: Source, Name: "LINE", Param: "channel", LookupField: "Channels",
		Lookup: func(ctx context.Context, channelID string) (ChannelConfig, error) {
			return d.Channels.LINEChannel(ctx, channelID)
		},
		SignatureHeader: "X-Line-Signature",
		Verify: func(ch ChannelConfig, body []byte, signature string) bool {
			return Verify(ch.Secret, body, signature)
		},
		Map: func(_ context.Context, channelID string, ch ChannelConfig, body []byte, b *hook.Batch) error {
			mapBody(channelID, ch.TeamID, body, b)
			return nil
		},
	}, hook.Limits(cfg), hook.Deps{
		Lookup: d.Channels, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
		Logger: d.Logger, Registerer: d.Registerer, Now: d.Now,
	})
	if err != nil {
		return nil, err
	}
	h := &Handler{rc: rc, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc(Route, h.rc.Receive) }

// ServeHTTP serves Route; other paths get 404 and other methods 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Verify reports whether signature (the X-Line-Signature header) is the
// base64 HMAC-SHA256 of body keyed with the channel secret. The comparison is
// constant-time; an empty secret never verifies.
func Verify(secret webhooks.Secret, body []byte, signature string) bool {
	if secret.Empty() || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(secret, body))
}

// Sign returns the raw HMAC-SHA256 of body keyed with secret; base64 of it is
// the X-Line-Signature value. For tests and tools that replay webhooks.
func Sign(secret webhooks.Secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret.Bytes())
	mac.Write(body)
	return mac.Sum(nil)
}
