// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package window

import (
	"errors"
	"fmt"
	"time"
)

// TimeWindows are fixed-size, epoch-aligned windows: tumbling when the
// advance equals the size, hopping when it is smaller. A record with
// timestamp ts belongs to every window with start <= ts < start+size.
//
// The grace period is how long after a window ends it still accepts
// out-of-order records, measured in stream time: a record is dropped for a
// window once window end <= stream time - grace.
type TimeWindows struct {
	size, advance, grace int64
	err                  error
}

// Tumbling returns non-overlapping windows of the given size with no grace
// period (Kafka Streams' TimeWindows.ofSizeWithNoGrace).
func Tumbling(size time.Duration) TimeWindows {
	w := TimeWindows{size: size.Milliseconds(), advance: size.Milliseconds()}
	if size.Milliseconds() <= 0 {
		w.err = fmt.Errorf("window size must be at least 1ms, got %v", size)
	}
	return w
}

// Hopping returns overlapping windows of the given size starting every
// advance; a record falls into ⌈size/advance⌉ windows.
func Hopping(size, advance time.Duration) TimeWindows {
	w := Tumbling(size)
	w.advance = advance.Milliseconds()
	if w.err == nil && (w.advance <= 0 || w.advance > w.size) {
		w.err = fmt.Errorf("window advance must be in (0, size=%v], got %v", size, advance)
	}
	return w
}

// Grace returns w with the given grace period (Kafka Streams'
// ofSizeAndGrace). The default is zero.
func (w TimeWindows) Grace(d time.Duration) TimeWindows {
	w.grace = d.Milliseconds()
	if w.err == nil && w.grace < 0 {
		w.err = fmt.Errorf("window grace must not be negative, got %v", d)
	}
	return w
}

// Size returns the window size.
func (w TimeWindows) Size() time.Duration { return millis(w.size) }

// Advance returns the advance.
func (w TimeWindows) Advance() time.Duration { return millis(w.advance) }

// GracePeriod returns the grace period.
func (w TimeWindows) GracePeriod() time.Duration { return millis(w.grace) }

// Validate reports an invalid specification.
func (w TimeWindows) Validate() error {
	if w.err != nil {
		return w.err
	}
	if w.size == 0 {
		return errors.New("window specification is empty: use window.Tumbling or window.Hopping")
	}
	return nil
}

// AppendFor appends the windows containing t, by ascending start, to dst.
// Times before the Unix epoch belong to no window.
func (w TimeWindows) AppendFor(dst []Window, t time.Time) []Window {
	ts := t.UnixMilli()
	if ts < 0 || w.advance <= 0 {
		return dst
	}
	start := max(0, ts-w.size+w.advance) / w.advance * w.advance
	for ; start <= ts; start += w.advance {
		dst = append(dst, Window{start: start, end: start + w.size})
	}
	return dst
}
