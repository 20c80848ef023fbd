// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// State changes from many goroutines reach the listener in order, one call
// at a time: each call's old state is the previous call's new state.
func TestStateListenerCallsInOrder(t *testing.T) {
	type change struct{ old, new State }
	var seen []change // appended by the listener only
	var inCall, overlaps atomic.Int32
	a := &App{log: slog.New(slog.DiscardHandler)}
	a.cfg.StateListener = func(old, new State) {
		if inCall.Add(1) != 1 {
			overlaps.Add(1)
		}
		seen = append(seen, change{old, new})
		time.Sleep(10 * time.Microsecond) // widen the window for an overlapping call
		inCall.Add(-1)
	}
	a.state = Created
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if (g+i)%2 == 0 {
					a.setState(Running)
				} else {
					a.setState(Rebalancing)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, overlaps.Load(), "listener calls overlapped")
	require.NotEmpty(t, seen)
	prev := Created
	for i, c := range seen {
		assert.Equal(t, prev, c.old, "call %d", i)
		assert.NotEqual(t, c.old, c.new, "call %d", i)
		prev = c.new
	}
	assert.Equal(t, a.State(), prev)
}
