// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

type recordedRestore struct {
	mu     sync.Mutex
	events map[string][]string // "task/changelog" → kinds in order
	last   map[string]runtime.RestoreEvent
	sum    map[string]int64 // of Batch
}

func (r *recordedRestore) add(kind string, e runtime.RestoreEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := e.Task + "/" + e.Changelog
	r.events[k] = append(r.events[k], kind)
	if kind == "batch" {
		r.sum[k] += e.Batch
		if prev, ok := r.last[k]; ok {
			if e.Offset < prev.Offset {
				r.events[k] = append(r.events[k], "offset went back")
			}
		}
	}
	r.last[k] = e
}

func (r *recordedRestore) OnRestoreStart(e runtime.RestoreEvent)     { r.add("start", e) }
func (r *recordedRestore) OnBatchRestored(e runtime.RestoreEvent)    { r.add("batch", e) }
func (r *recordedRestore) OnRestoreEnd(e runtime.RestoreEvent)       { r.add("end", e) }
func (r *recordedRestore) OnRestoreSuspended(e runtime.RestoreEvent) { r.add("suspended", e) }

// A restore into an empty state directory reports, per changelog
// partition, its start, its batches and its end, with the totals Metrics
// counts.
func TestRestoreListener(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: "i1",
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	c.produce(t, "lines", "a b c", "b c d", "e f g", "a a")
	_, stop := startApp(t, wordCount(t), cfg)
	want := map[string]int64{"a": 3, "b": 2, "c": 2, "d": 1, "e": 1, "f": 1, "g": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	stop()

	rec := &recordedRestore{events: map[string][]string{}, last: map[string]runtime.RestoreEvent{}, sum: map[string]int64{}}
	cfg.StateDir = t.TempDir()
	cfg.RestoreListener = rec
	app, stop := startApp(t, wordCount(t), cfg)
	waitState(t, app, runtime.Running)
	restored := app.Metrics().Restored
	stop()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotEmpty(t, rec.events, "no restore reported")
	var total int64
	for k, kinds := range rec.events {
		require.GreaterOrEqual(t, len(kinds), 3, "%s: %v", k, kinds)
		assert.Equal(t, "start", kinds[0], k)
		assert.Equal(t, "end", kinds[len(kinds)-1], k)
		for _, kind := range kinds[1 : len(kinds)-1] {
			assert.Equal(t, "batch", kind, k)
		}
		e := rec.last[k]
		assert.Equal(t, "counts", e.Store, k)
		assert.Equal(t, e.EndOffset, e.Offset, "%s ends at its end offset", k)
		assert.Equal(t, rec.sum[k], e.Restored, "%s: batches add up", k)
		total += e.Restored
	}
	assert.Equal(t, restored, total, "the listener saw every restored record")
}
