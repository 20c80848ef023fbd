// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"testing"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/statetest"
)

func TestConformance(t *testing.T) {
	statetest.Run(t, statetest.Config{
		Open: func(testing.TB, string) state.Backend { return New() },
	})
}

func TestExpiredSegmentsAreDropped(t *testing.T) {
	b := New()
	w, err := b.Window("w", state.WindowOptions{Retention: 100, SegmentInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(0); ts < 1000; ts += 5 {
		if err := w.Put([]byte("k"), ts, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	// Live starts are [895, 995]: segments 89..99.
	if n := w.(*windowStore).segmentCount(); n != 11 {
		t.Fatalf("%d segments, want 11", n)
	}
}
