// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/eddy-streams/eddy/internal/devbroker"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

// The security tests run Eddy against the embedded broker with SASL (and
// TLS), ACLs on, and the application's user granted only the least-privilege
// set below. The superuser "admin" creates the user topics and the ACLs and
// plays the producer of input and the reader of output.

const secureApp = "wc-secure"

var secureAdmin = devbroker.User{Mechanism: devbroker.ScramSHA256, Name: "admin", Password: "admin-secret", Superuser: true}

// grant is one row of the least-privilege ACL set (the README's table).
type grant struct {
	name string
	acl  func(principal string) *kadm.ACLBuilder
}

// leastPrivilege is every ACL an Eddy application needs, for application id
// app reading source topic in and writing sink topic out. Nothing on the
// cluster resource: WRITE on a topic implies IDEMPOTENT_WRITE (KIP-679).
func leastPrivilege(app, in, out string) []grant {
	allow := func(p string) *kadm.ACLBuilder { return kadm.NewACLs().Allow(p).AllowHosts() }
	return []grant{
		{"internal topics", func(p string) *kadm.ACLBuilder {
			// Repartition and changelog topics (and the default
			// dead-letter topic): <app>-*. DESCRIBE_CONFIGS: existing
			// internal topics' configs are validated at start-up.
			return allow(p).Topics(app+"-").ResourcePatternType(kadm.ACLPatternPrefixed).
				Operations(kadm.OpCreate, kadm.OpRead, kadm.OpWrite, kadm.OpDescribe, kadm.OpDescribeConfigs)
		}},
		{"source topic", func(p string) *kadm.ACLBuilder {
			return allow(p).Topics(in).Operations(kadm.OpRead, kadm.OpDescribe)
		}},
		{"sink topic", func(p string) *kadm.ACLBuilder {
			return allow(p).Topics(out).Operations(kadm.OpWrite, kadm.OpDescribe)
		}},
		{"group", func(p string) *kadm.ACLBuilder {
			return allow(p).Groups(app).Operations(kadm.OpRead, kadm.OpDescribe)
		}},
		{"transactional ids", func(p string) *kadm.ACLBuilder {
			// <app>-<instance id>-<worker>, exactly-once only.
			return allow(p).TransactionalIDs(app+"-").ResourcePatternType(kadm.ACLPatternPrefixed).
				Operations(kadm.OpWrite, kadm.OpDescribe)
		}},
	}
}

type secureBroker struct {
	b         *devbroker.Broker
	tlsClient *tls.Config // nil without TLS
	adm       *kadm.Client
	cl        *kgo.Client // the superuser's
}

// startSecureBroker starts a broker with SASL (TLS if withTLS) and ACLs on,
// whose users are the superuser and app, and creates the user topics.
func startSecureBroker(t *testing.T, withTLS bool, app devbroker.User) *secureBroker {
	t.Helper()
	opts := devbroker.Options{Users: []devbroker.User{secureAdmin, app}, ACLs: true,
		DisableAutoCreateTopics: true, Logger: quiet(t)}
	s := &secureBroker{}
	if withTLS {
		srv, cli, _, err := devbroker.SelfSignedTLS(time.Hour)
		require.NoError(t, err)
		opts.TLS, s.tlsClient = srv, cli
	}
	b, err := devbroker.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	s.b = b
	s.cl, err = kgo.NewClient(append(s.opts(secureAdmin), kgo.SeedBrokers(b.Addrs()...))...)
	require.NoError(t, err)
	t.Cleanup(s.cl.Close)
	s.adm = kadm.NewClient(s.cl)
	for topic, n := range map[string]int32{"lines": 4, "counts-out": 4} {
		_, err := s.adm.CreateTopic(t.Context(), n, -1, nil, topic)
		require.NoError(t, err)
	}
	return s
}

// opts are the security options of a client authenticating as u: what an
// application puts in runtime.Config.ClientOptions.
func (s *secureBroker) opts(u devbroker.User) []kgo.Opt {
	opts := []kgo.Opt{kgo.SASL(u.SASL())}
	if s.tlsClient != nil {
		opts = append(opts, kgo.DialTLSConfig(s.tlsClient.Clone()))
	}
	return opts
}

