// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// diagnoseStuck says, for a run whose lag did not reach 0, whether the
// records the group has not committed can be read at all: for every input
// partition with lag it reads from the committed offset with a fresh
// consumer (no group, no fetch session history, read_committed) for up to
// probeFor, and it lists which member the group assigned the partition to.
// Records a fresh consumer reads at once point at the stuck consumer's fetch
// state (client or its broker-side fetch session), not at the data or the
// log's last stable offset.
func (b *broker) diagnoseStuck(ctx context.Context, brokers []string, group string, inputs []string) string {
	const probeFor = 3 * time.Second
	ends, err := b.adm.ListEndOffsets(ctx, inputs...)
	if err != nil {
		return "diagnosis: end offsets: " + err.Error()
	}
	committed, err := b.adm.FetchOffsets(ctx, group)
	if err != nil {
		return "diagnosis: committed offsets: " + err.Error()
	}
	owner := map[string]string{}
	if gs, err := b.adm.DescribeGroups(ctx, group); err == nil {
		for _, g := range gs {
			for _, m := range g.Members {
				ca, ok := m.Assigned.AsConsumer()
				if !ok {
					continue
				}
				for _, t := range ca.Topics {
					for _, p := range t.Partitions {
						owner[fmt.Sprintf("%s[%d]", t.Topic, p)] = m.MemberID
					}
				}
			}
		}
	}
	var out []string
	for _, t := range inputs {
		for p, end := range ends[t] {
			var at int64
			if o, ok := committed.Lookup(t, p); ok && o.Err == nil {
				at = o.At
			}
			if end.Err != nil || end.Offset <= at {
				continue
			}
			tp := fmt.Sprintf("%s[%d]", t, p)
			n, first, perr := probePartition(ctx, brokers, t, p, at, probeFor)
			s := fmt.Sprintf("%s committed %d end %d, assigned to %q: a fresh read_committed consumer read %d records from offset %d in %v",
				tp, at, end.Offset, owner[tp], n, at, probeFor)
			if n > 0 {
				s += fmt.Sprintf(" (first offset %d)", first)
			}
			if perr != nil {
				s += " (error: " + perr.Error() + ")"
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "diagnosis: no input partition has lag now"
	}
	return "diagnosis: " + strings.Join(out, "; ")
}

// probePartition reads topic[partition] from offset with a new client for at
// most d and returns how many records it got and the first one's offset.
func probePartition(ctx context.Context, brokers []string, topic string, partition int32, offset int64, d time.Duration) (int, int64, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().At(offset)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	n, first := 0, int64(-1)
	var ferr error
	for pctx.Err() == nil && n == 0 {
		fs := cl.PollFetches(pctx)
		fs.EachError(func(_ string, _ int32, err error) {
			if pctx.Err() == nil {
				ferr = err
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if first < 0 {
				first = r.Offset
			}
			n++
		})
	}
	return n, first, ferr
}
