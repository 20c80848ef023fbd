// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/eddy-streams/eddy/internal/devbroker"
)

// defaultBrokerPort is Kafka's usual port, so applications configured for
// a local Kafka find the embedded broker without changes.
const defaultBrokerPort = 9092

func brokerCommand() *command {
	return &command{
		name:     "broker",
		summary:  "run an embedded Kafka-protocol broker for development",
		synopsis: "[-port 9092] [-data-dir DIR] [-partitions N] [-topic name[:partitions]]... [security flags]",
		description: `Broker runs an in-process Kafka-protocol broker (franz-go's kfake) on
127.0.0.1, configured to behave like a single-node Kafka for Eddy and other
Kafka Streams-style applications: auto-created topics, transactions and
read_committed, classic and KIP-848 consumer groups. It does not compact
topics: kfake's compaction loses committed transactional records.

It prints the bootstrap address on standard output, logs to standard error,
and runs until interrupted (Ctrl-C or SIGTERM). With -data-dir, topics,
records, committed offsets and transaction state are written to the
directory on shutdown and loaded again on the next start; without it
everything is kept in memory and lost on exit.

Security, to try an application's TLS, SASL and ACL settings locally:
-sasl-user and -sasl-superuser require SASL authentication (PLAIN,
SCRAM-SHA-256 and SCRAM-SHA-512 by default); -acls enforces ACLs, which a
superuser creates (kadm, kafka-acls.sh); -tls-cert/-tls-key or
-tls-self-signed serve TLS. For example:

	eddy broker -sasl-superuser admin:admin-secret -sasl-user app:app-secret \
		-acls -tls-self-signed ca.pem

Passwords given as flags are visible to other local users (ps); use this
for development only.

It is for development and tests: nothing is replicated and performance
says nothing about a real Kafka cluster.
`,
		flags: func() *flag.FlagSet { fs, _ := brokerFlagSet(); return fs },
		run:   runBroker,
	}
}

// brokerFlags holds the parsed flags of "eddy broker".
type brokerFlags struct {
	port         int
	dataDir      string
	partitions   int
	brokers      int
	topics       topicList
	noAutoCreate bool
	logLevel     slog.Level

	users, superusers userList
	mechanisms        string
	acls              bool
	tlsCert, tlsKey   string
	tlsSelfSigned     string
}

func brokerFlagSet() (*flag.FlagSet, *brokerFlags) {
	f := &brokerFlags{}
	fs := flag.NewFlagSet("eddy broker", flag.ContinueOnError)
	fs.IntVar(&f.port, "port", defaultBrokerPort, "TCP port on 127.0.0.1 to listen on (0 picks a free port; more brokers use the following ports)")
	fs.StringVar(&f.dataDir, "data-dir", "", "`directory` to keep the broker's state in across restarts (default: in memory)")
	fs.IntVar(&f.partitions, "partitions", int(devbroker.DefaultPartitions), "partitions of auto-created topics and of -topic entries without a count")
	fs.Var(&f.topics, "topic", "topic to create at start, as `name[:partitions]`; repeatable, or comma-separated")
	fs.IntVar(&f.brokers, "brokers", 1, "number of brokers (nothing is replicated between them)")
	fs.BoolVar(&f.noAutoCreate, "no-auto-create", false, "do not create unknown topics when clients ask for them")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "`level` to log at: debug, info, warn or error (debug includes the broker's internals)")
	fs.Var(&f.users, "sasl-user", "require SASL and add a user subject to ACLs, as `name:password`; repeatable")
	fs.Var(&f.superusers, "sasl-superuser", "require SASL and add a superuser (bypasses ACLs), as `name:password`; repeatable")
	fs.StringVar(&f.mechanisms, "sasl-mechanisms", strings.Join(devbroker.Mechanisms, ","), "comma-separated SASL `mechanisms` every user can authenticate with")
	fs.BoolVar(&f.acls, "acls", false, "enforce ACLs: users other than superusers may do only what a superuser granted (needs -sasl-superuser)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve TLS with the certificate (chain) in this PEM `file`; needs -tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM `file` with the private key of -tls-cert")
	fs.StringVar(&f.tlsSelfSigned, "tls-self-signed", "", "serve TLS with a generated self-signed certificate for 127.0.0.1 and localhost, written in PEM to `file` for clients to trust")
	return fs, f
}

