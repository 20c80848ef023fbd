// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package partitiongroup chooses which buffered input record a task
// processes next. The runtime and the topologytest driver both use it, so a
// task with several input partitions consumes them in the same order in
// tests as in production.
package partitiongroup

import (
	"sync/atomic"
	"time"
)

// LagFunc reports how many records of topic/partition the broker holds
// beyond what was fetched, and whether that is known yet.
type LagFunc func(topic string, partition int32) (lag int64, known bool)

// Group buffers a task's fetched input records, one queue per input
// partition, and chooses which record the task processes next, as Kafka
// Streams' PartitionGroup does:
//
//   - Of the partitions with buffered records, the one whose head record has
//     the lowest timestamp (its event time: a source's timestamp extractor
//     applies) goes first (ties: the first in topic order).
//     Within a partition, records go in the order they were added. Fetch
//     order never decides processing order.
//   - While one of the task's partitions has nothing buffered, the task
//     processes nothing if that partition may still have records: its lag
//     is not known yet, or the broker is known to hold records not fetched
//     yet. A partition known to be caught up is waited for maxIdle more
//     (max.task.idle.ms, 0: not at all), after which the task processes
//     without it. That is "enforced processing", counted.
//   - maxIdle < 0 never waits: any buffered record may go.
//
// R is the record type the caller buffers. A Group is not safe for
// concurrent use.
type Group[R any] struct {
	queues  []*Queue[R] // in topic order
	byTopic map[string]*Queue[R]
	maxIdle time.Duration
	// lagWait bounds the wait for a partition the lag says has records
	// (see SetLagWait); 0 waits for as long as the lag says so.
	lagWait  time.Duration
	lag      LagFunc
	enforced *atomic.Int64
}

// Queue is one input partition's buffer.
type Queue[R any] struct {
	topic     string
	partition int32
	recs      []R     // recs[head:] are buffered
	ts        []int64 // their timestamps, as the task orders them
	head      int
	idleUntil time.Time // set while empty and caught up: when to stop waiting
	lagSince  time.Time // set while empty with records on the broker: since when
}

// New returns a group of one queue per topic, in the order given, all for
// partition. lag tells whether an empty partition may still have records;
// enforced counts the records processed while a partition was missing.
func New[R any](topics []string, partition int32, maxIdle time.Duration, lag LagFunc, enforced *atomic.Int64) *Group[R] {
	g := &Group[R]{byTopic: make(map[string]*Queue[R], len(topics)), maxIdle: maxIdle, lag: lag, enforced: enforced}
	for _, t := range topics {
		q := &Queue[R]{topic: t, partition: partition}
		g.queues = append(g.queues, q)
		g.byTopic[t] = q
	}
	return g
}

// SetLagWait bounds how long the group waits for records the lag
// announces: under read_committed they may belong to a transaction still
// open, which Kafka Streams would not wait for. 0 (the default) waits for
// as long as the lag says records exist.
func (g *Group[R]) SetLagWait(d time.Duration) { g.lagWait = d }

// Queues returns the group's queues in topic order.
func (g *Group[R]) Queues() []*Queue[R] { return g.queues }

// Queue returns the queue of topic, or nil.
func (g *Group[R]) Queue(topic string) *Queue[R] { return g.byTopic[topic] }

// Buffered returns the number of records buffered over all partitions.
func (g *Group[R]) Buffered() int {
	n := 0
	for _, q := range g.queues {
		n += q.Len()
	}
	return n
}

// Topic returns the queue's topic.
func (q *Queue[R]) Topic() string { return q.topic }

// Partition returns the queue's partition.
func (q *Queue[R]) Partition() int32 { return q.partition }

// Len returns the number of records the queue buffers.
func (q *Queue[R]) Len() int { return len(q.recs) - q.head }

// Add buffers r, whose timestamp for ordering is ts, and returns how many
// records the partition now buffers.
func (q *Queue[R]) Add(r R, ts int64) int {
	if q.head > 0 && q.head == len(q.recs) {
		clear(q.recs)
		q.recs, q.ts, q.head = q.recs[:0], q.ts[:0], 0
	} else if q.head > 0 && q.head >= cap(q.recs)/2 && len(q.recs) == cap(q.recs) {
		n := copy(q.recs, q.recs[q.head:])
		copy(q.ts, q.ts[q.head:])
		clear(q.recs[n:])
		q.recs, q.ts, q.head = q.recs[:n], q.ts[:n], 0
	}
	q.recs = append(q.recs, r)
	q.ts = append(q.ts, ts)
	return q.Len()
}

// Next removes and returns the record to process next with the index (in
// topic order) of the queue it came from; ok is false if the task is not
// ready to process (see Group).
func (g *Group[R]) Next(now time.Time) (r R, queue int, ok bool) {
	best := -1
	var bestTS int64
	missing := false
	for i, q := range g.queues {
		if q.Len() == 0 {
			missing = true
			continue
		}
		if !q.idleUntil.IsZero() || !q.lagSince.IsZero() {
			// Only when set: a time holds a pointer, and writing it for
			// every record costs a write barrier while the garbage
			// collector marks.
			q.idleUntil, q.lagSince = time.Time{}, time.Time{}
		}
		if ts := q.ts[q.head]; best < 0 || ts < bestTS {
			best, bestTS = i, ts
		}
	}
	if best < 0 {
		return r, -1, false
	}
	if missing && g.maxIdle >= 0 {
		if !g.readyWithout(now) {
			return r, -1, false
		}
		g.enforced.Add(1)
	}
	q := g.queues[best]
	r = q.recs[q.head]
	var zero R
	q.recs[q.head] = zero
	q.head++
	return r, best, true
}

// readyWithout reports whether the task may process although some of its
// partitions have nothing buffered: each of them is known to be caught up
// and has been waited for maxIdle.
func (g *Group[R]) readyWithout(now time.Time) bool {
	for _, q := range g.queues {
		if q.Len() > 0 {
			continue
		}
		lag, known := g.lag(q.topic, q.partition)
		if !known || lag > 0 && !g.gaveUpLag(q, now) {
			// Records exist on the broker (or may): wait for the fetch.
			q.idleUntil = time.Time{}
			return false
		}
		if lag == 0 {
			q.lagSince = time.Time{}
		}
		if q.idleUntil.IsZero() {
			q.idleUntil = now.Add(g.maxIdle)
		}
		if now.Before(q.idleUntil) {
			return false
		}
	}
	return true
}

// gaveUpLag reports whether the task has waited lagWait for records the lag
// of q's partition announces.
func (g *Group[R]) gaveUpLag(q *Queue[R], now time.Time) bool {
	if g.lagWait <= 0 {
		return false
	}
	if q.lagSince.IsZero() {
		q.lagSince = now
	}
	return now.Sub(q.lagSince) >= g.lagWait
}

// Drop discards every buffered record and every wait in progress.
func (g *Group[R]) Drop() {
	for _, q := range g.queues {
		clear(q.recs)
		q.recs, q.ts, q.head = q.recs[:0], q.ts[:0], 0
		q.idleUntil, q.lagSince = time.Time{}, time.Time{}
	}
}
