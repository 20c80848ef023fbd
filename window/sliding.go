// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package window

import (
	"errors"
	"fmt"
	"time"
)

// SlidingWindows are windows of a fixed time difference that slide with the
// records (Kafka Streams' SlidingWindows): two records of a key fall into
// the same window if their timestamps differ by at most the time
// difference. Windows are aligned to record timestamps, not to the epoch,
// and both their start and end are inclusive: a window [Start, End] has End
// = Start + time difference. Every distinct set of records gets exactly one
// window: each record creates its left window [ts-diff, ts] and, when later
// records follow within diff, its right window [ts+1, ts+1+diff]. Records
// earlier than diff go into the window [0, diff].
//
// The grace period is how long, in stream time, a window accepts
// out-of-order records after it ends: a record is dropped for a window (and
// counted) once window end < stream time - grace.
//
// Build one with [Sliding]; the zero value is invalid.
type SlidingWindows struct {
	diff, grace int64
	set         bool
	err         error
}

// Sliding returns sliding windows with the given maximum time difference
// and no grace period (Kafka Streams'
// SlidingWindows.ofTimeDifferenceWithNoGrace).
func Sliding(timeDifference time.Duration) SlidingWindows {
	w := SlidingWindows{diff: timeDifference.Milliseconds(), set: true}
	if timeDifference < 0 {
		w.err = fmt.Errorf("sliding window time difference must not be negative, got %v", timeDifference)
	}
	return w
}

// Grace returns w with the given grace period (Kafka Streams'
// ofTimeDifferenceAndGrace). The default is zero.
func (w SlidingWindows) Grace(d time.Duration) SlidingWindows {
	w.grace = d.Milliseconds()
	if w.err == nil && d < 0 {
		w.err = fmt.Errorf("sliding window grace must not be negative, got %v", d)
	}
	return w
}

// TimeDifference returns the time difference (the window size).
func (w SlidingWindows) TimeDifference() time.Duration { return millis(w.diff) }

// GracePeriod returns the grace period.
func (w SlidingWindows) GracePeriod() time.Duration { return millis(w.grace) }

// Validate reports an invalid specification.
func (w SlidingWindows) Validate() error {
	if w.err != nil {
		return w.err
	}
	if !w.set {
		return errors.New("sliding window specification is empty: use window.Sliding")
	}
	return nil
}
