// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// mode is a chaos topology (-topology): its topics, its input and how its
// output is verified. A run creates the topics, starts the instances,
// calls setup, runs produce while killing, waits until the group has
// consumed lagTopics, stops the instances and calls verify.
type mode interface {
	// topics are the input and output topics to create.
	topics() []string
	// instanceArgs select and configure the topology in the instances.
	instanceArgs() []string
	// progress is the input topic whose committed offsets show the
	// group's progress, and how many records it receives.
	progress() (topic string, records int64)
	// setup writes what must be processed before the timed input, and
	// waits until the group has.
	setup(ctx context.Context, adm *kadm.Client, brokers []string, logf func(string, ...any)) error
	// produce writes the timed input over -duration; progress counts the
	// progress topic's acknowledged records.
	produce(ctx context.Context, brokers []string, progress *atomic.Int64) error
	// lagTopics are the topics the group must have consumed to be caught
	// up, with the transactionally written ones marked.
	lagTopics() (topics []string, transactional map[string]bool)
	// verify checks the input topics (an error: a harness problem) and
	// the output.
	verify(ctx context.Context, adm *kadm.Client, brokers []string) (outcome, error)
}

// outcome is a verification's result.
type outcome interface {
	OK() bool
	// figures is a one-line summary.
	figures() string
	// problems describes the first violations (and allowed anomalies);
	// violations counts them all.
	problems() (problems []string, violations int)
}

func newMode(o *options, app string, eos bool) mode {
	if o.topology == "join" {
		return &joinMode{o: o, app: app, eos: eos,
			orders: app + "-orders", payments: app + "-payments", customers: app + "-customers", output: app + "-output",
			w: &joinWorkload{orders: o.records, customers: o.customers, window: o.joinWindow, span: o.duration}}
	}
	return &countMode{o: o, app: app, eos: eos, input: app + "-input", output: app + "-output"}
}

// countMode is the counting topology (chaosTopology).
type countMode struct {
	o             *options
	app           string
	eos           bool
	input, output string
}

func (m *countMode) topics() []string { return []string{m.input, m.output} }

func (m *countMode) instanceArgs() []string {
	return []string{"-topology", "count", "-input", m.input, "-output", m.output, "-keys", fmt.Sprint(m.o.keys)}
}

func (m *countMode) progress() (string, int64) { return m.input, m.o.records }

func (m *countMode) setup(context.Context, *kadm.Client, []string, func(string, ...any)) error {
	return nil
}

func (m *countMode) produce(ctx context.Context, brokers []string, progress *atomic.Int64) error {
	return produceInput(ctx, brokers, m.input, m.o.records, m.o.duration, progress)
}

func (m *countMode) lagTopics() ([]string, map[string]bool) {
	rep := repartitionTopic(m.app)
	return []string{m.input, rep}, map[string]bool{rep: m.eos}
}

func (m *countMode) verify(ctx context.Context, adm *kadm.Client, brokers []string) (outcome, error) {
	// The input must hold every id exactly once, or the run proves nothing.
	records := m.o.records
	seen := make([]byte, records)
	var inputErr error
	err := readTopic(ctx, adm, brokers, m.input, func(r *kgo.Record) {
		id := int64(-1)
		if len(r.Value) == 8 {
			id = int64(binary.BigEndian.Uint64(r.Value))
		}
		if id < 0 || id >= records || seen[id] > 0 {
			inputErr = errors.Join(inputErr, fmt.Errorf("input partition %d offset %d: unexpected or repeated id %d", r.Partition, r.Offset, id))
			return
		}
		seen[id]++
	})
	if err == nil && inputErr == nil && bytes.IndexByte(seen, 0) >= 0 {
		inputErr = fmt.Errorf("input lacks id %d", bytes.IndexByte(seen, 0))
	}
	if err != nil || inputErr != nil {
		return nil, fmt.Errorf("input check (a harness problem, not Eddy's): %w", errors.Join(err, inputErr))
	}
	v := newVerifier(m.o.keys, records, m.eos)
	err = readTopic(ctx, adm, brokers, m.output, func(r *kgo.Record) {
		v.Add(r.Partition, r.Offset, origin(r), string(r.Key), r.Value)
	})
	if err == nil {
		err = readTopic(ctx, adm, brokers, changelogTopic(m.app), func(r *kgo.Record) { v.AddChangelog(string(r.Key), r.Value) })
	}
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	return v.Report(), nil
}

