package engine

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Reasons a record is dropped, as reported by Metrics.Dropped.
const (
	DropLate            = "late"              // window already closed (end <= stream time - grace)
	DropNullKey         = "null-key"          // aggregation or repartition input without a key
	DropNullValue       = "null-value"        // aggregation input without a value
	DropDeserialization = "deserialization"   // undecodable bytes skipped by the error handler
	DropTimestamp       = "invalid-timestamp" // negative timestamp skipped by the error handler
	DropExpired         = "expired"           // window outside the store's retention
	DropProcessing      = "processing"        // processing error or panic skipped by the error handler
)

// Metrics counts what a task did. It is safe to read concurrently.
type Metrics struct {
	processed atomic.Int64
	mu        sync.Mutex
	dropped   map[string]int64
}

func (m *Metrics) drop(reason string) {
	m.mu.Lock()
	if m.dropped == nil {
		m.dropped = make(map[string]int64)
	}
	m.dropped[reason]++
	m.mu.Unlock()
}

// Processed returns the number of input records processed.
func (m *Metrics) Processed() int64 { return m.processed.Load() }

// Dropped returns a copy of the dropped-record counts by reason.
func (m *Metrics) Dropped() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.dropped)
}
