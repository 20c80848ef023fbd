// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"slices"
	"strings"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/metric"
	"github.com/eddy-streams/eddy/state/pebble"
)

// DetailedMetrics is an instance's metrics broken down as Kafka Streams
// breaks down its own: by worker (Kafka Streams' stream thread), task,
// processor node and store, with latency histograms. Package metrics
// exports it to Prometheus.
type DetailedMetrics struct {
	// Metrics are the instance's totals.
	Metrics
	// AppID and InstanceID name the instance; State is its lifecycle
	// state.
	AppID, InstanceID string
	State             State
	// Threads are the workers, by id.
	Threads []ThreadMetrics
	// Tasks are every task the instance has run since it started (closed
	// ones keep their counts), then its global tasks, by id.
	Tasks []TaskMetrics
	// Lags are the input partitions of the instance's active tasks, by
	// topic and partition.
	Lags []PartitionLag
	// Stores are the open task databases, by task.
	Stores []StoreMetrics
	// BlockCache is the block cache the instance's databases share.
	BlockCache pebble.CacheMetrics
}

// ThreadMetrics are one worker's figures.
type ThreadMetrics struct {
	// ID is the worker's index (Config.Workers).
	ID int
	// PollLatency is the time each poll took (it waits up to 100 ms for
	// records); CommitLatency the time each successful commit took.
	PollLatency, CommitLatency Histogram
	// Rebalances counts the group sessions the worker joined.
	Rebalances int64
	// EnforcedProcessing counts records processed while another input
	// partition of their task had nothing buffered and was not waited for.
	EnforcedProcessing int64
	// CacheHits and CacheMisses count reads of the worker's record cache
	// (Config.CacheMaxBytes) that found the key cached and that did not.
	CacheHits, CacheMisses int64
	// Running, Restoring and Standby count the worker's tasks by state:
	// active and processing, active and restoring their state, standby.
	Running, Restoring, Standby int
}

// TaskMetrics are one task's figures, over every time the instance ran
// it.
type TaskMetrics struct {
	// ID is the task id ("0_3"; "2_global" for a global table).
	ID string
	// Thread is the worker that runs the task now; -1 if none does, and
	// for global tasks (the global tables' updater runs them).
	Thread int
	// State is "RUNNING", "RESTORING" or "STANDBY" for a task the
	// instance runs now, "CLOSED" for one it ran before.
	State string
	// Processed counts the input records it processed; Dropped the
	// records it dropped, by reason.
	Processed int64
	Dropped   map[string]int64
	// ProcessLatency is the time a record took to go through the task
	// (measured per batch of up to 100 records, recorded as the batch's
	// mean); PunctuateLatency the time each punctuation took.
	ProcessLatency, PunctuateLatency Histogram
	// EndToEndLatency is, per sink node, the age of the records it sent:
	// wall-clock time minus the record's timestamp.
	EndToEndLatency map[string]Histogram
	// Restored counts the changelog records restored into its state;
	// RestoreRemaining is what its restore in progress still has to read.
	Restored, RestoreRemaining int64
	// StandbyApplied counts the changelog records its standby copy
	// applied; StandbyLag, for a STANDBY task, how many its changelogs
	// hold beyond them (-1 until known, and for other states).
	StandbyApplied, StandbyLag int64
}

// PartitionLag is the consumer lag of one input partition of an active
// task: how many records the broker holds beyond what the worker fetched
// (Kafka Streams' records-lag).
type PartitionLag struct {
	Topic     string
	Partition int32
	Task      string
	Records   int64
}

// Histogram is a latency histogram's state, in the shape of a Prometheus
// histogram.
type Histogram struct {
	// Count is the number of observations; Sum their total in seconds.
	Count uint64
	Sum   float64
	// Buckets are cumulative: each counts the observations at or below
	// its upper bound (seconds). Observations above the last bound are in
	// Count only.
	Buckets []HistogramBucket
}

// HistogramBucket is one bucket of a Histogram.
type HistogramBucket struct {
	// UpperBound is the bucket's inclusive upper bound, in seconds.
	UpperBound float64
	// Count is the number of observations at or below UpperBound.
	Count uint64
}

// Mean returns the mean observation, or 0 without observations.
func (h Histogram) Mean() time.Duration {
	if h.Count == 0 {
		return 0
	}
	return time.Duration(h.Sum / float64(h.Count) * float64(time.Second))
}

func histogramOf(h *metric.Histogram) Histogram {
	s := h.Snapshot()
	out := Histogram{Count: s.Count, Sum: s.Sum, Buckets: make([]HistogramBucket, len(s.Bounds))}
	for i, b := range s.Bounds {
		out.Buckets[i] = HistogramBucket{UpperBound: b, Count: s.Cumulative[i]}
	}
	return out
}

// Task states in TaskMetrics.State.
const (
	taskRunning   = "RUNNING"
	taskRestoring = "RESTORING"
	taskStandby   = "STANDBY"
	taskClosed    = "CLOSED"
)

