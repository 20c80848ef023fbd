// Package window holds window specifications for windowed aggregations and the
// [Windowed] key type their results are keyed by.
//
// Time windows (tumbling, hopping) are epoch-aligned and half-open,
// [Start, End), as in Kafka Streams; session and sliding windows include
// both ends, [Start, End]. Times are milliseconds since the Unix epoch, the
// unit of Kafka record timestamps.
package window

import (
	"fmt"
	"time"
)

// Window is a time interval in epoch milliseconds: [Start, End) for time
// windows, [Start, End] for session and sliding windows.
type Window struct {
	Start int64
	End   int64
}

// String formats the window as [start,end) (the time-window notation).
func (w Window) String() string { return fmt.Sprintf("[%d,%d)", w.Start, w.End) }

// Windowed is a key scoped to a window: the key type of windowed aggregation
// results.
type Windowed[K any] struct {
	Key    K
	Window Window
}

// String formats the windowed key as key@[start,end).
func (w Windowed[K]) String() string { return fmt.Sprintf("%v@%v", w.Key, w.Window) }

// Of builds a windowed key.
func Of[K any](key K, start, end int64) Windowed[K] {
	return Windowed[K]{Key: key, Window: Window{Start: start, End: end}}
}

// Millis converts a duration to whole milliseconds.
func Millis(d time.Duration) int64 { return d.Milliseconds() }
