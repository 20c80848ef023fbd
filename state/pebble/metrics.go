// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

// CacheMetrics are the figures of a Cache's block cache and write budget.
type CacheMetrics struct {
	// Size is the bytes of blocks held; Count the number of blocks.
	Size, Count int64
	// Hits and Misses count lookups since the cache was created.
	Hits, Misses int64
	// MemTableLimit is the write budget (CacheOptions.MemTableBytes, 0 for
	// none); MemTableBytes the bytes the databases sharing it committed
	// and have not flushed yet (an estimate, see memory.go); Databases the
	// number of them open; ForcedFlushes counts the flushes the budget
	// asked for.
	MemTableLimit, MemTableBytes int64
	Databases                    int
	ForcedFlushes                int64
}

// Metrics returns the block cache's and write budget's figures, shared by
// every database using the cache (a database's own Metrics report the same
// BlockCache). A closed cache reports zeros.
func (c *Cache) Metrics() CacheMetrics {
	if c.isClosed() {
		return CacheMetrics{}
	}
	m := c.block.Metrics()
	cm := CacheMetrics{Size: m.Size, Count: m.Count, Hits: m.Hits, Misses: m.Misses}
	if c.mem != nil {
		cm.MemTableLimit = c.mem.limit
		cm.MemTableBytes, cm.Databases = c.mem.usage()
		cm.ForcedFlushes = c.mem.forced.Load()
	}
	return cm
}
