// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

// A task's counts outlive it: once shutdown has closed the tasks, Metrics
// still counts what they processed and dropped, and DetailedMetrics lists
// them as CLOSED with their counts. While it runs, DetailedMetrics has the
// task's latencies, its input lag and its store's figures.
func TestMetricsOutliveTasks(t *testing.T) {
	c := poisonCluster(t, map[string]int32{"nums": 1, "nums-out": 1}, nil)
	r := runAsync(t, numSum(t), runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, OnError: runtime.Skip,
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
	c.produceRaw(t, rec("nums", i64(1), i64(5)), rec("nums", []byte("bad"), i64(100)), rec("nums", i64(1), i64(7)))
	want := map[string]int64{string(i64(1)): 12}
	got, n := c.readCounts(t, "nums-out", want, 20*time.Second)
	require.Equal(t, want, got)
	require.Equal(t, 2, n, "one output per good record")

	var d runtime.DetailedMetrics
	require.Eventually(t, func() bool {
		d = r.app.DetailedMetrics()
		return d.State == runtime.Running && d.ProcessedTotal == 3 && len(d.Lags) == 1 && len(d.Threads) == 1 && d.Threads[0].CommitLatency.Count > 0
	}, 20*time.Second, 10*time.Millisecond, "running, three records processed, a lag and a commit")
	assert.Equal(t, map[string]int64{"0_0": 3}, d.Processed)
	assert.Equal(t, int64(1), d.Dropped["deserialization"])
	require.Len(t, d.Tasks, 1)
	task := d.Tasks[0]
	assert.Equal(t, "0_0", task.ID)
	assert.Equal(t, "RUNNING", task.State)
	assert.Equal(t, 0, task.Thread)
	assert.Equal(t, int64(3), task.Processed)
	assert.Equal(t, map[string]int64{"deserialization": 1}, task.Dropped)
	assert.Equal(t, uint64(3), task.ProcessLatency.Count, "every processed record")
	require.Len(t, task.EndToEndLatency, 1, "one sink")
	for _, h := range task.EndToEndLatency {
		assert.Equal(t, uint64(2), h.Count, "every output record")
		assert.Equal(t, h.Count, h.Buckets[len(h.Buckets)-1].Count, "the records are younger than an hour")
	}
	assert.Equal(t, runtime.PartitionLag{Topic: "nums", Partition: 0, Task: "0_0", Records: 0}, d.Lags[0])
	assert.Equal(t, 1, d.Threads[0].Running)
	assert.Positive(t, d.Threads[0].PollLatency.Count)
	assert.Positive(t, d.Threads[0].Rebalances)
	require.Len(t, d.Stores, 1)
	assert.Equal(t, "0_0", d.Stores[0].Task)
	assert.Len(t, d.Stores[0].Stores, 1)
	assert.Positive(t, d.Stores[0].DiskUsageBytes)

	app := r.app
	require.NoError(t, r.stop(t))
	m := app.Metrics()
	assert.Empty(t, m.Processed, "no task runs")
	assert.Equal(t, int64(3), m.ProcessedTotal)
	assert.Equal(t, int64(1), m.Dropped["deserialization"], "the closed task's drops are still counted")
	d = app.DetailedMetrics()
	require.Len(t, d.Tasks, 1)
	assert.Equal(t, "CLOSED", d.Tasks[0].State)
	assert.Equal(t, -1, d.Tasks[0].Thread)
	assert.Equal(t, int64(3), d.Tasks[0].Processed)
	assert.Equal(t, uint64(3), d.Tasks[0].ProcessLatency.Count)
	assert.Empty(t, d.Lags)
	assert.Empty(t, d.Stores, "no database is open")
}

// Histogram snapshots report seconds; Mean is their mean.
func TestMetricsHistogramMean(t *testing.T) {
	h := runtime.Histogram{Count: 4, Sum: 2}
	assert.Equal(t, 500*time.Millisecond, h.Mean())
	assert.Zero(t, runtime.Histogram{}.Mean())
}
