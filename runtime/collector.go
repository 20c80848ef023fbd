// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// producer is what the collector produces through: a plain client under
// at-least-once, the transactional session under exactly-once.
type producer interface {
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// collector sends a worker's output, repartition and changelog records and
// tracks the changelog offsets the cycle's writes reached, which each task
// commits with its state. It keeps no offsets across cycles: a task's
// committed changelog offsets are the task's own (in its store), so that a
// task that left this worker, was written further elsewhere and came back
// restored never records an older offset again.
//
// Send is on every record's path: it takes no lock and allocates no
// closure. Each producer generation (see reset) has its promise functions,
// its own count of records in flight and its own changelog offsets
// (changelogoffsets.go), so that promises of a replaced producer change
// nothing.
type collector struct {
	ctx        context.Context
	parts      *partitionCache
	changelogs map[string]bool // read-only

	cur atomic.Pointer[produceGen]
	mu  sync.Mutex // serializes reset

	// errs is the collector's part in error handling: node names for
	// the error handlers, and output records the broker rejected
	// (handler_produce.go). Nil: rejections fail the cycle.
	errs *collectorErrors

	// slab holds records not handed out yet (see newRecord), and pooled
	// the recycled records of the current producer generation that Send
	// hands out next (see pooledRecord). Like the tasks that send, they
	// are used by one goroutine at a time: the worker's, or a rebalance
	// callback while the worker waits in a poll.
	slab   []kgo.Record
	pooled *recordPool
}

// recordPool is recordSlab records that go back to their producer
// generation's free list (produceGen.free) once franz-go ran the promise
// of each of them without an error: franz-go no longer refers to a record
// once its promise ran, and Send then writes it afresh. A record that
// failed may be kept (rejections, handler_produce.go): its pool is left
// to the garbage collector.
type recordPool struct {
	recs    [recordSlab]kgo.Record
	next    int // the first record not handed out (Send's goroutine)
	g       *produceGen
	promise func(*kgo.Record, error) // g.done, then counts the record settled
	_       [64]byte                 // settled and failed on a cache line of their own: the promises write them
	settled atomic.Int32
	failed  atomic.Bool
}

// maxFreePools bounds a generation's free list: 256 pools of 64 records
// are 16384 records (2.6 MiB), more than a poll's output usually has in
// flight; pools beyond it are left to the garbage collector.
const maxFreePools = 256

// recordSlab is how many records the collector allocates at once: 64 of
// franz-go's 160-byte records make a 10 KiB size class.
const recordSlab = 64

// produceGen is one producer's generation of the collector.
type produceGen struct {
	c        *collector
	p        producer
	inflight atomic.Int64          // records sent whose promise has not run
	sent     atomic.Int64          // records sent since the last cycle end (sentInCycle)
	err      atomic.Pointer[error] // first produce error since the last reset or cycle end
	rej      rejections            // output records rejected for what they are (handler_produce.go)
	offsets  changelogOffsets      // the changelog offsets the cycle reached
	promise  func(*kgo.Record, error)
	// logPromise is the promise of a changelog record sent without a
	// partition (the engine always gives one): it finds its slot once the
	// partitioner chose.
	logPromise func(*kgo.Record, error)

	freeMu sync.Mutex
	free   []*recordPool // pools whose records all settled, for Send to reuse
}

func (c *collector) newGen(p producer) *produceGen {
	g := &produceGen{c: c, p: p, offsets: newChangelogOffsets(c.changelogs)}
	g.promise = g.done
	g.logPromise = g.doneUnpartitioned
	return g
}

func newCollector(ctx context.Context, p producer, parts *partitionCache, changelogs map[string]bool) *collector {
	c := &collector{ctx: ctx, parts: parts, changelogs: changelogs}
	c.cur.Store(c.newGen(p))
	return c
}

// PartitionCount implements engine.Collector.
func (c *collector) PartitionCount(topic string) (int32, error) { return c.parts.get(c.ctx, topic) }

// Send implements engine.Collector.
func (c *collector) Send(r *engine.RawRecord) error {
	g := c.cur.Load()
	if err := g.err.Load(); err != nil {
		return engine.Fatal(*err)
	}
	if c.errs != nil && c.errs.watch != nil {
		// The cycle is processed again after the broker rejected this
		// record: it goes to the production handler instead.
		if err := c.errs.check(r); err != nil {
			return err
		}
	}
	var kr *kgo.Record
	var promise func(*kgo.Record, error)
	if s := g.offsets.slot(r.Topic, r.Partition, g); s != nil {
		kr, promise = c.newRecord(), s.promise
	} else if r.Partition < 0 && c.changelogs[r.Topic] {
		kr, promise = c.newRecord(), g.logPromise
	} else {
		kr, promise = c.pooledRecord(g)
	}
	g.inflight.Add(1)
	g.sent.Add(1)
	var hs []kgo.RecordHeader
	if len(r.Headers) > 0 {
		hs = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	*kr = kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: msTime(r.Timestamp), Headers: hs}
	g.p.Produce(c.ctx, kr, promise)
	return nil
}

// pooledRecord returns a record for Send to fill and its promise, from the
// current pool of generation g: a recycled pool if g has one, else a new
// one.
func (c *collector) pooledRecord(g *produceGen) (*kgo.Record, func(*kgo.Record, error)) {
	p := c.pooled
	if p == nil || p.g != g || p.next == recordSlab {
		p = g.takePool()
		c.pooled = p
	}
	kr := &p.recs[p.next]
	p.next++
	return kr, p.promise
}

// takePool returns a pool of g whose records all settled, or a new one.
func (g *produceGen) takePool() *recordPool {
	g.freeMu.Lock()
	var p *recordPool
	if n := len(g.free); n > 0 {
		p = g.free[n-1]
		g.free[n-1] = nil
		g.free = g.free[:n-1]
	}
	g.freeMu.Unlock()
	if p != nil {
		p.next = 0
		p.settled.Store(0)
		return p
	}
	p = &recordPool{g: g}
	p.promise = p.done
	return p
}

// done is the promise of a pooled record: g.done, then, once all of the
// pool's records settled and none failed, the pool goes back to g's free
// list.
func (p *recordPool) done(kr *kgo.Record, err error) {
	p.g.done(kr, err)
	if err != nil {
		p.failed.Store(true)
	}
	if p.settled.Add(1) < recordSlab || p.failed.Load() {
		return
	}
	g := p.g
	g.freeMu.Lock()
	if len(g.free) < maxFreePools {
		g.free = append(g.free, p)
	}
	g.freeMu.Unlock()
}

// newRecord returns a zero record for Send to send with a changelog
// promise (the other records are pooled: pooledRecord), from a slab of
// recordSlab records allocated together: one allocation for many records,
// each of which franz-go holds until its promise ran. A slab is collected
// once none of its records is referenced any more. (Recycling records
// one by one was measured slower than allocating them: each moved between
// the promise's and the worker's CPU caches. A recordPool goes back whole,
// with one lock for recordSlab records, and is faster than a slab:
// BenchmarkStatelessPath.)
func (c *collector) newRecord() *kgo.Record {
	if len(c.slab) == 0 {
		c.slab = make([]kgo.Record, recordSlab)
	}
	r := &c.slab[0]
	c.slab = c.slab[1:]
	return r
}

// done is the produce promise of g's records; the promises of changelog
// records call it after advancing their offset. It records the outcome
// before it counts the record settled, so that settle sees both.
func (g *produceGen) done(kr *kgo.Record, err error) {
	if err != nil && !g.rejected(kr, err) {
		werr := fmt.Errorf("produce to topic %q partition %d: %w", kr.Topic, kr.Partition, topicDenied(err, kr.Topic))
		g.err.CompareAndSwap(nil, &werr)
	}
	g.inflight.Add(-1)
}

// doneUnpartitioned is done for a changelog record the partitioner placed.
func (g *produceGen) doneUnpartitioned(kr *kgo.Record, err error) {
	if s := g.offsets.slot(kr.Topic, kr.Partition, g); s != nil && err == nil {
		s.advance(kr.Offset + 1)
	}
	g.done(kr, err)
}

// settle waits until every record sent has its produce outcome. Flush
// alone is not enough: a record the client rejects before buffering it (too
// large) reports its error asynchronously, possibly after Flush returned,
// and a commit must not miss it.
func (c *collector) settle(ctx context.Context) error {
	g := c.cur.Load()
	for {
		n := g.inflight.Load()
		if n <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d records still without a produce result: %w", n, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// Err returns the first produce error of the cycle. Call it once the
// cycle's records settled, to commit: it then also resolves the output
// records the broker rejected (resolveRejected), and returns a
// *replayError if the cycle must be processed again for them.
func (c *collector) Err() error {
	g := c.cur.Load()
	if err := g.err.Load(); err != nil {
		return *err
	}
	return c.resolveRejected(g)
}

// offsetsFor returns the changelog offsets the cycle's writes reached, for
// the given changelog topics and partition (a task's changelogs), keyed
// by engine.OffsetKey. A changelog the cycle did not write is left out:
// the task's store keeps the offset it has. Call it once the cycle's
// records settled.
func (c *collector) offsetsFor(topics map[string]string, partition int32) map[string]int64 {
	return c.cur.Load().offsets.offsetsFor(topics, partition)
}

// committedCycle ends a committed cycle.
func (c *collector) committedCycle() {
	g := c.cur.Load()
	g.sent.Store(0)
	g.offsets.clear()
	g.err.Store(nil)
	if c.errs != nil {
		c.errs.committed()
	}
}

// reset makes p the producer (a new one after the old was fenced) and
// forgets the cycle in progress; late promises of the old producer are
// ignored.
func (c *collector) reset(p producer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur.Store(c.newGen(p))
}

// abortedCycle forgets the cycle's offsets and errors; if the cycle was
// rolled back for rejected records, it watches for them.
func (c *collector) abortedCycle() {
	g := c.cur.Load()
	g.sent.Store(0)
	g.offsets.clear()
	g.err.Store(nil)
	g.rej.take() // the rolled back cycle's: sent again, or watched
	if c.errs != nil {
		c.errs.rolledBack()
	}
}

// sentInCycle reports whether the current producer was given any record
// since the last committed or aborted cycle.
func (c *collector) sentInCycle() bool { return c.cur.Load().sent.Load() > 0 }

// partitioner honours the partition the engine chose and spreads records
// without one (null keys) round-robin.
type partitioner struct{}

func (partitioner) ForTopic(string) kgo.TopicPartitioner { return &topicPartitioner{} }

type topicPartitioner struct{ next int }

func (*topicPartitioner) RequiresConsistency(*kgo.Record) bool { return true }

func (p *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 && int(r.Partition) < n {
		return int(r.Partition)
	}
	p.next = (p.next + 1) % n
	return p.next
}
