package reports

import (
	"math/big"
	"strings"

	"github.com/omnistream/omnistream/ingest/event"
	"github.com/omnistream/omnistream/internal/teams"
)

// estimatedCost is deliveries × the team's per-message rate of the channel
// (teams.New sets the defaults: LINE 0.2, WhatsApp by region), in the
// team's currency; nil when the team has no valid rate for the channel.
func estimatedCost(team *teams.Team, channel string, deliveries uint64) *Money {
	r, ok := team.Rates[channel]
	if !ok {
		return nil
	}
	a, err := event.ParseAmount(r)
	if err != nil || a < 0 {
		return nil
	}
	total := new(big.Int).Mul(big.NewInt(int64(a)), new(big.Int).SetUint64(deliveries))
	return &Money{Currency: team.Currency, Amount: formatUnits(total)}
}

// formatUnits formats a non-negative amount in 1/10,000 units as a decimal
// without trailing zeros.
func formatUnits(v *big.Int) string {
	q, m := new(big.Int).QuoRem(v, big.NewInt(event.AmountScale), new(big.Int))
	s := q.String()
	if m.Sign() == 0 {
		return s
	}
	frac := strings.TrimRight(new(big.Int).Add(m, big.NewInt(event.AmountScale)).String()[1:], "0")
	return s + "." + frac
}
