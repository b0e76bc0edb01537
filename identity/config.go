package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/omnistream/omnistream/identity/normalize"
)

// Config configures a Graph.
type Config struct {
	// Default holds the settings of teams that Teams does not know, and of
	// every team when Teams is nil. Default: DefaultTeamConfig().
	Default TeamConfig
	// Teams supplies per-team settings. The graph asks when it first meets a
	// team and again after Graph.ReloadTeam. Default: nil (Default for all).
	Teams TeamSettings
	// Clock gives the wall-clock floor of row versions (microseconds), so
	// versions keep increasing even if the changelog was lost. Default:
	// time.Now.
	Clock func() time.Time
}

// TeamSettings supplies the identity settings of a team, for example from
// the teams store. ok false means "use Config.Default".
type TeamSettings interface {
	IdentitySettings(team string) (cfg TeamConfig, ok bool)
}

// TeamConfig is the identity configuration of one team.
type TeamConfig struct {
	// Region is the team's country (ISO 3166-1 alpha-2) for reading national
	// phone numbers: "0911223344" in TW is 886911223344. "" accepts only
	// international forms. Default: "TW".
	Region string
	// Junk lists extra values never used as identifiers (compared as given,
	// case-insensitive, and normalized). Default: none; the built-in
	// placeholders (null, 0, test@test.com, 0000000000, …) always apply.
	Junk []string
	// SyncBy says which identifiers import and API sync merge on. Default:
	// member id only.
	SyncBy SyncBy
	// MaxContactsPerIdentifier stops merging through an identifier once that
	// many contacts hold it (a shop's phone, a shared email): the next
	// contact keeps it recorded but is not merged, and the refusal is logged
	// with ReasonIdentifierLimit. 0 means no limit. Default: 20 contacts.
	MaxContactsPerIdentifier int
}

// SyncBy selects the identifiers that import and API sync merge on.
type SyncBy struct {
	MemberID bool // default true
	Phone    bool // default false
	Email    bool // default false
}

// DefaultTeamConfig returns the documented team defaults.
func DefaultTeamConfig() TeamConfig {
	return TeamConfig{Region: "TW", SyncBy: SyncBy{MemberID: true}, MaxContactsPerIdentifier: 20}
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Default: DefaultTeamConfig(), Clock: time.Now}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if err := c.Default.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("identity: default team config: %w", err))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("identity: clock is required"))
	}
	return errors.Join(errs...)
}

// Validate reports every problem of a team's settings at once.
func (c TeamConfig) Validate() error {
	var errs []error
	if !normalize.KnownRegion(c.Region) {
		errs = append(errs, fmt.Errorf("region: %q has no phone numbering rules (use one of %v, or \"\")", c.Region, normalize.Regions()))
	}
	if c.MaxContactsPerIdentifier < 0 {
		errs = append(errs, fmt.Errorf("max contacts per identifier: must not be negative, got %d", c.MaxContactsPerIdentifier))
	}
	if c.MaxContactsPerIdentifier > maxCount {
		errs = append(errs, fmt.Errorf("max contacts per identifier: at most %d, got %d", maxCount, c.MaxContactsPerIdentifier))
	}
	return errors.Join(errs...)
}
