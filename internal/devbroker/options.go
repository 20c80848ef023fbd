// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	// MaxBrokers bounds Options.Brokers.
	MaxBrokers = 16
	// MaxPartitions bounds partition counts, to catch typos that would
	// make the in-process broker allocate millions of partitions.
	MaxPartitions = 10000
	// maxTopicNameLen is Kafka's limit.
	maxTopicNameLen = 249
)

// config is a validated Options with defaults applied.
type config struct {
	port         int
	dataDir      string
	brokers      int
	partitions   int32
	topics       []topicSpec
	noAutoCreate bool
	users        []User
	tls          *tls.Config
	acls         bool
}

// securityProtocol names the listener's protocol as Kafka does.
func (c config) securityProtocol() string {
	switch {
	case c.tls != nil && len(c.users) > 0:
		return "SASL_SSL"
	case c.tls != nil:
		return "SSL"
	case len(c.users) > 0:
		return "SASL_PLAINTEXT"
	}
	return "PLAINTEXT"
}

type topicSpec struct {
	name       string
	partitions int32
	explicit   bool // the spec gave a partition count
}

func (o Options) validate() (config, error) {
	cfg := config{
		port:         o.Port,
		brokers:      o.Brokers,
		partitions:   o.Partitions,
		noAutoCreate: o.DisableAutoCreateTopics,
		users:        slices.Clone(o.Users),
		tls:          o.TLS,
		acls:         o.ACLs,
	}
	var errs []error
	errs = append(errs, validUsers(o.Users, o.ACLs)...)
	if o.TLS != nil && len(o.TLS.Certificates) == 0 && o.TLS.GetCertificate == nil && o.TLS.GetConfigForClient == nil {
		errs = append(errs, errors.New("TLS config has no certificate"))
	}
	if cfg.brokers == 0 {
		cfg.brokers = 1
	}
	if cfg.brokers < 1 || cfg.brokers > MaxBrokers {
		errs = append(errs, fmt.Errorf("brokers must be between 1 and %d, got %d", MaxBrokers, o.Brokers))
	}
	if cfg.port < 0 || cfg.port > 65535 {
		errs = append(errs, fmt.Errorf("port must be between 0 (random) and 65535, got %d", o.Port))
	} else if cfg.port != 0 && cfg.brokers >= 1 && cfg.port+cfg.brokers-1 > 65535 {
		errs = append(errs, fmt.Errorf("ports %d..%d for %d brokers exceed 65535", cfg.port, cfg.port+cfg.brokers-1, cfg.brokers))
	}
	if cfg.partitions == 0 {
		cfg.partitions = DefaultPartitions
	}
	if cfg.partitions < 1 || cfg.partitions > MaxPartitions {
		errs = append(errs, fmt.Errorf("partitions must be between 1 and %d, got %d", MaxPartitions, o.Partitions))
	}
	if o.DataDir != "" {
		dir, err := filepath.Abs(o.DataDir)
		if err != nil {
			errs = append(errs, fmt.Errorf("data dir %q: %w", o.DataDir, err))
		} else if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
			errs = append(errs, fmt.Errorf("data dir %s exists and is not a directory", dir))
		}
		cfg.dataDir = dir
	}
	seen := make(map[string]bool, len(o.Topics))
	for _, s := range o.Topics {
		name, parts, err := ParseTopic(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("topic %q is listed more than once", name))
			continue
		}
		seen[name] = true
		t := topicSpec{name: name, partitions: parts, explicit: parts != 0}
		if !t.explicit {
			t.partitions = cfg.partitions
		}
		cfg.topics = append(cfg.topics, t)
	}
	if len(errs) > 0 {
		return config{}, fmt.Errorf("devbroker: invalid options: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// ParseTopic parses a topic spec, "name" or "name:partitions", and checks
// the name against Kafka's rules. partitions is 0 if the spec has no count.
func ParseTopic(spec string) (name string, partitions int32, err error) {
	name, count, hasCount := strings.Cut(strings.TrimSpace(spec), ":")
	if err := validTopicName(name); err != nil {
		return "", 0, fmt.Errorf("topic %q: %w", spec, err)
	}
	if !hasCount {
		return name, 0, nil
	}
	n, err := strconv.ParseInt(count, 10, 32)
	if err != nil || n < 1 || n > MaxPartitions {
		return "", 0, fmt.Errorf("topic %q: partitions must be a number between 1 and %d, got %q", spec, MaxPartitions, count)
	}
	return name, int32(n), nil
}

func validTopicName(name string) error {
	switch {
	case name == "":
		return errors.New("empty topic name")
	case name == "." || name == "..":
		return errors.New(`topic name cannot be "." or ".."`)
	case len(name) > maxTopicNameLen:
		return fmt.Errorf("topic name is longer than %d characters", maxTopicNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name contains %q; only ASCII letters, digits, '.', '_' and '-' are allowed", r)
		}
	}
	return nil
}
