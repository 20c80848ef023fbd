// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// inputLag tells a worker's partition groups whether the broker holds
// records of an input partition that the worker has not fetched yet: the
// consumer lag Kafka Streams consults before it processes a task with an
// empty input partition.
//
// The lag franz-go reports (lagTracker) is stale right after an assignment:
// it is computed from the high watermark of the last fetch response that
// carried the partition, and reads 0 until one did — also when an
// incremental fetch session leaves an unchanged partition out of responses.
// A stale 0 would let a task run ahead of records that exist. So when the
// client starts fetching newly assigned partitions (its
// AdjustFetchOffsetsFn), inputLag lists their end offsets — the last
// stable offset under read_committed — and until the worker has fetched up
// to that end, the lag is what lies between; a record at or beyond it was
// written after the assignment, and the reported lag covers it. Control
// records (transaction markers) count as fetched, so a partition ending in
// a marker is caught up once the marker arrives.
//
// If the listing fails, the partition falls back to the reported lag from
// its lagReportsKnown-th report on.
type inputLag struct {
	reports *lagTracker
	// list returns the end offsets (ends) of parts and, if starts is set,
	// their log start offsets.
	list func(ctx context.Context, topics []string, starts bool) (ends, logStarts kadm.ListedOffsets, err error)
	log  *slog.Logger

	mu    sync.Mutex
	parts map[string]map[int32]*inputPosition
}

// inputPosition is what inputLag knows of one assigned input partition.
type inputPosition struct {
	start int64 // the offset fetching started at
	pos   int64 // the offset after the last record fetched (control records included)
	end   int64 // the end offset listed when fetching started
	// listed is set when start and end are known; otherwise the reported
	// lag decides.
	listed bool
}

// newTopicListWait bounds how long the listing retries for partitions a
// broker does not serve yet, before leaving them to the reported lag.
const newTopicListWait = 1500 * time.Millisecond

// inputListTimeout bounds the listing when fetching starts: the client
// starts fetching the partitions only after it.
const inputListTimeout = 10 * time.Second

func newInputLag(list func(context.Context, []string, bool) (kadm.ListedOffsets, kadm.ListedOffsets, error), log *slog.Logger) *inputLag {
	return &inputLag{reports: newLagTracker(), list: list, log: log, parts: map[string]map[int32]*inputPosition{}}
}

// observe is the client's PreferLagFn.
func (l *inputLag) observe(lag map[string]map[int32]int64, t []string, p map[string][]int32) ([]string, map[string][]int32) {
	return l.reports.observe(lag, t, p)
}

// starting is the client's AdjustFetchOffsetsFn: it is called with the
// offsets the client is about to fetch newly assigned partitions from, and
// lists their end offsets. It never changes the offsets and never fails:
// a failed listing leaves the reported lag in charge.
func (l *inputLag) starting(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	topics := make([]string, 0, len(offsets))
	relative := false
	for t, ps := range offsets {
		topics = append(topics, t)
		for _, o := range ps {
			if o.EpochOffset().Offset < 0 {
				relative = true
			}
		}
	}
	if len(topics) == 0 {
		return offsets, nil
	}
	lctx, cancel := context.WithTimeout(ctx, inputListTimeout)
	ends, starts, err := l.list(lctx, topics, relative)
	// A topic created moments ago (a repartition topic at the first start)
	// can be unknown to the partition's leader for a while: ask again a
	// few times before leaving those partitions to the reported lag.
	waited := time.Duration(0)
	for n := 0; err == nil && listFailed(ends, offsets) && waited < newTopicListWait; n++ {
		backoff := newTopicBackoff(n)
		waited += backoff
		select {
		case <-lctx.Done():
		case <-time.After(backoff):
		}
		if lctx.Err() != nil {
			break
		}
		ends, starts, err = l.list(lctx, topics, relative)
	}
	cancel()
	if err != nil {
		l.log.Warn("listing the end offsets of newly assigned input partitions failed; a task trusts the consumer's lag reports for them instead", "partitions", offsets, "err", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range offsets {
		m := l.parts[t]
		if m == nil {
			m = map[int32]*inputPosition{}
			l.parts[t] = m
		}
		for p, o := range ps {
			ip := &inputPosition{}
			m[p] = ip
			if err != nil {
				continue
			}
			end, ok := ends.Lookup(t, p)
			if !ok || end.Err != nil {
				continue
			}
			switch at := o.EpochOffset().Offset; {
			case at >= 0:
				ip.start = at
			case at == -1: // the end
				ip.start = end.Offset
			case at == -2: // the start, where Eddy's consumers reset to
				s, ok := starts.Lookup(t, p)
				if !ok || s.Err != nil {
					continue
				}
				ip.start = s.Offset
			default:
				continue
			}
			ip.pos, ip.end, ip.listed = ip.start, end.Offset, true
		}
	}
	return offsets, nil
}

// listFailed reports whether ends lacks a good end offset for any of the
// partitions in offsets.
func listFailed(ends kadm.ListedOffsets, offsets map[string]map[int32]kgo.Offset) bool {
	for t, ps := range offsets {
		for p := range ps {
			if o, ok := ends.Lookup(t, p); !ok || o.Err != nil {
				return true
			}
		}
	}
	return false
}

// fetched records that the worker fetched topic/partition up to next (the
// offset after the last record of a poll, control records included).
func (l *inputLag) fetched(topic string, partition int32, next int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ip := l.parts[topic][partition]; ip != nil {
		ip.pos = next
	}
}

// rewound records that the client fetches again from the committed offsets
// (the start offset where none is committed).
func (l *inputLag) rewound(committed map[string]map[int32]kgo.EpochOffset) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range l.parts {
		for p, ip := range ps {
			if c, ok := committed[t][p]; ok && c.Offset >= 0 {
				ip.pos = c.Offset
			} else {
				ip.pos = ip.start
			}
		}
	}
}

// forget drops what is known of parts (newly assigned, revoked or lost):
// until the client starts fetching them again, their lag is unknown.
func (l *inputLag) forget(parts map[string][]int32) {
	l.reports.forget(parts)
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range parts {
		for _, p := range ps {
			delete(l.parts[t], p)
		}
	}
}

// of implements lagFunc.
func (l *inputLag) of(topic string, partition int32) (int64, bool) {
	l.mu.Lock()
	ip := l.parts[topic][partition]
	var pos, end int64
	listed := ip != nil && ip.listed
	if listed {
		pos, end = ip.pos, ip.end
	}
	l.mu.Unlock()
	switch {
	case ip == nil:
		return 0, false // not fetching yet
	case !listed:
		return l.reports.of(topic, partition)
	case pos < end:
		return end - pos, true
	}
	lag, _ := l.reports.of(topic, partition)
	return lag, true
}

// listInputOffsets lists the end offsets of input topics as the workers'
// consumers see them (the last stable offset under exactly-once, which
// reads committed records only) and, if starts is set, their log start
// offsets.
func (a *App) listInputOffsets(ctx context.Context, topics []string, starts bool) (ends, logStarts kadm.ListedOffsets, err error) {
	list := a.adm.ListEndOffsets
	if a.cfg.Guarantee == ExactlyOnce {
		list = a.adm.ListCommittedOffsets
	}
	if ends, err = list(ctx, topics...); err != nil {
		return nil, nil, err
	}
	if starts {
		if logStarts, err = a.adm.ListStartOffsets(ctx, topics...); err != nil {
			return nil, nil, err
		}
	}
	return ends, logStarts, nil
}
