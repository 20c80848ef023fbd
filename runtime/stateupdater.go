// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// restorePending starts restoring the tasks created since the last cycle,
// with their input partitions paused: each task's checks run on a goroutine
// of their own, then the worker's state updater reads its changelogs. The
// other tasks keep processing, and a rebalance need not wait: closing a
// task cancels its restore. finishRestores picks up the tasks whose restore
// ended.
func (w *worker) restorePending(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pause := map[string][]int32{}
	for _, id := range w.pending {
		t, ok := w.tasks[id]
		if !ok || t.restore != nil {
			continue // closed meanwhile, or already restoring
		}
		for _, q := range t.in.queues {
			if !q.paused {
				q.paused = true
				pause[q.topic] = append(pause[q.topic], q.partition)
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &restoring{cancel: cancel, done: make(chan struct{}), su: w.su}
		t.restore = r
		go func() {
			job, err := w.app.prepareRestore(rctx, t.Task)
			if err != nil || job == nil {
				r.err = err
				close(r.done)
				w.wake() // the task can process (or the worker stop) now
				return
			}
			job.ctx, job.r = rctx, r
			w.su.add(job)
		}()
	}
	w.pending = nil
	if len(pause) > 0 {
		w.cl.PauseFetchPartitions(pause)
	}
}

// restoring is a task's restore in progress.
type restoring struct {
	cancel context.CancelFunc
	su     *stateUpdater
	done   chan struct{} // closed when the restore ended; err is set then
	err    error
}

// stop cancels the restore and waits until it has ended: the task's state
// is no longer written then.
func (r *restoring) stop() {
	r.cancel()
	r.su.wakeUp()
	<-r.done
}

// stateUpdater reads the changelogs of a worker's restoring tasks and of
// its standby tasks with one consumer on one goroutine (Kafka Streams'
// state updater). Records go to their task's restoreJob or standby; a task
// whose changelogs are read to their target is done, a task whose restore
// was cancelled is dropped at once, and standbys commit their progress
// every commit interval.
type stateUpdater struct {
	w    *worker
	a    *App
	lags *lagTracker

	mu      sync.Mutex
	added   []*restoreJob      // to start
	reqs    []func()           // to run on the updater's goroutine (do)
	wake    context.CancelFunc // ends the poll in progress
	kick    chan struct{}      // wakes an idle updater
	stopped bool
	err     error // a standby failure the worker stops with

	// Owned by the updater's goroutine.
	cl       *kgo.Client
	jobs     map[string]map[int32]*restoreJob // changelog partition → its job
	all      map[*restoreJob]bool
	sbParts  map[string]map[int32]*standby
	sbs      map[*standby]bool
	sbCommit time.Time     // when standbys last committed
	done     chan struct{} // closed when run returns
}

func newStateUpdater(w *worker) *stateUpdater {
	return &stateUpdater{w: w, a: w.app, lags: newLagTracker(), kick: make(chan struct{}, 1),
		jobs: map[string]map[int32]*restoreJob{}, all: map[*restoreJob]bool{},
		sbParts: map[string]map[int32]*standby{}, sbs: map[*standby]bool{}, done: make(chan struct{})}
}

// errRestoreAgain ends a restore whose changelog offset fell out of the
// changelog's range while it read (retention or compaction moved the log
// start past it): the worker checks the task's state again, which wipes it,
// and restores it anew.
var errRestoreAgain = errors.New("changelog offset out of range during the restore")

// do runs fn on the updater's goroutine and waits for it; once the updater
// has stopped, it runs fn at once.
func (u *stateUpdater) do(fn func(*stateUpdater)) {
	ack := make(chan struct{})
	u.mu.Lock()
	if u.stopped {
		u.mu.Unlock()
		<-u.done
		fn(u)
		return
	}
	u.reqs = append(u.reqs, func() { fn(u); close(ack) })
	u.mu.Unlock()
	u.wakeUp()
	<-ack
}

// failure returns the error a standby failed with, if any.
func (u *stateUpdater) failure() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *stateUpdater) fail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err == nil {
		u.err = err
	}
}

// add hands job to the updater.
func (u *stateUpdater) add(j *restoreJob) {
	u.mu.Lock()
	if u.stopped {
		u.mu.Unlock()
		j.r.err = errStopped
		close(j.r.done)
		return
	}
	u.added = append(u.added, j)
	u.mu.Unlock()
	u.wakeUp()
}

// wakeUp makes the updater look at its jobs now.
func (u *stateUpdater) wakeUp() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.wake != nil {
		u.wake()
	}
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// close stops the updater once the worker's tasks are closed: any job left
// ends with errStopped.
func (u *stateUpdater) close() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
	u.wakeUp()
	<-u.done
}

// runRequests runs the requests do queued.
func (u *stateUpdater) runRequests() {
	u.mu.Lock()
	reqs := u.reqs
	u.reqs = nil
	u.mu.Unlock()
	for _, r := range reqs {
		r()
	}
}

