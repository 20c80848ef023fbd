// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state/pebble"
)

// assigned creates tasks for newly assigned partitions; the next cycle
// starts restoring them (stateupdater.go), and they process nothing until
// their restore has ended.
func (w *worker) assigned(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	w.app.forgetMeta()
	if w.app.cfg.StandbyReplicas > 0 {
		// A standby of a newly assigned task, in this or a sibling worker,
		// hands its state over before the active task opens it.
		for topic, ps := range parts {
			if sub, ok := w.app.plan.subOf[topic]; ok {
				for _, p := range ps {
					w.app.releaseStandby(engine.TaskID{Subtopology: sub, Partition: p})
				}
			}
		}
	}
	w.stats.rebalances.Add(1) // called once per group session, also when nothing new is assigned
	w.mu.Lock()
	for topic, ps := range parts {
		w.owned[topic] = append(w.owned[topic], ps...)
	}
	w.lags.forget(parts)
	if w.gone {
		// A new session after dropGone: reopen the tasks of the
		// partitions the client kept; they restore what was written
		// meanwhile, and the client fetches on from where this worker
		// stopped processing.
		parts, w.gone = w.owned, false
	}
	var ids []engine.TaskID
	for topic, ps := range parts {
		sub, ok := w.app.plan.subOf[topic]
		if !ok {
			continue
		}
		for _, p := range ps {
			id := engine.TaskID{Subtopology: sub, Partition: p}
			if _, ok := w.tasks[id]; !ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	w.mu.Unlock()

	// Open the tasks' state without w.mu: opening a database can take long
	// (a crashed one is checked, a full disk retries), and metrics,
	// queries and status pages read w.tasks meanwhile. Nothing else adds
	// tasks: rebalance callbacks run one at a time, with the poll loop
	// blocked (BlockRebalanceOnPoll).
	opened := make(map[engine.TaskID]*activeTask, len(ids))
	var errs []error
	states := w.app.openTaskStates(ids)
	for i, id := range ids {
		if states[i].err != nil {
			errs = append(errs, states[i].err)
			continue
		}
		t, err := w.app.newTaskOn(id, states[i].be, w.coll, w.cache)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		topics := t.Topics()
		slices.Sort(topics)
		in := newPartitionGroup(topics, id.Partition, w.app.cfg.MaxTaskIdle, w.lags.of, &w.enforced)
		if w.app.cfg.Guarantee == ExactlyOnce { // read_committed (not w.sess: newWorker may still be setting it)
			in.setLagWait(uncommittedLagWait)
		}
		for _, q := range in.queues {
			q.extracts = t.Extracts(q.topic)
		}
		opened[id] = &activeTask{Task: t, in: in}
	}

	// The assignment can arrive while the worker polls: end that poll, so
	// the new tasks' restore checks start at once (after w.mu is released:
	// deferred calls run last in, first out).
	defer w.wake()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(errs) > 0 {
		w.fatal = errors.Join(append([]error{w.fatal}, errs...)...)
	}
	for _, id := range ids {
		if t, ok := opened[id]; ok {
			w.tasks[id] = t
			w.pending = append(w.pending, id)
		}
	}
	w.joined.Store(true)
	w.ready.Store(len(w.pending) == 0)
	w.log.Info("partitions assigned", "partitions", parts, "tasks", len(w.tasks))
}

// revoked closes the tasks of revoked partitions. Their state was committed
// at the end of the last cycle (rebalances only run between cycles).
func (w *worker) revoked(ctx context.Context, cl *kgo.Client, parts map[string][]int32) {
	if w.app.cfg.Guarantee != ExactlyOnce && !w.stopping.Load() {
		// At-least-once: commit what was processed before giving it up.
		if err := w.commitALOS(ctx); err != nil {
			w.log.Warn("commit on revocation failed; revoked records will be processed again", "err", err)
		}
	}
	w.closeTasks(parts, false)
}

// lost drops the tasks of lost partitions without committing.
func (w *worker) lost(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	w.closeTasks(parts, true)
}

func (w *worker) closeTasks(parts map[string][]int32, dirty bool) {
	w.app.forgetMeta()
	w.lags.forget(parts)
	w.mu.Lock()
	defer w.mu.Unlock()
	for topic, ps := range parts {
		w.owned[topic] = slices.DeleteFunc(w.owned[topic], func(p int32) bool { return slices.Contains(ps, p) })
		if len(w.owned[topic]) == 0 {
			delete(w.owned, topic)
		}
	}
	if dirty {
		w.gone = false // all lost: the next session assigns afresh
	}
	for topic, ps := range parts {
		sub, ok := w.app.plan.subOf[topic]
		if !ok {
			continue
		}
		for _, p := range ps {
			id := engine.TaskID{Subtopology: sub, Partition: p}
			if _, ok := w.tasks[id]; !ok {
				continue
			}
			if err := w.closeTaskLocked(id, dirty); err != nil {
				w.log.Warn("close task", "task", id.String(), "err", err)
			}
		}
	}
	w.log.Info("partitions released", "partitions", parts, "dirty", dirty, "tasks", len(w.tasks))
}

// activeTask is a task this worker processes, with its input buffers.
type activeTask struct {
	*engine.Task
	in      *partitionGroup
	restore *restoring // non-nil while its state is being restored
}

// closeTaskLocked closes the task id, dropping its uncommitted state changes
// if dirty, and forgets its input: buffered records, lag and paused
// partitions (a partition stays paused in the client until resumed, also
// across assignments). w.mu is held.
func (w *worker) closeTaskLocked(id engine.TaskID, dirty bool) error {
	t := w.tasks[id]
	delete(w.tasks, id)
	// Not restored later: a task reopened under this id before the next
	// cycle is pending again by itself, and must get one restore only.
	w.pending = slices.DeleteFunc(w.pending, func(p engine.TaskID) bool { return p == id })
	if t.restore != nil {
		t.restore.stop()
	}
	resume := map[string][]int32{}
	for _, q := range t.in.queues {
		delete(w.lag, engine.OffsetKey(q.topic, q.partition))
		if q.paused {
			resume[q.topic] = append(resume[q.topic], q.partition)
		}
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
	t.in.drop()
	if dirty {
		_ = t.Abort()
	}
	return t.Close()
}

// closeAllLocked closes every task; dirty drops their uncommitted state.
// w.mu is held.
func (w *worker) closeAllLocked(dirty bool) error {
	var errs []error
	for id := range w.tasks {
		if err := w.closeTaskLocked(id, dirty); err != nil {
			errs = append(errs, fmt.Errorf("close task %s: %w", id, err))
		}
	}
	clear(w.lag)
	w.pending = nil
	return errors.Join(errs...)
}

// newTask opens the state of task id and creates the task.
func (a *App) newTask(id engine.TaskID, coll engine.Collector, cache *engine.Cache) (*engine.Task, error) {
	be, err := a.openTaskState(id)
	if err != nil {
		return nil, err
	}
	return a.newTaskOn(id, be, coll, cache)
}

// openTaskState opens the state of task id.
func (a *App) openTaskState(id engine.TaskID) (*taskState, error) {
	// Sync: a commit's state and changelog offsets are on disk before the
	// input offsets are committed, so a task restarted after a SIGKILL or
	// a power loss opens its state where it left off and restores nothing
	// (Kafka Streams flushes its stores at every commit for the same
	// reason). One fsync per commit interval per task.
	be, err := a.openState(id, pebble.Options{Cache: a.cache, Logger: a.log, Sync: true})
	if err != nil {
		return nil, fmt.Errorf("task %s: open state in %s: %w", id, a.taskDir(id), err)
	}
	return be, nil
}

// openedState is the outcome of opening a task's state.
type openedState struct {
	be  *taskState
	err error
}

// maxParallelOpens bounds how many task databases a rebalance opens at
// once. Opening one is mostly waiting for the filesystem (creating and
// syncing its files), so a new instance's tasks open side by side.
const maxParallelOpens = 8

// openTaskStates opens the states of tasks ids, several at a time; the
// i-th result is that of ids[i].
func (a *App) openTaskStates(ids []engine.TaskID) []openedState {
	out := make([]openedState, len(ids))
	sem := make(chan struct{}, maxParallelOpens)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].be, out[i].err = a.openTaskState(id)
		})
	}
	wg.Wait()
	return out
}

