// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/eddy-streams/eddy/runtime"
)

// The security suite runs Eddy against a real broker with SASL/SCRAM, TLS
// and ACLs: `KAFKA_SECURITY=1 scripts/kafka.sh start` (scripts/README.md).
// The broker's super user creates a SCRAM user per test, grants it ACLs,
// creates the user topics, writes the input and reads the output.
const (
	// secureBrokersEnv names the SASL_SSL listener; the suite skips,
	// saying so, when it is unset.
	secureBrokersEnv = "EDDY_KAFKA_SECURE_BROKERS"
	// secureSASLEnv names the same broker's SASL_PLAINTEXT listener.
	secureSASLEnv = "EDDY_KAFKA_SECURE_SASL_PLAINTEXT"
	// secureCAEnv is the PEM file of the CA that signed the broker's
	// certificate (scripts/kafka.sh writes $KAFKA_HOME/tls/ca.pem).
	secureCAEnv = "EDDY_KAFKA_SECURE_CA"
	// secureAdminEnv is the super user, user:password (default
	// admin:admin-secret, the script's default).
	secureAdminEnv = "EDDY_KAFKA_SECURE_ADMIN"
)

const howToRunSecure = "KAFKA_SECURITY=1 KAFKA_HOME=/tmp/kafka-sec KAFKA_PORT=9392 scripts/kafka.sh start && " +
	secureBrokersEnv + "=127.0.0.1:9392 " + secureSASLEnv + "=127.0.0.1:9394 " + secureCAEnv + "=/tmp/kafka-sec/tls/ca.pem " +
	"GOTOOLCHAIN=go1.27.3 go test -v -count=1 -run Secure ./integration"

// secure is one test's view of the secured broker.
type secure struct {
	*kafka              // the super user's clients; topics and names of the test
	sslAddrs   []string // SASL_SSL listener
	plainAddrs []string // SASL_PLAINTEXT listener
	tls        *tls.Config
	admin      sasl.Mechanism // the super user's
}