// run is the updater's loop.
func (u *stateUpdater) run() {
	defer close(u.done)
	defer func() {
		u.runRequests()
		for sb := range u.sbs {
			u.removeStandby(sb)
		}
		for j := range u.all {
			u.finish(j, errStopped)
		}
		for _, j := range u.take() {
			j.r.err = errStopped
			close(j.r.done)
		}
		if u.cl != nil {
			u.cl.Close()
		}
	}()
	for {
		u.mu.Lock()
		stopped := u.stopped
		u.mu.Unlock()
		if stopped {
			return
		}
		u.runRequests()
		for _, j := range u.take() {
			if err := u.start(j); err != nil {
				u.finish(j, err)
			}
		}
		for j := range u.all {
			if err := j.ctx.Err(); err != nil {
				u.finish(j, err)
			}
		}
		if len(u.all) == 0 && len(u.sbs) == 0 {
			<-u.kick
			continue
		}
		u.poll()
		if time.Since(u.sbCommit) >= u.a.cfg.CommitInterval {
			u.commitStandbys()
			u.sbCommit = time.Now()
		}
	}
}

// client returns the updater's changelog consumer, created on first use.
// It never resets an offset by itself: an offset out of the changelog's
// range means the state does not belong to the changelog as it is now
// (see poll).
func (u *stateUpdater) client() (*kgo.Client, error) {
	if u.cl != nil {
		return u.cl, nil
	}
	cl, err := kgo.NewClient(append(u.a.baseOpts(),
		kgo.ConsumePreferringLagFn(u.lags.observe),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		// Short fetch waits, so that an idle changelog shows quickly.
		kgo.FetchMaxWait(restoreFetchWait),
	)...)
	if err != nil {
		return nil, fmt.Errorf("changelog consumer: %w", err)
	}
	u.cl = cl
	return cl, nil
}

// addStandby starts tailing sb's changelogs.
func (u *stateUpdater) addStandby(sb *standby) {
	cl, err := u.client()
	if err != nil {
		u.fail(fmt.Errorf("standby task %s: %w", sb.id, err))
		return
	}
	route(u.sbParts, sb.from, sb)
	u.sbs[sb] = true
	cl.AddConsumePartitions(sb.from)
}

// removeStandby stops tailing sb's changelogs and commits how far its copy
// got.
func (u *stateUpdater) removeStandby(sb *standby) {
	if !u.sbs[sb] {
		return
	}
	stopReading(u.cl, u.sbParts, sb.from)
	delete(u.sbs, sb)
	if err := sb.task.Commit(sb.next); err != nil {
		u.w.log.Warn("commit standby state", "task", sb.id.String(), "err", err)
	}
}

// resetStandby wipes a standby copy whose recorded offset in topic is out
// of the changelog's range and copies the changelog again from its start.
func (u *stateUpdater) resetStandby(sb *standby, topic string) error {
	st, ok := u.a.stateOf(sb.id)
	if !ok {
		return fmt.Errorf("standby task %s: state not open", sb.id)
	}
	if err := st.wipe(fmt.Sprintf("standby copy: recorded offset out of range of changelog %s partition %d", topic, sb.id.Partition)); err != nil {
		return err
	}
	rm := map[string][]int32{}
	for t, ps := range sb.from {
		for p := range ps {
			rm[t] = append(rm[t], p)
			ps[p] = kgo.NewOffset().AtStart()
		}
	}
	clear(sb.next)
	u.cl.RemoveConsumePartitions(rm)
	u.cl.AddConsumePartitions(sb.from)
	u.w.setSum(sb.id, 0)
	return nil
}

// commitStandbys makes the standbys' progress durable.
func (u *stateUpdater) commitStandbys() {
	for sb := range u.sbs {
		if err := sb.task.Commit(sb.next); err != nil {
			u.fail(fmt.Errorf("standby task %s: commit: %w", sb.id, err))
			return
		}
		u.w.setSum(sb.id, sum(sb.next))
	}
}

// take returns the jobs added since the last call.
func (u *stateUpdater) take() []*restoreJob {
	u.mu.Lock()
	defer u.mu.Unlock()
	js := u.added
	u.added = nil
	return js
}

// start begins reading j's changelogs.
func (u *stateUpdater) start(j *restoreJob) error {
	if _, err := u.client(); err != nil {
		return fmt.Errorf("task %s: %w", j.task.ID(), err)
	}
	u.lags.forget(route(u.jobs, j.from, j))
	u.all[j] = true
	j.begin()
	u.cl.AddConsumePartitions(j.from)
	return nil
}

// finish stops reading j's changelogs and ends its restore with err (nil:
// restored).
func (u *stateUpdater) finish(j *restoreJob, err error) {
	if u.all[j] {
		stopReading(u.cl, u.jobs, j.from)
		delete(u.all, j)
		j.end()
	}
	j.r.err = err
	close(j.r.done)
	u.w.wake()
}

