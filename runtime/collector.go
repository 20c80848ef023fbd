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
// closure. Each producer generation (see reset) has one promise function
// and its own count of records in flight, so that promises of a replaced
// producer change nothing.
type collector struct {
	ctx        context.Context
	parts      *partitionCache
	changelogs map[string]bool // read-only

	cur atomic.Pointer[produceGen]

	mu      sync.Mutex
	pending map[string]int64 // changelog "topic/partition" → next offset, this cycle
}

// produceGen is one producer's generation of the collector.
type produceGen struct {
	c        *collector
	p        producer
	inflight atomic.Int64          // records sent whose promise has not run
	err      atomic.Pointer[error] // first produce error since the last reset or cycle end
	promise  func(*kgo.Record, error)
}

func (c *collector) newGen(p producer) *produceGen {
	g := &produceGen{c: c, p: p}
	g.promise = g.done
	return g
}

func newCollector(ctx context.Context, p producer, parts *partitionCache, changelogs map[string]bool) *collector {
	c := &collector{ctx: ctx, parts: parts, changelogs: changelogs, pending: map[string]int64{}}
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
	g.inflight.Add(1)
	kr := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value}
	kr.Timestamp = msTime(r.Timestamp)
	if len(r.Headers) > 0 {
		kr.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			kr.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	g.p.Produce(c.ctx, kr, g.promise)
	return nil
}

// done is the produce promise of g's records. It records the outcome before
// it counts the record settled, so that settle sees both.
func (g *produceGen) done(kr *kgo.Record, err error) {
	defer g.inflight.Add(-1)
	c := g.c
	if err != nil {
		werr := fmt.Errorf("produce to topic %q partition %d: %w", kr.Topic, kr.Partition, err)
		g.err.CompareAndSwap(nil, &werr)
		return
	}
	if !c.changelogs[kr.Topic] {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.Load() != g {
		return // from a producer replaced after fencing; its cycle was dropped
	}
	k := engine.OffsetKey(kr.Topic, kr.Partition)
	c.pending[k] = max(c.pending[k], kr.Offset+1)
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

// Err returns the first produce error of the cycle.
func (c *collector) Err() error {
	if err := c.cur.Load().err.Load(); err != nil {
		return *err
	}
	return nil
}

// offsetsFor returns the changelog offsets the cycle's writes reached, for
// the given changelog topics and partition (a task's changelogs). A
// changelog the cycle did not write is left out: the task's store keeps
// the offset it has.
func (c *collector) offsetsFor(topics map[string]string, partition int32) map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int64{}
	for topic := range topics {
		k := engine.OffsetKey(topic, partition)
		if v, ok := c.pending[k]; ok {
			out[k] = v
		}
	}
	return out
}

// committedCycle ends a committed cycle.
func (c *collector) committedCycle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
	c.cur.Load().err.Store(nil)
}

// reset makes p the producer (a new one after the old was fenced) and
// forgets the cycle in progress; late promises of the old producer are
// ignored.
func (c *collector) reset(p producer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur.Store(c.newGen(p))
	clear(c.pending)
}

// abortedCycle forgets the cycle's offsets and errors.
func (c *collector) abortedCycle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
	c.cur.Load().err.Store(nil)
}

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
