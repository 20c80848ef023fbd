// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import "github.com/eddy-streams/eddy/state/pebble"

// Memory of the state stores: see Config.StateMemoryBytes and
// state/pebble/memory.go.
const (
	defaultStateMemoryBytes = 128 << 20
	minStateMemoryBytes     = 4 << 20
)

// newStateCache returns the Pebble cache and write budget all the
// instance's databases share, sized by c.StateMemoryBytes.
func newStateCache(c *Config) (*pebble.Cache, error) {
	total := c.StateMemoryBytes
	if total == 0 {
		total = defaultStateMemoryBytes
	}
	return pebble.NewCacheWith(pebble.ForMemory(total))
}
