// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"iter"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// kvStore is a key-value store: the keys of the database under its prefix.
type kvStore struct {
	b      *Backend
	name   string
	prefix []byte
	buf    []byte // scratch for prefixed keys; the cycle copies what it keeps
}

func (s *kvStore) Name() string { return s.name }

func (s *kvStore) key(k []byte) []byte {
	s.buf = append(append(s.buf[:0], s.prefix...), k...)
	return s.buf
}

func (s *kvStore) Get(key []byte) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	return s.b.get(s.key(key))
}

func (s *kvStore) Put(key, value []byte) error {
	if value == nil {
		return s.Delete(key)
	}
	if err := s.b.usable(); err != nil {
		return err
	}
	return s.b.put(s.key(key), value, false)
}

func (s *kvStore) Delete(key []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	return s.b.put(s.key(key), nil, false)
}

// bounds returns the database bounds [lower, upper) of the store keys in
// [from, to] (nil: open).
func (s *kvStore) bounds(from, to []byte) (lower, upper []byte) {
	lower = append(append([]byte(nil), s.prefix...), from...)
	if to == nil {
		upper = wincore.PrefixEnd(s.prefix)
	} else {
		upper = append(append(append([]byte(nil), s.prefix...), to...), 0)
	}
	return lower, upper
}

func (s *kvStore) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	lower, upper := s.bounds(from, to)
	return s.scan(lower, upper, false)
}

func (s *kvStore) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	lower, upper := s.bounds(from, to)
	return s.scan(lower, upper, true)
}

func (s *kvStore) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	lower := append(append([]byte(nil), s.prefix...), prefix...)
	return s.scan(lower, wincore.PrefixEnd(lower), false)
}

func (s *kvStore) All() iter.Seq2[state.KeyValue, error] {
	return s.scan(s.prefix, wincore.PrefixEnd(s.prefix), false)
}

// scan iterates the database keys in [lower, upper) as they are when the
// loop starts.
func (s *kvStore) scan(lower, upper []byte, reverse bool) iter.Seq2[state.KeyValue, error] {
	return func(yield func(state.KeyValue, error) bool) {
		walk(s.b, lower, upper, reverse, yield, func(it *pdb.Iterator, v []byte) bool {
			k := it.Key()[len(s.prefix):]
			return yield(state.KeyValue{Key: k[:len(k):len(k)], Value: v[:len(v):len(v)]}, nil)
		})
	}
}

// walk runs a bounded iterator over [lower, upper) and calls fn for every
// entry until fn returns false. It accounts for the running loop, closes the
// iterator however the loop ends, and yields the iterator's error, if any,
// as a final (zero, err) pair.
func walk[T any](b *Backend, lower, upper []byte, reverse bool, yield func(T, error) bool, fn func(it *pdb.Iterator, value []byte) bool) {
	if err := b.usable(); err != nil {
		var zero T
		yield(zero, err)
		return
	}
	walkIter(b, lower, upper, yield, func(it *pdb.Iterator) bool {
		var ok bool
		if reverse {
			ok = it.Last()
		} else {
			ok = it.First()
		}
		for ; ok; ok = step(it, reverse) {
			v, err := it.ValueAndErr()
			if err != nil {
				break // reported by Close
			}
			if !fn(it, v) {
				return false
			}
		}
		return true
	})
}

// walkIter opens an iterator bounded by [lower, upper) and runs fn with it;
// fn returns false if the loop was stopped (by the consumer or an error it
// yielded). walkIter accounts for the running loop, always closes the
// iterator, and yields the iterator's error, if any, if fn returned true.
func walkIter[T any](b *Backend, lower, upper []byte, yield func(T, error) bool, fn func(it *pdb.Iterator) bool) {
	var zero T
	it, err := b.newIter(lower, upper)
	if err != nil {
		yield(zero, err)
		return
	}
	b.loops++
	open := true
	defer func() {
		b.loops--
		if open {
			_ = it.Close()
		}
	}()
	if !fn(it) {
		return
	}
	open = false
	if err := it.Close(); err != nil {
		yield(zero, b.health.check(err))
	}
}

func step(it *pdb.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// ApproximateNumEntries counts the store's keys. It reads the whole store,
// so it is exact but O(n); call it for metrics and queries, not per record.
func (s *kvStore) ApproximateNumEntries() (int64, error) {
	var n int64
	for _, err := range s.All() {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
