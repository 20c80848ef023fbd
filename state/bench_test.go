// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state_test

import (
	"testing"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/state/statetest"
)

// BenchmarkBackends compares the memory and Pebble backends in one process:
// go test -run '^$' -bench Backends ./state/
func BenchmarkBackends(b *testing.B) {
	cache, err := pebble.NewCache(64 << 20)
	if err != nil {
		b.Fatal(err)
	}
	defer cache.Close()
	statetest.Benchmarks(b,
		statetest.Named{Name: "memory", Config: statetest.Config{
			Open: func(testing.TB, string) state.Backend { return memory.New() },
		}},
		statetest.Named{Name: "pebble", Config: statetest.Config{
			Open: func(tb testing.TB, dir string) state.Backend {
				be, err := pebble.Open(dir, pebble.Options{Cache: cache})
				if err != nil {
					tb.Fatal(err)
				}
				return be
			},
		}},
	)
}
