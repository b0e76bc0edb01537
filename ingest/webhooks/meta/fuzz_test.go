package meta

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
// deterministically, with every event attributed to a known team and
// contact.
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
	resolve := func(channelType, id string) (string, error) {
		if team, ok := testAccounts[channelType+"/"+id]; ok {
			return team, nil
		}
		if id == "BROKEN-PAGE" {
			return "", errors.New("down")
		}
		return "", webhooks.ErrNotFound
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var a, b hook.Batch
		errA := mapBody(body, resolve, &a)
		errB := mapBody(body, resolve, &b)
		if (errA == nil) != (errB == nil) || a.Len() != b.Len() || len(a.Dead()) != len(b.Dead()) {
			t.Fatal("mapping is not deterministic")
		}
		for _, team := range a.Teams() {
			if team == "" {
				t.Fatal("event without a team")
			}
			for i, it := range a.Items(team) {
				if it.Event.EventID != b.Items(team)[i].Event.EventID {
					t.Fatal("event id not deterministic")
				}
				if it.Event.Contact.ChannelUserID == "" || it.Event.Channel.ID == "" {
					t.Fatalf("event without contact or channel: %+v", it.Event)
				}
			}
		}
	})
}