// origin describes where an output record came from, for problem reports.
func origin(r *kgo.Record) string {
	return fmt.Sprintf("producer %d epoch %d, input time %s", r.ProducerID, r.ProducerEpoch, r.Timestamp.UTC().Format("15:04:05.000"))
}

func (r report) figures() string {
	s := fmt.Sprintf("%d inputs: %d counted exactly once, %d lost, %d duplicates; %d output records",
		r.Records, r.Verified, r.Lost, r.Duplicates, r.Outputs)
	if r.Backwards > 0 {
		s += fmt.Sprintf(" (%d replayed)", r.Backwards)
	}
	return s
}

func (r report) problems() ([]string, int) { return r.Problems, r.Violations }

// joinMode is the join topology (joinTopology) on a joinWorkload.
type joinMode struct {
	o                                   *options
	app                                 string
	eos                                 bool
	orders, payments, customers, output string
	w                                   *joinWorkload
}

func (m *joinMode) topics() []string { return []string{m.orders, m.payments, m.customers, m.output} }

func (m *joinMode) instanceArgs() []string {
	return []string{"-topology", "join", "-input", m.orders, "-payments", m.payments, "-customers", m.customers,
		"-output", m.output, "-join-window", m.o.joinWindow.String(), "-join-grace", m.o.joinGrace.String()}
}

func (m *joinMode) progress() (string, int64) { return m.orders, m.w.orders }

// setup writes the customers table, timestamped before every order, and
// waits until the group has processed and committed all of it, so that
// every order meets the complete table whatever the task's timestamp
// order across its inputs.
func (m *joinMode) setup(ctx context.Context, adm *kadm.Client, brokers []string, logf func(string, ...any)) error {
	m.w.start = time.Now().UnixMilli()
	t := time.Now()
	if err := produceCustomers(ctx, brokers, m.customers, m.w); err != nil {
		return err
	}
	n := len(m.w.customerRecords())
	for deadline := time.Now().Add(m.o.catchup); ; {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		lr, err := groupLag(lctx, adm, brokers, m.app, []string{m.customers}, nil)
		cancel()
		if err == nil && lr.behind == 0 {
			logf("customers table: %d records written and committed by the group in %v", n, time.Since(t).Round(100*time.Millisecond))
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%v", lr)
			}
			return fmt.Errorf("the group did not process the %d customers records within %v: %w", n, m.o.catchup, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (m *joinMode) produce(ctx context.Context, brokers []string, progress *atomic.Int64) error {
	return produceOrders(ctx, brokers, m.orders, m.payments, m.w, m.o.duration, progress)
}

func (m *joinMode) lagTopics() ([]string, map[string]bool) {
	rep := enrichRepartitionTopic(m.app)
	return []string{m.orders, m.payments, m.customers, rep}, map[string]bool{rep: m.eos}
}

func (m *joinMode) verify(ctx context.Context, adm *kadm.Client, brokers []string) (outcome, error) {
	// The inputs must hold exactly what was written, or the expected
	// results are wrong.
	in := newInputChecker(m.w.joinInputs(m.orders, m.payments, m.customers))
	var err error
	for _, t := range []string{m.orders, m.payments, m.customers} {
		if err = readTopic(ctx, adm, brokers, t, in.add); err != nil {
			break
		}
	}
	if err == nil {
		err = in.check()
	}
	if err != nil {
		return nil, fmt.Errorf("input check (a harness problem, not Eddy's): %w", err)
	}
	v, err := newJoinVerifier(m.w.expected(), m.eos)
	if err != nil {
		return nil, fmt.Errorf("expected join results (a harness problem): %w", err)
	}
	err = readTopic(ctx, adm, brokers, m.output, func(r *kgo.Record) {
		v.Add(r.Partition, r.Offset, origin(r), string(r.Key), r.Value, r.Timestamp.UnixMilli())
	})
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	return v.Report(), nil
}

func (r joinReport) figures() string {
	return fmt.Sprintf("%d expected join results: %d exactly once, %d missing, %d duplicated (%d extra copies), %d unexpected; %d output records",
		r.Expected, r.Exact, r.Missing, r.Duplicated, r.Extra, r.Unexpected, r.Outputs)
}

func (r joinReport) problems() ([]string, int) { return r.Problems, r.Violations }
