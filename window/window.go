// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package window holds window specifications for windowed aggregations and the
// [Windowed] key type their results are keyed by.
//
// Time windows (tumbling, hopping) are epoch-aligned and half-open,
// [Start, End), as in Kafka Streams; session and sliding windows include
// both ends, [Start, End]. Window bounds are kept to the millisecond, the
// resolution of Kafka record timestamps.
package window

import (
	"fmt"
	"time"
)

// Window is a time interval: [Start, End) for time windows, [Start, End]
// for session and sliding windows. Windows are comparable with ==, and so
// are Windowed keys of comparable key types (map keys, test assertions).
type Window struct {
	start, end int64 // epoch milliseconds
}

// Between returns the window from start to end, truncated to milliseconds.
func Between(start, end time.Time) Window {
	return Window{start: start.UnixMilli(), end: end.UnixMilli()}
}

// Start returns the window's start.
func (w Window) Start() time.Time { return time.UnixMilli(w.start) }

// End returns the window's end.
func (w Window) End() time.Time { return time.UnixMilli(w.end) }

// Size returns End - Start.
func (w Window) Size() time.Duration { return millis(w.end - w.start) }

// String formats the window as [start,end) in UTC (the time-window
// notation), e.g. [2026-01-02T10:00:00Z,2026-01-02T10:05:00Z).
func (w Window) String() string {
	return "[" + formatMillis(w.start) + "," + formatMillis(w.end) + ")"
}

// formatMillis formats an instant as RFC 3339 in UTC, with milliseconds
// when it has any.
func formatMillis(ms int64) string {
	layout := "2006-01-02T15:04:05Z07:00"
	if ms%1000 != 0 {
		layout = "2006-01-02T15:04:05.000Z07:00"
	}
	return time.UnixMilli(ms).UTC().Format(layout)
}

// Windowed is a key scoped to a window: the key type of windowed aggregation
// results.
type Windowed[K any] struct {
	Key    K
	Window Window
}

// String formats the windowed key as key@[start,end).
func (w Windowed[K]) String() string { return fmt.Sprintf("%v@%v", w.Key, w.Window) }

// Of builds a windowed key.
func Of[K any](key K, start, end time.Time) Windowed[K] {
	return Windowed[K]{Key: key, Window: Between(start, end)}
}

// millis converts a count of milliseconds to a duration.
func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
