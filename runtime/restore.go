// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// restore brings task's stores up to the end of their changelog partitions:
// from the offset committed with the local state (0 for a new store) to the
// high watermark at the start of the restore, read_committed. Local state
// that is current needs no fetch at all. Local state left open by a crash is
// verified first; state that is damaged, or does not belong to the changelog
// as it is now (see stale), is wiped and restored in full.
//
// prepareRestore does the checks and finds what to read: it returns nil if
// the local state is current. The worker's state updater then reads the
// changelogs (restoreJob).
//
// The target is the high watermark, not the last stable offset: a previous
// owner that was dropped from the group but still runs (a zombie) can hold a
// transaction open on the changelog below records its successor committed
// after it, and stopping at the last stable offset would miss those and
// resume from older state than the committed input offsets belong to. So the
// restore waits until every transaction open below the target has ended —
// by commit, by abort, or at the latest by the broker aborting it after its
// transaction timeout — and logs that it waits.
func (a *App) prepareRestore(ctx context.Context, task *engine.Task) (*restoreJob, error) {
	st, tracked := a.stateOf(task.ID())
	if tracked {
		if err := st.verify(); err != nil {
			return nil, err
		}
	}
	changelogs := task.Changelogs()
	if len(changelogs) == 0 {
		return nil, nil
	}
	p := task.ID().Partition
	stored, err := task.Offsets()
	if err != nil {
		return nil, err
	}
	topics := make([]string, 0, len(changelogs))
	for t := range changelogs {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	starts, err := a.listOffsets(ctx, a.adm.ListStartOffsets, topics, p)
	if err != nil {
		return nil, fmt.Errorf("task %s: list changelog start offsets: %w", task.ID(), err)
	}
	// The high watermark: the restore target, and a bound on any offset a
	// run can have reached.
	hwms, err := a.listOffsets(ctx, a.adm.ListEndOffsets, topics, p)
	if err != nil {
		return nil, fmt.Errorf("task %s: list changelog end offsets: %w", task.ID(), err)
	}
	ids, err := a.topicIDs(ctx, topics)
	if err != nil {
		return nil, fmt.Errorf("task %s: describe changelogs: %w", task.ID(), err)
	}
	if tracked {
		meta, _ := readTaskMeta(st.dir)
		if reason := stale(meta, stored, ids, hwms, starts, topics, p); reason != "" {
			if err := st.wipe(reason); err != nil {
				return nil, err
			}
			if stored, err = task.Offsets(); err != nil {
				return nil, err
			}
		}
	}
	from := map[string]map[int32]kgo.Offset{}
	target := map[string]int64{}
	next := map[string]int64{}
	for _, topic := range topics {
		end, ok := hwms.Lookup(topic, p)
		if !ok || end.Err != nil {
			return nil, fmt.Errorf("task %s: changelog %s partition %d: no end offset (%v)", task.ID(), topic, p, end.Err)
		}
		off := stored[engine.OffsetKey(topic, p)]
		if st, ok := starts.Lookup(topic, p); ok && st.Err == nil && off < st.Offset {
			off = st.Offset // a new store: restore from the log start
		}
		if off >= end.Offset {
			continue // current
		}
		from[topic] = map[int32]kgo.Offset{p: kgo.NewOffset().At(off)}
		target[topic] = end.Offset
		next[topic] = off
	}
	if tracked {
		if err := st.recordChangelogs(ids); err != nil {
			return nil, fmt.Errorf("task %s: %w", task.ID(), err)
		}
	}
	if len(from) == 0 {
		return nil, nil
	}
	return &restoreJob{a: a, task: task, p: p, changelogs: changelogs, from: from, target: target, next: next,
		stats: a.metrics.task(task.ID())}, nil
}

// restoreJob is one task's restore, read by the worker's state updater.
// Only the updater's goroutine uses it once it is added.
type restoreJob struct {
	a          *App
	task       *engine.Task
	p          int32
	changelogs map[string]string // changelog → store
	from       map[string]map[int32]kgo.Offset
	target     map[string]int64 // changelog → offset to restore to; removed when reached
	next       map[string]int64 // changelog → next offset to read
	ctx        context.Context  // ends when the task is closed
	r          *restoring       // its handle in the worker
	stats      *taskStats       // the task's counters (metrics.go)

	report        *restoreReport
	start         time.Time
	lastLog       time.Time
	idle          restoreIdle
	n, chunkStart int64 // records applied; at the last chunk commit
	left          int64 // offsets still to read, as counted in Metrics
	got           int   // records (control ones too) in the current poll
	applied       map[string]int64
}

// begin starts the job's progress reports.
func (j *restoreJob) begin() {
	j.start, j.lastLog = time.Now(), time.Now()
	j.report = newRestoreReport(j.a.cfg.RestoreListener, j.task.ID().String(), j.p, j.changelogs)
	j.report.start(j.next, j.target)
	j.left = j.remaining()
	j.a.metrics.restoreRemaining.Add(j.left)
	j.stats.restoreRemaining.Add(j.left)
	j.applied = map[string]int64{}
}

func (j *restoreJob) remaining() int64 {
	var r int64
	for t, end := range j.target {
		r += max(0, end-j.next[t])
	}
	return r
}

// apply applies one changelog record of the job's task.
func (j *restoreJob) apply(r *kgo.Record) error {
	if _, open := j.target[r.Topic]; !open {
		return nil // restored to its target: later records are the active task's
	}
	j.got++
	if !r.Attrs.IsControl() {
		if err := j.task.Restore(r.Topic, r.Key, r.Value, r.Timestamp.UnixMilli()); err != nil {
			return err
		}
		j.n++
		j.applied[r.Topic]++
		j.a.metrics.restored.Add(1)
		j.stats.restored.Add(1)
	}
	j.next[r.Topic] = r.Offset + 1
	if j.next[r.Topic] >= j.target[r.Topic] {
		delete(j.target, r.Topic)
	}
	return nil
}

// afterPoll ends a poll: it finishes changelogs read to their end, reports
// progress, commits a chunk when due, and reports whether the restore is
// complete (its final state committed).
func (j *restoreJob) afterPoll(lags *lagTracker) (bool, error) {
	caughtUp(lags, j.target, j.next, j.p, j.idle.stable)
	j.report.batch(j.applied, j.next, j.target)
	clear(j.applied)
	if j.got > 0 {
		j.idle.polls = 0
	} else if len(j.target) > 0 {
		// Nothing readable yet: a transaction below the target is still
		// open, or a fetch is slow.
		if err := j.a.restoreStalled(j.ctx, j.task, &j.idle, j.target, j.next, j.p); err != nil {
			return false, err
		}
	}
	j.got = 0
	now := j.remaining()
	j.a.metrics.restoreRemaining.Add(now - j.left)
	j.stats.restoreRemaining.Add(now - j.left)
	j.left = now
	if time.Since(j.lastLog) > 5*time.Second {
		j.a.log.Info("restoring task state", "task", j.task.ID().String(), "restored", j.n, "remaining", j.left)
		j.lastLog = time.Now()
	}
	if len(j.target) > 0 {
		if j.n-j.chunkStart >= restoreChunk {
			// Bounded memory, and a restore cut short (a crash, a
			// rebalance) resumes from here.
			if err := j.task.Commit(restoredTo(j.next, j.p)); err != nil {
				return false, err
			}
			j.chunkStart = j.n
		}
		return false, nil
	}
	if err := j.task.Commit(restoredTo(j.next, j.p)); err != nil {
		return false, err
	}
	j.a.log.Info("restored task state", "task", j.task.ID().String(), "records", j.n, "took", time.Since(j.start).Round(time.Millisecond))
	return true, nil
}

// end reports the changelogs not restored to their end as suspended and
// takes the job out of the metrics.
func (j *restoreJob) end() {
	j.report.stop(j.next)
	j.a.metrics.restoreRemaining.Add(-j.left)
	j.stats.restoreRemaining.Add(-j.left)
	j.left = 0
}

// restoreChunk is how many restored records are committed to the store at
// a time, with the changelog offsets they reach.
const restoreChunk = 20_000

// restoredTo returns the changelog offsets a restore reached, as committed
// with the state.
func restoredTo(next map[string]int64, p int32) map[string]int64 {
	out := make(map[string]int64, len(next))
	for t, o := range next {
		out[engine.OffsetKey(t, p)] = o
	}
	return out
}

// restoreFetchWait bounds how long the broker holds a restore fetch that has
// nothing to return; restoreIdlePoll is how long a restore poll waits for
// records before it checks why there are none.
const (
	restoreFetchWait = 250 * time.Millisecond
	restoreIdlePoll  = 200 * time.Millisecond
)

// caughtUp ends the restore of each changelog that the restore consumer
// has read to its high watermark, which is at or past the target (listed
// before the consumer started): the records the target covers were all
// polled and applied, and what is left below it, if anything, is invisible
// under read_committed (aborted records, transaction markers, or a tail
// whose markers the cleaner removed). Records seen are not enough to tell:
// the last offsets before the target may hold no readable record.
//
// The lag alone is not trusted: a report can be stale (an incremental fetch
// response leaves out a partition it has nothing new for), so the
// changelog's last stable offset must also have been seen at the target
// (stable, checked after empty polls).
func caughtUp(lags *lagTracker, target, next map[string]int64, p int32, stable map[string]bool) {
	for t, end := range target {
		if lag, known := lags.of(t, p); known && lag == 0 && stable[t] {
			next[t] = max(next[t], end)
			delete(target, t)
		}
	}
}

// restoreIdle tracks a restore that reads nothing.
type restoreIdle struct {
	// stable marks the changelogs whose last stable offset was found at or
	// past the target: nothing below it is in an open transaction.
	stable map[string]bool
	polls  int  // empty polls in a row
	logged bool // the wait for an open transaction was logged
}

// restoreStalled is called after a restore poll returned nothing while
// changelogs are still short of their target. Once every few empty polls
// it checks each changelog's last stable offset, and logs (once) when a
// transaction open below the target holds the restore: it continues when
// that transaction ends — by commit, abort, or the broker aborting it after
// its transaction timeout.
func (a *App) restoreStalled(ctx context.Context, task *engine.Task, idle *restoreIdle, target, next map[string]int64, p int32) error {
	idle.polls++
	if idle.polls < restoreIdleCheck {
		return nil
	}
	idle.polls = 0
	topics := slices.Sorted(maps.Keys(target))
	lsos, err := a.listOffsets(ctx, a.adm.ListCommittedOffsets, topics, p)
	if err != nil {
		return fmt.Errorf("task %s: list changelog last stable offsets: %w", task.ID(), err)
	}
	if idle.stable == nil {
		idle.stable = map[string]bool{}
	}
	for _, t := range topics {
		lso, _ := lsos.Lookup(t, p)
		idle.stable[t] = lso.Offset >= target[t]
		if lso.Offset < target[t] && !idle.logged {
			idle.logged = true
			a.log.Warn("restore waits for a transaction open on the changelog to end (commit, abort, or abort by the broker after its transaction timeout); it is likely a previous owner's that was dropped from the group",
				"task", task.ID().String(), "changelog", t, "partition", p, "last_stable_offset", lso.Offset, "restored_to", next[t], "target", target[t])
		}
	}
	return nil
}

// restoreIdleCheck is how many empty restore polls in a row make the
// restore check for an open transaction.
const restoreIdleCheck = 5

// listOffsets lists offsets of partition p of topics, retrying while a
// just-created topic is not yet known to every broker.
func (a *App) listOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topics []string, p int32) (kadm.ListedOffsets, error) {
	deadline := time.Now().Add(30 * time.Second)
	for n := 0; ; n++ {
		offs, err := list(ctx, topics...)
		missing := ""
		if err == nil {
			for _, t := range topics {
				if o, ok := offs.Lookup(t, p); !ok || o.Err != nil {
					missing = t
					if ok {
						err = o.Err
					}
				}
			}
			if missing == "" {
				return offs, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("no offsets for topic %q partition %d", missing, p)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
		case <-time.After(newTopicBackoff(n)):
		}
	}
}

// stale says why local state with committed offsets stored (and metadata
// meta, possibly nil) cannot be continued from the changelog topics as they
// are now, or "": it was built from a changelog since deleted and
// recreated (another topic id), or its offset lies past the changelog's end
// (the topic was recreated or truncated) or before its start (records the
// state lacks were deleted, as Kafka Streams' OffsetOutOfRange on restore).
func stale(meta *taskMeta, stored map[string]int64, ids map[string]string, hwms, starts kadm.ListedOffsets, topics []string, p int32) string {
	for _, topic := range topics {
		off, ok := stored[engine.OffsetKey(topic, p)]
		if !ok {
			continue // nothing restored from this changelog yet
		}
		if end, ok := hwms.Lookup(topic, p); ok && end.Err == nil && off > end.Offset {
			return fmt.Sprintf("the local state of changelog %s partition %d is at offset %d, past the changelog end %d: the topic was recreated or truncated", topic, p, off, end.Offset)
		}
		if start, ok := starts.Lookup(topic, p); ok && start.Err == nil && off < start.Offset {
			return fmt.Sprintf("changelog %s partition %d starts at offset %d, after the local state's offset %d: changes the local state lacks were deleted", topic, p, start.Offset, off)
		}
		if meta != nil {
			if was, now := meta.ChangelogIDs[topic], ids[topic]; was != "" && now != "" && was != now {
				return fmt.Sprintf("changelog topic %s was deleted and recreated since the local state was built from it (topic id %s, was %s)", topic, now, was)
			}
		}
	}
	return ""
}

// topicIDs returns the ids of topics ("" where the broker has none).
func (a *App) topicIDs(ctx context.Context, topics []string) (map[string]string, error) {
	d, err := a.adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, t := range topics {
		if td, ok := d[t]; ok && td.Err == nil {
			if id := topicID(td); id != "" {
				ids[t] = id
			}
		}
	}
	return ids, nil
}
