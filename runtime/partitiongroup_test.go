// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type fakeLag map[string]int64 // topic → lag; absent: unknown

func (l fakeLag) of(topic string, _ int32) (int64, bool) {
	n, ok := l[topic]
	return n, ok
}

func rec(topic string, offset, ts int64) *kgo.Record {
	return &kgo.Record{Topic: topic, Offset: offset, Timestamp: time.UnixMilli(ts), LeaderEpoch: 3}
}

func drain(g *partitionGroup, now time.Time) []string {
	var out []string
	for r := g.next(now); r != nil; r = g.next(now) {
		out = append(out, r.Topic+"@"+r.Timestamp.Format("05.000"))
	}
	return out
}

// The wrapper keeps, per partition, the position to commit: the offset
// after the last record processed and its leader epoch. Which record goes
// next is internal/partitiongroup's choice, tested there.
func TestPartitionGroupTracksProcessedPositions(t *testing.T) {
	var enforced atomic.Int64
	g := newPartitionGroup([]string{"a", "b"}, 0, 0, fakeLag{}.of, &enforced)
	for i, ts := range []int64{1000, 3000, 5000} {
		push(g, rec("a", int64(i), ts))
	}
	for i, ts := range []int64{2000, 2500, 6000} {
		push(g, rec("b", int64(i), ts))
	}
	now := time.Now()
	// b's lag is unknown: once a has nothing left it waits for b.
	got := drain(g, now)
	assert.Equal(t, []string{"a@01.000", "b@02.000", "b@02.500", "a@03.000", "a@05.000"}, got)
	assert.Equal(t, 1, g.buffered(), "b@6000 waits: a may still have records")
	assert.Zero(t, enforced.Load())
	assert.Equal(t, int64(3), g.byTopic["a"].next, "next offset to commit on a")
	assert.Equal(t, int32(3), g.byTopic["a"].epoch)
	assert.Equal(t, int64(2), g.byTopic["b"].next, "next offset to commit on b")
	assert.Equal(t, []string{"a", "b"}, []string{g.queues[0].topic, g.queues[1].topic}, "queues in topic order")
}

func TestPartitionGroupDropForgetsPositions(t *testing.T) {
	var enforced atomic.Int64
	g := newPartitionGroup([]string{"a"}, 0, 0, fakeLag{}.of, &enforced)
	for i := range 5 {
		push(g, rec("a", int64(i), int64(i)))
	}
	assert.NotNil(t, g.next(time.Now()))
	assert.Equal(t, int64(1), g.byTopic["a"].next)
	g.drop()
	assert.Zero(t, g.buffered())
	assert.Equal(t, int64(-1), g.byTopic["a"].next)
	assert.Equal(t, int32(-1), g.byTopic["a"].epoch)
	for i := range 3 {
		push(g, rec("a", int64(10+i), int64(i)))
	}
	assert.Equal(t, int64(10), g.next(time.Now()).Offset)
}

// setLagWait reaches the selection: a partition the lag says has records is
// waited for only that long.
func TestPartitionGroupLagWait(t *testing.T) {
	var enforced atomic.Int64
	g := newPartitionGroup([]string{"a", "b"}, 0, 0, fakeLag{"b": 3}.of, &enforced)
	now := time.Now()
	push(g, rec("a", 0, 1000))
	assert.Nil(t, g.next(now))
	assert.Nil(t, g.next(now.Add(time.Hour)), "no lag wait set: waits for as long as the lag says")
	g.setLagWait(time.Second)
	assert.Nil(t, g.next(now.Add(time.Hour)), "the bounded wait starts")
	r := g.next(now.Add(time.Hour + time.Second))
	if assert.NotNil(t, r) {
		assert.Equal(t, int64(1), g.byTopic["a"].next)
	}
	assert.Equal(t, int64(1), enforced.Load())
}

func TestTxnOffsetsRewritesToProcessedPositions(t *testing.T) {
	pos := map[string]map[int32]kgo.EpochOffset{"in": {0: {Epoch: 2, Offset: 7}}}
	prior := map[string]map[int32]kgo.EpochOffset{"in": {1: {Epoch: 1, Offset: 3}}}
	req := kmsgTxnCommit(map[string][]int32{"in": {0, 1, 2}})
	assert.NoError(t, txnOffsets(pos, prior)(req))
	got := map[int32]int64{}
	for _, tp := range req.Topics {
		for _, p := range tp.Partitions {
			got[p.Partition] = p.Offset
		}
	}
	assert.Equal(t, map[int32]int64{0: 7, 1: 3}, got, "partition 2: nothing processed, nothing committed before: left out")
}

func kmsgTxnCommit(parts map[string][]int32) *kmsg.TxnOffsetCommitRequest {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	for topic, ps := range parts {
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = topic
		for _, p := range ps {
			rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset = p, 999
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// buffered returns the number of records g buffers over all partitions.
func (g *partitionGroup) buffered() int { return g.sel.Buffered() }

// push buffers r ordered by its record timestamp.
func push(g *partitionGroup, r *kgo.Record) { g.queue(r.Topic).add(r, r.Timestamp.UnixMilli()) }
