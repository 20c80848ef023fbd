// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

// RestoreListener is told how restoring a task's state from its changelogs
// goes, one changelog partition at a time (Kafka Streams'
// StateRestoreListener). Set it in Config.RestoreListener.
//
// Calls for one changelog partition come in order: start, batches, then
// end or suspended. Restores of different tasks run on their own
// goroutines, so calls for different tasks may be concurrent. A listener
// must return quickly: the restore waits for it.
type RestoreListener interface {
	// OnRestoreStart is called before the first record of the changelog
	// partition is read: the restore covers [StartOffset, EndOffset).
	OnRestoreStart(RestoreEvent)
	// OnBatchRestored is called after the records of one fetch were
	// applied: Batch of them, Restored so far, up to Offset.
	OnBatchRestored(RestoreEvent)
	// OnRestoreEnd is called once the changelog partition is restored to
	// EndOffset; Restored is the total.
	OnRestoreEnd(RestoreEvent)
	// OnRestoreSuspended is called when the restore stops short of
	// EndOffset: its task was closed (a rebalance, shutdown) or the
	// restore failed. What was restored up to the last commit is kept, and
	// the next restore of the task resumes from there.
	OnRestoreSuspended(RestoreEvent)
}

// RestoreEvent describes the restore of one changelog partition.
type RestoreEvent struct {
	Task      string // "0_3"
	Store     string
	Changelog string
	Partition int32
	// StartOffset and EndOffset bound the restore; Offset is the next
	// offset to read.
	StartOffset, EndOffset, Offset int64
	// Batch is the number of records the batch applied (OnBatchRestored);
	// Restored the number applied since the restore started.
	Batch, Restored int64
}

// restoreReport sends one task restore's events to the listener.
type restoreReport struct {
	l      RestoreListener
	task   string
	p      int32
	stores map[string]string // changelog → store
	ev     map[string]*RestoreEvent
	open   map[string]bool // started, not ended or suspended
}

func newRestoreReport(l RestoreListener, task string, p int32, stores map[string]string) *restoreReport {
	return &restoreReport{l: l, task: task, p: p, stores: stores, ev: map[string]*RestoreEvent{}, open: map[string]bool{}}
}

// start reports the start of each changelog's restore.
func (r *restoreReport) start(from, target map[string]int64) {
	if r.l == nil {
		return
	}
	for t, end := range target {
		e := &RestoreEvent{Task: r.task, Store: r.stores[t], Changelog: t, Partition: r.p,
			StartOffset: from[t], EndOffset: end, Offset: from[t]}
		r.ev[t], r.open[t] = e, true
		r.l.OnRestoreStart(*e)
	}
}

// batch reports the records a poll applied per changelog (applied), then
// the end of each changelog no longer in target.
func (r *restoreReport) batch(applied, next, target map[string]int64) {
	if r.l == nil {
		return
	}
	for t, n := range applied {
		if e := r.ev[t]; e != nil && r.open[t] {
			e.Batch, e.Offset = n, next[t]
			e.Restored += n
			r.l.OnBatchRestored(*e)
		}
	}
	for t, e := range r.ev {
		if _, left := target[t]; !left && r.open[t] {
			r.open[t] = false
			e.Batch, e.Offset = 0, max(next[t], e.EndOffset)
			r.l.OnRestoreEnd(*e)
		}
	}
}

// stop reports every changelog not restored to its end as suspended.
func (r *restoreReport) stop(next map[string]int64) {
	if r.l == nil {
		return
	}
	for t, e := range r.ev {
		if r.open[t] {
			r.open[t] = false
			e.Batch, e.Offset = 0, next[t]
			r.l.OnRestoreSuspended(*e)
		}
	}
}
