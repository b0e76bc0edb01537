package meta

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/omnistream/omnistream/sinks/adsync/internal/platformtest"
)

func TestSendEventsBatchesOfAThousand(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddPixel("px1")
	c := newClient(t, fake)
	now := time.Now().Unix()
	events := make([]Event, 2500)
	for i := range events {
		events[i] = Event{EventName: "CompleteRegistration", EventTime: now - 60, EventID: fmt.Sprintf("ev-%d", i),
			ActionSource: "business_messaging", MessagingChannel: "messenger",
			UserData: UserData{PageID: "page1", PageScopedUserID: fmt.Sprintf("psid%d", i)}}
	}
	events[7].UserData = UserData{Email: []string{"mary@example.com"}} // not hashed
	events[8].UserData = UserData{}                                    // nobody
	events[9].ActionSource = ""
	mary, _ := HashEmail("Mary@Example.com")
	events[10].UserData = UserData{Email: []string{mary}}
	res, err := c.SendEvents(context.Background(), "tok", "px1", events)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 || res.Sent != 2497 || res.Received != 2497 || len(res.Rejected) != 3 {
		t.Errorf("result %+v", res)
	}
	for i, want := range []int{7, 8, 9} {
		if res.Rejected[i].Index != want {
			t.Errorf("rejected %+v", res.Rejected)
		}
	}
	for i, r := range fake.Requests() {
		if want := []int{1000, 1000, 497}[i]; r.EventCount != want || r.Status != 200 {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if got := fake.Events("px1"); len(got) != 2497 || got[0]["event_id"] != "ev-0" {
		t.Errorf("pixel got %d events", len(got))
	}
}

func TestSendEventsRetriesAndExpiredToken(t *testing.T) {
	fake := platformtest.NewMeta(t)
	fake.AddToken("tok")
	fake.AddPixel("px1")
	fake.FailNext(1, platformtest.MetaTooManyRequests)
	c := newClient(t, fake)
	ev := []Event{{EventName: "Lead", EventTime: time.Now().Unix(), ActionSource: "system_generated", UserData: UserData{ExternalID: []string{"c1"}}}}
	if res, err := c.SendEvents(context.Background(), "tok", "px1", ev); err != nil || res.Received != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	fake.ExpireToken("tok")
	if _, err := c.SendEvents(context.Background(), "tok", "px1", ev); err == nil || !isExpired(err) {
		t.Fatalf("expired token: %v", err)
	}
}

func isExpired(err error) bool { return errors.Is(err, ErrTokenExpired) }
