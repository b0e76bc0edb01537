package audience

import (
	"sync"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

// TestSharedTeamIsNotWritten: a cached *Team is shared by concurrent
// requests, so evaluating in its zone must not write to it.
func TestSharedTeamIsNotWritten(t *testing.T) {
	team := teams.New("t1", "Team", "TW")
	s := &Store{cfg: DefaultConfig()}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if loc := s.env(&team).Location; loc.String() != "Asia/Taipei" {
				t.Errorf("zone %v", loc)
			}
		}()
	}
	wg.Wait()
	bad := teams.Team{TimeZone: "Nowhere/Land"}
	if TeamLocation(&bad) != time.UTC {
		t.Error("an unknown zone is not UTC")
	}
}
