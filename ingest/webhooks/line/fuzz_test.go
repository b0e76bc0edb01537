package line

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistream/omnistream/ingest/webhooks/internal/hook"
)

// FuzzMapBody checks that any verified body maps without panicking, that
// every mapped event either validates or is left to the sink's validation,
// and that mapping is deterministic (same body, same event ids).
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
	f.Fuzz(func(t *testing.T, body []byte) {
		var a, b hook.Batch
		mapBody(testChannel, testTeam, body, &a)
		mapBody(testChannel, testTeam, body, &b)
		if a.Len() != b.Len() || len(a.Dead()) != len(b.Dead()) {
			t.Fatalf("mapping is not deterministic")
		}
		for _, team := range a.Teams() {
			if team != testTeam {
				t.Fatalf("event for team %q", team)
			}
			ia, ib := a.Items(team), b.Items(team)
			for i := range ia {
				e := ia[i].Event
				if e.EventID != ib[i].Event.EventID {
					t.Fatalf("event id not deterministic")
				}
				if e.Channel.ID != testChannel || e.Contact.ChannelUserID == "" {
					t.Fatalf("event without channel or contact: %+v", e)
				}
			}
		}
	})
}
