// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"iter"

	"github.com/eddy-streams/eddy/state"
)

// Logged returns a byte-level view of the store for the Processor API: it
// hides the timestamped layout (reads return the plain value) and logs every
// write to the changelog. Writes are stamped with the timestamp of the
// record being processed (the punctuation time inside a punctuator), which
// becomes the changelog record's timestamp, as in Kafka Streams.
//
// Local layout: 8-byte big-endian timestamp ‖ value, the layout of every
// Eddy key-value store; changelog: the plain value. So a store written
// through this view reads like a DSL table in the test driver and restores
// like any other key-value store.
func (s *KVStore) Logged() state.KeyValueStore { return loggedKV{s} }

type loggedKV struct{ s *KVStore }

func (l loggedKV) Name() string { return l.s.Store.Name() }

func (l loggedKV) Get(key []byte) ([]byte, error) {
	v, _, found, err := l.s.GetTimestamped(key)
	if err != nil || !found {
		return nil, err
	}
	if l.s.peek != nil {
		v = clone(v) // the store's own bytes: the caller owns what Get returns
	}
	return v, nil
}

func (l loggedKV) Put(key, value []byte) error {
	if value == nil {
		return l.Delete(key)
	}
	return l.s.PutTimestamped(key, value, l.s.t.rc.Timestamp)
}

func (l loggedKV) Delete(key []byte) error {
	return l.s.PutTimestamped(key, nil, l.s.t.rc.Timestamp)
}

func (l loggedKV) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(l.s.Store.Range(from, to))
}

func (l loggedKV) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(l.s.Store.ReverseRange(from, to))
}

func (l loggedKV) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(l.s.Store.PrefixScan(prefix))
}

func (l loggedKV) All() iter.Seq2[state.KeyValue, error] { return stripTimestamps(l.s.Store.All()) }

func (l loggedKV) ApproximateNumEntries() (int64, error) { return l.s.Store.ApproximateNumEntries() }

func stripTimestamps(seq iter.Seq2[state.KeyValue, error]) iter.Seq2[state.KeyValue, error] {
	return func(yield func(state.KeyValue, error) bool) {
		for kv, err := range seq {
			if err == nil && len(kv.Value) >= 8 {
				kv.Value = kv.Value[8:]
			}
			if !yield(kv, err) {
				return
			}
		}
	}
}
