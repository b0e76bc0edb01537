package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KafkaSecurity configures TLS and SASL towards an external Kafka.
type KafkaSecurity struct {
	// TLS enables TLS; CAFile adds a CA bundle (PEM) to the system roots.
	TLS    bool
	CAFile string
	// SASLMechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
}

// Validate reports every problem at once.
func (s KafkaSecurity) Validate() error {
	var errs []error
	switch strings.ToUpper(s.SASLMechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.SASLUser == "" || s.SASLPassword == "" {
			errs = append(errs, errors.New("kafka sasl: user and password are required"))
		}
	default:
		errs = append(errs, fmt.Errorf("kafka sasl mechanism %q unknown (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", s.SASLMechanism))
	}
	if s.CAFile != "" && !s.TLS {
		errs = append(errs, errors.New("kafka tls CA file given but TLS is off"))
	}
	return errors.Join(errs...)
}

// opts turns the settings into franz-go client options.
func (s KafkaSecurity) opts() ([]kgo.Opt, error) {
	var out []kgo.Opt
	if s.TLS {
		cfg, err := tlsConfig(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls: %w", err)
		}
		out = append(out, kgo.DialTLSConfig(cfg))
	}
	switch strings.ToUpper(s.SASLMechanism) {
	case "PLAIN":
		out = append(out, kgo.SASL(plain.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		out = append(out, kgo.SASL(scram.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		out = append(out, kgo.SASL(scram.Auth{User: s.SASLUser, Pass: s.SASLPassword}.AsSha512Mechanism()))
	}
	return out, nil
}

// tlsConfig returns a TLS config with the system roots plus caFile's.
func tlsConfig(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
