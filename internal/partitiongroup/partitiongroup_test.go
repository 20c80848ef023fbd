// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package partitiongroup

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeLag map[string]int64 // topic → lag; absent: unknown

func (l fakeLag) of(topic string, _ int32) (int64, bool) {
	n, ok := l[topic]
	return n, ok
}

type rec struct {
	topic  string
	offset int64
	ts     int64
}

func (r rec) String() string { return fmt.Sprintf("%s@%d", r.topic, r.ts) }

// push buffers r ordered by its own timestamp.
func push(g *Group[rec], r rec) { g.Queue(r.topic).Add(r, r.ts) }

func drain(g *Group[rec], now time.Time) []string {
	var out []string
	for {
		r, _, ok := g.Next(now)
		if !ok {
			return out
		}
		out = append(out, r.String())
	}
}

func TestLowestTimestampFirst(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a", "b"}, 0, 0, fakeLag{}.of, &enforced)
	for i, ts := range []int64{1000, 3000, 5000} {
		push(g, rec{"a", int64(i), ts})
	}
	for i, ts := range []int64{2000, 2500, 6000} {
		push(g, rec{"b", int64(i), ts})
	}
	// b's lag is unknown: once a has nothing left it waits for b.
	assert.Equal(t, []string{"a@1000", "b@2000", "b@2500", "a@3000", "a@5000"}, drain(g, time.Now()))
	assert.Equal(t, 1, g.Buffered(), "b@6000 waits: a may still have records")
	assert.Zero(t, enforced.Load())
}

func TestNextReportsTheQueue(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a", "b"}, 3, -1, fakeLag{}.of, &enforced)
	push(g, rec{"b", 0, 10})
	push(g, rec{"a", 0, 20})
	r, i, ok := g.Next(time.Now())
	require.True(t, ok)
	assert.Equal(t, "b", r.topic)
	assert.Equal(t, 1, i)
	assert.Equal(t, "b", g.Queues()[i].Topic())
	assert.Equal(t, int32(3), g.Queues()[i].Partition())
}

func TestTiesGoInTopicOrder(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"b", "a"}, 0, -1, fakeLag{}.of, &enforced)
	push(g, rec{"a", 0, 5})
	push(g, rec{"b", 0, 5})
	assert.Equal(t, []string{"b@5", "a@5"}, drain(g, time.Now()), "b comes first in the group's topic order")
}

func TestWaitsForKnownData(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		lag      fakeLag
		idle     time.Duration
		at       time.Duration // when Next is called, after the first try
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
			g := New[rec]([]string{"a", "b"}, 0, tc.idle, tc.lag.of, &enforced)
			push(g, rec{"a", 0, 1000})
			if tc.at > 0 {
				_, _, ok := g.Next(now)
				assert.False(t, ok, "the idle wait starts")
			}
			_, _, ok := g.Next(now.Add(tc.at))
			assert.Equal(t, tc.ready, ok)
			assert.Equal(t, tc.enforced, enforced.Load())
		})
	}
}

func TestIdleWaitRestartsAfterData(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a", "b"}, 0, 100*time.Millisecond, fakeLag{"b": 0}.of, &enforced)
	now := time.Now()
	push(g, rec{"a", 0, 1000})
	_, _, ok := g.Next(now)
	assert.False(t, ok)
	push(g, rec{"b", 0, 500})
	r, _, _ := g.Next(now.Add(10 * time.Millisecond))
	assert.Equal(t, "b", r.topic)
	// b is empty again: its wait starts anew.
	_, _, ok = g.Next(now.Add(150 * time.Millisecond))
	assert.False(t, ok)
	r, _, _ = g.Next(now.Add(250 * time.Millisecond))
	assert.Equal(t, "a", r.topic)
	assert.Equal(t, int64(1), enforced.Load())
}

func TestDropKeepsOrderOnReuse(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a"}, 0, 0, fakeLag{}.of, &enforced)
	for i := range 5 {
		push(g, rec{"a", int64(i), int64(i)})
	}
	_, _, ok := g.Next(time.Now())
	require.True(t, ok)
	g.Drop()
	assert.Zero(t, g.Buffered())
	for i := range 3 {
		push(g, rec{"a", int64(10 + i), int64(i)})
	}
	r, _, _ := g.Next(time.Now())
	assert.Equal(t, int64(10), r.offset)
}

// A queue's storage is compacted or reset as it drains and refills, without
// losing or reordering records.
func TestQueueReusesStorageInOrder(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a"}, 0, -1, fakeLag{}.of, &enforced)
	q := g.Queue("a")
	var want, got []int64
	off := int64(0)
	for round := range 50 {
		for range round%7 + 1 {
			want = append(want, off)
			assert.Equal(t, q.Len()+1, q.Add(rec{"a", off, off}, off))
			off++
		}
		for range round % 5 {
			if r, _, ok := g.Next(time.Now()); ok {
				got = append(got, r.offset)
			}
		}
	}
	for r, _, ok := g.Next(time.Now()); ok; r, _, ok = g.Next(time.Now()) {
		got = append(got, r.offset)
	}
	assert.Equal(t, want, got)
}

// The timestamp a record is ordered by is the one it was added with (a
// source's extracted event time), not the record's own.
func TestOrdersByGivenTimestamp(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a", "b"}, 0, -1, fakeLag{}.of, &enforced)
	g.Queue("a").Add(rec{"a", 0, 1}, 3000)
	g.Queue("b").Add(rec{"b", 0, 2}, 2000)
	g.Queue("a").Add(rec{"a", 1, 3}, 4000)
	assert.Equal(t, []string{"b@2", "a@1", "a@3"}, drain(g, time.Now()))
}

// Under read_committed the announced records may sit in an open
// transaction: the task waits lagWait for them, then goes on without the
// partition (enforced); a partition that delivers restarts the wait.
func TestBoundsWaitForUncommitted(t *testing.T) {
	var enforced atomic.Int64
	g := New[rec]([]string{"a", "b"}, 0, 0, fakeLag{"b": 3}.of, &enforced)
	g.SetLagWait(time.Second)
	now := time.Now()
	push(g, rec{"a", 0, 1000})
	push(g, rec{"a", 1, 2000})
	next := func(at time.Duration) (rec, bool) {
		r, _, ok := g.Next(now.Add(at))
		return r, ok
	}
	_, ok := next(0)
	assert.False(t, ok)
	_, ok = next(999 * time.Millisecond)
	assert.False(t, ok)
	r, _ := next(time.Second)
	assert.Equal(t, int64(0), r.offset)
	assert.Equal(t, int64(1), enforced.Load())
	push(g, rec{"b", 0, 1500})
	r, _ = next(time.Second)
	assert.Equal(t, "b", r.topic)
	_, ok = next(1100 * time.Millisecond)
	assert.False(t, ok, "b is empty again: a new wait")
	r, _ = next(2100 * time.Millisecond)
	assert.Equal(t, int64(1), r.offset)
}
