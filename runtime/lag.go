// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// lagTracker keeps the consumer lag franz-go reports to a PreferLagFn each
// time it builds a fetch request: per partition, the high watermark of the
// last fetch response that carried it minus the offset the client fetches
// next (records fetched but not yet processed count as fetched).
//
// A report reads 0 until a response carried the partition, and a response
// can leave it out (an error, or nothing new in an incremental fetch
// session), so the lag counts as known from the lagReportsKnown-th report
// after an assignment on. That is a heuristic: the worker's input lag
// (inputLag) lists end offsets instead and uses the reports only past
// them, or if the listing failed; the state updater checks the last stable
// offset before it trusts a lag of 0 (restoreIdle).
//
// Under read_committed the high watermark includes records of transactions
// still open, which Kafka Streams' lag (against the last stable offset)
// does not: a task then waits for an open transaction on an empty input
// partition to end before it processes its other partitions, for at most
// uncommittedLagWait; then it processes without that partition (counted as
// enforced processing), as Kafka Streams would at once.
type lagTracker struct {
	mu   sync.Mutex
	lags map[string]map[int32]lagEntry
}

type lagEntry struct {
	lag     int64
	reports int
}

// uncommittedLagWait bounds how long a task under read_committed waits for
// records its lag announces on an empty input partition. Committed records
// arrive within a fetch or two (500 ms each at most), and an upstream Eddy
// task commits every 100 ms, so the bound matters only for a transaction
// left open (a stalled or crashed producer, until its transaction timeout);
// it is long enough that a slow fetch on a loaded machine does not change
// the processing order.
const uncommittedLagWait = 5 * time.Second

// lagReportsKnown is the report after an assignment from which a lag is
// trusted. The first predates any response for the partition; a response
// can also leave the partition out (it had an error, or nothing new in an
// incremental fetch session), so the second can still be stale. A stale
// 0 makes a task process without records that exist (seen once in CI);
// waiting for a third report costs an idle partition one more fetch.
const lagReportsKnown = 3

func newLagTracker() *lagTracker { return &lagTracker{lags: map[string]map[int32]lagEntry{}} }

// observe is the client's PreferLagFn; it keeps the fetch order.
func (l *lagTracker) observe(lag map[string]map[int32]int64, _ []string, _ map[string][]int32) ([]string, map[string][]int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range lag {
		m := l.lags[t]
		if m == nil {
			m = map[int32]lagEntry{}
			l.lags[t] = m
		}
		for p, n := range ps {
			e := m[p]
			e.lag = n
			e.reports = min(e.reports+1, lagReportsKnown)
			m[p] = e
		}
	}
	return nil, nil
}

// forget makes the lag of parts unknown again (newly assigned partitions).
func (l *lagTracker) forget(parts map[string][]int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range parts {
		for _, p := range ps {
			delete(l.lags[t], p)
		}
	}
}

// of implements lagFunc.
func (l *lagTracker) of(topic string, partition int32) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.lags[topic][partition]
	return e.lag, ok && e.reports >= lagReportsKnown
}

var _ kgo.PreferLagFn = (*lagTracker)(nil).observe