func (s *secureBroker) grant(t *testing.T, principal string, grants []grant, skip string) {
	t.Helper()
	for _, g := range grants {
		if g.name == skip {
			continue
		}
		res, err := s.adm.CreateACLs(t.Context(), g.acl(principal))
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err, "ACL %s", g.name)
		}
	}
}

func (s *secureBroker) produceLines(t *testing.T, want map[string]int64, from, n int) {
	t.Helper()
	var rs []*kgo.Record
	for i := from; i < from+n; i++ {
		var ws []string
		for j := range 3 {
			w := fmt.Sprintf("w%d", (i*7+j*11)%40)
			ws = append(ws, w)
			want[w]++
		}
		rs = append(rs, &kgo.Record{Topic: "lines", Key: fmt.Appendf(nil, "k%d", i), Value: []byte(strings.Join(ws, " "))})
	}
	require.NoError(t, s.cl.ProduceSync(t.Context(), rs...).FirstErr())
}

// readCounts reads counts-out read_committed as the superuser until the
// latest count of every word is want's or the timeout passes (want nil:
// until the timeout).
func (s *secureBroker) readCounts(t *testing.T, want map[string]int64, timeout time.Duration) map[string]int64 {
	t.Helper()
	cl, err := kgo.NewClient(append(s.opts(secureAdmin), kgo.SeedBrokers(s.b.Addrs()...), kgo.ConsumeTopics("counts-out"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	require.NoError(t, err)
	defer cl.Close()
	got := map[string]int64{}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline) && (want == nil || !mapsEqual(got, want)); {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v, err := serde.Int64().Deserialize("counts-out", r.Value)
			require.NoError(t, err)
			got[string(r.Key)] = v
		})
	}
	return got
}

// clientAudit is a kgo hook passed in Config.ClientOptions: it sees every
// client created with those options and records its kind and whether it
// carries the SASL mechanism and TLS config under test.
type clientAudit struct {
	mech string
	tls  *tls.Config

	mu    sync.Mutex
	kinds map[string]int
	bad   []string
}

func (a *clientAudit) OnNewClient(cl *kgo.Client) {
	kind := "admin"
	// The state updater's restore consumer tracks its fetch lag.
	lagFn, _ := cl.OptValue(kgo.ConsumePreferringLagFn).(kgo.PreferLagFn)
	switch {
	case cl.OptValue(kgo.ConsumerGroup) != "":
		kind = "group consumer/producer"
		if id, _ := cl.OptValue(kgo.TransactionalID).(string); id != "" {
			kind = "group consumer/transactional producer"
			if !strings.HasPrefix(id, secureApp+"-") {
				a.fail("transactional id %q does not start with %q", id, secureApp+"-")
			}
		}
	case cl.OptValue(kgo.KeepControlRecords) == true && lagFn != nil:
		kind = "state updater consumer"
	case cl.OptValue(kgo.KeepControlRecords) == true:
		kind = "changelog consumer"
	}
	mechs, _ := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
	if len(mechs) != 1 || mechs[0].Name() != a.mech {
		a.fail("%s client without the %s mechanism", kind, a.mech)
	}
	if tc, _ := cl.OptValue(kgo.DialTLSConfig).(*tls.Config); (tc == nil) != (a.tls == nil) {
		a.fail("%s client: TLS config %v, want %v", kind, tc != nil, a.tls != nil)
	}
	a.mu.Lock()
	a.kinds[kind]++
	a.mu.Unlock()
}

