// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// heldProducer keeps what the collector produces; ack runs the promises
// as franz-go would, with the offsets the broker gave.
type heldProducer struct {
	mu   sync.Mutex
	recs []*kgo.Record
	fns  []func(*kgo.Record, error)
}

func (p *heldProducer) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recs = append(p.recs, r)
	p.fns = append(p.fns, promise)
}

// ack settles every record held, numbering each partition's records from
// next[topic/partition]; fail fails them instead.
func (p *heldProducer) ack(next map[string]int64, fail error) {
	p.mu.Lock()
	recs, fns := p.recs, p.fns
	p.recs, p.fns = nil, nil
	p.mu.Unlock()
	for i, r := range recs {
		if r.Partition < 0 {
			r.Partition = 1 // the partitioner's choice
		}
		k := engine.OffsetKey(r.Topic, r.Partition)
		r.Offset = next[k]
		next[k]++
		fns[i](r, fail)
	}
}

func newTestCollector(p producer) *collector {
	return newCollector(context.Background(), p, nil, map[string]bool{"app-a-changelog": true, "app-b-changelog": true})
}

func send(t *testing.T, c *collector, topic string, partition int32) {
	t.Helper()
	require.NoError(t, c.Send(&engine.RawRecord{Topic: topic, Partition: partition, Key: []byte("k"), Value: []byte("v")}))
}

// The collector reports per changelog partition the offset after the last
// record acknowledged in the cycle, for the partitions written only, and
// nothing for other topics; a failed record advances nothing; the next
// cycle starts empty.
func TestCollectorChangelogOffsets(t *testing.T) {
	p := &heldProducer{}
	c := newTestCollector(p)
	next := map[string]int64{"app-a-changelog/0": 10, "app-a-changelog/2": 5}
	send(t, c, "app-a-changelog", 0)
	send(t, c, "app-a-changelog", 0)
	send(t, c, "app-a-changelog", 2)
	send(t, c, "out", 0)
	send(t, c, "app-b-changelog", -1) // placed by the partitioner: partition 1
	p.ack(next, nil)
	require.NoError(t, c.settle(context.Background()))
	topics := map[string]string{"app-a-changelog": "a", "app-b-changelog": "b"}
	assert.Equal(t, map[string]int64{"app-a-changelog/0": 12}, c.offsetsFor(topics, 0))
	assert.Equal(t, map[string]int64{"app-b-changelog/1": 1}, c.offsetsFor(topics, 1))
	assert.Equal(t, map[string]int64{"app-a-changelog/2": 6}, c.offsetsFor(topics, 2))
	assert.Empty(t, c.offsetsFor(map[string]string{"out": "x"}, 0))

	c.committedCycle()
	assert.Empty(t, c.offsetsFor(topics, 0), "a new cycle")
	send(t, c, "app-a-changelog", 0)
	p.ack(next, errors.New("broker said no"))
	require.NoError(t, c.settle(context.Background()))
	assert.Error(t, c.Err())
	assert.Empty(t, c.offsetsFor(topics, 0), "a failed record reached no offset")
	c.abortedCycle()
	assert.NoError(t, c.Err())
}

// Promises of a replaced producer change nothing of the new one's cycle.
func TestCollectorResetIgnoresOldPromises(t *testing.T) {
	old := &heldProducer{}
	c := newTestCollector(old)
	send(t, c, "app-a-changelog", 0)
	fresh := &heldProducer{}
	c.reset(fresh)
	old.ack(map[string]int64{"app-a-changelog/0": 100}, nil)
	topics := map[string]string{"app-a-changelog": "a"}
	assert.Empty(t, c.offsetsFor(topics, 0))
	send(t, c, "app-a-changelog", 0)
	fresh.ack(map[string]int64{"app-a-changelog/0": 7}, nil)
	require.NoError(t, c.settle(context.Background()))
	assert.Equal(t, map[string]int64{"app-a-changelog/0": 8}, c.offsetsFor(topics, 0))
}

// Slots are created for new partitions while promises advance existing
// ones on another goroutine (run with -race): no advance is lost, and
// offsets only go up.
func TestChangelogOffsetsGrowWhileAdvancing(t *testing.T) {
	g := &produceGen{}
	o := newChangelogOffsets(map[string]bool{"log": true})
	g.offsets = o
	const parts, rounds = 64, 200
	first := o.slot("log", 0, g)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range rounds {
			first.advance(int64(i + 1))
			first.advance(int64(i)) // late and lower: ignored
		}
	})
	for p := int32(1); p < parts; p++ {
		s := o.slot("log", p, g)
		require.Same(t, s, o.slot("log", p, g))
		s.advance(int64(p))
	}
	wg.Wait()
	assert.Nil(t, o.slot("other", 0, g))
	assert.Nil(t, o.slot("log", -1, g))
	topics := map[string]string{"log": "s"}
	assert.Equal(t, map[string]int64{"log/0": rounds}, o.offsetsFor(topics, 0))
	for p := int32(1); p < parts; p++ {
		assert.Equal(t, map[string]int64{engine.OffsetKey("log", p): int64(p)}, o.offsetsFor(topics, p))
	}
	o.clear()
	assert.Empty(t, o.offsetsFor(topics, 0))
}
