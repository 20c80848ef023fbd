// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// saslPasswordEnv holds the SASL password when -sasl-user gives only a
// name, so that it does not show in the process list.
const saslPasswordEnv = "EDDY_SASL_PASSWORD"

// clientFlags are the connection flags of commands that talk to a Kafka
// cluster as a client. They mirror the security flags of "eddy broker",
// so a broker started with -tls-self-signed ca.pem and -sasl-user
// app:secret is reached with -tls-ca ca.pem -sasl-user app:secret.
type clientFlags struct {
	brokers       string
	tls           bool
	tlsCA         string
	tlsCert       string
	tlsKey        string
	saslUser      string
	saslMechanism string
}

// register adds the connection flags to fs.
func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.brokers, "brokers", "", "comma-separated bootstrap servers, `host:port,...` (required)")
	fs.BoolVar(&f.tls, "tls", false, "connect with TLS, trusting the system's certificate authorities (implied by the other -tls flags)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "trust the certificate authorities in this PEM `file` (e.g. the one \"eddy broker -tls-self-signed\" wrote)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "present the client certificate (chain) in this PEM `file`; needs -tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM `file` with the private key of -tls-cert")
	fs.StringVar(&f.saslUser, "sasl-user", "", "authenticate with SASL as `name:password`, or as name with the password in $"+saslPasswordEnv)
	fs.StringVar(&f.saslMechanism, "sasl-mechanism", "PLAIN", "SASL `mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
}

// opts turns the flags into franz-go client options. It returns a usage
// error for a missing -brokers or inconsistent flags.
func (f *clientFlags) opts() ([]kgo.Opt, error) {
	var seeds []string
	for _, b := range strings.Split(f.brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			seeds = append(seeds, b)
		}
	}
	if len(seeds) == 0 {
		return nil, usagef("-brokers is required: give the bootstrap servers as host:port,...")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}

	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, usagef("-tls-cert and -tls-key go together")
	}
	if f.tls || f.tlsCA != "" || f.tlsCert != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if f.tlsCA != "" {
			pem, err := os.ReadFile(f.tlsCA)
			if err != nil {
				return nil, fmt.Errorf("read -tls-ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("-tls-ca %s holds no PEM certificate", f.tlsCA)
			}
		}
		if f.tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
			if err != nil {
				return nil, fmt.Errorf("load the TLS client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}

	if f.saslUser != "" {
		m, err := f.mechanism()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// mechanism builds the SASL mechanism of -sasl-user and -sasl-mechanism.
func (f *clientFlags) mechanism() (sasl.Mechanism, error) {
	user, pass, ok := strings.Cut(f.saslUser, ":")
	if !ok {
		pass = os.Getenv(saslPasswordEnv)
	}
	if user == "" || pass == "" {
		return nil, usagef("-sasl-user %q: give name:password, or the name with the password in $%s", user, saslPasswordEnv)
	}
	switch strings.ToUpper(f.saslMechanism) {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, usagef("-sasl-mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", f.saslMechanism)
}
