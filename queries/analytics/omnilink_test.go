package analytics

import (
	"errors"
	"testing"
	"time"
)

// omniLinkEvents is campaign c1 of a Taipei team, Facebook page p1 → LINE oa1:
//
//	UF1 clicks twice, succeeds (new LINE contact UL1)        success, new
//	UF2 clicks, succeeds to UL2, which existed before          success, not new
//	UF3 clicks, fails with member_id_conflict                  failure (reason)
//	UF4 clicks and never succeeds                              failure (no reason)
//	UF5 clicks, fails without a reason                         failure (no reason)
//	UF6 clicks, succeeds, but the identity graph refuses       failure (member_id_conflict, from the merge log)
//	UF7 clicks, fails (disabled), clicks again and succeeds    success, new
//	UF8 first clicks on Feb 28 23:50 local, succeeds Mar 1     February participant
//
// and UF1 in campaign c2.
func omniLinkEvents() ([]E, []L, []P) {
	tm := team("t1", "Asia/Taipei")
	src := func(user, typ, ts string) E {
		return E{Team: "t1", Ch: "facebook", ChID: "p1", Contact: user, Type: typ, Campaign: "c1", SourceKind: "omnilink", TS: at(tm, ts)}
	}
	ok := func(user, ts, target string, isNew bool) E {
		e := src(user, "omnilink.succeeded", ts)
		e.TargetCh, e.TargetChID, e.Target, e.TargetNew = "line", "oa1", target, isNew
		return e
	}
	fail := func(user, ts, reason string) E {
		e := src(user, "omnilink.failed", ts)
		e.Reason = reason
		return e
	}
	refused := ok("UF6", "2024-03-06 12:01", "UL6", true)
	refused.ID = "ev-refused"
	other := src("UF1", "omnilink.clicked", "2024-03-01 09:00")
	other.Campaign = "c2"
	evs := []E{
		src("UF1", "omnilink.clicked", "2024-03-01 10:00"), src("UF1", "omnilink.clicked", "2024-03-01 10:05"),
		ok("UF1", "2024-03-01 10:06", "UL1", true),
		src("UF2", "omnilink.clicked", "2024-03-02 10:00"), ok("UF2", "2024-03-02 10:01", "UL2", false),
		src("UF3", "omnilink.clicked", "2024-03-03 10:00"), fail("UF3", "2024-03-03 10:01", "member_id_conflict"),
		src("UF4", "omnilink.clicked", "2024-03-04 10:00"),
		src("UF5", "omnilink.clicked", "2024-03-05 10:00"), fail("UF5", "2024-03-05 10:02", ""),
		src("UF6", "omnilink.clicked", "2024-03-06 12:00"), refused,
		src("UF7", "omnilink.clicked", "2024-03-07 10:00"), fail("UF7", "2024-03-07 10:01", "disabled"),
		src("UF7", "omnilink.clicked", "2024-03-08 10:00"), ok("UF7", "2024-03-08 10:01", "UL7", true),
		src("UF8", "omnilink.clicked", "2024-02-28 23:50"), ok("UF8", "2024-03-01 00:10", "UL8", false),
		other,
	}
	logs := []L{
		{Team: "t1", TS: at(tm, "2024-03-06 12:01"), Surviving: "c_f6", Merged: []string{"c_l6"}, Cause: "omnilink",
			EventID: "ev-refused", Actor: "omnilink", Reason: "member_id_conflict"},
	}
	profiles := []P{
		{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "UF1", TS: at(tm, "2024-02-01 00:00"), Name: "Alice", Subscribed: -1},
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UL1", TS: at(tm, "2024-03-01 10:06"), Name: "Alice L", Subscribed: -1},
		{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "UF2", TS: at(tm, "2024-02-01 00:00"), Name: "Bob", Subscribed: -1},
		{Team: "t1", Ch: "line", ChID: "oa1", Contact: "UL2", TS: at(tm, "2023-12-01 00:00"), Name: "Bob L", Subscribed: -1},
		{Team: "t1", Ch: "facebook", ChID: "p1", Contact: "UF3", TS: at(tm, "2024-02-01 00:00"), Name: "Carol", Subscribed: -1},
	}
	return evs, logs, profiles
}

