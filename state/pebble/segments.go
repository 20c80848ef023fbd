// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"errors"
	"math"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// entryOffset is where the within-segment entry starts in a database key.
const entryOffset = idLen + wincore.SegmentLen

// segmented is what window and session stores share: keys segmented by
// time (window starts, session ends; see layout.go), the retention clock
// that deletes expired segments with range deletions, and the retention
// state persisted at Commit and restored by Abort.
type segmented struct {
	b      *Backend
	name   string
	id     uint32
	prefix []byte

	// scanOnly: the store is read only by loops (a window store that
	// retains duplicates, whose Fetch is a loop too), so its writes go to
	// the cycle's log, not the overlay; see Backend.put.
	scanOnly bool

	clock wincore.Clock
	seq   uint32 // last sequence number of a window store that retains duplicates; else 0
	// Segments below dropped have been deleted in the cycle or database;
	// math.MinInt64 means unknown (after Open).
	dropped int64
	dirty   bool // clock or seq changed since the last Commit

	rangeDeletes int // range deletions issued, for tests

	// State at the last Commit, restored by Abort.
	cClock   wincore.Clock
	cSeq     uint32
	cDropped int64

	buf []byte
}

// newSegmented returns the segmented part of store name with id and a
// clock that has seen no writes, with the retention state committed by
// earlier runs.
func newSegmented(b *Backend, name string, id uint32, c wincore.Clock) (segmented, error) {
	s := segmented{b: b, name: name, id: id, prefix: storePrefix(id), clock: c, dropped: math.MinInt64}
	v, closer, err := b.db.Get(s.metaKey())
	switch {
	case errors.Is(err, pdb.ErrNotFound):
	case err != nil:
		return s, err
	default:
		m, err := decodeWindowMeta(v)
		_ = closer.Close()
		if err != nil {
			return s, err
		}
		s.clock.Observed, s.seq = m.observed, m.seq
	}
	s.cClock, s.cSeq, s.cDropped = s.clock, s.seq, s.dropped
	return s, nil
}

func (s *segmented) metaKey() []byte { return metaKey(tagWindow, storePrefix(s.id)) }

// writeMeta adds the retention state to batch if it changed.
func (s *segmented) writeMeta(batch *pdb.Batch) error {
	if !s.dirty {
		return nil
	}
	return batch.Set(s.metaKey(), windowMeta{observed: s.clock.Observed, seq: s.seq}.encode(), nil)
}

func (s *segmented) committed() {
	s.cClock, s.cSeq, s.cDropped = s.clock, s.seq, s.dropped
	s.dirty = false
}

func (s *segmented) abort() {
	s.clock, s.seq, s.dropped = s.cClock, s.cSeq, s.cDropped
	s.dirty = false
}

// Name is the store's name.
func (s *segmented) Name() string { return s.name }

// ObservedTime is the largest time put so far, or state.MinTime.
func (s *segmented) ObservedTime() int64 { return s.clock.Observed }

// segmentKey starts the database key of an entry of time t in s.buf.
func (s *segmented) segmentKey(t int64) []byte {
	s.buf = segmentKey(s.buf[:0], s.prefix, s.clock.Segment(t))
	return s.buf
}

// advance records a put at time t and drops the segments it expires.
func (s *segmented) advance(t int64) error {
	if !s.clock.Advance(t) {
		return nil
	}
	s.dirty = true
	return s.dropExpired()
}

// dropExpired deletes the segments that hold only expired entries with one
// range deletion, once per segment roll.
func (s *segmented) dropExpired() error {
	if s.clock.LiveFrom() == math.MinInt64 {
		return nil
	}
	minLive := s.clock.MinLiveSegment()
	if minLive <= s.dropped {
		return nil
	}
	lower := s.prefix
	if s.dropped != math.MinInt64 {
		lower = segmentKey(nil, s.prefix, s.dropped)
	}
	if err := s.b.deleteRange(lower, segmentKey(nil, s.prefix, minLive), s.scanOnly); err != nil {
		return err
	}
	s.dropped = minLive
	s.rangeDeletes++
	return nil
}

// write sets database key k to value; a nil value deletes it.
func (s *segmented) write(k, value []byte) error { return s.b.put(k, value, s.scanOnly) }
