// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// runSetup is what a chaos run and a soak run start from under one
// guarantee: the run's application id and workload mode, its log
// function, a client to the brokers with the workload's topics created,
// and the cluster of instances with their arguments (no slots yet).
type runSetup struct {
	short  string // "eos" or "alos"
	app    string
	commit time.Duration // the instances' commit interval
	m      mode
	logf   func(format string, args ...any)
	cl     *kgo.Client
	adm    *kadm.Client
	c      *cluster
}

// newRunSetup prepares a run of kind ("chaos", "soak": the application
// id's prefix) under guarantee, started at start; logPrefix formats the
// log lines' prefix from the short guarantee and the seconds since start.
// The caller closes su.cl.
func newRunSetup(ctx context.Context, o *options, kind, guarantee, self string, brokers []string, start time.Time, logPrefix func(short string, secs float64) string) (*runSetup, error) {
	su := &runSetup{short: "eos", commit: o.eosCommit}
	if guarantee == "at_least_once" {
		su.short, su.commit = "alos", o.alosCommit
	}
	// Unique per run, so that runs against one broker never share topics.
	su.app = fmt.Sprintf("%s-%d-%d-%s", kind, o.seed%1_000_000, time.Now().Unix()%1_000_000, su.short)
	su.m = newMode(o, su.app, guarantee == "exactly_once")
	su.logf = func(format string, args ...any) {
		fmt.Fprintf(o.out, "%s %s\n", logPrefix(su.short, time.Since(start).Seconds()), fmt.Sprintf(format, args...))
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, err
	}
	su.cl, su.adm = cl, kadm.NewClient(cl)
	if err := createTopics(ctx, su.adm, int32(o.partitions), su.m.topics()...); err != nil {
		cl.Close()
		return nil, err
	}
	su.c = &cluster{self: self, logf: su.logf, args: append([]string{
		"-app", su.app, "-brokers", strings.Join(brokers, ","), "-guarantee", guarantee,
		"-commit-interval", su.commit.String(),
		"-session-timeout", o.session.String(), "-rebalance-timeout", o.rebalance.String(),
	}, su.m.instanceArgs()...)}
	return su, nil
}
