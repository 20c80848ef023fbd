// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/eddy-streams/eddy/internal/devbroker"
)

func TestBrokerSecurityFlags(t *testing.T) {
	f, err := parseBroker(t, "-sasl-superuser", "admin:a:b", "-sasl-user", "app:pw", "-sasl-mechanisms", "scram-sha-512,PLAIN", "-acls")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.options(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []devbroker.User{
		{Mechanism: devbroker.ScramSHA512, Name: "admin", Password: "a:b", Superuser: true},
		{Mechanism: devbroker.ScramSHA512, Name: "app", Password: "pw"},
		{Mechanism: devbroker.Plain, Name: "admin", Password: "a:b", Superuser: true},
		{Mechanism: devbroker.Plain, Name: "app", Password: "pw"},
	}
	if !opts.ACLs || len(opts.Users) != len(want) {
		t.Fatalf("options: %+v", opts)
	}
	for i := range want {
		if opts.Users[i] != want[i] {
			t.Errorf("user %d = %+v, want %+v", i, opts.Users[i], want[i])
		}
	}

	for _, args := range [][]string{
		{"-sasl-user", "nopassword"},
		{"-sasl-user", ":pw"},
		{"-sasl-user", "u:p", "-sasl-mechanisms", "GSSAPI"},
		{"-tls-cert", "c.pem"},
		{"-tls-self-signed", "ca.pem", "-tls-cert", "c.pem", "-tls-key", "k.pem"},
	} {
		f, err := parseBroker(t, args...)
		if err == nil {
			_, err = f.options(nil)
		}
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
	code, _, stderr := runEddy(t, "broker", "-port", "0", "-acls")
	if code != 1 || !strings.Contains(stderr, "superuser") {
		t.Errorf("-acls without a superuser: exit %d, stderr:\n%s", code, stderr)
	}
}

// "eddy broker" with SASL, ACLs and a self-signed certificate: a client
// that trusts the written certificate authenticates; the superuser may do
// anything, a plain user nothing until granted.
func TestBrokerRunSecure(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, stop := startBroker(t, "-port", "0", "-sasl-superuser", "admin:admin-secret", "-sasl-user", "app:app-secret",
		"-acls", "-tls-self-signed", caFile, "-no-auto-create")
	defer stop()
	pemCert, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCert) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	tlsCfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	createTopic := func(topic string, opts ...kgo.Opt) error {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTLSConfig(tlsCfg.Clone())}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, -1, nil, topic)
		if err != nil {
			return err
		}
		return resp.Err
	}
	if err := createTopic("by-admin", kgo.SASL(scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha512Mechanism())); err != nil {
		t.Fatalf("superuser: %v", err)
	}
	if err := createTopic("by-app", kgo.SASL(plain.Auth{User: "app", Pass: "app-secret"}.AsMechanism())); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("user without ACLs: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := createTopic("by-app", kgo.SASL(scram.Auth{User: "app", Pass: "wrong"}.AsSha256Mechanism())); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	if code, stderr := stop(); code != 0 || !strings.Contains(stderr, "security=SASL_SSL") || strings.Contains(stderr, "app-secret") {
		t.Errorf("exit %d, stderr (must name the protocol, never a password):\n%s", code, stderr)
	}
}
