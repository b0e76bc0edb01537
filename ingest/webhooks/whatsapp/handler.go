package whatsapp

import (
	"context"
	"net/http"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// Routes are the patterns the handler serves.
const (
	RouteVerify  = "GET /webhooks/whatsapp/{number}"
	RouteReceive = "POST /webhooks/whatsapp/{number}"
)

// Source names this receiver in dead letters and metrics.
const Source = "whatsapp"

// Handler is the WhatsApp Cloud API webhook receiver.
type Handler struct {
	rc  *hook.Receiver[NumberConfig]
	mux *http.ServeMux
}

// New returns a receiver; it fails if cfg is invalid or a required dependency is missing.
func New(cfg Config, d Deps) (*Handler, error) {
	rc, err := hook.NewReceiver(hook.Platform[NumberConfig]{
		Source: Source, Name: "WhatsApp", Param: "number", LookupField: "Numbers",
		Lookup: func(ctx context.Context, id string) (NumberConfig, error) {
			return d.Numbers.WhatsAppNumber(ctx, id)
		},
		VerifyToken:     func(n NumberConfig) webhooks.Secret { return n.VerifyToken },
		SignatureHeader: "X-Hub-Signature-256",
		Verify: func(n NumberConfig, body []byte, signature string) bool {
			return hook.VerifyHub(n.AppSecret, body, signature)
		},
		Map: func(ctx context.Context, id string, n NumberConfig, body []byte, b *hook.Batch) error {
			resolve := func(phoneNumberID string) (string, error) {
				if phoneNumberID == id {
					return n.TeamID, nil
				}
				other, err := d.Numbers.WhatsAppNumber(ctx, phoneNumberID)
				return other.TeamID, err
			}
			return mapBody(body, resolve, b)
		},
		Resolves: "number",
	}, hook.Limits(cfg), hook.Deps{
		Lookup: d.Numbers, Publisher: d.Publisher, DeadLetters: d.DeadLetters,
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
