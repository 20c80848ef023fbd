// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// heldRecords returns the records p holds, without settling them.
func heldRecords(p *heldProducer) []*kgo.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*kgo.Record(nil), p.recs...)
}

// holds reports whether rs holds r itself (not an equal record).
func holds(rs []*kgo.Record, r *kgo.Record) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func TestCollectorRecyclesSettledRecords(t *testing.T) {
	p := &heldProducer{}
	c := newTestCollector(p)
	for range recordSlab {
		send(t, c, "out", 0)
	}
	first := heldRecords(p)
	require.Len(t, first, recordSlab)
	// All in flight: the next record comes from a new pool.
	send(t, c, "out", 1)
	held := heldRecords(p)
	assert.False(t, holds(first, held[len(held)-1]))
	p.ack(map[string]int64{}, nil)

	// Every record of the first pool settled: once the second is used
	// up, Send hands them out again, written afresh.
	for range recordSlab - 1 {
		send(t, c, "out", 1)
	}
	send(t, c, "out", 2)
	reused := heldRecords(p)
	last := reused[len(reused)-1]
	assert.Same(t, first[0], last)
	assert.Equal(t, int32(2), last.Partition)
	assert.Equal(t, "out", last.Topic)
	assert.Equal(t, []byte("k"), last.Key)
	assert.Equal(t, int64(0), last.Offset, "written afresh: no offset from its last produce")
}

func TestCollectorKeepsFailedRecords(t *testing.T) {
	p := &heldProducer{}
	c := newTestCollector(p)
	for range recordSlab {
		send(t, c, "out", 0)
	}
	p.mu.Lock()
	first, fns := p.recs, p.fns
	p.recs, p.fns = nil, nil
	p.mu.Unlock()
	// One record failed: it may be kept (a rejection for the production
	// handler), so its pool is never handed out again.
	for i, r := range first {
		var err error
		if i == 5 {
			err = errors.New("boom")
		}
		fns[i](r, err)
	}
	require.Error(t, c.Err())
	c.abortedCycle()
	for range 2 * recordSlab {
		send(t, c, "out", 0)
	}
	for _, r := range heldRecords(p) {
		assert.False(t, holds(first, r), "a record of the pool with a failure was handed out again")
	}
	p.ack(map[string]int64{}, nil)
	require.NoError(t, c.settle(context.Background()))
}
