package runtime

import (
	"context"
	"fmt"
)

// restorePending starts restoring the tasks created since the last cycle,
// each on its own goroutine, with its input partitions paused; the other
// tasks keep processing, and a rebalance need not wait: closing a task
// cancels its restore. finishRestores picks up the tasks whose restore
// ended.
func (w *worker) restorePending(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pause := map[string][]int32{}
	for _, id := range w.pending {
		t, ok := w.tasks[id]
		if !ok {
			continue
		}
		for _, q := range t.in.queues {
			if !q.paused {
				q.paused = true
				pause[q.topic] = append(pause[q.topic], q.partition)
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		t.restore = &restoring{cancel: cancel, done: make(chan struct{})}
		go func(r *restoring) {
			defer close(r.done)
			_, r.err = w.app.restore(rctx, t.Task)
		}(t.restore)
	}
	w.pending = nil
	if len(pause) > 0 {
		w.cl.PauseFetchPartitions(pause)
	}
}

// restoring is a task's restore in progress.
type restoring struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the restore ended; err is set then
	err    error
}

// stop cancels the restore and waits until it has ended.
func (r *restoring) stop() {
	r.cancel()
	<-r.done
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
