// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package window

import (
	"errors"
	"fmt"
	"time"
)

// JoinWindows bound a stream–stream join (Kafka Streams' JoinWindows): a
// record with timestamp ts joins every record of the other stream with the
// same key and a timestamp in [ts-before, ts+after]. Seen from the other
// stream the bounds are mirrored: its record at ts joins this stream's
// records in [ts-after, ts+before].
//
// The grace period is how long, in stream time, a window stays open for
// out-of-order records after it ends. Left and outer joins emit a record
// without a partner only once its window has closed: when stream time
// passes ts + after + grace (ts + before + grace for the other stream's
// records in an outer join). Both streams are buffered for before + after
// + grace.
//
// Build one with [JoinWindow]; the zero value is invalid.
type JoinWindows struct {
	before, after, grace int64
	set                  bool
	err                  error
}

// JoinWindow returns symmetric join windows: records join when their
// timestamps differ by at most diff. The grace period is zero (Kafka
// Streams' JoinWindows.ofTimeDifferenceWithNoGrace); add one with Grace.
//
// JoinWindow(0) joins records with equal timestamps. (In Kafka Streams a
// zero difference with no grace gives the join stores a retention of 0, and
// such a join never matches; Eddy keeps records for at least 1 ms.)
func JoinWindow(diff time.Duration) JoinWindows {
	w := JoinWindows{before: diff.Milliseconds(), after: diff.Milliseconds(), set: true}
	if diff < 0 {
		w.err = fmt.Errorf("join window time difference must not be negative, got %v", diff)
	}
	return w
}

// Before returns w with how far the other stream's timestamp may lie before
// this stream's. It may be negative (the other record must then come at
// least -d later) as long as before + after stays >= 0.
func (w JoinWindows) Before(d time.Duration) JoinWindows {
	w.before = d.Milliseconds()
	w.checkSpan()
	return w
}

// After returns w with how far the other stream's timestamp may lie after
// this stream's. It may be negative as long as before + after stays >= 0.
func (w JoinWindows) After(d time.Duration) JoinWindows {
	w.after = d.Milliseconds()
	w.checkSpan()
	return w
}

// Grace returns w with the given grace period (Kafka Streams'
// ofTimeDifferenceAndGrace). The default is zero.
func (w JoinWindows) Grace(d time.Duration) JoinWindows {
	w.grace = d.Milliseconds()
	if w.err == nil && d < 0 {
		w.err = fmt.Errorf("join window grace must not be negative, got %v", d)
	}
	return w
}

func (w *JoinWindows) checkSpan() {
	if w.err == nil && w.before+w.after < 0 {
		w.err = fmt.Errorf("join window span before+after must not be negative, got before=%v after=%v",
			time.Duration(w.before)*time.Millisecond, time.Duration(w.after)*time.Millisecond)
	}
}

// Bounds returns how far the other stream's timestamp may lie before and
// after this stream's.
func (w JoinWindows) Bounds() (before, after time.Duration) { return millis(w.before), millis(w.after) }

// Size returns the window span before + after.
func (w JoinWindows) Size() time.Duration { return millis(w.before + w.after) }

// GracePeriod returns the grace period.
func (w JoinWindows) GracePeriod() time.Duration { return millis(w.grace) }

// Retention returns how long each stream's records are kept for joining:
// before + after + grace, as in Kafka Streams, but at least 1ms.
func (w JoinWindows) Retention() time.Duration { return millis(max(w.before+w.after+w.grace, 1)) }

// Validate reports an invalid specification.
func (w JoinWindows) Validate() error {
	if w.err != nil {
		return w.err
	}
	if !w.set {
		return errors.New("join window specification is empty: use window.JoinWindow")
	}
	return nil
}

// String formats the windows as before/after/grace durations.
func (w JoinWindows) String() string {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return fmt.Sprintf("JoinWindows{before=%v, after=%v, grace=%v}", ms(w.before), ms(w.after), ms(w.grace))
}
