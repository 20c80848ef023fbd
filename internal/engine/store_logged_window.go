// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"iter"

	"github.com/eddy-streams/eddy/state"
)

// Logged returns a byte-level view of the window store for the Processor
// API, as KVStore.Logged does for key-value stores: reads return plain
// values (the local timestamp prefix hidden), and every write goes to the
// changelog (key ‖ 8-byte start ‖ 4-byte sequence, plain value), stamped
// with the timestamp of the record being processed (the punctuation time
// inside a punctuator). In a store that retains duplicates a nil value is
// ignored, as the store itself does.
func (s *WindowStore) Logged() state.WindowStore { return loggedWindow{s} }

type loggedWindow struct{ s *WindowStore }

func (l loggedWindow) Name() string { return l.s.Store.Name() }

func (l loggedWindow) Put(key []byte, windowStart int64, value []byte) error {
	if value == nil && l.s.dups {
		return nil
	}
	return l.s.PutTimestamped(key, windowStart, value, l.s.t.rc.Timestamp)
}

func (l loggedWindow) Fetch(key []byte, windowStart int64) ([]byte, error) {
	v, _, found, err := l.s.FetchTimestamped(key, windowStart)
	if err != nil || !found {
		return nil, err
	}
	return v, nil
}

func (l loggedWindow) FetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return stripWindowTimestamps(l.s.Store.FetchRange(key, from, to))
}

func (l loggedWindow) BackwardFetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return stripWindowTimestamps(l.s.Store.BackwardFetchRange(key, from, to))
}

func (l loggedWindow) FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return stripWindowTimestamps(l.s.Store.FetchKeyRange(keyFrom, keyTo, from, to))
}

func (l loggedWindow) All() iter.Seq2[state.WindowEntry, error] {
	return stripWindowTimestamps(l.s.Store.All())
}

func (l loggedWindow) ObservedTime() int64 { return l.s.Store.ObservedTime() }

func stripWindowTimestamps(seq iter.Seq2[state.WindowEntry, error]) iter.Seq2[state.WindowEntry, error] {
	return func(yield func(state.WindowEntry, error) bool) {
		for e, err := range seq {
			if err == nil && len(e.Value) >= 8 {
				e.Value = e.Value[8:]
			}
			if !yield(e, err) {
				return
			}
		}
	}
}
