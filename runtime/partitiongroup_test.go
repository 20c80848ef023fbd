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

func TestPartitionGroupLowestTimestampFirst(t *testing.T) {
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
}

func TestPartitionGroupWaitsForKnownData(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		lag      fakeLag
		idle     time.Duration
		at       time.Duration // when next is called, after the first try
		ready    bool
		enforced int64
	}{
		{name: "lag unknown", lag: fakeLag{}, ready: false},
		{name: "records on the broker", lag: fakeLag{"b": 5}, ready: false},
		{name: "caught up, idle 0", lag: fakeLag{"b": 0}, ready: true, enforced: 1},
		{name: "caught up, idle 50ms, too early", lag: fakeLag{"b": 0}, idle: 50 * time.Millisecond, at: 49 * time.Millisecond, ready: false},
		{name: "caught up, idle 50ms, waited", lag: fakeLag{"b": 0}, idle: 50 * time.Millisecond, at: 50 * time.Millisecond, ready: true, enforced: 1},
		{name: "never wait", lag: fakeLag{}, idle: -1, ready: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var enforced atomic.Int64
			g := newPartitionGroup([]string{"a", "b"}, 0, tc.idle, tc.lag.of, &enforced)
			push(g, rec("a", 0, 1000))
			if tc.at > 0 {
				assert.Nil(t, g.next(now), "the idle wait starts")
			}
			r := g.next(now.Add(tc.at))
			assert.Equal(t, tc.ready, r != nil)
			assert.Equal(t, tc.enforced, enforced.Load())
		})
	}
}

func TestPartitionGroupIdleWaitRestartsAfterData(t *testing.T) {
	var enforced atomic.Int64
	lag := fakeLag{"b": 0}
	g := newPartitionGroup([]string{"a", "b"}, 0, 100*time.Millisecond, lag.of, &enforced)
	now := time.Now()
	push(g, rec("a", 0, 1000))
	assert.Nil(t, g.next(now))
	push(g, rec("b", 0, 500))
	assert.Equal(t, "b", g.next(now.Add(10*time.Millisecond)).Topic)
	// b is empty again: its wait starts anew.
	assert.Nil(t, g.next(now.Add(150*time.Millisecond)))
	assert.Equal(t, "a", g.next(now.Add(250*time.Millisecond)).Topic)
	assert.Equal(t, int64(1), enforced.Load())
}

func TestPartitionGroupDropForgetsPositions(t *testing.T) {
	var enforced atomic.Int64
	g := newPartitionGroup([]string{"a"}, 0, 0, fakeLag{}.of, &enforced)
	for i := range 5 {
		push(g, rec("a", int64(i), int64(i)))
	}
	assert.NotNil(t, g.next(time.Now()))
	g.drop()
	assert.Zero(t, g.buffered())
	assert.Equal(t, int64(-1), g.byTopic["a"].next)
	// The queue's storage is reused without losing order.
	for i := range 3 {
		push(g, rec("a", int64(10+i), int64(i)))
	}
	assert.Equal(t, int64(10), g.next(time.Now()).Offset)
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
func (g *partitionGroup) buffered() int {
	n := 0
	for _, q := range g.queues {
		n += q.len()
	}
	return n
}

// push buffers r ordered by its record timestamp.
func push(g *partitionGroup, r *kgo.Record) { g.queue(r.Topic).add(r, r.Timestamp.UnixMilli()) }

// The timestamp a record is ordered by is the one it was added with (a
// source's extracted event time), not the record's own.
func TestPartitionGroupOrdersByGivenTimestamp(t *testing.T) {
	var enforced atomic.Int64
	g := newPartitionGroup([]string{"a", "b"}, 0, -1, fakeLag{}.of, &enforced)
	g.queue("a").add(rec("a", 0, 1), 3000)
	g.queue("b").add(rec("b", 0, 2), 2000)
	g.queue("a").add(rec("a", 1, 3), 4000)
	assert.Equal(t, []string{"b@00.002", "a@00.001", "a@00.003"}, drain(g, time.Now()))
}

// Under read_committed the announced records may sit in an open
// transaction: the task waits lagWait for them, then goes on without the
// partition (enforced); a partition that delivers restarts the wait.
func TestPartitionGroupBoundsWaitForUncommitted(t *testing.T) {
	var enforced atomic.Int64
	lag := fakeLag{"b": 3}
	g := newPartitionGroup([]string{"a", "b"}, 0, 0, lag.of, &enforced)
	g.lagWait = time.Second
	now := time.Now()
	push(g, rec("a", 0, 1000))
	push(g, rec("a", 1, 2000))
	assert.Nil(t, g.next(now))
	assert.Nil(t, g.next(now.Add(999*time.Millisecond)))
	assert.Equal(t, int64(0), g.next(now.Add(time.Second)).Offset)
	assert.Equal(t, int64(1), enforced.Load())
	push(g, rec("b", 0, 1500))
	assert.Equal(t, "b", g.next(now.Add(time.Second)).Topic)
	assert.Nil(t, g.next(now.Add(1100*time.Millisecond)), "b is empty again: a new wait")
	assert.Equal(t, int64(1), g.next(now.Add(2100*time.Millisecond)).Offset)
}
