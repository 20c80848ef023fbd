// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func TestExpiredSessionSegmentsAreDropped(t *testing.T) {
	b := New()
	s, err := b.Session("s", state.SessionOptions{Retention: 100, SegmentInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	for end := int64(0); end < 1000; end += 5 {
		if err := s.Put([]byte("k"), end-3, end, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	// Live ends are [895, 995]: segments 89..99.
	if n := s.(*sessionStore).segmentCount(); n != 11 {
		t.Fatalf("%d segments, want 11", n)
	}
}
