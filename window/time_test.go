// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package window_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/window"
)

// between is the window [start, end) in epoch milliseconds.
func between(start, end int64) window.Window {
	return window.Between(time.UnixMilli(start), time.UnixMilli(end))
}

func TestAppendFor(t *testing.T) {
	cases := []struct {
		name string
		w    window.TimeWindows
		ts   int64
		want []window.Window
	}{
		{"tumbling start", window.Tumbling(10 * time.Millisecond), 0, []window.Window{between(0, 10)}},
		{"tumbling last ms", window.Tumbling(10 * time.Millisecond), 9, []window.Window{between(0, 10)}},
		{"tumbling next", window.Tumbling(10 * time.Millisecond), 10, []window.Window{between(10, 20)}},
		{"hopping two", window.Hopping(10*time.Millisecond, 5*time.Millisecond), 7, []window.Window{between(0, 10), between(5, 15)}},
		{"hopping near epoch", window.Hopping(10*time.Millisecond, 5*time.Millisecond), 3, []window.Window{between(0, 10)}},
		{"hopping three", window.Hopping(9*time.Millisecond, 3*time.Millisecond), 9, []window.Window{between(3, 12), between(6, 15), between(9, 18)}},
		{"negative", window.Tumbling(10 * time.Millisecond), -1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, c.w.Validate())
			assert.Equal(t, c.want, c.w.AppendFor(nil, time.UnixMilli(c.ts)))
		})
	}
}

func TestValidate(t *testing.T) {
	assert.ErrorContains(t, window.Tumbling(0).Validate(), "window size must be at least 1ms")
	assert.ErrorContains(t, window.Hopping(time.Second, 2*time.Second).Validate(), "advance must be in (0, size=1s]")
	assert.ErrorContains(t, window.Tumbling(time.Second).Grace(-time.Second).Validate(), "grace must not be negative")
	assert.ErrorContains(t, window.TimeWindows{}.Validate(), "window specification is empty")
	w := window.Hopping(time.Minute, 20*time.Second).Grace(5 * time.Second)
	assert.Equal(t, time.Minute, w.Size())
	assert.Equal(t, 20*time.Second, w.Advance())
	assert.Equal(t, 5*time.Second, w.GracePeriod())
	assert.Equal(t, "k@[1970-01-01T00:00:00Z,1970-01-01T00:01:00.001Z)", window.Of("k", time.UnixMilli(0), time.UnixMilli(60_001)).String())
}
