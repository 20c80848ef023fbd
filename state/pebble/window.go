// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"iter"
	"math"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// windowStore is a window store segmented by window start; see segmented.
type windowStore struct {
	segmented
	opts state.WindowOptions
}

var _ state.WindowRestorer = (*windowStore)(nil)

func newWindowStore(b *Backend, name string, id uint32, opts state.WindowOptions) (*windowStore, error) {
	sg, err := newSegmented(b, name, id, wincore.NewClock(opts))
	if err != nil {
		return nil, err
	}
	sg.scanOnly = opts.RetainDuplicates
	return &windowStore{segmented: sg, opts: opts}, nil
}

// entryKey builds the database key of (key, start, seq) in s.buf.
func (s *windowStore) entryKey(key []byte, start int64, seq uint32) []byte {
	s.buf = wincore.AppendEntry(s.segmentKey(start), key, start, seq)
	return s.buf
}

func (s *windowStore) Put(key []byte, windowStart int64, value []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	if (value == nil && s.opts.RetainDuplicates) || s.clock.Expired(windowStart) {
		return nil
	}
	if err := s.advance(windowStart); err != nil {
		return err
	}
	var seq uint32
	if s.opts.RetainDuplicates {
		s.seq = state.NextSeq(s.seq)
		seq = s.seq
		s.dirty = true
	}
	return s.write(s.entryKey(key, windowStart, seq), value)
}

// RestorePut implements [state.WindowRestorer]. The sequence counter it
// advances is committed with the store's observed time (see writeMeta).
func (s *windowStore) RestorePut(key []byte, windowStart int64, seq uint32, value []byte) error {
	if !s.opts.RetainDuplicates {
		return s.Put(key, windowStart, value)
	}
	if err := s.b.usable(); err != nil {
		return err
	}
	if next := wincore.AdvanceSeq(s.seq, seq); next != s.seq {
		s.seq = next
		s.dirty = true
	}
	if s.clock.Expired(windowStart) {
		return nil
	}
	if value != nil {
		if err := s.advance(windowStart); err != nil {
			return err
		}
	}
	return s.write(s.entryKey(key, windowStart, seq), value)
}

// LastSeq implements [state.WindowRestorer].
func (s *windowStore) LastSeq() uint32 { return s.seq }

func (s *windowStore) Fetch(key []byte, windowStart int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	if _, _, ok := s.clock.Clip(windowStart, windowStart); !ok {
		return nil, nil
	}
	if !s.opts.RetainDuplicates {
		return s.b.get(s.entryKey(key, windowStart, 0))
	}
	// The first duplicate put.
	seg := s.clock.Segment(windowStart)
	lower := wincore.AppendEntry(segmentKey(nil, s.prefix, seg), key, windowStart, 0)
	upper := wincore.AppendTimeEnd(segmentKey(nil, s.prefix, seg), key, windowStart)
	var out []byte
	var err error
	walk(s.b, lower, upper, false, func(_ struct{}, e error) bool { err = e; return false },
		func(_ *pdb.Iterator, v []byte) bool {
			out = bytes.Clone(v)
			if out == nil {
				out = []byte{}
			}
			return false
		})
	return out, err
}

func (s *windowStore) FetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.scanKey[state.WindowEntry](key, wincore.WindowQuery{From: from, To: to}, false)
}

func (s *windowStore) BackwardFetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.scanKey[state.WindowEntry](key, wincore.WindowQuery{From: from, To: to}, true)
}

func (s *windowStore) FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.scanKeys[state.WindowEntry](keyFrom, keyTo, wincore.WindowQuery{From: from, To: to})
}

func (s *windowStore) All() iter.Seq2[state.WindowEntry, error] {
	return s.FetchKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}
