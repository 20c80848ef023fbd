// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/eddy-streams/eddy/internal/engine"
)

// A queryReq is a store read waiting for its worker's goroutine.
type queryReq struct {
	id   engine.TaskID
	fn   func(*engine.Task) error
	done chan error
}

// query runs fn with the active task id on the worker's goroutine, between
// two records, and returns its error: errNoTask if the worker runs no such
// task, ErrRestoring while the task restores.
func (w *worker) query(ctx context.Context, id engine.TaskID, fn func(*engine.Task) error) error {
	if err := w.queryable(id); err != nil {
		return err
	}
	req := queryReq{id: id, fn: fn, done: make(chan error, 1)}
	w.qmu.Lock()
	if w.qclosed {
		w.qmu.Unlock()
		return errNoTask
	}
	w.queries = append(w.queries, req)
	wake := w.wakePoll
	w.qmu.Unlock()
	if wake != nil {
		wake() // ends the poll in progress, so the read waits for no fetch
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// queryable reports whether the worker runs task id ready for reads.
func (w *worker) queryable(id engine.TaskID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.tasks[id]; !ok || w.gone {
		return errNoTask
	}
	if slices.Contains(w.pending, id) {
		return ErrRestoring
	}
	return nil
}

// wake ends the worker's poll in progress, if any, so that the next cycle
// starts at once: a query waits, or a task finished restoring.
func (w *worker) wake() {
	w.qmu.Lock()
	wake := w.wakePoll
	w.qmu.Unlock()
	if wake != nil {
		wake()
	}
}

// setWake records how to end the poll in progress (nil: none is).
func (w *worker) setWake(cancel context.CancelFunc) {
	w.qmu.Lock()
	w.wakePoll = cancel
	w.qmu.Unlock()
}

// runQueries answers the queued store reads. Called on the worker's
// goroutine between records.
func (w *worker) runQueries() {
	w.qmu.Lock()
	qs := w.queries
	w.queries = nil
	w.qmu.Unlock()
	for _, q := range qs {
		err := w.queryable(q.id)
		if err == nil {
			w.mu.Lock()
			t := w.tasks[q.id]
			w.mu.Unlock()
			err = q.fn(t.Task)
		}
		q.done <- err
	}
}

// closeQueries answers the queued reads and refuses new ones: the worker
// is stopping.
func (w *worker) closeQueries() {
	w.qmu.Lock()
	qs := w.queries
	w.queries, w.qclosed = nil, true
	w.qmu.Unlock()
	for _, q := range qs {
		q.done <- errNoTask
	}
}

// queryStandby runs fn with the standby task id on the state updater's
// goroutine, which keeps it current, and returns how many changelog
// records the standby has yet to apply.
func (w *worker) queryStandby(ctx context.Context, id engine.TaskID, fn func(*engine.Task) error) (int64, error) {
	w.mu.Lock()
	sb, ok := w.standbys[id]
	if !ok {
		w.mu.Unlock()
		return 0, errNoTask
	}
	// w.mu keeps the standby open (closing one takes it) while the state
	// updater runs fn.
	var err error
	var next map[string]int64
	w.su.do(func(*stateUpdater) {
		err = fn(sb.task)
		next = maps.Clone(sb.next)
	})
	topics := slices.Sorted(maps.Keys(sb.from))
	w.mu.Unlock()
	if err != nil {
		return 0, err
	}
	ends, lerr := w.app.adm.ListEndOffsets(ctx, topics...)
	if lerr != nil {
		return 0, fmt.Errorf("standby lag: list changelog end offsets: %w", lerr)
	}
	var lag int64
	for _, t := range topics {
		end, ok := ends.Lookup(t, id.Partition)
		if !ok || end.Err != nil {
			return 0, errors.Join(fmt.Errorf("standby lag: no end offset of %s partition %d", t, id.Partition), end.Err)
		}
		n, ok := next[engine.OffsetKey(t, id.Partition)]
		if !ok {
			n = sb.from[t][id.Partition].EpochOffset().Offset
		}
		lag += max(0, end.Offset-max(n, 0))
	}
	return lag, nil
}