// options turns the flags into broker options. Range checks beyond the
// int32 conversion are left to devbroker, which reports them all at once.
func (f *brokerFlags) options(log *slog.Logger) (devbroker.Options, error) {
	if f.partitions < math.MinInt32 || f.partitions > math.MaxInt32 {
		return devbroker.Options{}, usagef("-partitions %d is out of range", f.partitions)
	}
	opts := devbroker.Options{
		Port:                    f.port,
		DataDir:                 f.dataDir,
		Brokers:                 f.brokers,
		Partitions:              int32(f.partitions),
		Topics:                  f.topics,
		DisableAutoCreateTopics: f.noAutoCreate,
		Logger:                  log,
		ACLs:                    f.acls,
	}
	if len(f.users)+len(f.superusers) > 0 {
		var mechs []string
		for _, m := range strings.Split(f.mechanisms, ",") {
			m = strings.ToUpper(strings.TrimSpace(m))
			if !slices.Contains(devbroker.Mechanisms, m) {
				return devbroker.Options{}, usagef("-sasl-mechanisms: %q is not one of %s", m, strings.Join(devbroker.Mechanisms, ", "))
			}
			if !slices.Contains(mechs, m) {
				mechs = append(mechs, m)
			}
		}
		for _, m := range mechs {
			for _, u := range f.superusers {
				opts.Users = append(opts.Users, devbroker.User{Mechanism: m, Name: u[0], Password: u[1], Superuser: true})
			}
			for _, u := range f.users {
				opts.Users = append(opts.Users, devbroker.User{Mechanism: m, Name: u[0], Password: u[1]})
			}
		}
	}
	switch {
	case f.tlsSelfSigned != "" && (f.tlsCert != "" || f.tlsKey != ""):
		return devbroker.Options{}, usagef("-tls-self-signed cannot be combined with -tls-cert and -tls-key")
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return devbroker.Options{}, usagef("-tls-cert and -tls-key go together")
	case f.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return devbroker.Options{}, fmt.Errorf("load TLS certificate: %w", err)
		}
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case f.tlsSelfSigned != "":
		srv, _, pemCert, err := devbroker.SelfSignedTLS(365 * 24 * time.Hour)
		if err != nil {
			return devbroker.Options{}, fmt.Errorf("generate TLS certificate: %w", err)
		}
		if err := os.WriteFile(f.tlsSelfSigned, pemCert, 0o644); err != nil {
			return devbroker.Options{}, fmt.Errorf("write TLS certificate: %w", err)
		}
		opts.TLS = srv
	}
	return opts, nil
}

func runBroker(ctx context.Context, env *env, args []string) error {
	fs, f := brokerFlagSet()
	if err := parseFlags(env, brokerCommand(), fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: f.logLevel}))
	opts, err := f.options(log)
	if err != nil {
		return err
	}
	b, err := devbroker.Start(ctx, opts)
	if err != nil {
		return err
	}
	if f.tlsSelfSigned != "" {
		log.Info("serving TLS with a self-signed certificate; clients must trust it", "cert", f.tlsSelfSigned)
	}
	if len(opts.Users) > 0 {
		log.Info("SASL required", "users", f.users.names(), "superusers", f.superusers.names(), "mechanisms", f.mechanisms)
	}
	// The only line on stdout, so scripts can capture it.
	fmt.Fprintln(env.stdout, strings.Join(b.Addrs(), ","))
	log.Info("broker running; press Ctrl-C to stop")

	<-ctx.Done()
	log.Info("shutting down")
	return b.Close()
}

// userList is a repeatable name:password flag.
type userList [][2]string

func (l *userList) String() string { return strings.Join(l.names(), ",") }

func (l *userList) names() []string {
	var names []string
	for _, u := range *l {
		names = append(names, u[0])
	}
	return names
}

func (l *userList) Set(s string) error {
	name, pass, ok := strings.Cut(s, ":")
	if !ok || name == "" || pass == "" {
		return fmt.Errorf("%q: want name:password", s)
	}
	*l = append(*l, [2]string{name, pass})
	return nil
}

// topicList is the repeatable -topic flag.
type topicList []string

func (l *topicList) String() string { return strings.Join(*l, ",") }

func (l *topicList) Set(s string) error {
	for _, spec := range strings.Split(s, ",") {
		spec = strings.TrimSpace(spec)
		// Check the syntax now for a clear flag error; devbroker
		// checks again, with the default partition count in hand.
		if _, _, err := devbroker.ParseTopic(spec); err != nil {
			return err
		}
		*l = append(*l, spec)
	}
	return nil
}
