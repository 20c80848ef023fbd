// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	s, c, pemCert, err := SelfSignedTLS(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemCert, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("certificate PEM: %q", pemCert)
	}
	return s, c
}

// createTopic creates topic through a client with opts and returns the
// error of the first request that fails.
func createTopic(t *testing.T, b *Broker, topic string, opts ...kgo.Opt) error {
	t.Helper()
	adm := kadm.NewClient(client(t, b, opts...))
	resp, err := adm.CreateTopic(testCtx(t), 1, -1, nil, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

// Every mechanism authenticates with the right password, is refused with
// Kafka's SASL_AUTHENTICATION_FAILED (not a bare EOF that clients retry)
// for a wrong password or an unknown user, with and without TLS.
func TestSecuritySASL(t *testing.T) {
	srv, cli := selfSigned(t)
	for _, withTLS := range []bool{false, true} {
		opts := Options{Users: []User{
			{Mechanism: Plain, Name: "alice", Password: "a-pass"},
			{Mechanism: ScramSHA256, Name: "alice", Password: "a-pass-256"},
			{Mechanism: ScramSHA512, Name: "alice", Password: "a-pass-512"},
		}}
		var tlsOpts []kgo.Opt
		if withTLS {
			opts.TLS = srv
			tlsOpts = []kgo.Opt{kgo.DialTLSConfig(cli.Clone())}
		}
		b := start(t, opts)
		for _, u := range opts.Users {
			name := u.Mechanism
			if withTLS {
				name += "/TLS"
			}
			t.Run(name, func(t *testing.T) {
				ok := append([]kgo.Opt{kgo.SASL(u.SASL())}, tlsOpts...)
				if err := createTopic(t, b, "t-"+strings.ToLower(u.Mechanism), ok...); err != nil {
					t.Fatalf("right password: %v", err)
				}
				for _, bad := range []User{
					{Mechanism: u.Mechanism, Name: u.Name, Password: "wrong"},
					{Mechanism: u.Mechanism, Name: "mallory", Password: u.Password},
				} {
					start := time.Now()
					err := createTopic(t, b, "never", append([]kgo.Opt{kgo.SASL(bad.SASL())}, tlsOpts...)...)
					if !errors.Is(err, kerr.SaslAuthenticationFailed) {
						t.Errorf("%s/%s: got %v, want SASL_AUTHENTICATION_FAILED", bad.Name, bad.Password, err)
					}
					if d := time.Since(start); d > 5*time.Second {
						t.Errorf("failing took %v: the client retried", d)
					}
				}
			})
		}
		// Without SASL the broker closes the connection, as Kafka does.
		err := createTopic(t, b, "never", tlsOpts...)
		var eof *kgo.ErrFirstReadEOF
		if !errors.As(err, &eof) {
			t.Errorf("no SASL, TLS=%v: got %v, want the client's \"is SASL missing?\" error", withTLS, err)
		}
	}
}

func TestSecurityTLSOnly(t *testing.T) {
	srv, cli := selfSigned(t)
	log, logs := testLogger(t)
	b := start(t, Options{TLS: srv, Topics: []string{"secure"}, Logger: log})
	if !strings.Contains(logs.String(), "security=SSL") {
		t.Errorf("start log does not name the protocol:\n%s", logs)
	}
	cl := client(t, b, kgo.DialTLSConfig(cli.Clone()))
	produce(t, cl, "secure", "k", "v")
	if recs := consume(t, b, "secure", 1, kgo.DialTLSConfig(cli.Clone())); string(recs[0].Value) != "v" {
		t.Fatalf("consumed %q", recs[0].Value)
	}
	if err := createTopic(t, b, "plain", kgo.RequestRetries(0)); err == nil {
		t.Fatal("a plaintext client reached a TLS broker")
	}
}

// With ACLs a user may do nothing until a superuser grants it; superusers
// may do everything.
func TestSecurityACLs(t *testing.T) {
	admin := User{Mechanism: ScramSHA256, Name: "admin", Password: "admin-pass", Superuser: true}
	app := User{Mechanism: ScramSHA512, Name: "app", Password: "app-pass"}
	log, logs := testLogger(t)
	b := start(t, Options{Users: []User{admin, app}, ACLs: true, DisableAutoCreateTopics: true, Logger: log})
	if !strings.Contains(logs.String(), "security=SASL_PLAINTEXT") || !strings.Contains(logs.String(), "acls=true") {
		t.Errorf("start log does not name the security settings:\n%s", logs)
	}
	if err := createTopic(t, b, "app-in", kgo.SASL(app.SASL())); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("app before any ACL: got %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	adm := kadm.NewClient(client(t, b, kgo.SASL(admin.SASL())))
	acl := kadm.NewACLs().Allow(app.Principal()).AllowHosts().
		Topics("app-").ResourcePatternType(kadm.ACLPatternPrefixed).Operations(kadm.OpCreate, kadm.OpWrite, kadm.OpRead)
	res, err := adm.CreateACLs(testCtx(t), acl)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("create ACL: %v", r.Err)
		}
	}
	if err := createTopic(t, b, "app-in", kgo.SASL(app.SASL())); err != nil {
		t.Fatalf("app with a CREATE ACL: %v", err)
	}
	produce(t, client(t, b, kgo.SASL(app.SASL())), "app-in", "k", "v")
	if err := createTopic(t, b, "other", kgo.SASL(app.SASL())); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("app outside its prefix: got %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := createTopic(t, b, "other", kgo.SASL(admin.SASL())); err != nil {
		t.Fatalf("superuser: %v", err)
	}
}

func TestSecurityOptionsValidation(t *testing.T) {
	srv, _ := selfSigned(t)
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Users: []User{{Mechanism: "GSSAPI", Name: "u", Password: "p"}}}, `mechanism "GSSAPI"`},
		{Options{Users: []User{{Mechanism: Plain, Password: "p"}}}, "empty name"},
		{Options{Users: []User{{Mechanism: Plain, Name: "u"}}}, "empty password"},
		{Options{Users: []User{{Mechanism: Plain, Name: "u", Password: "p"}, {Mechanism: Plain, Name: "u", Password: "q"}}}, "listed twice"},
		{Options{ACLs: true}, "superuser"},
		{Options{ACLs: true, Users: []User{{Mechanism: Plain, Name: "u", Password: "p"}}}, "superuser"},
		{Options{TLS: srv.Clone(), Users: []User{{Mechanism: Plain, Name: "u", Password: "p"}}, ACLs: true}, "superuser"},
	} {
		_, err := Start(t.Context(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error containing %q", tc.opts, err, tc.want)
		}
	}
	noCert := srv.Clone()
	noCert.Certificates = nil
	if _, err := Start(t.Context(), Options{TLS: noCert}); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Errorf("TLS without a certificate: got %v", err)
	}
}

// The frame follower finds every header however the bytes are split.
func TestSecurityFrames(t *testing.T) {
	var stream []byte
	var want []int32
	for i, body := range []int{0, 1, 300, 5} {
		corr := int32(100 + i)
		frame := make([]byte, 4+8+body)
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
		frame[4+1] = 3 // api key
		frame[4+3] = 1 // version
		binary.BigEndian.PutUint32(frame[8:], uint32(corr))
		stream = append(stream, frame...)
		want = append(want, corr)
	}
	for _, chunk := range []int{1, 3, 7, len(stream)} {
		f := frames{hdrLen: 8}
		var got []int32
		for p := stream; len(p) > 0; {
			k := min(chunk, len(p))
			f.feed(p[:k], func(h []byte) {
				if h[1] != 3 || h[3] != 1 {
					t.Errorf("chunk %d: header %v", chunk, h)
				}
				got = append(got, int32(binary.BigEndian.Uint32(h[4:])))
			})
			p = p[k:]
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: got %v, want %v", chunk, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("chunk %d: got %v, want %v", chunk, got, want)
			}
		}
	}
}
