package adsync

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Platform is where an audience is synced to.
type Platform string

// Platforms.
const (
	// PlatformMeta is a Meta customer-file Custom Audience (hashed email and
	// phone).
	PlatformMeta Platform = "meta_custom_audience"
	// PlatformLINE is a LINE Official Account audience of LINE user ids.
	PlatformLINE Platform = "line_audience"
	// PlatformLINEAds is a LINE Ads custom audience of hashed emails or
	// phones.
	PlatformLINEAds Platform = "line_ads_audience"
)

// Target is the platform audience a schedule syncs to.
type Target struct {
	Platform Platform `json:"platform"`
	// Account is the Meta ad account, the LINE channel or the LINE Ads ad
	// account; credentials are looked up by it.
	Account string `json:"account"`
	// AudienceID is the platform's audience: the Meta custom audience id
	// (required), or a LINE audienceGroupId / LINE Ads custom audience id
	// to sync into (empty: the first run creates one).
	AudienceID string `json:"audience_id,omitempty"`
	// IDType is what a LINE Ads audience matches on: email or phone.
	IDType string `json:"id_type,omitempty"`
	// Name names a LINE or LINE Ads audience the sync creates, at most 120
	// characters; empty means the Omnistream audience's name, cut to 120.
	Name string `json:"name,omitempty"`
}

// Validate reports every problem at once.
func (t Target) Validate() error {
	var errs []error
	switch t.Platform {
	case PlatformMeta:
		if t.AudienceID == "" {
			errs = append(errs, errors.New("target: audience_id (the Meta custom audience id) is required"))
		}
	case PlatformLINE:
	case PlatformLINEAds:
		if t.IDType != "email" && t.IDType != "phone" {
			errs = append(errs, fmt.Errorf("target: id_type must be email or phone, got %q", t.IDType))
		}
	default:
		errs = append(errs, fmt.Errorf("target: platform must be %s, %s or %s, got %q", PlatformMeta, PlatformLINE, PlatformLINEAds, t.Platform))
	}
	if t.Account == "" || len(t.Account) > 200 {
		errs = append(errs, errors.New("target: account must be 1-200 characters"))
	}
	if utf8.RuneCountInString(t.Name) > 120 {
		errs = append(errs, fmt.Errorf("target: name must be at most 120 characters, got %d", utf8.RuneCountInString(t.Name)))
	}
	return errors.Join(errs...)
}

// Mode is how a run sends the audience.
type Mode string

// Modes.
const (
	// ModeFull replaces the platform audience with the current members.
	ModeFull Mode = "full"
	// ModeIncremental sends only the members added and removed since the
	// last successful run, where the platform allows: Meta adds and
	// removes; LINE and LINE Ads only add, so a run with removals replaces.
	ModeIncremental Mode = "incremental"
)

// Schedule statuses.
const (
	StatusActive    = "active"
	StatusCancelled = "cancelled"
)

// Schedule is a sync of one audience to one platform audience, once or
// recurring.
type Schedule struct {
	ID         string     `json:"id"`
	TeamID     string     `json:"-"`
	AudienceID string     `json:"audience_id"`
	Name       string     `json:"name"`
	Target     Target     `json:"target"`
	Mode       Mode       `json:"mode"`
	Recurrence Recurrence `json:"schedule"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    uint64     `json:"version"`
	// NextRuns are the next runs, filled by the scheduler's answers.
	NextRuns []time.Time `json:"next_runs,omitempty"`
}

// Run statuses.
const (
	RunWaiting   = "waiting" // for the previous run of the same audience
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch_up"
	TriggerManual   = "manual"
)

// Run is one sync run and its history row.
type Run struct {
	ID                 string     `json:"id"`
	TeamID             string     `json:"-"`
	ScheduleID         string     `json:"schedule_id"`
	AudienceID         string     `json:"audience_id"`
	Platform           Platform   `json:"platform"`
	Mode               Mode       `json:"mode"`
	Trigger            string     `json:"trigger"`
	ScheduledFor       time.Time  `json:"scheduled_for"`
	StartedAt          time.Time  `json:"started_at"`
	FinishedAt         *time.Time `json:"finished_at,omitempty"`
	Status             string     `json:"status"`
	SnapshotID         string     `json:"snapshot_id,omitempty"`
	BaseSnapshotID     string     `json:"base_snapshot_id,omitempty"`
	PlatformAudienceID string     `json:"platform_audience_id,omitempty"`
	// Size is the audience's member count in the run's snapshot.
	Size     uint64 `json:"size"`
	ToAdd    uint64 `json:"to_add"`
	ToRemove uint64 `json:"to_remove"`
	// Sent counts rows sent to the platform so far.
	Sent uint64 `json:"sent"`
	// Received counts rows the platform acknowledged.
	Received uint64 `json:"received"`
	// Matched counts rows the platform matched to its users, when it says.
	Matched uint64 `json:"matched"`
	// Invalid counts rows refused: malformed before sending, or reported
	// invalid by the platform.
	Invalid        uint64   `json:"invalid"`
	InvalidSamples []string `json:"invalid_samples,omitempty"`
	Error          string   `json:"error,omitempty"`
	Version        uint64   `json:"version"`
}

// Done reports whether the run has ended.
func (r Run) Done() bool {
	return r.Status == RunSucceeded || r.Status == RunFailed || r.Status == RunCancelled
}

// description is the name a LINE audience gets: the target's, or the
// audience's cut to 120 characters.
func (t Target) description(audienceName string) string {
	name := strings.TrimSpace(t.Name)
	if name == "" {
		name = strings.TrimSpace(audienceName)
	}
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}
