// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import (
	"math"

	"github.com/eddy-streams/eddy/state"
)

// Clock is the retention state of a window or session store: its options
// and the largest time (window start, session end) put so far.
type Clock struct {
	Retention int64
	Interval  int64 // segment interval, > 0
	Observed  int64 // state.MinTime before the first put
}

// NewClock returns the clock of a store with opts that has seen no writes.
func NewClock(opts state.WindowOptions) Clock {
	return Clock{Retention: opts.Retention, Interval: opts.Segment(), Observed: state.MinTime}
}

// LiveFrom is the earliest time (window start, session end) that is not
// expired: Observed - Retention + 1. A time exactly Retention behind the
// observed time has expired, as in Kafka Streams, whose window and session
// stores, in memory and in RocksDB, return only entries with a time >
// observedStreamTime - retentionPeriod (fetch from "observedStreamTime -
// retentionPeriod + 1", puts at or before observedStreamTime -
// retentionPeriod skipped).
func (c Clock) LiveFrom() int64 {
	if c.Observed < math.MinInt64+c.Retention {
		return math.MinInt64
	}
	return c.Observed - c.Retention + 1
}

// Expired reports whether time t (a window start, a session end) is
// expired: t <= Observed - Retention.
func (c Clock) Expired(t int64) bool { return t < c.LiveFrom() }

// Segment returns the id of the segment holding windows that start at t.
func (c Clock) Segment(t int64) int64 {
	s := t / c.Interval
	if t%c.Interval < 0 {
		s--
	}
	return s
}

// MinLiveSegment is the lowest segment that may hold unexpired entries; all
// segments below it can be dropped.
func (c Clock) MinLiveSegment() int64 { return c.Segment(c.LiveFrom()) }

// Clip narrows [from, to] to the times that can hold live entries,
// [LiveFrom, Observed]. ok is false if nothing is left.
func (c Clock) Clip(from, to int64) (lo, hi int64, ok bool) {
	lo, hi = max(from, c.LiveFrom()), min(to, c.Observed)
	return lo, hi, lo <= hi && c.Observed != state.MinTime
}

// Advance records a put at start and reports whether the observed time moved.
func (c *Clock) Advance(start int64) bool {
	if start > c.Observed {
		c.Observed = start
		return true
	}
	return false
}
