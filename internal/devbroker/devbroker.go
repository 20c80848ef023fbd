// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package devbroker runs an embedded, in-process Kafka-protocol broker for
// development, examples and tests. It wraps franz-go's kfake and configures
// it to behave like a single-node Apache Kafka as far as a Kafka
// Streams-style application can tell: topics are auto-created with a
// configurable default partition count, transactions and read_committed
// work, classic and KIP-848 consumer groups work, and state can persist in
// a data directory across restarts.
//
// It does not compact topics (nor apply retention) while it runs: kfake's
// compaction, in the version pinned in go.mod, compacts past the last
// stable offset and drops abort markers its aborted-transaction index still
// refers to, which loses committed records of transactional changelog
// writes and would make exactly-once restores wrong. Changelogs therefore
// grow without bound on this broker; a restore reads every update, not only
// the latest per key.
//
// For trying security settings it can require TLS, SASL authentication
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and ACLs, which kfake checks on
// produce, fetch, metadata, list offsets, topic creation, consumer groups,
// offset commits and transactions like Kafka's authorizer (one exception:
// topics auto-created by a metadata request need no CREATE grant, so turn
// auto-creation off to test CREATE).
//
// It does not stand in for a real broker's performance or failure modes:
// there is no replication and data is not fsynced per write.
package devbroker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultPartitions is the partition count of auto-created topics and of
// topics listed without a count when Options.Partitions is 0. It matches
// Kafka's num.partitions default.
const DefaultPartitions int32 = 1

// HeartbeatInterval is the broker's group.consumer.heartbeat.interval.ms
// (and the share-group equivalent). Kafka's default is 5000; a small value
// makes KIP-848 rebalances finish quickly in development.
const HeartbeatInterval = 250

// Options configures Start. The zero value starts one in-memory broker on a
// random local port.
type Options struct {
	// Port is the TCP port on 127.0.0.1 of the first broker; further
	// brokers use the following ports. 0 picks random free ports.
	Port int
	// DataDir, if set, keeps the broker's topics, records, committed
	// offsets and transaction state in this directory, so that they
	// survive Close and a new Start with the same DataDir. It is created
	// if missing. "" keeps everything in memory. A data directory can be
	// used by one broker at a time.
	DataDir string
	// Brokers is the number of brokers in the cluster (default 1). Kafka
	// clients see a multi-broker cluster, but nothing is replicated.
	Brokers int
	// Partitions is the partition count of auto-created topics and of
	// Topics entries that do not give a count (default DefaultPartitions).
	Partitions int32
	// Topics are created at start unless they exist already (for example
	// in DataDir). Each entry is "name" or "name:partitions".
	Topics []string
	// DisableAutoCreateTopics turns off auto.create.topics.enable, which is
	// on by default as in Kafka: then producing to or fetching metadata for
	// an unknown topic fails instead of creating it.
	DisableAutoCreateTopics bool
	// Logger receives the broker's start/stop messages at Info and kfake's
	// own messages (errors and warnings at their level, everything else at
	// Debug or below). nil means slog.Default().
	Logger *slog.Logger

	// Users turns on SASL authentication (Kafka's SASL_PLAINTEXT, or
	// SASL_SSL with TLS): every connection must authenticate as one of
	// these users before any other request. A wrong password or unknown
	// user is answered with SASL_AUTHENTICATION_FAILED, as by Kafka.
	// With DataDir, kfake keeps the SASL credentials and ACLs in the
	// directory, and on a restart the stored ones replace those
	// configured here (plain users only if some were stored): change
	// passwords with a fresh directory.
	Users []User
	// TLS, if set, makes the brokers accept only TLS connections with
	// this configuration. SelfSignedTLS makes one for local use. Client
	// certificates (ClientAuth) are not mapped to principals: without
	// SASL every client is User:ANONYMOUS.
	TLS *tls.Config
	// ACLs turns on authorization: a user other than a superuser may do
	// only what the ACLs allow it, and there are none until a superuser
	// creates them (kadm's CreateACLs, or kafka-acls.sh). Needs Users with
	// at least one superuser.
	ACLs bool
}

// Broker is a running embedded broker. Its methods are safe for concurrent
// use.
type Broker struct {
	cluster *kfake.Cluster
	addrs   []string
	dataDir string
	log     *slog.Logger
	klog    *kfakeLogger
	unlock  func() error

	closeOnce sync.Once
	closeErr  error
	closing   atomic.Bool // set when Close starts
}

// PortInUseError is returned by Start when a broker port is already taken
// by another process or listener.
type PortInUseError struct {
	Addr string // the host:port that could not be bound
	Err  error  // the underlying listen error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("devbroker: cannot listen on %s: the port is already in use "+
		"(is another broker or Kafka running? choose another port, or 0 for a random one): %v", e.Addr, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Start validates opts, starts the broker and creates opts.Topics. ctx only
// bounds start-up; the broker runs until Close.
func Start(ctx context.Context, opts Options) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := opts.validate()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}

	b := &Broker{dataDir: cfg.dataDir, log: log, klog: &kfakeLogger{log: log}}
	if cfg.dataDir != "" {
		if b.unlock, err = prepareDataDir(cfg.dataDir); err != nil {
			return nil, err
		}
	}

	c, err := kfake.NewCluster(b.kfakeOpts(cfg)...)
	if err != nil {
		b.releaseDataDir()
		return nil, startError(err, cfg.dataDir)
	}
	b.cluster = c
	b.addrs = c.ListenAddrs()

	if err := b.ensureTopics(cfg); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		_ = b.Close()
		return nil, err
	}

	where := "in memory"
	if cfg.dataDir != "" {
		where = cfg.dataDir
	}
	log.Info("embedded Kafka broker started",
		"bootstrap", strings.Join(b.addrs, ","),
		"brokers", cfg.brokers,
		"data", where,
		"default_partitions", cfg.partitions,
		"auto_create_topics", !opts.DisableAutoCreateTopics,
		"security", cfg.securityProtocol(),
		"acls", cfg.acls)
	return b, nil
}

