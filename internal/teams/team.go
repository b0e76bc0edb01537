package teams

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Team is a tenant and its settings.
type Team struct {
	ID        string            `json:"team_id"`
	Name      string            `json:"name"`
	TimeZone  string            `json:"timezone"`   // IANA zone, default Asia/Taipei
	Region    string            `json:"region"`     // ISO 3166 alpha-2: TW, HK, SG, MY, …; decides phone country codes and WhatsApp rates
	Currency  string            `json:"currency"`   // ISO 4217 of reports, default TWD
	WeekStart time.Weekday      `json:"week_start"` // first day of report weeks, default Monday
	Rates     map[string]string `json:"rates"`      // per-message cost by channel type, decimal strings in Currency
	Junk      []string          `json:"junk"`       // extra identifier values never used for merging
	Version   uint64            `json:"version"`

	loc *time.Location
}

// Location is the team's time zone (UTC when the zone is unknown). It is
// safe for concurrent use: Teams from the Store carry their zone loaded.
func (t *Team) Location() *time.Location {
	if t.loc != nil {
		return t.loc
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// loadLocation caches the zone; call it before the team is shared.
func (t *Team) loadLocation() {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		t.loc = loc
	}
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate reports every problem with a team's settings at once.
func (t *Team) Validate() error {
	var errs []error
	if !idRe.MatchString(t.ID) {
		errs = append(errs, fmt.Errorf("team_id: %q must be 1-63 lower-case letters, digits, '-' or '_'", t.ID))
	}
	if _, err := time.LoadLocation(t.TimeZone); err != nil || t.TimeZone == "" {
		errs = append(errs, fmt.Errorf("timezone: %q is not an IANA time zone", t.TimeZone))
	}
	if len(t.Region) != 2 || strings.ToUpper(t.Region) != t.Region {
		errs = append(errs, fmt.Errorf("region: %q must be a 2-letter upper-case country code", t.Region))
	}
	if len(t.Currency) != 3 || strings.ToUpper(t.Currency) != t.Currency {
		errs = append(errs, fmt.Errorf("currency: %q must be a 3-letter ISO 4217 code", t.Currency))
	}
	if t.WeekStart < time.Sunday || t.WeekStart > time.Saturday {
		errs = append(errs, fmt.Errorf("week_start: %d must be 0 (Sunday) to 6 (Saturday)", t.WeekStart))
	}
	for ch, r := range t.Rates {
		if !validDecimal(r) {
			errs = append(errs, fmt.Errorf("rates.%s: %q must be a non-negative decimal", ch, r))
		}
	}
	return errors.Join(errs...)
}

var decRe = regexp.MustCompile(`^\d{1,12}(\.\d{1,4})?$`)

func validDecimal(s string) bool { return decRe.MatchString(s) }

// New returns a team with the documented defaults for its region: LINE
// NT$0.2 per message; WhatsApp HK HK$0.7, TW NT$2.724, SG US$0.089.
func New(id, name, region string) Team {
	t := Team{ID: id, Name: name, Region: region, TimeZone: "Asia/Taipei", Currency: "TWD", WeekStart: time.Monday,
		Rates: map[string]string{"line": "0.2"}}
	switch region {
	case "HK":
		t.TimeZone, t.Currency, t.Rates["whatsapp"] = "Asia/Hong_Kong", "HKD", "0.7"
	case "SG":
		t.TimeZone, t.Currency, t.Rates["whatsapp"] = "Asia/Singapore", "USD", "0.089"
	case "MY":
		t.TimeZone, t.Currency = "Asia/Kuala_Lumpur", "MYR"
	default:
		t.Rates["whatsapp"] = "2.724"
	}
	return t
}

type ctxKey struct{}

// WithTeam returns ctx carrying the authenticated team.
func WithTeam(ctx context.Context, t *Team) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the authenticated team of a request.
func FromContext(ctx context.Context) (*Team, bool) {
	t, ok := ctx.Value(ctxKey{}).(*Team)
	return t, ok
}