func envAddrs(name string) []string {
	var out []string
	for _, a := range strings.Split(os.Getenv(name), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// needSecureKafka skips the test, loudly, unless EDDY_KAFKA_SECURE_BROKERS
// is set; with it set, the other variables must be too.
func needSecureKafka(t *testing.T) *secure {
	t.Helper()
	s := &secure{sslAddrs: envAddrs(secureBrokersEnv), plainAddrs: envAddrs(secureSASLEnv)}
	if len(s.sslAddrs) == 0 {
		t.Skipf("*** SKIPPED: secured real-Kafka test; %s is not set. Run: %s", secureBrokersEnv, howToRunSecure)
	}
	if len(s.plainAddrs) == 0 {
		t.Fatalf("%s is set but %s (the SASL_PLAINTEXT listener) is not; run: %s", secureBrokersEnv, secureSASLEnv, howToRunSecure)
	}
	caFile := os.Getenv(secureCAEnv)
	if caFile == "" {
		t.Fatalf("%s is set but %s (the CA's PEM file) is not; run: %s", secureBrokersEnv, secureCAEnv, howToRunSecure)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("%s: %v", secureCAEnv, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s=%s: no PEM certificate in it", secureCAEnv, caFile)
	}
	s.tls = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	admin, pass, _ := strings.Cut(os.Getenv(secureAdminEnv), ":")
	if admin == "" {
		admin, pass = "admin", "admin-secret"
	}
	s.admin = scram.Auth{User: admin, Pass: pass}.AsSha512Mechanism()
	cl, err := kgo.NewClient(append(s.clientOpts(s.admin),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0), kgo.MetadataMinAge(100*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	s.kafka = &kafka{t: t, adm: kadm.NewClient(cl), cl: cl, prefix: uniquePrefix(t)}
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	if _, err := s.adm.BrokerMetadata(ctx); err != nil {
		cl.Close()
		t.Fatalf("%s=%s as super user %q: %v", secureBrokersEnv, strings.Join(s.sslAddrs, ","), admin, err)
	}
	t.Logf("topics, application ids and users of this test start with %q", s.prefix)
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("EDDY_KEEP_TOPICS") != "" {
			t.Logf("keeping the topics, users and ACLs starting with %q for inspection", s.prefix)
		} else {
			s.deleteTopics()
			s.deleteUsersAndACLs()
		}
		cl.Close()
	})
	return s
}

// clientOpts are what an application puts in Config.ClientOptions to reach
// the SASL_SSL listener with mechanism m (nil: no SASL).
func (s *secure) clientOpts(m sasl.Mechanism) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(s.sslAddrs...), kgo.DialTLSConfig(s.tls.Clone())}
	if m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

// mechanism returns the SCRAM mechanism named name for user:pass.
func mechanism(name, user, pass string) sasl.Mechanism {
	a := scram.Auth{User: user, Pass: pass}
	if name == "SCRAM-SHA-512" {
		return a.AsSha512Mechanism()
	}
	return a.AsSha256Mechanism()
}

// newUser creates SCRAM user <prefix><base> (both mechanisms) and waits
// until the broker authenticates it.
func (s *secure) newUser(base, pass string) string {
	s.t.Helper()
	user := s.prefix + base
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	// One mechanism per request: the broker refuses two upserts of the
	// same user in one (DUPLICATE_RESOURCE).
	for _, m := range []kadm.ScramMechanism{kadm.ScramSha256, kadm.ScramSha512} {
		res, err := s.adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: m, Iterations: 4096, Password: pass}})
		if err == nil {
			err = res.Error()
		}
		if err != nil {
			s.t.Fatalf("create SCRAM user %s (%v): %v", user, m, err)
		}
	}
	// The broker applies the new credentials from the metadata log a
	// little after the controller commits them.
	for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		for {
			cl, err := kgo.NewClient(s.clientOpts(mechanism(m, user, pass))...)
			if err != nil {
				s.t.Fatal(err)
			}
			err = cl.Ping(ctx)
			cl.Close()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				s.t.Fatalf("new user %s cannot authenticate with %s: %v", user, m, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return user
}

// deleteUsersAndACLs removes the test's users and every ACL of theirs.
func (s *secure) deleteUsersAndACLs() {
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	users, err := s.adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		s.t.Logf("list SCRAM users for clean-up: %v", err)
		return
	}
	var dels []kadm.DeleteSCRAM
	for user, d := range users {
		if !strings.HasPrefix(user, s.prefix) {
			continue
		}
		for _, c := range d.CredInfos {
			dels = append(dels, kadm.DeleteSCRAM{User: user, Mechanism: c.Mechanism})
		}
		b := kadm.NewACLs().Allow("User:" + user).AnyResource().ResourcePatternType(kadm.ACLPatternAny).
			Operations(kadm.OpAny).AllowHosts()
		if _, err := s.adm.DeleteACLs(ctx, b); err != nil {
			s.t.Logf("delete ACLs of %s: %v", user, err)
		}
	}
	if len(dels) > 0 {
		if _, err := s.adm.AlterUserSCRAMs(ctx, dels, nil); err != nil {
			s.t.Logf("delete SCRAM users: %v", err)
		}
	}
}

// aclRow is one row of the least-privilege ACL set an Eddy application
// needs: operations on one resource (pattern).
type aclRow struct {
	name     string
	resource kadm.ACLBuilder // resource and pattern type only
	rtype    runtime.ResourceType
	ops      []kadm.ACLOperation
}

// leastPrivilegeACLs is the README's ACL set for application id app
// reading source topic in and writing sink topic out under exactly-once.
// READ and WRITE imply DESCRIBE in Kafka's authorizer, so DESCRIBE is
// listed nowhere; WRITE on any topic implies IDEMPOTENT_WRITE on the
// cluster (Kafka 2.8+), so the cluster needs no ACL.
func leastPrivilegeACLs(app, in, out string) []aclRow {
	return []aclRow{
		{name: "internal topics", rtype: runtime.ResourceTopic,
			resource: *kadm.NewACLs().Topics(app + "-").ResourcePatternType(kadm.ACLPatternPrefixed),
			ops:      []kadm.ACLOperation{kadm.OpCreate, kadm.OpRead, kadm.OpWrite, kadm.OpDescribeConfigs}},
		{name: "source topic", rtype: runtime.ResourceTopic,
			resource: *kadm.NewACLs().Topics(in), ops: []kadm.ACLOperation{kadm.OpRead}},
		{name: "sink topic", rtype: runtime.ResourceTopic,
			resource: *kadm.NewACLs().Topics(out), ops: []kadm.ACLOperation{kadm.OpWrite}},
		{name: "group", rtype: runtime.ResourceGroup,
			resource: *kadm.NewACLs().Groups(app), ops: []kadm.ACLOperation{kadm.OpRead}},
		{name: "transactional ids", rtype: runtime.ResourceTransactionalID,
			resource: *kadm.NewACLs().TransactionalIDs(app + "-").ResourcePatternType(kadm.ACLPatternPrefixed),
			ops:      []kadm.ACLOperation{kadm.OpWrite}},
	}
}