// brokerConfigs are the broker-level settings that bring kfake's defaults
// closer to a single-node Kafka used by a Kafka Streams-style application.
func brokerConfigs(brokers int) map[string]string {
	hb := strconv.Itoa(HeartbeatInterval)
	return map[string]string{
		// Fast KIP-848 (and share group) heartbeats: rebalances
		// complete within a fraction of a second.
		"group.consumer.heartbeat.interval.ms": hb,
		"group.share.heartbeat.interval.ms":    hb,
		// No compaction or retention in practice (a cleaner pass a
		// year): see the package documentation for why.
		"log.cleaner.backoff.ms": strconv.Itoa(365 * 24 * 3600 * 1000),
		// Report what kfake actually does with topics created with
		// the default replication factor.
		"default.replication.factor": strconv.Itoa(min(3, brokers)),
		"min.insync.replicas":        "1",
	}
}

func (b *Broker) kfakeOpts(cfg config) []kfake.Opt {
	opts := []kfake.Opt{
		kfake.NumBrokers(cfg.brokers),
		kfake.ClusterID("eddy-devbroker"),
		kfake.DefaultNumPartitions(int(cfg.partitions)),
		kfake.BrokerConfigs(brokerConfigs(cfg.brokers)),
		kfake.WithLogger(b.klog),
	}
	if cfg.port != 0 {
		ports := make([]int, cfg.brokers)
		for i := range ports {
			ports[i] = cfg.port + i
		}
		opts = append(opts, kfake.Ports(ports...))
	}
	if !cfg.noAutoCreate {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	if cfg.dataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.dataDir))
	}
	if len(cfg.users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range cfg.users {
			if u.Superuser {
				opts = append(opts, kfake.Superuser(u.Mechanism, u.Name, u.Password))
			} else {
				opts = append(opts, kfake.User(u.Mechanism, u.Name, u.Password))
			}
		}
	}
	if cfg.acls {
		opts = append(opts, kfake.EnableACLs())
	}
	if cfg.tls != nil || len(cfg.users) > 0 {
		opts = append(opts, kfake.ListenFn(listenFn(cfg.tls, len(cfg.users) > 0, &b.closing)))
	}
	// Topics are seeded so that a fresh cluster has them before its
	// first request; ensureTopics adds them to a restored cluster.
	for _, t := range cfg.topics {
		opts = append(opts, kfake.SeedTopics(t.partitions, t.name))
	}
	return opts
}

// ensureTopics creates the configured topics that a cluster restored from
// DataDir lacks, and warns about existing ones with another partition count.
func (b *Broker) ensureTopics(cfg config) error {
	for _, t := range cfg.topics {
		err := b.cluster.CreateTopic(t.name, t.partitions, nil)
		switch {
		case err == nil:
			b.log.Info("created topic", "topic", t.name, "partitions", t.partitions)
		case errors.Is(err, kerr.TopicAlreadyExists):
			if have := int32(len(b.cluster.PartitionInfos(t.name))); have != t.partitions && t.explicit {
				b.log.Warn("topic already exists with a different partition count; keeping it",
					"topic", t.name, "partitions", have, "requested", t.partitions)
			}
		default:
			return fmt.Errorf("devbroker: creating topic %q: %w", t.name, err)
		}
	}
	return nil
}

func startError(err error, dataDir string) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "listen" {
		addr := ""
		if op.Addr != nil {
			addr = op.Addr.String()
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return &PortInUseError{Addr: addr, Err: err}
		}
		return fmt.Errorf("devbroker: cannot listen on %s: %w", addr, err)
	}
	if dataDir != "" {
		return fmt.Errorf("devbroker: starting broker with data dir %s: %w", dataDir, err)
	}
	return fmt.Errorf("devbroker: starting broker: %w", err)
}

// Addrs returns the brokers' host:port addresses, to be used as Kafka
// bootstrap servers.
func (b *Broker) Addrs() []string { return append([]string(nil), b.addrs...) }

// Cluster returns the underlying kfake cluster for test helpers such as
// Compact, GroupInfo or fault injection. It must not be used after Close.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the broker. With a DataDir it first writes the broker's state
// to disk and reports any failure to do so. Further calls return the first
// call's result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.closing.Store(true)
		b.klog.collectCloseErrors(true)
		b.cluster.Close()
		b.klog.collectCloseErrors(false)
		errs := b.klog.takeCloseErrors()
		if err := b.releaseDataDir(); err != nil {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			b.closeErr = fmt.Errorf("devbroker: saving state to %s: %w", b.dataDir, errors.Join(errs...))
			b.log.Error("embedded Kafka broker stopped with errors", "err", b.closeErr)
			return
		}
		if b.dataDir != "" {
			b.log.Info("embedded Kafka broker stopped", "data", b.dataDir)
		} else {
			b.log.Info("embedded Kafka broker stopped")
		}
	})
	return b.closeErr
}

func (b *Broker) releaseDataDir() error {
	if b.unlock == nil {
		return nil
	}
	err := b.unlock()
	b.unlock = nil
	return err
}