// newTaskOn creates task id on its opened state be, which it closes if it
// fails.
func (a *App) newTaskOn(id engine.TaskID, be *taskState, coll engine.Collector, cache *engine.Cache) (*engine.Task, error) {
	t, err := engine.NewTask(engine.Config{
		AppID: a.cfg.AppID, ID: id, Spec: a.topo.Spec(id.Subtopology, a.cfg.AppID),
		Backend: be, Collector: coll, OnError: a.cfg.errorHandler(), Logger: a.log, Globals: a.globalStores(),
		Metrics: a.metrics.task(id).engine, // counts outlive the task (metrics.go)
		Cache:   cache,
	})
	if err != nil {
		be.Close()
		return nil, err
	}
	return t, nil
}

// snapshotTasks returns the tasks that can process (not restoring), in
// task order.
func (w *worker) snapshotTasks() []*activeTask {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]engine.TaskID, 0, len(w.tasks))
	for id, t := range w.tasks {
		if t.restore == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Subtopology != ids[j].Subtopology {
			return ids[i].Subtopology < ids[j].Subtopology
		}
		return ids[i].Partition < ids[j].Partition
	})
	out := make([]*activeTask, len(ids))
	for i, id := range ids {
		out[i] = w.tasks[id]
	}
	return out
}

// dropGone closes every task dirty (their uncommitted state changes
// dropped) and stops processing until the client's next group session:
// then assigned reopens the tasks of the partitions the client kept (or
// lost drops them), and the records it buffered meanwhile are processed.
func (w *worker) dropGone() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.closeAllLocked(true); err != nil {
		w.log.Warn("close tasks", "err", err)
	}
	// The records processed since the last commit lost their state
	// changes, and those polled but not processed were dropped with the
	// tasks: the poll loop rewinds the client to the committed offsets
	// (SetOffsets is not safe in a rebalance callback, where this may run).
	w.gone, w.rewind = true, true
	w.log.Warn("the group dropped this member: closed its tasks without committing, processing nothing until it rejoins")
}

func (w *worker) isGone() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone
}
