// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/eddy-streams/eddy/internal/metric"
	"github.com/eddy-streams/eddy/record"
)

// Reasons a record is dropped, as reported by Metrics.Dropped (the public
// names are in package record).
const (
	DropLate            = record.DropLate
	DropNullKey         = record.DropNullKey
	DropNullValue       = record.DropNullValue
	DropDeserialization = record.DropDeserialization
	DropTimestamp       = record.DropTimestamp
	DropExpired         = record.DropExpired
	DropProcessing      = record.DropProcessing
	DropStaleResponse   = record.DropStaleResponse
)

// Metrics counts what a task did. It is safe to read concurrently. An owner
// that keeps one Metrics per task id (Config.Metrics) keeps the counts of
// all the task's lifetimes.
type Metrics struct {
	processed atomic.Int64
	process   *metric.Histogram // per-record processing time, recorded by the owner
	punctuate *metric.Histogram // per punctuation

	mu      sync.Mutex
	dropped map[string]int64
	outputs map[string]*metric.Histogram // sink node → end-to-end latency
}

// NewMetrics returns empty task metrics.
func NewMetrics() *Metrics {
	return &Metrics{process: metric.NewRecordLatency(), punctuate: metric.NewRecordLatency()}
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

// ProcessLatency is the histogram of the time a record takes to go through
// the task, in nanoseconds. The owner records it (see Task.SetWallTime).
func (m *Metrics) ProcessLatency() *metric.Histogram { return m.process }

// PunctuateLatency is the histogram of the time punctuations take, in
// nanoseconds; its count is the number of punctuations.
func (m *Metrics) PunctuateLatency() *metric.Histogram { return m.punctuate }

// OutputLatency returns the end-to-end latency histogram of sink node
// (record timestamp to output, in milliseconds), creating it on first use.
// Sinks resolve it once, when their task starts.
func (m *Metrics) OutputLatency(node string) *metric.Histogram {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.outputs[node]
	if !ok {
		if m.outputs == nil {
			m.outputs = map[string]*metric.Histogram{}
		}
		h = metric.NewEndToEndLatency()
		m.outputs[node] = h
	}
	return h
}

// OutputLatencies returns the end-to-end latency histograms by sink node.
func (m *Metrics) OutputLatencies() map[string]*metric.Histogram {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.outputs)
}