// poll reads what the changelogs have, up to restoreIdlePoll, and applies it.
func (u *stateUpdater) poll() {
	pctx, cancel := context.WithTimeout(context.Background(), restoreIdlePoll)
	u.mu.Lock()
	u.wake = cancel
	u.mu.Unlock()
	fs := u.cl.PollRecords(pctx, 10_000)
	u.mu.Lock()
	u.wake = nil
	u.mu.Unlock()
	cancel()
	failed := map[*restoreJob]error{}
	reset := map[*standby]string{}
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return // the poll ended
		}
		if j := u.jobs[t][p]; j != nil && failed[j] == nil {
			if errors.Is(err, kerr.OffsetOutOfRange) {
				err = errRestoreAgain
			}
			failed[j] = fmt.Errorf("task %s: restore changelog %s partition %d: %w", j.task.ID(), t, p, err)
		}
		if sb := u.sbParts[t][p]; sb != nil {
			if errors.Is(err, kerr.OffsetOutOfRange) {
				// The copy does not belong to the changelog as it is
				// now (it was recreated, or truncated).
				reset[sb] = t
			} else {
				u.w.log.Warn("standby fetch error", "topic", t, "partition", p, "err", err)
			}
		}
	})
	for sb, t := range reset {
		if err := u.resetStandby(sb, t); err != nil {
			u.fail(err)
		}
	}
	fs.EachRecord(func(r *kgo.Record) {
		if sb := u.sbParts[r.Topic][r.Partition]; sb != nil {
			if _, again := reset[sb]; again {
				return
			}
			if !r.Attrs.IsControl() {
				if err := sb.task.Restore(r.Topic, r.Key, r.Value, r.Timestamp.UnixMilli()); err != nil {
					u.fail(fmt.Errorf("standby task %s: %w", sb.id, err))
					return
				}
				u.a.metrics.standbyApplied.Add(1)
				sb.stats.standbyApplied.Add(1)
			}
			sb.next[engine.OffsetKey(r.Topic, r.Partition)] = r.Offset + 1
			return
		}
		j := u.jobs[r.Topic][r.Partition]
		if j == nil || failed[j] != nil {
			return // a cancelled job's records
		}
		if err := j.apply(r); err != nil {
			failed[j] = err
		}
	})
	for j := range u.all {
		if err := failed[j]; err != nil {
			u.finish(j, err)
			continue
		}
		done, err := j.afterPoll(u.lags)
		if err != nil || done {
			u.finish(j, err)
		}
	}
}

// finishRestores makes the tasks whose restore completed processable and
// resumes their partitions; a failed restore is the worker's error.
func (w *worker) finishRestores(ctx context.Context) error {
	ready, err := w.takeRestored(ctx)
	if err != nil {
		return err
	}
	// RUNNING only once the worker is in the group and every task of its
	// assignment is restored: before, it is REBALANCING, as in Kafka
	// Streams. (Outside w.mu: the state listener may read Metrics.)
	w.ready.Store(ready)
	w.app.updateRunning()
	return nil
}

// takeRestored ends the restores that completed and reports whether the
// worker is ready: joined, with no restore pending or running.
func (w *worker) takeRestored(ctx context.Context) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	limit := w.app.cfg.BufferedRecordsPerPartition
	resume := map[string][]int32{}
	busy := false
	for _, t := range w.tasks {
		if t.restore == nil {
			continue
		}
		select {
		case <-t.restore.done:
		default:
			busy = true
			continue
		}
		if err := t.restore.err; errors.Is(err, errRestoreAgain) {
			w.log.Warn("restore read past the changelog's start: checking the task's state again", "task", t.ID().String(), "err", err)
			t.restore = nil
			w.pending = append(w.pending, t.ID())
			busy = true
			continue
		}
		if err := t.restore.err; err != nil {
			if ctx.Err() != nil {
				return false, errStopped // shutdown interrupted the restore
			}
			return false, fmt.Errorf("task %s: restore: %w", t.ID(), err)
		}
		t.restore = nil
		for _, q := range t.in.queues {
			if q.paused && q.len() <= limit {
				q.paused = false
				resume[q.topic] = append(resume[q.topic], q.partition)
			}
		}
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
	return w.joined.Load() && !busy && len(w.pending) == 0, nil
}

// route makes owner the reader of the partitions of from in m and returns
// them.
func route[T any](m map[string]map[int32]T, from map[string]map[int32]kgo.Offset, owner T) map[string][]int32 {
	parts := map[string][]int32{}
	for t, ps := range from {
		for p := range ps {
			parts[t] = append(parts[t], p)
			if m[t] == nil {
				m[t] = map[int32]T{}
			}
			m[t][p] = owner
		}
	}
	return parts
}

// stopReading removes the partitions of from from the consumer and from m.
func stopReading[T any](cl *kgo.Client, m map[string]map[int32]T, from map[string]map[int32]kgo.Offset) {
	rm := map[string][]int32{}
	for t, ps := range from {
		for p := range ps {
			rm[t] = append(rm[t], p)
			delete(m[t], p)
		}
	}
	cl.RemoveConsumePartitions(rm)
}
