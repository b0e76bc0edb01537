package meta

import (
	"context"
	"net/http"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Routes are the patterns the handler serves.
const (
	RouteVerify  = "GET /webhooks/meta/{app}"
	RouteReceive = "POST /webhooks/meta/{app}"
)

// Source names this receiver in dead letters and metrics.
const Source = "meta"

// Handler is the Messenger and Instagram webhook receiver.
type Handler struct {
	rc  *hook.Receiver[AppConfig]
	mux *http.ServeMux
}

// New returns a receiver; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	rc, err := hook.NewReceiver(hook.Platform[AppConfig]{
		Source: Source, Name: "Meta", Param: "app", LookupField: "Apps",
		Lookup: func(ctx context.Context, appID string) (AppConfig, error) {
			return d.Apps.MetaApp(ctx, appID)
		},
		VerifyToken:     func(app AppConfig) webhooks.Secret { return app.VerifyToken },
		SignatureHeader: "X-Hub-Signature-256",
		Verify: func(app AppConfig, body []byte, signature string) bool {
			return hook.VerifyHub(app.Secret, body, signature)
		},
		Map: func(ctx context.Context, appID string, _ AppConfig, body []byte, b *hook.Batch) error {
			resolve := func(channelType, accountID string) (string, error) {
				return d.Apps.MetaAccount(ctx, appID, channelType, accountID)
			}
			return mapBody(body, resolve, b)
		},
		Resolves: "account",
	}, hook.Limits(cfg), hook.Deps{
		Lookup: d.Apps, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
		Logger: d.Logger, Registerer: d.Registerer, Now: d.Now,
	})
	if err != nil {
		return nil, err
	}
	h := &Handler{rc: rc, mux: http.NewServeMux()}
	h.Register(h.mux)
	return h, nil
}

// Register adds the handler's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(RouteVerify, h.rc.Handshake)
	mux.HandleFunc(RouteReceive, h.rc.Receive)
}

// ServeHTTP serves the routes; other paths get 404 and other methods 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Sign returns the X-Hub-Signature-256 header value for body, for tests and
// tools that replay webhooks.
func Sign(secret webhooks.Secret, body []byte) string { return hook.SignHub(secret, body) }

// MessageID is the message_id Omnistream records for a Meta mid: the mid
// itself, or a stable "sha256:" digest when it is longer than the envelope
// allows (Instagram mids can be). Code that records message.sent for
// Messenger or Instagram must use it too, so receipts join their sends.
func MessageID(mid string) string { return hook.ShortID(mid) }
