package wincore

import (
	"math"

	"github.com/eddy-streams/eddy/state"
)

// Clock is the retention state of a window store: its options and the
// largest window start put so far.
type Clock struct {
	Retention int64
	Interval  int64 // segment interval, > 0
	Observed  int64 // state.MinTime before the first put
}

// NewClock returns the clock of a store with opts that has seen no writes.
func NewClock(opts state.WindowOptions) Clock {
	return Clock{Retention: opts.Retention, Interval: opts.Segment(), Observed: state.MinTime}
}

// LiveFrom is the earliest window start that is not expired.
func (c Clock) LiveFrom() int64 {
	if c.Observed < math.MinInt64+c.Retention {
		return math.MinInt64
	}
	return c.Observed - c.Retention
}

// Expired reports whether a window starting at start is expired.
func (c Clock) Expired(start int64) bool { return start < c.LiveFrom() }

// Segment returns the id of the segment holding windows that start at t.
func (c Clock) Segment(t int64) int64 {
	s := t / c.Interval
	if t%c.Interval < 0 {
		s--
	}
	return s
}

// MinLiveSegment is the lowest segment that may hold unexpired windows; all
// segments below it can be dropped.
func (c Clock) MinLiveSegment() int64 { return c.Segment(c.LiveFrom()) }

// Clip narrows [from, to] to the starts that can hold live windows,
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