func (a *clientAudit) fail(format string, args ...any) {
	a.mu.Lock()
	a.bad = append(a.bad, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

var securityCases = []struct {
	name string
	user devbroker.User
	tls  bool
}{
	{"PLAIN", devbroker.User{Mechanism: devbroker.Plain, Name: "eddy", Password: "plain-secret"}, false},
	{"SCRAM-SHA-256", devbroker.User{Mechanism: devbroker.ScramSHA256, Name: "eddy", Password: "scram-256-secret"}, false},
	{"SCRAM-SHA-512", devbroker.User{Mechanism: devbroker.ScramSHA512, Name: "eddy", Password: "scram-512-secret"}, false},
	{"SCRAM-SHA-512+TLS", devbroker.User{Mechanism: devbroker.ScramSHA512, Name: "eddy", Password: "scram-512-secret"}, true},
}

// An exactly-once word count (repartition topic, changelog) on two
// instances with a standby replica each, then a third instance on an empty
// state directory that restores from the changelogs, all authenticated as a
// user holding only the least-privilege ACLs. The broker rejects any
// connection that has not authenticated, so every client the runtime
// creates (admin, group consumer/producer, the state updater's consumer,
// which restores and keeps standbys)
// must carry Config.ClientOptions; the audit hook checks that each does and
// that all kinds were created.
func TestSecurityLeastPrivilegeACLs(t *testing.T) {
	for _, tc := range securityCases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSecureBroker(t, tc.tls, tc.user)
			s.grant(t, tc.user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), "")
			audit := &clientAudit{mech: tc.user.Mechanism, tls: s.tlsClient, kinds: map[string]int{}}
			cfg := func(instance string) runtime.Config {
				return runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(), InstanceID: instance,
					Guarantee: runtime.ExactlyOnce, CommitInterval: 50 * time.Millisecond, StandbyReplicas: 1,
					Logger: quiet(t), ClientOptions: append(s.opts(tc.user), kgo.WithHooks(audit))}
			}
			topo := wordCount(t)
			want := map[string]int64{}
			s.produceLines(t, want, 0, 100)

			a1, stop1 := startApp(t, topo, cfg("i1"))
			a2, stop2 := startApp(t, topo, cfg("i2"))
			waitState(t, a1, runtime.Running)
			waitState(t, a2, runtime.Running)
			require.Equal(t, want, s.readCounts(t, want, 30*time.Second))
			s.produceLines(t, want, 100, 50)
			require.Equal(t, want, s.readCounts(t, want, 30*time.Second))
			require.Eventually(t, func() bool {
				return a1.Metrics().StandbyApplied+a2.Metrics().StandbyApplied > 0
			}, 20*time.Second, 20*time.Millisecond, "standby replicas tail the changelogs")
			stop1()
			stop2()

			// An empty state directory: the counts come back from the
			// changelogs through the state updater.
			a3, stop3 := startApp(t, topo, cfg("i3"))
			s.produceLines(t, want, 150, 20)
			assert.Equal(t, want, s.readCounts(t, want, 30*time.Second))
			assert.Positive(t, a3.Metrics().Restored, "restored from the changelogs")
			stop3()

			audit.mu.Lock()
			defer audit.mu.Unlock()
			assert.Empty(t, audit.bad)
			t.Logf("clients created: %v", audit.kinds)
			for _, kind := range []string{"admin", "group consumer/transactional producer", "state updater consumer"} {
				assert.Positive(t, audit.kinds[kind], "no %s client was created", kind)
			}
		})
	}
}

// runUntilError runs an instance until Run returns or timeout passes. It
// returns Run's error and whether Run returned; if not, the instance was
// still running (in the returned state) and has been stopped.
func runUntilError(t *testing.T, cfg runtime.Config, timeout time.Duration) (err error, ended bool, state runtime.State) {
	t.Helper()
	app, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	select {
	case err = <-done:
		ended = true
	case <-time.After(timeout):
		state = app.State()
		cancel()
		<-done
	}
	require.NoError(t, app.Close(context.Background()))
	if ended {
		state = app.State()
		assert.Equal(t, runtime.Error, state)
	}
	return err, ended, state
}

// runToError is runUntilError that requires Run to fail.
func runToError(t *testing.T, cfg runtime.Config, timeout time.Duration) error {
	t.Helper()
	err, ended, state := runUntilError(t, cfg, timeout)
	if !ended {
		t.Fatalf("application still running after %v (state %v); want it to fail", timeout, state)
	}
	return err
}

// A wrong password stops the application at once with the broker's
// authentication error instead of retrying forever.
func TestSecurityWrongPassword(t *testing.T) {
	for _, tc := range securityCases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSecureBroker(t, tc.tls, tc.user)
			s.grant(t, tc.user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), "")
			wrong := tc.user
			wrong.Password += "-typo"
			start := time.Now()
			err := runToError(t, runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(),
				Guarantee: runtime.ExactlyOnce, Logger: quiet(t), ClientOptions: s.opts(wrong)}, 30*time.Second)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "SASL_AUTHENTICATION_FAILED")
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

