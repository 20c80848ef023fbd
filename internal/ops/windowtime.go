// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"time"

	"github.com/eddy-streams/eddy/window"
)

// The operators compute in epoch milliseconds, Kafka's timestamp unit; the
// public window types speak time.Time. These convert at the boundary.

// windowOf builds a windowed key from epoch-millisecond bounds.
func windowOf[K any](key K, start, end int64) window.Windowed[K] {
	return window.Of(key, time.UnixMilli(start), time.UnixMilli(end))
}

// bounds returns a window's bounds in epoch milliseconds.
func bounds(w window.Window) (start, end int64) {
	return w.Start().UnixMilli(), w.End().UnixMilli()
}
