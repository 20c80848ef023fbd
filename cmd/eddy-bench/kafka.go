// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// broker wraps the harness's own admin and producer clients.
type broker struct {
	cl    *kgo.Client
	adm   *kadm.Client
	seeds []string
}

func newBroker(brokers []string) (*broker, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(1<<20),
		kgo.UnknownTopicRetries(100),
		// kadm answers from cached metadata up to this age (default 5 s):
		// a repartition topic created a moment ago must show up at once.
		kgo.MetadataMinAge(20*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	return &broker{cl: cl, adm: kadm.NewClient(cl), seeds: brokers}, nil
}

func (b *broker) close() { b.cl.Close() }

// createTopics creates the user topics of a run with the given partitions.
// They keep their records whatever their timestamps: the input's are from
// 2023 (baseTime), and under the broker's default retention.ms (7 days) its
// next retention check (every 5 minutes) would delete a run's input and
// output while the systems read them — a run then never drains.
func (b *broker) createTopics(ctx context.Context, partitions int32, topics ...string) error {
	resp, err := b.adm.CreateTopics(ctx, partitions, 1, map[string]*string{"retention.ms": kadm.StringPtr("-1")}, topics...)
	if err != nil {
		return err
	}
	if err := resp.Error(); err != nil {
		return err
	}
	// Wait until metadata shows every partition with a leader: producing
	// to a topic created a moment ago can otherwise fail with
	// UNKNOWN_TOPIC_OR_PARTITION.
	for {
		td, err := b.adm.ListTopics(ctx, topics...)
		ready := err == nil
		for _, t := range topics {
			d, ok := td[t]
			if !ok || d.Err != nil || len(d.Partitions) != int(partitions) {
				ready = false
				break
			}
			for _, p := range d.Partitions {
				if p.Err != nil || p.Leader < 0 {
					ready = false
				}
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics %v not ready: %w", topics, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// preload writes records to topic with their partitions and timestamps, so
// every system reads identical bytes per partition.
func (b *broker) preload(ctx context.Context, topic string, recs []inRecord) error {
	errc := make(chan error, 1)
	for _, in := range recs {
		r := &kgo.Record{Topic: topic, Partition: in.partition, Key: in.key, Value: in.value, Timestamp: time.UnixMilli(in.ts)}
		b.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		})
	}
	if err := b.cl.Flush(ctx); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// drained reports whether group has committed the input topics up to their
// end offsets and its internal repartition topics (<appID>-…-repartition)
// up to theirs. Under exactly-once, a repartition partition may keep one
// offset of lag: the commit marker after the last transaction.
//
// required names internal topics that must exist (and be drained) already.
func (b *broker) drained(ctx context.Context, group string, inputs []string, appID string, slack int64, required ...string) (ok bool, why string, err error) {
	topics := append([]string(nil), inputs...)
	td, err := b.adm.ListTopics(ctx)
	if err != nil {
		return false, "", err
	}
	for _, t := range td.Names() {
		if strings.HasPrefix(t, appID+"-") && strings.HasSuffix(t, "-repartition") {
			topics = append(topics, t)
		}
	}
	for _, t := range required {
		if _, ok := td[t]; !ok {
			return false, t + " not listed yet", nil
		}
	}
	ends, err := b.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return false, "", err
	}
	committed, err := b.adm.FetchOffsets(ctx, group)
	if err != nil {
		return false, "", err
	}
	for _, t := range topics {
		// A partition missing from the answer (e.g. metadata of a new
		// topic not yet known) must not count as drained.
		if want := len(td[t].Partitions); want == 0 || len(ends[t]) != want {
			return false, fmt.Sprintf("%s: %d end offsets for %d partitions", t, len(ends[t]), want), nil
		}
		for p, end := range ends[t] {
			if end.Err != nil {
				return false, "", end.Err
			}
			var at int64
			if o, ok := committed.Lookup(t, p); ok && o.Err == nil {
				at = o.At
			}
			allowed := int64(0)
			if !slices.Contains(inputs, t) {
				allowed = slack
			}
			if end.Offset-at > allowed {
				return false, fmt.Sprintf("%s[%d] end %d committed %d", t, p, end.Offset, at), nil
			}
		}
	}
	return true, "", nil
}

// cleanup deletes a run's user topics, the application's internal topics and
// its consumer group (best effort).
func (b *broker) cleanup(ctx context.Context, appID string, userTopics ...string) {
	topics := append([]string(nil), userTopics...)
	if td, err := b.adm.ListTopics(ctx); err == nil {
		for _, t := range td.Names() {
			if strings.HasPrefix(t, appID+"-") {
				topics = append(topics, t)
			}
		}
	}
	if _, err := b.adm.DeleteTopics(ctx, topics...); err != nil {
		fmt.Println("cleanup:", err)
	}
	b.adm.DeleteGroups(ctx, appID)
}

// endSum is the sum of a topic's end offsets: its record count plus, for
// transactional writers, one control record per partition and transaction.
func (b *broker) endSum(ctx context.Context, topic string) (int64, error) {
	ends, err := b.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, o := range ends[topic] {
		if o.Err != nil {
			return 0, o.Err
		}
		n += o.Offset
	}
	return n, nil
}

// waitGroupEmpty waits until group has no members (a stopped instance left
// it, or its session expired), so the next instance is assigned every task
// at once.
func (b *broker) waitGroupEmpty(ctx context.Context, group string) error {
	for {
		gs, err := b.adm.DescribeGroups(ctx, group)
		if err == nil {
			if g, ok := gs[group]; ok && g.Err == nil && len(g.Members) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("consumer group %s still has members: %w", group, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
