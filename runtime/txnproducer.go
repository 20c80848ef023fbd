// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// commitEOS ends the transaction; its state writes are applied only if it
// committed, otherwise dropped (the session rewinds the consumer).
func (w *worker) commitEOS(ctx context.Context) error {
	if !w.inTxn {
		return nil
	}
	if err := w.flushCaches(); err != nil {
		return err
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	err := w.sess.Client().Flush(fctx)
	if err == nil {
		err = w.coll.settle(fctx)
	}
	fcancel()
	if err != nil {
		// Unknown outcome of the cycle's records: rebuild (see unreachable).
		return fmt.Errorf("flush: %w", err)
	}
	if err := w.coll.Err(); err != nil {
		if !retriable(err) {
			// Abort, then stop: repeating the cycle would fail the same way.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
			defer cancel()
			_ = w.sess.Client().Flush(fctx)
			if _, aerr := w.sess.End(fctx, kgo.TryAbort); aerr != nil {
				w.log.Warn("abort transaction", "err", aerr)
			}
			w.inTxn = false
			return err
		}
		w.log.Warn("produce failed; aborting the transaction", "err", err)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		defer cancel()
		if ferr := w.sess.Client().Flush(fctx); ferr != nil {
			return ferr
		}
		return w.endEOS(ctx, kgo.TryAbort)
	}
	if !w.coll.sentInCycle() && len(w.sess.Client().UncommittedOffsets()) == 0 {
		// Nothing was produced or consumed: there is no transaction on
		// the brokers to end. franz-go's End would do nothing either,
		// but then hold back the next Begin for 500 ms (its wait for
		// transaction markers on brokers without KIP-447, assumed when no
		// offsets were committed), stalling an idle worker's cycles and
		// its start-up. The tasks commit what they have (state of
		// stores without a changelog); the transaction stays open.
		return w.commitTasks()
	}
	return w.endEOS(ctx, kgo.TryCommit)
}

// endEOS ends the transaction and, unless ctx is done, begins the next.
func (w *worker) endEOS(ctx context.Context, try kgo.TransactionEndTry) error {
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	endCtx = kgo.PreTxnCommitFnContext(endCtx, txnOffsets(w.positions(), w.cl.CommittedOffsets()))
	committed, err := w.sess.End(endCtx, try)
	w.inTxn = false
	if fe := w.app.cfg.fencedMember(w.id, err); fe != nil {
		return fmt.Errorf("end transaction: %w", fe)
	}
	if err != nil && !committed && isMigrated(err) {
		// The offset commit was refused because the group moved on; the
		// session aborted the transaction and rewound the consumer, and
		// the rejoin hands the tasks out again (Kafka Streams'
		// TaskMigratedException). Not an error.
		w.log.Warn("transaction aborted: the group rebalanced while it was open; its state changes are dropped and its input is processed again", "err", err)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("end transaction: %w", err)
	}
	if committed {
		if err := w.commitTasks(); err != nil {
			return err
		}
	} else {
		w.app.metrics.aborts.Add(1)
		w.log.Info("transaction aborted; state changes dropped, input rewound")
		// The session rewound the consumer to the committed offsets: what
		// was buffered comes again, also for the tasks still restoring.
		w.mu.Lock()
		for _, t := range w.tasks {
			t.in.drop()
		}
		w.mu.Unlock()
		w.lags.rewound(w.cl.CommittedOffsets())
		for _, t := range w.snapshotTasks() {
			if err := t.Abort(); err != nil {
				return fmt.Errorf("task %s: abort state: %w", t.ID(), err)
			}
		}
		w.coll.abortedCycle()
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.begin()
}

func (w *worker) begin() error {
	if err := w.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction (transactional id %q): %w", w.txnID(), err)
	}
	w.inTxn = true
	w.txnBegan = time.Now()
	return nil
}

// rebuild handles fencing of the exactly-once producer, and a producer
// whose transaction state broke (txnBroken).
//
// If the open transaction had outlived the transaction timeout, the broker
// aborted it and bumped the producer epoch: the worker was stalled, not
// replaced. As Kafka Streams does on a TaskMigratedException, its tasks
// are closed dirty (their uncommitted state changes dropped), the session
// is closed, which leaves the group, and a new session with the same
// transactional id joins again; assigned tasks reopen from their committed
// local state.
//
// Fenced within the timeout, another live producer initialised this
// worker's transactional id: a second instance runs with the same
// InstanceID. The worker stops with an error saying so; rebuilding would
// fence the twin in turn, and the two would take turns forever.
func (w *worker) rebuild(ctx context.Context, cause error) error {
	timeout, _ := w.cl.OptValue(kgo.TransactionTimeout).(time.Duration)
	if open := time.Since(w.txnBegan); isFenced(cause) && (timeout <= 0 || open < timeout) {
		return fmt.Errorf("producer fenced %v after its transaction began, within the %v transaction timeout: %w",
			open.Round(time.Millisecond), timeout, w.app.cfg.fencedProducer(w.id, cause))
	}
	now := time.Now()
	lost := unreachable(cause) && !isFenced(cause) && !txnBroken(cause)
	if !lost {
		// Losing the brokers is retried for as long as it lasts; anything
		// else that keeps breaking the producer is not.
		w.resets = slices.DeleteFunc(w.resets, func(t time.Time) bool { return now.Sub(t) > resetWindow })
		if len(w.resets) >= maxResets {
			return fmt.Errorf("producer fenced %d times within %v; giving up: %w", len(w.resets)+1, resetWindow, cause)
		}
		w.resets = append(w.resets, now)
	}
	if lost {
		w.log.Warn("brokers unreachable while ending a transaction; its outcome is unknown: dropping uncommitted state, rebuilding the producer and rejoining once they answer (restore replays whatever committed)",
			"transactional_id", w.txnID(), "err", cause)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	} else if isFenced(cause) {
		w.log.Warn("transaction outlived the transaction timeout and was aborted by the broker; dropping its state changes, rebuilding the producer and rejoining the group",
			"transactional_id", w.txnID(), "transaction_timeout", timeout, "open_for", time.Since(w.txnBegan).Round(time.Millisecond), "err", cause)
	} else {
		w.log.Warn("transactional producer in an unrecoverable state; dropping uncommitted state, rebuilding the producer and rejoining the group (restore replays whatever the last transaction committed)",
			"transactional_id", w.txnID(), "err", cause)
	}
	w.mu.Lock()
	if err := w.closeAllLocked(true); err != nil {
		w.log.Warn("close tasks", "err", err)
	}
	w.mu.Unlock()
	w.inTxn = false
	w.sess.CloseAllowingRebalance()
	sess, err := kgo.NewGroupTransactSession(w.opts...)
	if err != nil {
		return fmt.Errorf("rebuild transactional producer: %w", err)
	}
	w.sess, w.cl = sess, sess.Client()
	w.coll.reset(sess)
	w.app.metrics.producerResets.Add(1)
	if ctx.Err() != nil {
		return nil
	}
	return w.begin()
}

func (w *worker) txnID() string { return w.app.cfg.transactionalID(w.id) }

// Bounds on rebuilding a fenced producer: more rebuilds than this within
// the window mean something keeps fencing the worker, and it stops.
const (
	maxResets   = 5
	resetWindow = time.Minute
)