func TestOmniLink(t *testing.T) {
	f := newFixture(t)
	tm := team("t1", "Asia/Taipei")
	evs, logs, profiles := omniLinkEvents()
	f.events(evs...)
	f.mergeLog(logs...)
	f.profiles(profiles...)

	rep, err := f.svc.OmniLink(f.ctx, tm, "c1", OmniLinkQuery{Range: span(tm, "2024-03-01", "2024-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	tp := func(s string) *time.Time { v := at(tm, s); return &v }
	same(t, "March", OmniLinkReport{
		Participants: rep.Participants, Successes: rep.Successes, TargetNewContacts: rep.TargetNewContacts,
		Failures: rep.Failures, FailuresByReason: rep.FailuresByReason, FailuresWithoutReason: rep.FailuresWithoutReason,
		SourceChannels: rep.SourceChannels, TargetChannels: rep.TargetChannels,
	}, OmniLinkReport{
		Participants: 7, Successes: 3, TargetNewContacts: 2, Failures: 4,
		FailuresByReason: []ReasonCount{{"member_id_conflict", 2}}, FailuresWithoutReason: 2,
		SourceChannels: []Channel{{"facebook", "p1"}}, TargetChannels: []Channel{{"line", "oa1"}},
	})
	same(t, "March successes", rep.SuccessList, OmniLinkSuccesses{Rows: []OmniLinkSuccess{
		{"facebook", "p1", "UF7", "", "line", "oa1", "UL7", "", tp("2024-03-07 10:00"), at(tm, "2024-03-08 10:01"), true},
		{"facebook", "p1", "UF2", "Bob", "line", "oa1", "UL2", "Bob L", tp("2024-03-02 10:00"), at(tm, "2024-03-02 10:01"), false},
		{"facebook", "p1", "UF1", "Alice", "line", "oa1", "UL1", "Alice L", tp("2024-03-01 10:00"), at(tm, "2024-03-01 10:06"), true},
	}})
	same(t, "March failures", rep.FailureList, OmniLinkFailures{Rows: []OmniLinkFailure{
		{"facebook", "p1", "UF6", "", tp("2024-03-06 12:00"), tp("2024-03-06 12:01"), "member_id_conflict"},
		{"facebook", "p1", "UF5", "", tp("2024-03-05 10:00"), tp("2024-03-05 10:02"), ""},
		{"facebook", "p1", "UF4", "", tp("2024-03-04 10:00"), nil, ""},
		{"facebook", "p1", "UF3", "Carol", tp("2024-03-03 10:00"), tp("2024-03-03 10:01"), "member_id_conflict"},
	}})

	// The whole campaign includes UF8, who joined in February.
	rep, err = f.svc.OmniLink(f.ctx, tm, "c1", OmniLinkQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Participants != 8 || rep.Successes != 4 || rep.TargetNewContacts != 2 || rep.Failures != 4 {
		t.Errorf("whole campaign: %+v", rep)
	}
	if len(rep.SuccessList.Rows) != 2 || !rep.SuccessList.Truncated || len(rep.FailureList.Rows) != 2 || !rep.FailureList.Truncated {
		t.Errorf("lists of limit 2: %d %v, %d %v", len(rep.SuccessList.Rows), rep.SuccessList.Truncated, len(rep.FailureList.Rows), rep.FailureList.Truncated)
	}
	if rep.Period.From != nil {
		t.Errorf("whole campaign has a period: %+v", rep.Period)
	}

	// February: UF8 alone.
	rep, err = f.svc.OmniLink(f.ctx, tm, "c1", OmniLinkQuery{Range: span(tm, "2024-02-01", "2024-02-29")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Participants != 1 || rep.Successes != 1 || rep.TargetNewContacts != 0 {
		t.Errorf("February: %+v", rep)
	}

	// Campaign c2 has one participant who never succeeded; an unknown
	// campaign is not found, also for another team.
	rep, err = f.svc.OmniLink(f.ctx, tm, "c2", OmniLinkQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Participants != 1 || rep.FailuresWithoutReason != 1 {
		t.Errorf("c2: %+v", rep)
	}
	if _, err := f.svc.OmniLink(f.ctx, tm, "nope", OmniLinkQuery{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown campaign: %v", err)
	}
	if _, err := f.svc.OmniLink(f.ctx, team("t2", "Asia/Taipei"), "c1", OmniLinkQuery{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another team's campaign: %v", err)
	}
	// A campaign with events but no participant in the range is not an error.
	rep, err = f.svc.OmniLink(f.ctx, tm, "c1", OmniLinkQuery{Range: span(tm, "2023-01-01", "2023-01-31")})
	if err != nil || rep.Participants != 0 {
		t.Errorf("c1 in 2023: %+v, %v", rep, err)
	}
}