// Without SASL the application cannot even list its topics: there is no
// anonymous access.
func TestSecurityNoCredentials(t *testing.T) {
	user := securityCases[1].user
	s := startSecureBroker(t, false, user)
	s.grant(t, user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), "")
	err := runToError(t, runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(),
		Guarantee: runtime.ExactlyOnce, Logger: quiet(t)}, 30*time.Second)
	require.Error(t, err)
	// The broker closes the connection on the first request that is not
	// part of the SASL handshake; franz-go reports that as an
	// *ErrFirstReadEOF saying SASL is missing.
	var eof *kgo.ErrFirstReadEOF
	require.ErrorAs(t, err, &eof)
	assert.Contains(t, err.Error(), "SASL is required but not provided")
}

// Each row of the least-privilege set is needed: without it the application
// produces no output and should stop with an authorization error that
// names the resource, rather than retry forever.
func TestSecurityMissingACL(t *testing.T) {
	user := securityCases[1].user
	for _, tc := range []struct {
		name     string
		skip     string                          // the grant left out
		extra    func(p string) *kadm.ACLBuilder // a narrower grant in its place
		code     string                          // the error code in Run's error
		resource string                          // named in Run's error
	}{
		{name: "source topic", skip: "source topic", code: "TOPIC_AUTHORIZATION_FAILED", resource: "lines"},
		{name: "internal topics", skip: "internal topics", code: "TOPIC_AUTHORIZATION_FAILED", resource: secureApp + "-counts-changelog"},
		{name: "sink topic", skip: "sink topic", code: "TOPIC_AUTHORIZATION_FAILED", resource: "counts-out"},
		{name: "sink topic write", skip: "sink topic", extra: func(p string) *kadm.ACLBuilder {
			return kadm.NewACLs().Allow(p).AllowHosts().Topics("counts-out").Operations(kadm.OpDescribe)
		}, code: "TOPIC_AUTHORIZATION_FAILED", resource: "counts-out"},
		{name: "group", skip: "group", code: "GROUP_AUTHORIZATION_FAILED", resource: secureApp},
		{name: "transactional ids", skip: "transactional ids", code: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", resource: secureApp + "-i1-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSecureBroker(t, false, user)
			s.grant(t, user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), tc.skip)
			if tc.extra != nil {
				s.grant(t, user.Principal(), []grant{{"extra", tc.extra}}, "")
			}
			s.produceLines(t, map[string]int64{}, 0, 10)
			cfg := runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(), InstanceID: "i1",
				Guarantee: runtime.ExactlyOnce, CommitInterval: 50 * time.Millisecond, Logger: quiet(t),
				ClientOptions: s.opts(user)}
			timeout := 30 * time.Second
			err, ended, state := runUntilError(t, cfg, timeout)
			assert.Empty(t, s.readCounts(t, nil, time.Second), "output without the %s grant", tc.skip)
			if !ended {
				t.Fatalf("application still running after %v (state %v); want it to fail", timeout, state)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.code)
			assert.Contains(t, err.Error(), tc.resource)
		})
	}
}

// At-least-once needs no transactional-id ACL and, since WRITE on a topic
// implies IDEMPOTENT_WRITE, no cluster ACL for its idempotent producer.
func TestSecurityAtLeastOnce(t *testing.T) {
	user := securityCases[2].user
	s := startSecureBroker(t, false, user)
	s.grant(t, user.Principal(), leastPrivilege(secureApp, "lines", "counts-out"), "transactional ids")
	want := map[string]int64{}
	s.produceLines(t, want, 0, 50)
	_, stop := startApp(t, wordCount(t), runtime.Config{AppID: secureApp, Brokers: s.b.Addrs(), StateDir: t.TempDir(),
		CommitInterval: 50 * time.Millisecond, Logger: quiet(t), ClientOptions: s.opts(user)})
	assert.Equal(t, want, s.readCounts(t, want, 30*time.Second))
	stop()
}
