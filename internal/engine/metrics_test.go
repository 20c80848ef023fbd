// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state/memory"
)

// A Metrics given in the task's configuration keeps counting across the
// task's lifetimes: processed and dropped records, punctuations, outputs.
func TestMetricsAcrossTaskLifetimes(t *testing.T) {
	m := engine.NewMetrics()
	open := func() *engine.Task {
		task, err := engine.NewTask(engine.Config{
			AppID: "app", ID: engine.TaskID{Subtopology: 0, Partition: 1},
			Spec: &engine.Spec{Nodes: []engine.NodeSpec{{
				ID: 0, Name: "src", Topics: []string{"in"},
				New: func(*engine.Task) (any, error) { return &rawSource{}, nil },
			}}},
			Backend: memory.New(), Collector: &nopCollector{}, Metrics: m,
		})
		require.NoError(t, err)
		return task
	}
	for range 2 {
		task := open()
		assert.Same(t, m, task.Metrics())
		task.Schedule(10, engine.StreamTime, func(int64) error { return nil })
		require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Timestamp: 5}))
		task.Drop(engine.DropLate)
		out := task.Metrics().OutputLatency("sink")
		task.ObserveOutput(out, 100) // no wall time yet: not recorded
		task.SetWallTime(1_100)
		task.ObserveOutput(out, 100)
		require.NoError(t, task.Close())
	}
	assert.Equal(t, int64(2), m.Processed())
	assert.Equal(t, map[string]int64{engine.DropLate: 2}, m.Dropped())
	assert.Equal(t, uint64(2), m.PunctuateLatency().Snapshot().Count, "one stream-time punctuation per lifetime")
	require.Len(t, m.OutputLatencies(), 1)
	s := m.OutputLatencies()["sink"].Snapshot()
	assert.Equal(t, uint64(2), s.Count)
	assert.InDelta(t, 2.0, s.Sum, 1e-9, "two outputs of records one second old")
}

// A task without Config.Metrics has its own.
func TestMetricsOwn(t *testing.T) {
	var clock int64
	a, b := newTask(t, &clock), newTask(t, &clock)
	require.NoError(t, a.Process(&engine.RawRecord{Topic: "in"}))
	assert.Equal(t, int64(1), a.Metrics().Processed())
	assert.Zero(t, b.Metrics().Processed())
}
