// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"slices"

	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// segmented is what window and session stores share: one journaled B-tree
// per segment of times (window starts, session ends), keyed by the
// within-segment encodings of wincore, the retention clock that drops
// expired segments whole, and the undo of both to the last Commit.
type segmented struct {
	b     *Backend
	name  string
	clock wincore.Clock
	segs  map[int64]*segment

	// Undo state since the last Commit.
	dropped map[int64]*segment // segments dropped that existed at the commit
	cClock  wincore.Clock

	buf []byte // scratch for entry keys
}

// segment is the tree of one segment.
type segment struct {
	j       *journal
	created bool // since the last Commit
}

func newSegmented(b *Backend, name string, c wincore.Clock) segmented {
	return segmented{
		b: b, name: name,
		clock: c, cClock: c,
		segs: map[int64]*segment{}, dropped: map[int64]*segment{},
	}
}

// Name is the store's name.
func (s *segmented) Name() string { return s.name }

// ObservedTime is the largest time put so far, or state.MinTime.
func (s *segmented) ObservedTime() int64 { return s.clock.Observed }

func (s *segmented) commit() {
	for _, sg := range s.segs {
		sg.j.commit()
		sg.created = false
	}
	clear(s.dropped)
	s.cClock = s.clock
}

func (s *segmented) abort() {
	for id, sg := range s.dropped {
		s.segs[id] = sg
	}
	clear(s.dropped)
	for id, sg := range s.segs {
		if sg.created {
			delete(s.segs, id)
		} else {
			sg.j.abort()
		}
	}
	s.clock = s.cClock
}

// advance records a put at time t and drops the segments it expires.
func (s *segmented) advance(t int64) {
	if !s.clock.Advance(t) {
		return
	}
	minLive := s.clock.MinLiveSegment()
	for id, sg := range s.segs {
		if id < minLive {
			delete(s.segs, id)
			if !sg.created {
				s.dropped[id] = sg
			}
		}
	}
}

// write sets the entry encoded in s.buf, of time t, to value; a nil value
// deletes it.
func (s *segmented) write(t int64, value []byte) {
	segID := s.clock.Segment(t)
	sg := s.segs[segID]
	if value == nil {
		if sg != nil {
			sg.j.delete(s.buf)
		}
		return
	}
	if sg == nil {
		sg = &segment{j: newJournal(), created: true}
		s.segs[segID] = sg
	}
	sg.j.set(s.buf, value)
}

// tree returns the tree of the segment holding time t, or nil if t is not
// live or the segment is empty.
func (s *segmented) tree(t int64) *tree {
	if _, _, ok := s.clock.Clip(t, t); !ok {
		return nil
	}
	sg := s.segs[s.clock.Segment(t)]
	if sg == nil {
		return nil
	}
	return &sg.j.tree
}

// live returns snapshots of the segments that may hold times in [lo, hi],
// in ascending segment order. The caller closes them.
func (s *segmented) live(lo, hi int64) []*version {
	first, last := s.clock.Segment(lo), s.clock.Segment(hi)
	ids := make([]int64, 0, len(s.segs))
	for id := range s.segs {
		if id >= first && id <= last {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	rs := make([]*version, len(ids))
	for i, id := range ids {
		rs[i] = s.segs[id].j.tree.read()
	}
	return rs
}

// segmentCount is used by tests to check that expired segments are dropped.
func (s *segmented) segmentCount() int { return len(s.segs) }
