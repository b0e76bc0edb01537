package channels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omnistream/omnistream/internal/chparam"
	"github.com/omnistream/omnistream/sinks/adsync"
)

// Credential is an ad-platform credential of a team's account.
type Credential struct {
	TeamID    string          `json:"team_id"`
	Platform  adsync.Platform `json:"platform"`
	Account   string          `json:"account"`
	Token     string          `json:"token,omitempty"`
	AccessKey string          `json:"access_key,omitempty"`
	SecretKey string          `json:"secret_key,omitempty"`
}

// ErrNoCredential means the team has no credential for the account.
var ErrNoCredential = errors.New("no credential stored for this account")

// PutCredential stores a credential, replacing the previous one.
func (s *Store) PutCredential(ctx context.Context, c Credential) error {
	var errs []error
	switch c.Platform {
	case adsync.PlatformMeta, adsync.PlatformLINE:
		if c.Token == "" {
			errs = append(errs, errors.New("token: required"))
		}
	case adsync.PlatformLINEAds:
		if c.AccessKey == "" || c.SecretKey == "" {
			errs = append(errs, errors.New("access_key and secret_key: required for LINE Ads"))
		}
	default:
		errs = append(errs, fmt.Errorf("platform: %q unknown", c.Platform))
	}
	if c.TeamID == "" || c.Account == "" {
		errs = append(errs, errors.New("team_id and account: required"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	err := s.db.Exec(chparam.With(ctx, "t", c.TeamID, "p", string(c.Platform), "a", c.Account, "tok", c.Token,
		"ak", c.AccessKey, "sk", c.SecretKey, "v", fmt.Sprint(time.Now().UnixNano())),
		`INSERT INTO ad_credentials (team_id, platform, account, token, access_key, secret_key, version, deleted)
		 SELECT {t:String}, {p:String}, {a:String}, {tok:String}, {ak:String}, {sk:String}, {v:UInt64}, 0`)
	if err != nil {
		return fmt.Errorf("store credential of team %s for %s %s: %w", c.TeamID, c.Platform, c.Account, err)
	}
	return nil
}

// Credential implements adsync.Credentials.
func (s *Store) Credential(ctx context.Context, teamID string, target adsync.Target) (adsync.Credential, error) {
	rows, err := s.db.Query(chparam.With(ctx, "t", teamID, "p", string(target.Platform), "a", target.Account),
		`SELECT argMax(token, version), argMax(access_key, version), argMax(secret_key, version)
		 FROM ad_credentials WHERE team_id = {t:String} AND platform = {p:String} AND account = {a:String}
		 GROUP BY team_id, platform, account HAVING argMax(deleted, version) = 0`)
	if err != nil {
		return adsync.Credential{}, fmt.Errorf("look up credential: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return adsync.Credential{}, fmt.Errorf("%w: %s %s of team %s", ErrNoCredential, target.Platform, target.Account, teamID)
	}
	var c adsync.Credential
	if err := rows.Scan(&c.Token, &c.AccessKey, &c.SecretKey); err != nil {
		return adsync.Credential{}, fmt.Errorf("look up credential: %w", err)
	}
	return c, rows.Err()
}
