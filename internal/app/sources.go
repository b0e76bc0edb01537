package app

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/omnistream/omnistream/ingest/pixel"
	"github.com/omnistream/omnistream/ingest/redirect"
	"github.com/omnistream/omnistream/ingest/webhooks/line"
	"github.com/omnistream/omnistream/ingest/webhooks/meta"
	"github.com/omnistream/omnistream/ingest/webhooks/whatsapp"
)

// mountSources mounts the native sources: LINE, Meta and WhatsApp webhooks,
// the click redirector and the website pixel. Their channel accounts and
// secrets come from the channels store.
func (a *App) mountSources(mux *http.ServeMux) error {
	lh, err := line.New(line.DefaultConfig(), line.Deps{Channels: a.Channels, Publisher: a.pub, DeadLetters: a.pub, Logger: a.logger, Registerer: a.reg})
	if err != nil {
		return fmt.Errorf("line webhook: %w", err)
	}
	lh.Register(mux)
	mh, err := meta.New(meta.DefaultConfig(), meta.Deps{Apps: a.Channels, Publisher: a.pub, DeadLetters: a.pub, Logger: a.logger, Registerer: a.reg})
	if err != nil {
		return fmt.Errorf("meta webhook: %w", err)
	}
	mh.Register(mux)
	wh, err := whatsapp.New(whatsapp.DefaultConfig(), whatsapp.Deps{Numbers: a.Channels, Publisher: a.pub, DeadLetters: a.pub, Logger: a.logger, Registerer: a.reg})
	if err != nil {
		return fmt.Errorf("whatsapp webhook: %w", err)
	}
	wh.Register(mux)
	key, err := a.redirectKey()
	if err != nil {
		return err
	}
	rcfg := redirect.DefaultConfig()
	rcfg.Keys = []redirect.Key{key}
	rh, err := redirect.New(rcfg, redirect.Deps{Publisher: a.pub, Logger: a.logger, Registerer: a.reg})
	if err != nil {
		return fmt.Errorf("click redirector: %w", err)
	}
	rh.Register(mux)
	a.Redirect = rh
	ph, err := pixel.New(pixel.DefaultConfig(), pixel.Deps{Sites: a.Channels, Publisher: a.pub, Logger: a.logger, Registerer: a.reg})
	if err != nil {
		return fmt.Errorf("pixel: %w", err)
	}
	ph.Register(mux)
	return nil
}

// redirectKey is Config.SecretKey, or a key generated once and kept in the
// data directory. Every instance serving /r/ must share it.
func (a *App) redirectKey() (redirect.Key, error) {
	if a.cfg.SecretKey != "" {
		return redirect.Key(a.cfg.SecretKey), nil
	}
	path := filepath.Join(a.cfg.DataDir, "redirect.key")
	if b, err := os.ReadFile(path); err == nil {
		return redirect.Key(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate redirect key: %w", err)
	}
	k := hex.EncodeToString(raw)
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store redirect key: %w", err)
	}
	return redirect.Key(k), nil
}
