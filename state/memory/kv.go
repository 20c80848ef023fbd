// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"iter"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// kvStore is a key-value store in a kvTree.
type kvStore struct {
	b    *Backend
	name string
	t    *kvTree
}

func newKVStore(b *Backend, name string) *kvStore {
	return &kvStore{b: b, name: name, t: newKVTree()}
}

func (s *kvStore) commit() { s.t.commit() }
func (s *kvStore) abort()  { s.t.abort() }

func (s *kvStore) Name() string { return s.name }

func (s *kvStore) Get(key []byte) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	v, ok := s.t.get(key)
	if !ok {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// Peek returns the value stored under key, or nil if absent, without
// copying it: the caller must not modify it. It stays as it is through the
// next write of key (a short value is rewritten in place only by the write
// after that, see kvTree). (The task engine reads values it only decodes
// through it, before it writes the key again.)
func (s *kvStore) Peek(key []byte) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	v, _ := s.t.get(key)
	return v, nil
}

func (s *kvStore) Put(key, value []byte) error {
	if value == nil {
		return s.Delete(key)
	}
	if err := s.b.usable(); err != nil {
		return err
	}
	s.t.set(key, value)
	return nil
}

func (s *kvStore) Delete(key []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	s.t.delete(key)
	return nil
}

// inclusiveEnd turns an inclusive upper bound into an exclusive one.
func inclusiveEnd(to []byte) []byte {
	if to == nil {
		return nil
	}
	return append(bytes.Clone(to), 0)
}

func (s *kvStore) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return s.scan(bytes.Clone(from), inclusiveEnd(to), false)
}

func (s *kvStore) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return s.scan(bytes.Clone(from), inclusiveEnd(to), true)
}

func (s *kvStore) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	return s.scan(bytes.Clone(prefix), wincore.PrefixEnd(prefix), false)
}

func (s *kvStore) All() iter.Seq2[state.KeyValue, error] {
	return s.scan(nil, nil, false)
}

// scan walks [lo, hi) of a snapshot taken when the loop starts.
func (s *kvStore) scan(lo, hi []byte, reverse bool) iter.Seq2[state.KeyValue, error] {
	return func(yield func(state.KeyValue, error) bool) {
		if err := s.b.usable(); err != nil {
			yield(state.KeyValue{}, err)
			return
		}
		r := s.t.read()
		s.b.loops++
		defer func() {
			r.close()
			s.b.loops--
		}()
		walk := r.ascend
		if reverse {
			walk = r.descend
		}
		walk(lo, hi, func(c *cell) bool {
			return yield(state.KeyValue{Key: c.key[:len(c.key):len(c.key)], Value: c.value}, nil)
		})
	}
}

func (s *kvStore) ApproximateNumEntries() (int64, error) {
	if err := s.b.usable(); err != nil {
		return 0, err
	}
	return int64(s.t.len()), nil
}
