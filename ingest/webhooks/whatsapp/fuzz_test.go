package whatsapp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistream/omnistream/ingest/webhooks"
	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// FuzzMapBody checks that any verified body maps without panicking,
// deterministically, with contacts made of digits only.
func FuzzMapBody(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/golden/*.json")
	for _, in := range inputs {
		if strings.HasSuffix(in, ".events.json") {
			continue
		}
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	resolve := func(id string) (string, error) {
		if c, ok := testNumbers[id]; ok {
			return c.TeamID, nil
		}
		if id == "555" {
			return "", errors.New("down")
		}
		return "", webhooks.ErrNotFound
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var a, b hook.Batch
		errA, errB := mapBody(body, resolve, &a), mapBody(body, resolve, &b)
		if (errA == nil) != (errB == nil) || a.Len() != b.Len() || len(a.Dead()) != len(b.Dead()) {
			t.Fatal("mapping is not deterministic")
		}
		for _, team := range a.Teams() {
			for i, it := range a.Items(team) {
				e := it.Event
				if e.EventID != b.Items(team)[i].Event.EventID {
					t.Fatal("event id not deterministic")
				}
				if e.Contact.ChannelUserID == "" || strings.Trim(e.Contact.ChannelUserID, "0123456789") != "" {
					t.Fatalf("contact is not a digits-only WhatsApp id: %q", e.Contact.ChannelUserID)
				}
			}
		}
	})
}
