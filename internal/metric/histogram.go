// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package metric holds the lock-free histogram the runtime and the task
// engine record latencies in. Recording is a bucket search and two atomic
// additions, cheap enough for a record's path; readers take snapshots
// concurrently.
package metric

import (
	"sync/atomic"
	"time"
)

// Histogram counts observations in fixed buckets. Values are integers in a
// unit given at construction (nanoseconds, milliseconds); snapshots report
// them in seconds. It is safe for concurrent use.
type Histogram struct {
	bounds    []int64         // inclusive upper bounds, ascending, in the histogram's unit
	seconds   []float64       // the bounds in seconds
	counts    []atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	sum       atomic.Int64    // of observed values, in the histogram's unit
	perSecond float64         // units per second
}

// New returns a histogram of values in unit with the given inclusive upper
// bounds, which must ascend; a bucket above the last bound counts the rest.
func New(unit time.Duration, bounds ...time.Duration) *Histogram {
	h := &Histogram{bounds: make([]int64, len(bounds)), seconds: make([]float64, len(bounds)),
		counts: make([]atomic.Uint64, len(bounds)+1), perSecond: float64(time.Second / unit)}
	for i, b := range bounds {
		if i > 0 && b <= bounds[i-1] {
			panic("metric: histogram bounds must ascend")
		}
		h.bounds[i] = int64(b / unit)
		h.seconds[i] = b.Seconds()
	}
	return h
}

// Observe records one value. Negative values count as 0.
func (h *Histogram) Observe(v int64) { h.ObserveN(v, 1) }

// ObserveN records n observations of v (n > 0): a batch of records whose
// mean latency was v.
func (h *Histogram) ObserveN(v, n int64) {
	v = max(v, 0)
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i].Add(uint64(n))
	h.sum.Add(v * n)
}

// Snapshot is a histogram's state at one moment.
type Snapshot struct {
	// Count is the number of observations; Sum their total in seconds.
	Count uint64
	Sum   float64
	// Bounds are the buckets' upper bounds in seconds (shared: do not
	// modify) and Cumulative the number of observations at or below each.
	Bounds     []float64
	Cumulative []uint64
}

// Snapshot returns the histogram's counts. Count is the sum of the buckets
// read, so the snapshot is consistent even while observations continue
// (Sum may include an observation the buckets do not yet).
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{Bounds: h.seconds, Cumulative: make([]uint64, len(h.bounds))}
	var c uint64
	for i := range h.counts {
		c += h.counts[i].Load()
		if i < len(h.bounds) {
			s.Cumulative[i] = c
		}
	}
	s.Count = c
	s.Sum = float64(h.sum.Load()) / h.perSecond
	return s
}

// NewRecordLatency returns a histogram of per-record durations in
// nanoseconds (processing, punctuation): 1 µs to 1 s.
func NewRecordLatency() *Histogram {
	us, ms := time.Microsecond, time.Millisecond
	return New(time.Nanosecond, us, 2500*time.Nanosecond, 5*us, 10*us, 25*us, 50*us, 100*us, 250*us, 500*us,
		ms, 2500*us, 5*ms, 10*ms, 25*ms, 50*ms, 100*ms, 250*ms, time.Second)
}

// NewCallLatency returns a histogram of call durations in nanoseconds
// (poll, commit): 100 µs to 30 s.
func NewCallLatency() *Histogram {
	us, ms, s := time.Microsecond, time.Millisecond, time.Second
	return New(time.Nanosecond, 100*us, 250*us, 500*us, ms, 2500*us, 5*ms, 10*ms, 25*ms, 50*ms, 100*ms, 250*ms, 500*ms,
		s, 2500*ms, 5*s, 10*s, 30*s)
}

// NewEndToEndLatency returns a histogram of record ages in milliseconds
// (record timestamp to output): 1 ms to 1 h.
func NewEndToEndLatency() *Histogram {
	ms, s := time.Millisecond, time.Second
	return New(time.Millisecond, ms, 5*ms, 10*ms, 25*ms, 50*ms, 100*ms, 250*ms, 500*ms, s, 2500*ms, 5*s, 10*s, 30*s,
		time.Minute, 5*time.Minute, 15*time.Minute, time.Hour)
}
