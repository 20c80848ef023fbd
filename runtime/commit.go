// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// positions returns, per input partition, the offset after the last record
// processed — or, with nothing buffered, after the last record or
// transaction marker fetched (recordQueue.position): what a commit records
// as consumed. Records buffered but not processed yet are not covered.
func (w *worker) positions() map[string]map[int32]kgo.EpochOffset {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]map[int32]kgo.EpochOffset{}
	for _, t := range w.tasks {
		for _, q := range t.in.queues {
			off, epoch, ok := q.position()
			if !ok {
				continue
			}
			if out[q.topic] == nil {
				out[q.topic] = map[int32]kgo.EpochOffset{}
			}
			out[q.topic][q.partition] = kgo.EpochOffset{Epoch: epoch, Offset: off}
		}
	}
	return out
}

func (w *worker) commit(ctx context.Context) error {
	start := time.Now()
	if w.sess != nil {
		if err := w.commitEOS(ctx); err != nil {
			return err
		}
	} else {
		// A commit that started finishes even if shutdown begins meanwhile.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		err := w.commitALOS(cctx)
		cancel()
		if err != nil {
			return err
		}
	}
	took := time.Since(start)
	if w.purge.due() {
		w.purge.committed(w.cl, w.positions())
	}
	w.app.metrics.commits.Add(1)
	w.app.metrics.commitDur.Add(int64(took))
	w.stats.commit.Observe(int64(took))
	return nil
}

// flushCaches writes out what the record cache holds for the worker's
// tasks — to their stores and changelogs, and downstream, which can produce
// records — as Kafka Streams does before every commit.
func (w *worker) flushCaches() error {
	if !w.cache.Enabled() {
		return nil
	}
	for _, t := range w.snapshotTasks() {
		if err := t.Flush(); err != nil {
			return fmt.Errorf("task %s: flush the record cache: %w", t.ID(), err)
		}
	}
	return nil
}

// commitALOS: write out the record cache, flush the producer, commit the
// consumed offsets, then make the stores durable with the changelog
// offsets their writes reached.
func (w *worker) commitALOS(ctx context.Context) error {
	if err := w.flushCaches(); err != nil {
		return err
	}
	err := w.cl.Flush(ctx)
	if err == nil {
		err = w.coll.settle(ctx)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			// The brokers are slow or gone; the records stay buffered.
			return fmt.Errorf("%w: flush: %w", errCommitLater, err)
		}
		return fmt.Errorf("flush: %w", err)
	}
	if err := w.coll.Err(); err != nil {
		return err
	}
	if err := w.commitOffsets(ctx, w.positions()); err != nil {
		if memberGone(err) {
			// The group no longer knows this member: its partitions may
			// belong to another member already, which restored their
			// stores from the changelogs and writes them now.
			// Processing on would write state computed from this
			// member's stale stores after the new owner's writes, and
			// whoever restores next would lose the new owner's updates
			// of those keys, whose input offsets it committed. Drop
			// the tasks now, as Kafka Streams does on a
			// TaskMigratedException, rather than when the client calls
			// OnPartitionsLost after the next AllowRebalance.
			w.dropGone()
		}
		if fe := w.app.cfg.fencedMember(w.id, err); fe != nil {
			return fmt.Errorf("commit offsets: %w", fe)
		}
		if unreachable(err) || retriable(err) || isMigrated(err) {
			// A stale generation means the group moved on: the rebalance
			// hands the partitions out again, and their new owner
			// processes the uncommitted records again (at-least-once).
			return fmt.Errorf("%w: commit offsets: %w", errCommitLater, err)
		}
		return fmt.Errorf("commit offsets: %w", err)
	}
	return w.commitTasks()
}

// commitOffsets commits offs as the group's consumed offsets.
func (w *worker) commitOffsets(ctx context.Context, offs map[string]map[int32]kgo.EpochOffset) error {
	var errs []error
	w.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("topic %q partition %d: %w", t.Topic, p.Partition, err))
				}
			}
		}
	})
	return errors.Join(errs...)
}

// txnOffsets rewrites the offsets of an exactly-once transaction to the
// processed positions: the transactional session would commit everything
// polled, which includes records still buffered in the partition groups.
// A partition with nothing processed since its task opened keeps its
// committed offset (prior), or is left out if it has none.
func txnOffsets(pos, prior map[string]map[int32]kgo.EpochOffset) func(*kmsg.TxnOffsetCommitRequest) error {
	return func(req *kmsg.TxnOffsetCommitRequest) error {
		topics := req.Topics[:0]
		for _, t := range req.Topics {
			parts := t.Partitions[:0]
			for _, p := range t.Partitions {
				o, ok := pos[t.Topic][p.Partition]
				if !ok {
					o, ok = prior[t.Topic][p.Partition]
				}
				if !ok {
					continue
				}
				p.Offset, p.LeaderEpoch = o.Offset, o.Epoch
				parts = append(parts, p)
			}
			if len(parts) > 0 {
				t.Partitions = parts
				topics = append(topics, t)
			}
		}
		req.Topics = topics
		return nil
	}
}

// errCommitLater marks an at-least-once commit that could not complete for
// now (brokers unreachable or slow); nothing was lost, and the next commit
// covers its records too.
var errCommitLater = errors.New("commit postponed")

func (w *worker) commitTasks() error {
	for _, t := range w.snapshotTasks() {
		offs := w.coll.offsetsFor(t.Changelogs(), t.ID().Partition)
		if err := t.Commit(offs); err != nil {
			return fmt.Errorf("task %s: commit state: %w", t.ID(), err)
		}
		if len(offs) > 0 {
			all, err := t.Offsets()
			if err != nil {
				return fmt.Errorf("task %s: read committed changelog offsets: %w", t.ID(), err)
			}
			w.setSum(t.ID(), sum(all))
		}
	}
	w.coll.committedCycle()
	return nil
}
