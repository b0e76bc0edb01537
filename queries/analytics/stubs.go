package analytics

import (
	"net/http"

	"github.com/omnistream/omnistream/internal/teams"
)

func (s *Service) serveKeywords(r *http.Request, team *teams.Team) (any, error)  { return nil, nil }
func (s *Service) serveRichMenus(r *http.Request, team *teams.Team) (any, error) { return nil, nil }
func (s *Service) serveCart(r *http.Request, team *teams.Team) (any, error)      { return nil, nil }
