package pebble

// CacheMetrics are the figures of a Cache's block cache.
type CacheMetrics struct {
	// Size is the bytes of blocks held; Count the number of blocks.
	Size, Count int64
	// Hits and Misses count lookups since the cache was created.
	Hits, Misses int64
}

// Metrics returns the block cache's figures, shared by every database
// using the cache (a database's own Metrics report the same BlockCache).
// A closed cache reports zeros.
func (c *Cache) Metrics() CacheMetrics {
	if c.isClosed() {
		return CacheMetrics{}
	}
	m := c.block.Metrics()
	return CacheMetrics{Size: m.Size, Count: m.Count, Hits: m.Hits, Misses: m.Misses}
}