// taskPlace is where a task runs now.
type taskPlace struct {
	thread     int
	state      string
	standbyLag int64
}

// DetailedMetrics returns a snapshot of the instance's metrics by worker,
// task, processor node and store. It reads Pebble's figures of every open
// task database, so it costs more than Metrics; a scrape every few seconds
// is cheap.
func (a *App) DetailedMetrics() DetailedMetrics {
	d := DetailedMetrics{Metrics: a.Metrics(), AppID: a.cfg.AppID, InstanceID: a.cfg.InstanceID, State: a.State()}
	where := map[engine.TaskID]taskPlace{}
	for _, w := range a.allWorkers() {
		d.Threads = append(d.Threads, w.detail(where, &d.Lags))
	}
	all := a.metrics.allTasks()
	ids := make([]engine.TaskID, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareTasks)
	for _, id := range ids {
		p, ok := where[id]
		if !ok {
			p = taskPlace{thread: -1, state: taskClosed, standbyLag: -1}
		}
		d.Tasks = append(d.Tasks, all[id].detail(id, p))
	}
	d.Tasks = append(d.Tasks, a.globalTaskMetrics()...)
	slices.SortFunc(d.Lags, func(x, y PartitionLag) int {
		if c := strings.Compare(x.Topic, y.Topic); c != 0 {
			return c
		}
		return int(x.Partition - y.Partition)
	})
	d.Stores = a.storeMetrics()
	if a.cache != nil {
		d.BlockCache = a.cache.Metrics()
	}
	return d
}

func compareTasks(x, y engine.TaskID) int {
	if x.Subtopology != y.Subtopology {
		return x.Subtopology - y.Subtopology
	}
	return int(x.Partition - y.Partition)
}

// detail returns the worker's figures and notes where its tasks run and
// their input partitions' backlog.
func (w *worker) detail(where map[engine.TaskID]taskPlace, lags *[]PartitionLag) ThreadMetrics {
	tm := ThreadMetrics{ID: w.id, PollLatency: histogramOf(w.stats.poll), CommitLatency: histogramOf(w.stats.commit),
		Rebalances: w.stats.rebalances.Load(), EnforcedProcessing: w.enforced.Load(),
		CacheHits: w.cache.Hits.Load(), CacheMisses: w.cache.Misses.Load()}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, t := range w.tasks {
		state := taskRunning
		if t.restore != nil {
			state = taskRestoring
			tm.Restoring++
		} else {
			tm.Running++
		}
		where[id] = taskPlace{thread: w.id, state: state, standbyLag: -1}
		for _, q := range t.in.queues {
			lag, ok := t.in.lag(q.topic, q.partition)
			if !ok {
				lag, ok = w.lag[engine.OffsetKey(q.topic, q.partition)]
			}
			if ok {
				*lags = append(*lags, PartitionLag{Topic: q.topic, Partition: q.partition, Task: id.String(), Records: lag})
			}
		}
	}
	for id, sb := range w.standbys {
		tm.Standby++
		where[id] = taskPlace{thread: w.id, state: taskStandby, standbyLag: w.su.standbyLag(sb)}
	}
	return tm
}

// standbyLag returns how many records sb's changelog partitions hold
// beyond what it applied, or -1 while the consumer does not know yet.
func (u *stateUpdater) standbyLag(sb *standby) int64 {
	var total int64
	for topic := range sb.task.Changelogs() {
		lag, ok := u.lags.of(topic, sb.id.Partition)
		if !ok {
			return -1
		}
		total += lag
	}
	return total
}

func (ts *taskStats) detail(id engine.TaskID, p taskPlace) TaskMetrics {
	m := ts.engine
	tm := TaskMetrics{ID: id.String(), Thread: p.thread, State: p.state, Processed: m.Processed(), Dropped: m.Dropped(),
		ProcessLatency: histogramOf(m.ProcessLatency()), PunctuateLatency: histogramOf(m.PunctuateLatency()),
		EndToEndLatency: map[string]Histogram{}, Restored: ts.restored.Load(), RestoreRemaining: ts.restoreRemaining.Load(),
		StandbyApplied: ts.standbyApplied.Load(), StandbyLag: p.standbyLag}
	for node, h := range m.OutputLatencies() {
		tm.EndToEndLatency[node] = histogramOf(h)
	}
	if tm.Dropped == nil {
		tm.Dropped = map[string]int64{}
	}
	return tm
}

// globalTaskMetrics returns the figures of the global tables' tasks.
func (a *App) globalTaskMetrics() []TaskMetrics {
	g := a.global.Load()
	if g == nil {
		return nil
	}
	var out []TaskMetrics
	for _, gt := range g.tasks {
		gt.mu.Lock()
		t := gt.task
		gt.mu.Unlock()
		if t == nil {
			continue
		}
		tm := (&taskStats{engine: t.Metrics()}).detail(gt.id, taskPlace{thread: -1, state: taskRunning, standbyLag: -1})
		tm.Processed = gt.processed.Load()
		out = append(out, tm)
	}
	return out
}
