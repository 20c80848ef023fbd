// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"testing"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/statetest"
)

func TestConformance(t *testing.T) {
	cache, err := NewCache(16 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	statetest.Run(t, statetest.Config{
		Open: func(t testing.TB, dir string) state.Backend {
			b, err := Open(dir, Options{Cache: cache, MemTableSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		Persistent: true,
	})
}
