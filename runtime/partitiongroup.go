package runtime

import (
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// partitionGroup buffers a task's fetched input records, one queue per input
// partition, and chooses which record the task processes next, as Kafka
// Streams' PartitionGroup does:
//
//   - Of the partitions with buffered records, the one whose head record has
//     the lowest timestamp (its event time: a source's timestamp extractor
//     applies) goes first (ties: the first in topic order).
//     Within a partition, records go in offset order. Fetch order never
//     decides processing order.
//   - While one of the task's partitions has nothing buffered, the task
//     processes nothing if that partition may still have records: its lag
//     is not known yet, or the broker is known to hold records not fetched
//     yet. A partition known to be caught up is waited for maxIdle more
//     (Config.MaxTaskIdle, default 0: not at all), after which the task
//     processes without it. That is "enforced processing", counted.
//   - maxIdle < 0 never waits: any buffered record may go.
//
// A partitionGroup is used by its worker's goroutine only.
type partitionGroup struct {
	queues  []*recordQueue // in topic order
	byTopic map[string]*recordQueue
	maxIdle time.Duration
	// lagWait bounds the wait for a partition the lag says has records
	// when those may be in open transactions (read_committed; see
	// lagTracker); 0 waits for as long as the lag says so.
	lagWait  time.Duration
	lag      lagFunc
	enforced *atomic.Int64 // shared counter of records processed with an input missing
}

// lagFunc reports how many records of topic/partition the broker holds
// beyond what was fetched, and whether that is known yet.
type lagFunc func(topic string, partition int32) (lag int64, known bool)

// recordQueue is one input partition's buffer.
type recordQueue struct {
	topic     string
	partition int32
	recs      []*kgo.Record // recs[head:] are buffered
	ts        []int64       // their timestamps, as the task orders them
	head      int
	extracts  bool      // the task's source extracts event time from the record
	idleUntil time.Time // set while empty and caught up: when to stop waiting
	lagSince  time.Time // set while empty with records on the broker: since when
	// next is the offset after the last record processed, the offset to
	// commit (-1: none processed since the task opened); epoch is that
	// record's leader epoch.
	next   int64
	epoch  int32
	paused bool
}

func newPartitionGroup(topics []string, partition int32, maxIdle time.Duration, lag lagFunc, enforced *atomic.Int64) *partitionGroup {
	g := &partitionGroup{byTopic: make(map[string]*recordQueue, len(topics)), maxIdle: maxIdle, lag: lag, enforced: enforced}
	for _, t := range topics {
		q := &recordQueue{topic: t, partition: partition, next: -1, epoch: -1}
		g.queues = append(g.queues, q)
		g.byTopic[t] = q
	}
	return g
}

func (q *recordQueue) len() int { return len(q.recs) - q.head }

// queue returns the queue of topic, or nil.
func (g *partitionGroup) queue(topic string) *recordQueue { return g.byTopic[topic] }

// add buffers r, whose timestamp for ordering is ts, and returns how many
// records the partition now buffers.
func (q *recordQueue) add(r *kgo.Record, ts int64) int {
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
	return q.len()
}

// next removes and returns the record to process next, or nil if the task
// is not ready to process (see partitionGroup).
func (g *partitionGroup) next(now time.Time) *kgo.Record {
	var best *recordQueue
	var bestTS int64
	missing := false
	for _, q := range g.queues {
		if q.len() == 0 {
			missing = true
			continue
		}
		q.idleUntil, q.lagSince = time.Time{}, time.Time{}
		if ts := q.ts[q.head]; best == nil || ts < bestTS {
			best, bestTS = q, ts
		}
	}
	if best == nil {
		return nil
	}
	if missing && g.maxIdle >= 0 {
		if !g.readyWithout(now) {
			return nil
		}
		g.enforced.Add(1)
	}
	r := best.recs[best.head]
	best.recs[best.head] = nil
	best.head++
	best.next, best.epoch = r.Offset+1, r.LeaderEpoch
	return r
}

// readyWithout reports whether the task may process although some of its
// partitions have nothing buffered: each of them is known to be caught up
// and has been waited for maxIdle.
func (g *partitionGroup) readyWithout(now time.Time) bool {
	for _, q := range g.queues {
		if q.len() > 0 {
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
// of q's partition announces; under read_committed they may belong to a
// transaction still open, which Kafka Streams would not wait for.
func (g *partitionGroup) gaveUpLag(q *recordQueue, now time.Time) bool {
	if g.lagWait <= 0 {
		return false
	}
	if q.lagSince.IsZero() {
		q.lagSince = now
	}
	return now.Sub(q.lagSince) >= g.lagWait
}

// drop discards every buffered record and forgets the processed positions
// (the consumer was rewound to the committed offsets).
func (g *partitionGroup) drop() {
	for _, q := range g.queues {
		clear(q.recs)
		q.recs, q.ts, q.head = q.recs[:0], q.ts[:0], 0
		q.next, q.epoch = -1, -1
		q.idleUntil, q.lagSince = time.Time{}, time.Time{}
	}
}
