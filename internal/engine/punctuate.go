// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"slices"
	"time"
)

// PunctuationType selects the clock a punctuator follows.
type PunctuationType int

// Punctuation clocks.
const (
	// StreamTime punctuations fire as stream time passes epoch-aligned
	// multiples of the interval. They advance only with data; missed
	// intervals are skipped, not replayed.
	StreamTime PunctuationType = iota
	// WallClock punctuations fire every interval of wall-clock time, first
	// at schedule time + interval; missed intervals are skipped.
	WallClock
)

type schedule struct {
	interval  int64
	next      int64
	fn        func(ts int64) error
	node      string
	cancelled bool
}

type punctuations struct {
	stream []*schedule
	wall   []*schedule
}

// Schedule registers fn to run every interval milliseconds on the given
// clock. The returned function cancels it.
func (t *Task) Schedule(interval int64, typ PunctuationType, fn func(ts int64) error) (cancel func()) {
	s := &schedule{interval: max(interval, 1), fn: fn, node: t.node}
	if typ == StreamTime {
		s.next = 0
		t.punct.stream = append(t.punct.stream, s)
	} else {
		s.next = t.Now() + s.interval
		t.punct.wall = append(t.punct.wall, s)
	}
	return func() { s.cancelled = true }
}

func (t *Task) punctuateStreamTime() error {
	if len(t.punct.stream) == 0 || t.streamTime == UnknownTime {
		return nil
	}
	return t.fire(&t.punct.stream, t.streamTime)
}

// PunctuateWallClock fires due wall-clock punctuations; the owner calls it
// between records.
func (t *Task) PunctuateWallClock(now int64) error {
	if len(t.punct.wall) == 0 {
		return nil
	}
	t.wall = now
	return t.fire(&t.punct.wall, now)
}

func (t *Task) fire(list *[]*schedule, now int64) error {
	*list = slices.DeleteFunc(*list, func(s *schedule) bool { return s.cancelled })
	for _, s := range *list {
		if s.cancelled || now < s.next {
			continue
		}
		// Skip missed intervals: next is the first aligned point after now.
		s.next += ((now-s.next)/s.interval + 1) * s.interval
		t.rc = RecordContext{Timestamp: now, Offset: -1, Partition: -1}
		t.node = s.node
		start := time.Now()
		err := s.fn(now)
		t.metrics.punctuate.Observe(int64(time.Since(start)))
		if err != nil {
			return err
		}
	}
	return nil
}

func nowMillis() int64 { return time.Now().UnixMilli() }
