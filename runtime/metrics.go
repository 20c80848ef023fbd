// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/metric"
)

// metrics holds an instance's counters. They live as long as the App: a
// task's counts outlive the task (taskStats), so totals never go down when
// a rebalance or shutdown closes tasks.
type metrics struct {
	restored         atomic.Int64
	standbyApplied   atomic.Int64
	commits          atomic.Int64
	commitDur        atomic.Int64 // nanoseconds
	aborts           atomic.Int64
	producerResets   atomic.Int64
	restoreRemaining atomic.Int64

	mu    sync.Mutex
	tasks map[engine.TaskID]*taskStats // every task this instance has opened
}

// taskStats is what an instance counts of one task across the times it
// opened it (active or standby, in any worker).
type taskStats struct {
	engine           *engine.Metrics // the task engine counts into it (engine.Config.Metrics)
	restored         atomic.Int64    // changelog records restored
	restoreRemaining atomic.Int64    // changelog offsets its restore in progress still has to read
	standbyApplied   atomic.Int64    // changelog records applied to its standby copy
}

// task returns the counters of task id, created on first use.
func (m *metrics) task(id engine.TaskID) *taskStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts, ok := m.tasks[id]
	if !ok {
		if m.tasks == nil {
			m.tasks = map[engine.TaskID]*taskStats{}
		}
		ts = &taskStats{engine: engine.NewMetrics()}
		m.tasks[id] = ts
	}
	return ts
}

// allTasks returns the counters of every task opened so far.
func (m *metrics) allTasks() map[engine.TaskID]*taskStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[engine.TaskID]*taskStats, len(m.tasks))
	for id, ts := range m.tasks {
		out[id] = ts
	}
	return out
}

// threadStats is what a worker measures of its own loop.
type threadStats struct {
	poll       *metric.Histogram // time in PollRecords, nanoseconds
	commit     *metric.Histogram // successful commits, nanoseconds
	rebalances atomic.Int64      // group sessions joined
}

func newThreadStats() *threadStats {
	return &threadStats{poll: metric.NewCallLatency(), commit: metric.NewCallLatency()}
}

// Metrics is a snapshot of an instance's counters. DetailedMetrics breaks
// them down by worker, task and store, with latency histograms.
type Metrics struct {
	// Processed counts input records per task ("0_3") of the tasks the
	// instance runs now, over every time it ran the task.
	Processed map[string]int64
	// ProcessedTotal counts the input records the instance processed, by
	// every task, including those closed since (moved away by a
	// rebalance).
	ProcessedTotal int64
	// Dropped counts dropped records by reason, summed over every task
	// the instance ran, including those closed since, and global tables.
	Dropped map[string]int64
	// Commits is the number of successful commit cycles; Aborts the number
	// of exactly-once cycles that aborted.
	Commits, Aborts int64
	// ProducerResets counts exactly-once producers rebuilt after fencing
	// (a transaction outlived the transaction timeout).
	ProducerResets int64
	// CommitLatency is the mean duration of a commit.
	CommitLatency time.Duration
	// Rebalances counts the group sessions the instance's workers joined
	// (each ends a rebalance).
	Rebalances int64
	// GlobalRestored is the number of records read from global tables'
	// topics to bootstrap their stores at start-up (0 when the local
	// stores were current); GlobalApplied counts, per global store, the
	// records applied to it since start-up (bootstrap included).
	GlobalRestored int64
	GlobalApplied  map[string]int64
	// Restored is the number of changelog records restored into stores,
	// counted as they are applied; RestoreRemaining is how many changelog
	// offsets the restores in progress still have to read (0 when none
	// runs).
	Restored, RestoreRemaining int64
	// Standbys is the number of standby tasks this instance keeps;
	// StandbyApplied the changelog records they applied.
	Standbys       int
	StandbyApplied int64
	// EnforcedProcessing counts records processed while another input
	// partition of their task had nothing buffered and was not waited for
	// (Kafka Streams' enforced-processing-total; see Config.MaxTaskIdle).
	EnforcedProcessing int64
	// Lag is, per input "topic/partition" of this instance's tasks, how many
	// records the last fetch was behind the partition's high watermark.
	Lag map[string]int64
}

// Metrics returns a snapshot of the instance's counters.
func (a *App) Metrics() Metrics {
	m := Metrics{Processed: map[string]int64{}, Dropped: map[string]int64{}, Lag: map[string]int64{},
		Commits: a.metrics.commits.Load(), Aborts: a.metrics.aborts.Load(),
		ProducerResets: a.metrics.producerResets.Load(), Restored: a.metrics.restored.Load(),
		RestoreRemaining: a.metrics.restoreRemaining.Load(),
		StandbyApplied:   a.metrics.standbyApplied.Load()}
	if m.Commits > 0 {
		m.CommitLatency = time.Duration(a.metrics.commitDur.Load() / m.Commits)
	}
	for _, w := range a.allWorkers() {
		w.snapshot(&m)
	}
	for _, ts := range a.metrics.allTasks() {
		m.ProcessedTotal += ts.engine.Processed()
		for k, v := range ts.engine.Dropped() {
			m.Dropped[k] += v
		}
	}
	a.globalMetrics(&m)
	return m
}

// allWorkers returns the instance's workers (none before Run).
func (a *App) allWorkers() []*worker {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*worker(nil), a.workers...)
}

// snapshot adds the worker's live tasks and counters to m.
func (w *worker) snapshot(m *Metrics) {
	m.Rebalances += w.stats.rebalances.Load()
	m.EnforcedProcessing += w.enforced.Load()
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range w.lag {
		m.Lag[k] = v
	}
	m.Standbys += len(w.standbys)
	for id, t := range w.tasks {
		m.Processed[id.String()] += t.Metrics().Processed()
	}
}
