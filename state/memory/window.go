// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"iter"
	"math"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// windowStore keeps its windows in segments by window start; see segmented.
type windowStore struct {
	segmented
	opts state.WindowOptions
	seq  uint32 // last sequence number of a store that retains duplicates; else 0
	cSeq uint32 // seq at the last Commit
}

var _ state.WindowRestorer = (*windowStore)(nil)

func newWindowStore(b *Backend, name string, opts state.WindowOptions) *windowStore {
	return &windowStore{segmented: newSegmented(b, name, wincore.NewClock(opts)), opts: opts}
}

func (s *windowStore) commit() {
	s.segmented.commit()
	s.cSeq = s.seq
}

func (s *windowStore) abort() {
	s.segmented.abort()
	s.seq = s.cSeq
}

func (s *windowStore) Put(key []byte, windowStart int64, value []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	if (value == nil && s.opts.RetainDuplicates) || s.clock.Expired(windowStart) {
		return nil
	}
	s.advance(windowStart)
	var seq uint32
	if s.opts.RetainDuplicates {
		s.seq = state.NextSeq(s.seq)
		seq = s.seq
	}
	s.buf = wincore.AppendEntry(s.buf[:0], key, windowStart, seq)
	s.write(windowStart, value)
	return nil
}

// RestorePut implements [state.WindowRestorer].
func (s *windowStore) RestorePut(key []byte, windowStart int64, seq uint32, value []byte) error {
	if !s.opts.RetainDuplicates {
		return s.Put(key, windowStart, value)
	}
	if err := s.b.usable(); err != nil {
		return err
	}
	s.seq = wincore.AdvanceSeq(s.seq, seq)
	if s.clock.Expired(windowStart) {
		return nil
	}
	if value != nil {
		s.advance(windowStart)
	}
	s.buf = wincore.AppendEntry(s.buf[:0], key, windowStart, seq)
	s.write(windowStart, value)
	return nil
}

// LastSeq implements [state.WindowRestorer].
func (s *windowStore) LastSeq() uint32 { return s.seq }

func (s *windowStore) Fetch(key []byte, windowStart int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	t := s.tree(windowStart)
	if t == nil {
		return nil, nil
	}
	if !s.opts.RetainDuplicates {
		s.buf = wincore.AppendEntry(s.buf[:0], key, windowStart, 0)
		v, ok := t.get(s.buf)
		if !ok {
			return nil, nil
		}
		return bytes.Clone(v), nil
	}
	// The first duplicate put. Nothing writes during this walk: it needs no
	// snapshot.
	var v []byte
	t.cur.ascend(wincore.AppendEntry(nil, key, windowStart, 0), wincore.AppendTimeEnd(nil, key, windowStart), func(e entry) bool {
		v = bytes.Clone(e.value())
		return false
	})
	return v, nil
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
