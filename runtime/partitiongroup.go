// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"sync/atomic"
	"time"

	"github.com/eddy-streams/eddy/internal/partitiongroup"
	"github.com/twmb/franz-go/pkg/kgo"
)

// partitionGroup buffers a task's fetched input records, one queue per input
// partition. Which record goes next is partitiongroup.Group's choice (the
// lowest timestamp first, waiting for partitions that may still have
// records; the topologytest driver makes the same choice); this wrapper adds
// what the runtime keeps per partition: the position to commit, whether the
// task's source extracts event time, and whether fetching is paused.
//
// A partitionGroup is used by its worker's goroutine only.
type partitionGroup struct {
	sel     *partitiongroup.Group[*kgo.Record]
	queues  []*recordQueue // in topic order, as sel's
	byTopic map[string]*recordQueue
	lag     lagFunc
}

// lagFunc reports how many records of topic/partition the broker holds
// beyond what was fetched, and whether that is known yet.
type lagFunc = partitiongroup.LagFunc

// recordQueue is one input partition's buffer.
type recordQueue struct {
	*partitiongroup.Queue[*kgo.Record]
	topic     string
	partition int32
	extracts  bool // the task's source extracts event time from the record
	// next is the offset after the last record processed, the offset to
	// commit (-1: none processed since the task opened); epoch is that
	// record's leader epoch.
	next  int64
	epoch int32
	// fetched is the offset after the last record buffered or control
	// record (transaction marker) seen, -1 if none since the task opened
	// or the last rewind; fetchedEpoch is that record's leader epoch. A
	// commit with nothing buffered records fetched as consumed, past the
	// markers, as Kafka Streams commits the consumer's position then: a
	// partition written transactionally otherwise shows a lag of 1 for
	// good.
	fetched      int64
	fetchedEpoch int32
	paused       bool
}

// fetchedTo notes that the records of the queue's partition up to r (a
// record or a control record) were fetched.
func (q *recordQueue) fetchedTo(r *kgo.Record) {
	if r.Offset+1 > q.fetched {
		q.fetched, q.fetchedEpoch = r.Offset+1, r.LeaderEpoch
	}
}

// position is the offset a commit records as consumed and its leader
// epoch, ok false if none: after the last record processed, or, with
// nothing buffered, after the last record fetched (markers included).
func (q *recordQueue) position() (offset int64, epoch int32, ok bool) {
	offset, epoch = q.next, q.epoch
	if q.len() == 0 && q.fetched > offset {
		offset, epoch = q.fetched, q.fetchedEpoch
	}
	return offset, epoch, offset >= 0
}

func newPartitionGroup(topics []string, partition int32, maxIdle time.Duration, lag lagFunc, enforced *atomic.Int64) *partitionGroup {
	sel := partitiongroup.New[*kgo.Record](topics, partition, maxIdle, lag, enforced)
	g := &partitionGroup{sel: sel, byTopic: make(map[string]*recordQueue, len(topics)), lag: lag}
	for _, q := range sel.Queues() {
		rq := &recordQueue{Queue: q, topic: q.Topic(), partition: partition, next: -1, epoch: -1, fetched: -1, fetchedEpoch: -1}
		g.queues = append(g.queues, rq)
		g.byTopic[rq.topic] = rq
	}
	return g
}

// setLagWait bounds the wait for a partition the lag says has records when
// those may be in open transactions (read_committed; see lagTracker).
func (g *partitionGroup) setLagWait(d time.Duration) { g.sel.SetLagWait(d) }

func (q *recordQueue) len() int { return q.Len() }

// add buffers r, whose timestamp for ordering is ts, and returns how many
// records the partition now buffers.
func (q *recordQueue) add(r *kgo.Record, ts int64) int { return q.Add(r, ts) }

// queue returns the queue of topic, or nil.
func (g *partitionGroup) queue(topic string) *recordQueue { return g.byTopic[topic] }

// next removes and returns the record to process next, or nil if the task
// is not ready to process, and records its position for the commit.
func (g *partitionGroup) next(now time.Time) *kgo.Record {
	r, i, ok := g.sel.Next(now)
	if !ok {
		return nil
	}
	q := g.queues[i]
	q.next, q.epoch = r.Offset+1, r.LeaderEpoch
	return r
}

// drop discards every buffered record and forgets the processed positions
// (the consumer was rewound to the committed offsets).
func (g *partitionGroup) drop() {
	g.sel.Drop()
	for _, q := range g.queues {
		q.next, q.epoch, q.fetched, q.fetchedEpoch = -1, -1, -1, -1
	}
}
