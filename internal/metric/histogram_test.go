// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metric

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHistogramBuckets(t *testing.T) {
	h := New(time.Millisecond, time.Millisecond, 10*time.Millisecond, time.Second)
	for _, v := range []int64{-5, 0, 1, 2, 10, 11, 1000, 1001, 60_000} {
		h.Observe(v)
	}
	h.ObserveN(5, 3)
	s := h.Snapshot()
	assert.Equal(t, []float64{0.001, 0.01, 1}, s.Bounds)
	// ≤1 ms: -5 (as 0), 0, 1; ≤10 ms: + 2, 10, 3×5; ≤1 s: + 11, 1000.
	assert.Equal(t, []uint64{3, 8, 10}, s.Cumulative)
	assert.Equal(t, uint64(12), s.Count, "the two above the last bound count too")
	assert.InDelta(t, (0+0+1+2+10+11+1000+1001+60_000+15)/1000.0, s.Sum, 1e-9)
}

func TestHistogramBoundsMustAscend(t *testing.T) {
	assert.Panics(t, func() { New(time.Millisecond, time.Second, time.Second) })
}

func TestHistogramConcurrent(t *testing.T) {
	h := NewRecordLatency()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				h.Observe(int64(g*1000 + i))
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			s := h.Snapshot()
			assert.LessOrEqual(t, s.Cumulative[len(s.Cumulative)-1], s.Count)
		}
	})
	wg.Wait()
	assert.Equal(t, uint64(4000), h.Snapshot().Count)
}

func TestLatencyHistograms(t *testing.T) {
	for name, h := range map[string]*Histogram{"record": NewRecordLatency(), "call": NewCallLatency(), "end-to-end": NewEndToEndLatency()} {
		s := h.Snapshot()
		assert.NotEmpty(t, s.Bounds, name)
		for i := 1; i < len(s.Bounds); i++ {
			assert.Greater(t, s.Bounds[i], s.Bounds[i-1], name)
		}
	}
	assert.Equal(t, 1e-6, NewRecordLatency().Snapshot().Bounds[0])
	assert.Equal(t, 3600.0, NewEndToEndLatency().Snapshot().Bounds[16])
}

func BenchmarkObserve(b *testing.B) {
	h := NewEndToEndLatency()
	for i := range b.N {
		h.Observe(int64(i & 4095))
	}
}
