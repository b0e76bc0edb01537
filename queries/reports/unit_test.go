package reports

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/teams"
)

// The SQL's list of trackable kinds must be event.TrackableKind's.
func TestTrackableKindsAgree(t *testing.T) {
	for _, k := range trackableKinds {
		if !event.TrackableKind(k) {
			t.Errorf("%q is in trackableKinds but not event.TrackableKind", k)
		}
	}
	for _, k := range []string{"text", "image", "video", "sticker", "template", "interactive", "flex", "audio", "location", "file", ""} {
		if event.TrackableKind(k) != slices.Contains(trackableKinds, k) {
			t.Errorf("kind %q: event.TrackableKind and trackableKinds disagree", k)
		}
	}
}

func TestEstimatedCost(t *testing.T) {
	tw := teams.New("t", "t", "TW")
	hk := teams.New("h", "h", "HK")
	sg := teams.New("s", "s", "SG")
	tests := []struct {
		team       teams.Team
		channel    string
		deliveries uint64
		want       string // "" = no cost
	}{
		{tw, "line", 6, "TWD 1.2"},
		{tw, "line", 0, "TWD 0"},
		{tw, "whatsapp", 4, "TWD 10.896"},
		{hk, "whatsapp", 3, "HKD 2.1"},
		{sg, "whatsapp", 1000, "USD 89"},
		{sg, "whatsapp", 1, "USD 0.089"},
		{tw, "facebook", 10, ""},
		{tw, "line", 1 << 62, "TWD 922337203685477580.8"},
	}
	for _, tt := range tests {
		m := estimatedCost(&tt.team, tt.channel, tt.deliveries)
		got := ""
		if m != nil {
			got = m.Currency + " " + m.Amount
		}
		if got != tt.want {
			t.Errorf("%s %s ×%d: %q, want %q", tt.team.Region, tt.channel, tt.deliveries, got, tt.want)
		}
	}
	bad := teams.New("b", "b", "TW")
	bad.Rates["line"] = "abc"
	if m := estimatedCost(&bad, "line", 1); m != nil {
		t.Errorf("invalid rate gave %+v", m)
	}
}

func TestRate(t *testing.T) {
	if rate(1, 0) != nil {
		t.Error("rate over 0 must be nil")
	}
	if r := rate(0, 4); r == nil || *r != 0 {
		t.Errorf("0/4 = %v", r)
	}
	if r := rate(1, 4); r == nil || *r != 0.25 {
		t.Errorf("1/4 = %v", r)
	}
}

func TestButtons(t *testing.T) {
	got := buttons(map[string]uint64{"url/a": 2, "module/m": 1, "url/x/y": 1},
		map[string]uint64{"url/a": 3, "module/m": 1, "url/x/y": 1},
		[]string{"url/a\x00https://b.example", "url/a\x00https://a.example", "module/m\x00"})
	want := []Button{
		{ButtonID: "m", Kind: "module", Clicked: 1, Clicks: 1},
		{ButtonID: "a", Kind: "url", URL: "https://a.example", Clicked: 2, Clicks: 3},
		{ButtonID: "x/y", Kind: "url", Clicked: 1, Clicks: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseRange(t *testing.T) {
	taipei, _ := time.LoadLocation("Asia/Taipei")
	r, err := parseRange(url.Values{"from": {"2026-03-12"}, "to": {"2026-03-12"}}, taipei)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 11, 16, 0, 0, 0, time.UTC); !r.From.Equal(want) {
		t.Errorf("from %v, want %v", r.From, want)
	}
	if want := time.Date(2026, 3, 12, 16, 0, 0, 0, time.UTC); !r.To.Equal(want) {
		t.Errorf("to %v, want %v", r.To, want)
	}
	if r.contains(time.Date(2026, 3, 11, 15, 59, 59, 0, time.UTC)) || !r.contains(time.Date(2026, 3, 11, 16, 30, 0, 0, time.UTC)) ||
		r.contains(time.Date(2026, 3, 12, 16, 0, 0, 0, time.UTC)) {
		t.Error("contains disagrees with the team's day")
	}
	// A DST day has 25 hours in New York.
	ny, _ := time.LoadLocation("America/New_York")
	r, _ = parseRange(url.Values{"from": {"2026-11-01"}, "to": {"2026-11-01"}}, ny)
	if d := r.To.Sub(r.From); d != 25*time.Hour {
		t.Errorf("2026-11-01 in New York lasts %v", d)
	}
	if f, to := (Range{}).params(); f != "1970-01-01 00:00:00.000" || to != "2200-01-01 00:00:00.000" {
		t.Errorf("unbounded params %s %s", f, to)
	}
}

func TestListCursor(t *testing.T) {
	c := encodeCursor("1772416800123", "b\x01/é")
	gotAt, id, err := listCursor(c)
	if err != nil || !gotAt.Equal(time.UnixMilli(1772416800123)) || id != "b\x01/é" {
		t.Errorf("round trip: %v %q %v", gotAt, id, err)
	}
	for _, bad := range []string{"", "!!", encodeCursor("x", "b1"), encodeCursor("1", "b", "c")} {
		if _, _, err := listCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
