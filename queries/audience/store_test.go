package audience

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/omnistream/omnistream/internal/teams"
)

type usedBy map[string]string

func (u usedBy) AudienceInUse(_ context.Context, _, id string) (string, bool, error) {
	by, ok := u[id]
	return by, ok, nil
}

func vipDef() Definition {
	return Definition{Channel: Channel{Type: "line", ID: "C1"}, Conditions: []Condition{{Field: FieldTags, Op: OpHasAny, Values: []string{"vip"}}}}
}

func TestStoreLifecycle(t *testing.T) {
	f := newFixture(t)
	team := teams.New("t1", "Team One", "TW")
	used := usedBy{}
	s := f.store(tp("2023-01-05 18:00:00"), used)
	ctx := f.ctx

	a, err := s.Create(ctx, &team, Input{Channel: vipDef().Channel, Conditions: vipDef().Conditions})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "2023-01 新受眾包" {
		t.Errorf("default name %q", a.Name)
	}
	if _, err := s.Create(ctx, &team, Input{Name: "bad", Channel: Channel{Type: "line"}}); !errors.As(err, new(Invalid)) {
		t.Errorf("invalid input: %v", err)
	}

	got, err := s.Get(ctx, "t1", a.ID)
	if err != nil || got.Name != a.Name || got.Version != a.Version || len(got.Conditions) != 1 || got.Conditions[0].Values[0] != "vip" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "t2", a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another team reads the audience: %v", err)
	}

	edited, err := s.Update(ctx, &team, a.ID, Input{Name: "VIP", Channel: a.Channel, Conditions: a.Conditions}, a.Version)
	if err != nil || edited.Version <= a.Version {
		t.Fatalf("update: %+v, %v", edited, err)
	}
	if _, err := s.Update(ctx, &team, a.ID, Input{Name: "stale", Channel: a.Channel, Conditions: a.Conditions}, a.Version); !errors.Is(err, ErrConflict) {
		t.Errorf("update from a stale version: %v", err)
	}
	cp, err := s.Copy(ctx, &team, a.ID)
	if err != nil || cp.Name != "VIP (copy)" || cp.ID == a.ID {
		t.Fatalf("copy: %+v, %v", cp, err)
	}

	used[a.ID] = "sync schedule s1"
	if _, err := s.Archive(ctx, &team, a.ID); !errors.Is(err, ErrInUse) {
		t.Fatalf("archive while in use: %v", err)
	}
	delete(used, a.ID)
	if arch, err := s.Archive(ctx, &team, a.ID); err != nil || !arch.Archived {
		t.Fatalf("archive: %+v, %v", arch, err)
	}
	if _, err := s.Materialize(ctx, &team, a.ID, "sync"); !errors.Is(err, ErrArchived) {
		t.Errorf("materialize an archived audience: %v", err)
	}
	active, err := s.List(ctx, "t1", ListFilter{})
	if err != nil || len(active) != 1 || active[0].ID != cp.ID {
		t.Fatalf("active list: %+v, %v", active, err)
	}
	archived, err := s.List(ctx, "t1", ListFilter{Archived: true, Search: "vi"})
	if err != nil || len(archived) != 1 || archived[0].ID != a.ID {
		t.Fatalf("archived list: %+v, %v", archived, err)
	}
	if l, _ := s.List(ctx, "t1", ListFilter{ChannelType: "facebook"}); len(l) != 0 {
		t.Errorf("facebook list: %+v", l)
	}
	if back, err := s.Unarchive(ctx, &team, a.ID); err != nil || back.Archived {
		t.Fatalf("unarchive: %+v, %v", back, err)
	}
}