// grant gives user the rows' ACLs, with operation skip of row skipRow
// replaced by the operations in instead, and waits until the broker's
// authorizer lists them all.
func (s *secure) grant(user string, rows []aclRow, skipRow string, skip kadm.ACLOperation, instead ...kadm.ACLOperation) {
	s.t.Helper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	want := 0
	for _, r := range rows {
		var ops []kadm.ACLOperation
		for _, op := range r.ops {
			if r.name != skipRow || op != skip {
				ops = append(ops, op)
			} else {
				ops = append(ops, instead...)
			}
		}
		if len(ops) == 0 {
			continue
		}
		b := r.resource
		res, err := s.adm.CreateACLs(ctx, b.Allow("User:"+user).AllowHosts().Operations(ops...))
		if err != nil {
			s.t.Fatalf("create ACLs %s for %s: %v", r.name, user, err)
		}
		for _, x := range res {
			if x.Err != nil {
				s.t.Fatalf("create ACL %s for %s: %v", r.name, user, x.Err)
			}
		}
		want += len(ops)
	}
	for {
		got := 0
		res, err := s.adm.DescribeACLs(ctx, kadm.NewACLs().Allow("User:"+user).AnyResource().
			ResourcePatternType(kadm.ACLPatternAny).Operations(kadm.OpAny).AllowHosts())
		if err == nil {
			for _, r := range res {
				got += len(r.Described)
			}
		}
		if got == want {
			return
		}
		if ctx.Err() != nil {
			s.t.Fatalf("broker lists %d ACLs of %s, want %d (%v)", got, user, want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// secureTail follows a topic read_committed from its start as the super user.
func (s *secure) tail(topic string) *tail {
	s.t.Helper()
	cl, err := kgo.NewClient(append(s.clientOpts(s.admin),
		kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(cl.Close)
	return &tail{k: s.kafka, topic: topic, cl: cl}
}

// appConfig is an exactly-once word count instance's configuration,
// connecting to the SASL_SSL listener with the given client options.
func (s *secure) appConfig(instance string, opts []kgo.Opt) runtime.Config {
	return runtime.Config{AppID: s.name("app"), Brokers: s.sslAddrs, Guarantee: runtime.ExactlyOnce,
		CommitInterval: 100 * time.Millisecond, Workers: 2, InstanceID: instance, StateDir: s.t.TempDir(),
		CacheMaxBytes: runtime.NoCache, Logger: testLogger(s.t, instance), ClientOptions: opts}
}

// startInstance runs a word count instance until the test ends.
func (s *secure) startInstance(cfg runtime.Config) *instance {
	s.t.Helper()
	name := cfg.InstanceID
	a, err := runtime.New(wordCountTopology(s.t, s.prefix), cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{t: s.t, name: name, app: a, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(in.done); in.err = a.Run(ctx) }()
	s.t.Cleanup(func() { _ = in.stop() })
	return in
}

// runUntil runs an instance until Run returns or timeout passes; it
// returns Run's error and whether Run returned (if not, the instance was
// still running and has been stopped).
func runUntil(t *testing.T, s *secure, cfg runtime.Config, timeout time.Duration) (err error, ended bool) {
	t.Helper()
	app, err := runtime.New(wordCountTopology(t, s.prefix), cfg)
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	select {
	case err = <-done:
		ended = true
		if st := app.State(); st != runtime.Error {
			t.Errorf("state after Run failed: %v, want %v", st, runtime.Error)
		}
	case <-time.After(timeout):
		t.Logf("still running after %v (state %v); stopping it", timeout, app.State())
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("instance did not stop within 60 s of its context being cancelled")
		}
	}
	cctx, ccancel := ctxFor(30 * time.Second)
	defer ccancel()
	if cerr := app.Close(cctx); cerr != nil {
		t.Errorf("close: %v", cerr)
	}
	return err, ended
}

// mustFail runs an instance that must stop with an error within timeout.
func mustFail(t *testing.T, s *secure, cfg runtime.Config, timeout time.Duration) error {
	t.Helper()
	start := time.Now()
	err, ended := runUntil(t, s, cfg, timeout)
	if !ended {
		t.Fatalf("application still running after %v; want it to stop with an error", timeout)
	}
	if err == nil {
		t.Fatal("Run returned nil; want an error")
	}
	t.Logf("Run failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	return err
}

// wordCountTopics creates the source and sink topics of the word count.
func (s *secure) wordCountTopics() (in, out string) {
	in, out = s.name(textLines), s.name(wordCountsOutput)
	s.createTopic(in, 4)
	s.createTopic(out, 4)
	return in, out
}

// An exactly-once word count (repartition topic, changelog, transactional
// producers) on two instances authenticated with SCRAM over TLS as a user
// holding only the least-privilege ACLs: exact counts, every update once.
//
// At-least-once uses no transactional ids: it runs without that row.
func TestSecureWordCountLeastPrivilege(t *testing.T) {
	for _, tc := range []struct {
		mech      string
		guarantee runtime.Guarantee
	}{{"SCRAM-SHA-256", runtime.ExactlyOnce}, {"SCRAM-SHA-512", runtime.ExactlyOnce}, {"SCRAM-SHA-512", runtime.AtLeastOnce}} {
		t.Run(tc.mech+"/"+tc.guarantee.String(), func(t *testing.T) {
			s := needSecureKafka(t)
			in, out := s.wordCountTopics()
			app := s.name("app")
			user := s.newUser("eddy", "eddy-secret")
			rows := leastPrivilegeACLs(app, in, out)
			if tc.guarantee == runtime.AtLeastOnce {
				rows = rows[:len(rows)-1] // no transactional ids
			}
			s.grant(user, rows, "", 0)
			opts := []kgo.Opt{kgo.SASL(mechanism(tc.mech, user, "eddy-secret")), kgo.DialTLSConfig(s.tls.Clone())}

			c := newCorpus(11)
			s.produceLines(in, c.lines(300, 60)...)
			tl := s.tail(out)
			var insts []*instance
			for _, name := range []string{"i1", "i2"} {
				cfg := s.appConfig(name, opts)
				cfg.Guarantee = tc.guarantee
				insts = append(insts, s.startInstance(cfg))
			}
			for _, in := range insts {
				in.waitRunning(outputTimeout)
			}
			s.waitCounts(tl, c.counts(), outputTimeout)
			s.produceLines(in, c.lines(200, 60)...)
			s.waitCounts(tl, c.counts(), outputTimeout)
			for _, in := range insts {
				in.mustStop()
			}
			checkCounts(t, "read_committed counts", c.counts(), latest(t, tl.recs))
			if tc.guarantee == runtime.ExactlyOnce {
				checkEveryUpdateOnce(t, tl.recs, c.counts())
			}

			// The internal topics were created under the app id prefix.
			ctx, cancel := ctxFor(30 * time.Second)
			defer cancel()
			topics, err := s.adm.ListTopics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var internal []string
			for _, name := range topics.Names() {
				if strings.HasPrefix(name, app+"-") {
					internal = append(internal, strings.TrimPrefix(name, app+"-"))
				}
			}
			if !containsSuffix(internal, "-repartition") || !containsSuffix(internal, "-changelog") {
				t.Errorf("internal topics %v: want a repartition and a changelog topic", internal)
			}
		})
	}
}

func containsSuffix(names []string, suffix string) bool {
	for _, n := range names {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// Each operation of the least-privilege set is needed: a user missing it
// gets, within a bounded time, an error that wraps the broker's
// *_AUTHORIZATION_FAILED code in a *runtime.AuthorizationError naming the
// resource, and no output is written.
//
// Without READ on the source topic or WRITE on the sink topic the
// application cannot describe it (it stops at start-up); with DESCRIBE
// only, the fetch or the produce fails.
func TestSecureMissingACL(t *testing.T) {
	type variant struct {
		name    string
		instead []kadm.ACLOperation
	}
	for _, row := range leastPrivilegeACLs("app", "in", "out") {
		for _, op := range row.ops {
			variants := []variant{{name: "without " + op.String()}}
			if row.name == "source topic" || row.name == "sink topic" {
				variants = append(variants, variant{"DESCRIBE instead of " + op.String(), []kadm.ACLOperation{kadm.OpDescribe}})
			}
			for _, v := range variants {
				t.Run(row.name+"/"+v.name, func(t *testing.T) {
					testMissingACL(t, row, op, v.instead)
				})
			}
		}
	}
}

func testMissingACL(t *testing.T, row aclRow, op kadm.ACLOperation, instead []kadm.ACLOperation) {
	s := needSecureKafka(t)
	in, out := s.wordCountTopics()
	app := s.name("app")
	user := s.newUser("eddy", "eddy-secret")
	s.grant(user, leastPrivilegeACLs(app, in, out), row.name, op, instead...)
	s.produceLines(in, newCorpus(5).lines(50, 20)...)
	restart := row.name == "internal topics" && op == kadm.OpDescribeConfigs
	if restart {
		// Only needed once the internal topics exist: Eddy
		// checks their configs at start-up. The super user
		// runs the application first and creates them.
		a := s.startInstance(s.appConfig("admin", []kgo.Opt{kgo.SASL(s.admin), kgo.DialTLSConfig(s.tls.Clone())}))
		a.waitRunning(outputTimeout)
		s.tail(out).until(outputTimeout, func(rs []*kgo.Record) bool { return len(rs) > 0 })
		a.mustStop()
	}
	opts := []kgo.Opt{kgo.SASL(mechanism("SCRAM-SHA-512", user, "eddy-secret")), kgo.DialTLSConfig(s.tls.Clone())}
	err := mustFail(t, s, s.appConfig("i1", opts), 60*time.Second)

	var ae *runtime.AuthorizationError
	if !errors.As(err, &ae) {
		t.Fatalf("error is no *runtime.AuthorizationError: %v", err)
	}
	if ae.ResourceType != row.rtype {
		t.Errorf("resource type %q, want %q", ae.ResourceType, row.rtype)
	}
	code := map[runtime.ResourceType]*kerr.Error{runtime.ResourceTopic: kerr.TopicAuthorizationFailed,
		runtime.ResourceGroup: kerr.GroupAuthorizationFailed, runtime.ResourceTransactionalID: kerr.TransactionalIDAuthorizationFailed}[row.rtype]
	if !errors.Is(err, code) {
		t.Errorf("error does not wrap %v: %v", code, err)
	}
	var names []string
	switch row.name {
	case "internal topics":
		names = []string{app + "-"}
	case "source topic":
		names = []string{in}
	case "sink topic":
		names = []string{out}
	case "group":
		names = []string{app}
	case "transactional ids":
		names = []string{app + "-i1-"}
	}
	for _, n := range names {
		if !strings.HasPrefix(ae.Resource, n) {
			t.Errorf("AuthorizationError.Resource %q, want it to start with %q", ae.Resource, n)
		}
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error message does not name %q: %v", n, err)
		}
	}
	if restart {
		return // the super user's run wrote output
	}
	tl := s.tail(out)
	tl.until(time.Second, func([]*kgo.Record) bool { return false })
	if len(tl.recs) > 0 {
		t.Errorf("%d output records without %s on the %s", len(tl.recs), op, row.name)
	}
}

// An ACL revoked while the application runs (WRITE on the sink topic)
// stops it with an AuthorizationError naming the topic, and the output
// read_committed holds no update of the input written after the revocation
// (the transaction that failed is aborted).
func TestSecureACLRevokedWhileRunning(t *testing.T) {
	s := needSecureKafka(t)
	in, out := s.wordCountTopics()
	app := s.name("app")
	user := s.newUser("eddy", "eddy-secret")
	s.grant(user, leastPrivilegeACLs(app, in, out), "", 0)
	opts := []kgo.Opt{kgo.SASL(mechanism("SCRAM-SHA-512", user, "eddy-secret")), kgo.DialTLSConfig(s.tls.Clone())}
	c := newCorpus(21)
	s.produceLines(in, c.lines(200, 40)...)
	tl := s.tail(out)
	inst := s.startInstance(s.appConfig("i1", opts))
	s.waitCounts(tl, c.counts(), outputTimeout)
	before := c.counts()

	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	revoke := kadm.NewACLs().Allow("User:" + user).AllowHosts().Topics(out).Operations(kadm.OpWrite)
	if _, err := s.adm.DeleteACLs(ctx, revoke); err != nil {
		t.Fatalf("revoke WRITE on %s: %v", out, err)
	}
	for {
		res, err := s.adm.DescribeACLs(ctx, revoke)
		if err == nil && len(res) == 1 && len(res[0].Described) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the broker still lists the revoked ACL: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.produceLines(in, c.lines(50, 40)...)
	select {
	case <-inst.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("application still running 60 s after WRITE on its sink topic was revoked (state %v)", inst.app.State())
	}
	err := inst.err
	if err == nil {
		t.Fatal("Run returned nil; want an authorization error")
	}
	t.Logf("Run failed: %v", err)
	var ae *runtime.AuthorizationError
	if !errors.As(err, &ae) || ae.ResourceType != runtime.ResourceTopic || ae.Resource != out {
		t.Errorf("want an AuthorizationError on topic %q, got %#v: %v", out, ae, err)
	}
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("error does not wrap TOPIC_AUTHORIZATION_FAILED: %v", err)
	}
	tl.until(2*time.Second, func([]*kgo.Record) bool { return false })
	checkCounts(t, "read_committed counts after the revocation", before, latest(t, tl.recs))
}

// A wrong password stops the application at once with the broker's
// SASL_AUTHENTICATION_FAILED, as an authentication *AuthorizationError.
func TestSecureWrongPassword(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			s := needSecureKafka(t)
			in, out := s.wordCountTopics()
			user := s.newUser("eddy", "eddy-secret")
			s.grant(user, leastPrivilegeACLs(s.name("app"), in, out), "", 0)
			opts := []kgo.Opt{kgo.SASL(mechanism(mech, user, "eddy-secret-typo")), kgo.DialTLSConfig(s.tls.Clone())}
			err := mustFail(t, s, s.appConfig("i1", opts), 30*time.Second)
			if !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Errorf("error does not wrap SASL_AUTHENTICATION_FAILED: %v", err)
			}
			var ae *runtime.AuthorizationError
			if !errors.As(err, &ae) || !ae.Authentication() {
				t.Errorf("error is no authentication *runtime.AuthorizationError: %v", err)
			}
		})
	}
}

// Without SASL options the application, on either SASL listener, stops
// with an error saying the broker requires SASL authentication.
func TestSecureNoCredentials(t *testing.T) {
	for _, listener := range []string{"SASL_SSL", "SASL_PLAINTEXT"} {
		t.Run(listener, func(t *testing.T) {
			s := needSecureKafka(t)
			s.wordCountTopics()
			cfg := s.appConfig("i1", []kgo.Opt{kgo.DialTLSConfig(s.tls.Clone())})
			if listener == "SASL_PLAINTEXT" {
				cfg.Brokers, cfg.ClientOptions = s.plainAddrs, nil
			}
			err := mustFail(t, s, cfg, 60*time.Second)
			var eof *kgo.ErrFirstReadEOF
			if !errors.As(err, &eof) || !strings.Contains(err.Error(), "SASL is required but not provided") {
				t.Errorf("error is no *kgo.ErrFirstReadEOF saying SASL is required: %v", err)
			}
		})
	}
}

// A client that does not trust the broker's CA stops with the TLS
// certificate verification error.
func TestSecureWrongCA(t *testing.T) {
	s := needSecureKafka(t)
	in, out := s.wordCountTopics()
	user := s.newUser("eddy", "eddy-secret")
	s.grant(user, leastPrivilegeACLs(s.name("app"), in, out), "", 0)
	pool := x509.NewCertPool()
	pool.AddCert(otherCA(t))
	opts := []kgo.Opt{kgo.SASL(mechanism("SCRAM-SHA-512", user, "eddy-secret")),
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})}
	err := mustFail(t, s, s.appConfig("i1", opts), 60*time.Second)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("error does not wrap x509.UnknownAuthorityError: %v", err)
	}
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("error does not wrap *tls.CertificateVerificationError: %v", err)
	}
}

// A client without TLS on the SASL_SSL listener stops at once with
// franz-go's error saying the broker speaks TLS (the broker answers the
// plaintext request with a TLS alert, which franz-go recognises; the error
// has no type of its own).
func TestSecureNoTLS(t *testing.T) {
	s := needSecureKafka(t)
	in, out := s.wordCountTopics()
	user := s.newUser("eddy", "eddy-secret")
	s.grant(user, leastPrivilegeACLs(s.name("app"), in, out), "", 0)
	err := mustFail(t, s, s.appConfig("i1", []kgo.Opt{kgo.SASL(mechanism("SCRAM-SHA-512", user, "eddy-secret"))}), 60*time.Second)
	if !strings.Contains(err.Error(), "is this a plaintext connection speaking to a tls endpoint?") {
		t.Errorf("error does not say the client speaks plaintext to a TLS listener: %v", err)
	}
}

// otherCA is a self-signed CA that signed nothing the broker has.
func otherCA(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the broker's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
