package reports

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

// BroadcastPage is one page of the broadcast list, newest first.
type BroadcastPage struct {
	Broadcasts []*BroadcastReport `json:"broadcasts"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// infoSQLAll reads the info of every broadcast of the team.
const infoSQLAll = infoColumns + `
GROUP BY source_id`

// Broadcasts lists the team's broadcasts whose broadcast time is in the
// range, newest first, with their reports. Broadcasts are found through
// their lifecycle and message.sent events.
func (s *Service) Broadcasts(ctx context.Context, team *teams.Team, q ListQuery) (*BroadcastPage, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	var infos []info
	var err error
	if q.Range.bounded() {
		from, to := q.Range.params()
		infos, err = s.infos(ctx, infoByTimeSQL, "team", team.ID, "from", from, "to", to)
	} else {
		infos, err = s.infos(ctx, infoSQLAll, "team", team.ID)
	}
	if err != nil {
		return nil, err
	}
	type item struct {
		at time.Time
		id string
	}
	var items []item
	for _, l := range infos {
		at, ok := l.time()
		if !ok || !q.Range.contains(at) {
			continue
		}
		if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, l.status()) {
			continue
		}
		if len(q.Channels) > 0 && !slices.ContainsFunc(l.channels, func(c string) bool { return slices.Contains(q.Channels, c) }) {
			continue
		}
		items = append(items, item{at: at, id: l.id})
	}
	// Newest first; the id breaks ties so pages are stable.
	slices.SortFunc(items, func(a, b item) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	if q.Cursor != "" {
		at, id, err := listCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		i, _ := slices.BinarySearchFunc(items, item{at: at, id: id}, func(a, b item) int {
			if c := b.at.Compare(a.at); c != 0 {
				return c
			}
			return strings.Compare(b.id, a.id)
		})
		for i < len(items) && items[i].at.Equal(at) && items[i].id == id {
			i++
		}
		items = items[i:]
	}
	page := &BroadcastPage{Broadcasts: []*BroadcastReport{}}
	if len(items) > q.Limit {
		last := items[q.Limit-1]
		page.NextCursor = encodeCursor(strconv.FormatInt(last.at.UnixMilli(), 10), last.id)
		items = items[:q.Limit]
	}
	if len(items) == 0 {
		return page, nil
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	reps, err := s.broadcastReports(ctx, team, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if r := reps[id]; r != nil {
			page.Broadcasts = append(page.Broadcasts, r)
		}
	}
	return page, nil
}