func TestPreviewPagesMostRecentlyUpdatedFirst(t *testing.T) {
	f := newFixture(t)
	team := teams.New("t1", "Team One", "TW")
	base := tp("2022-01-01 10:00:00")
	for i := range 7 {
		w := where{"t1", "line", "C1", fmt.Sprintf("u%d", i)}
		// u3 and u4 were updated at the same instant: contact id breaks the tie.
		at := base.Add(time.Duration(i) * time.Hour)
		if i == 4 {
			at = base.Add(3 * time.Hour)
		}
		f.profile(prof{where: w, name: w.contact, subscribed: 1, overQuota: -1, ts: at})
		f.event(ev{where: w, typ: "tag.added", tag: "vip", ts: base})
	}
	f.flush()
	s := f.store(tp("2023-01-05 18:00:00"))
	var order []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := s.Preview(f.ctx, &team, vipDef(), cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		if page.Size != 7 {
			t.Fatalf("size %d", page.Size)
		}
		for _, m := range page.Members {
			order = append(order, m.ContactID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if got := fmt.Sprint(order); got != "[u6 u5 u4 u3 u2 u1 u0]" {
		t.Errorf("order %s", got)
	}
	if _, err := s.Preview(f.ctx, &team, vipDef(), "garbage!", 3); !errors.As(err, new(Invalid)) {
		t.Errorf("bad cursor: %v", err)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestMaterializeAndDiff(t *testing.T) {
	f := newFixture(t)
	team := teams.New("t1", "Team One", "TW")
	c := func(id string) where { return where{"t1", "line", "C1", id} }
	at := tp("2022-01-01 10:00:00")
	f.profile(prof{where: c("u1"), name: "A", email: "mary@example.com", phone: "15559876543", subscribed: 1, overQuota: -1, ts: at})
	f.profile(prof{where: c("u2"), name: "B", phone: "886911000002", subscribed: 1, overQuota: -1, ts: at})
	f.profile(prof{where: c("u3"), name: "C", subscribed: 1, overQuota: -1, ts: at})
	for _, id := range []string{"u1", "u2", "u3"} {
		f.event(ev{where: c(id), typ: "tag.added", tag: "vip", ts: at})
	}
	f.flush()
	s := f.store(tp("2023-01-05 18:00:00"))
	a, err := s.Create(f.ctx, &team, Input{Name: "VIP", Channel: vipDef().Channel, Conditions: vipDef().Conditions})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Materialize(f.ctx, &team, a.ID, "sync")
	if err != nil || first.Size != 3 || first.AudienceName != "VIP" {
		t.Fatalf("materialize: %+v, %v", first, err)
	}
	page1, err := s.SnapshotMembers(f.ctx, "t1", a.ID, first.ID, "", 2)
	if err != nil || len(page1) != 2 {
		t.Fatalf("page 1: %+v, %v", page1, err)
	}
	page2, err := s.SnapshotMembers(f.ctx, "t1", a.ID, first.ID, page1[1].ContactID, 2)
	if err != nil || len(page2) != 1 || page2[0].ContactID != "u3" {
		t.Fatalf("page 2: %+v, %v", page2, err)
	}
	// Meta's published vectors: the hashes of mary@example.com and 15559876543.
	if page1[0].EmailSHA256 != "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79" ||
		page1[0].PhoneSHA256 != "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e" {
		t.Errorf("u1 hashes %+v", page1[0])
	}
	if page1[1].EmailSHA256 != "" || page1[1].PhoneSHA256 != sha("886911000002") {
		t.Errorf("u2 hashes %+v", page1[1])
	}

	// u3 leaves the audience, u4 joins, u2 changes phone.
	later := tp("2023-01-02 10:00:00")
	f.event(ev{where: c("u3"), typ: "tag.removed", tag: "vip", ts: later})
	f.profile(prof{where: c("u4"), name: "D", subscribed: 1, overQuota: -1, ts: at})
	f.event(ev{where: c("u4"), typ: "tag.added", tag: "vip", ts: later})
	f.profile(prof{where: c("u2"), phone: "886911999999", subscribed: -1, overQuota: -1, ts: later})
	f.flush()
	second, err := s.Materialize(f.ctx, &team, a.ID, "sync")
	if err != nil || second.Size != 3 {
		t.Fatalf("second: %+v, %v", second, err)
	}
	ids := func(ms []SnapshotMember, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.ContactID)
		}
		return fmt.Sprint(out)
	}
	if got := ids(s.SnapshotDiff(f.ctx, "t1", a.ID, first.ID, second.ID, true, false, "", 100)); got != "[u2 u4]" {
		t.Errorf("added by identity: %s", got)
	}
	if got := ids(s.SnapshotDiff(f.ctx, "t1", a.ID, first.ID, second.ID, false, false, "", 100)); got != "[u2 u3]" {
		t.Errorf("removed by identity: %s", got)
	}
	if got := ids(s.SnapshotDiff(f.ctx, "t1", a.ID, first.ID, second.ID, true, true, "", 100)); got != "[u4]" {
		t.Errorf("added by contact: %s", got)
	}
	if got := ids(s.SnapshotDiff(f.ctx, "t1", a.ID, first.ID, second.ID, false, true, "u1", 100)); got != "[u3]" {
		t.Errorf("removed by contact after u1: %s", got)
	}
	if _, err := s.Snapshot(f.ctx, "t1", a.ID, "no-such-snapshot"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing snapshot: %v", err)
	}
}
