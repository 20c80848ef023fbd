// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package window

import (
	"errors"
	"fmt"
	"time"
)

// SessionWindows group a key's records into sessions (Kafka Streams'
// SessionWindows): periods of activity separated by an inactivity gap. A
// record at ts joins every session of its key that ends at or after ts-gap
// and starts at or before ts+gap, merging them into one; otherwise it
// starts a new session [ts, ts]. Session windows are not aligned to the
// epoch, vary in size, and both their start and end are inclusive: the
// start is the session's first record's timestamp, the end its last's.
//
// The grace period is how long, in stream time, a session accepts
// out-of-order records after it ends: a record is dropped (and counted) if
// the session it would belong to, after merging, ends before stream time -
// grace - gap.
//
// Build one with [Session]; the zero value is invalid.
type SessionWindows struct {
	gap, grace int64
	err        error
}

// Session returns session windows with the given inactivity gap and no
// grace period (Kafka Streams' SessionWindows.ofInactivityGapWithNoGrace).
// The gap must be at least 1ms.
func Session(gap time.Duration) SessionWindows {
	w := SessionWindows{gap: gap.Milliseconds()}
	if w.gap <= 0 {
		w.err = fmt.Errorf("session inactivity gap must be at least 1ms, got %v", gap)
	}
	return w
}

// Grace returns w with the given grace period (Kafka Streams'
// ofInactivityGapAndGrace). The default is zero.
func (w SessionWindows) Grace(d time.Duration) SessionWindows {
	w.grace = d.Milliseconds()
	if w.err == nil && d < 0 {
		w.err = fmt.Errorf("session window grace must not be negative, got %v", d)
	}
	return w
}

// Gap returns the inactivity gap.
func (w SessionWindows) Gap() time.Duration { return millis(w.gap) }

// GracePeriod returns the grace period.
func (w SessionWindows) GracePeriod() time.Duration { return millis(w.grace) }

// Validate reports an invalid specification.
func (w SessionWindows) Validate() error {
	if w.err != nil {
		return w.err
	}
	if w.gap == 0 {
		return errors.New("session window specification is empty: use window.Session")
	}
	return nil
}
