// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"iter"
	"math"
	"slices"

	"github.com/eddy-streams/eddy/state"
)

// errReadOnlyView is returned by writes to a cached store's read view.
var errReadOnlyView = errors.New("engine: a cached store's view is read-only")

// cachedKVView is a read-only view of a cached key-value store that sees
// the cached writes (interactive queries read through it, as Kafka
// Streams' queries read through its caching stores). Values are in the
// store's timestamped layout. Scans gather the range first: they are for
// queries, not for processors.
type cachedKVView struct{ s *KVStore }

var _ state.KeyValueStore = cachedKVView{}

func (v cachedKVView) Name() string { return v.s.Store.Name() }

func (v cachedKVView) Get(key []byte) ([]byte, error) {
	if e, ok := v.s.cache.entries[string(key)]; ok {
		if e.value == nil {
			return nil, nil
		}
		return stamped(e.ts, e.value), nil
	}
	return v.s.Store.Get(key)
}

func (v cachedKVView) Put(key, value []byte) error { return errReadOnlyView }
func (v cachedKVView) Delete(key []byte) error     { return errReadOnlyView }

func (v cachedKVView) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return v.merged(v.s.Store.Range(from, to), func(k []byte) bool {
		return (from == nil || bytes.Compare(k, from) >= 0) && (to == nil || bytes.Compare(k, to) <= 0)
	}, false)
}

func (v cachedKVView) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return v.merged(v.s.Store.ReverseRange(from, to), func(k []byte) bool {
		return (from == nil || bytes.Compare(k, from) >= 0) && (to == nil || bytes.Compare(k, to) <= 0)
	}, true)
}

func (v cachedKVView) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	return v.merged(v.s.Store.PrefixScan(prefix), func(k []byte) bool { return bytes.HasPrefix(k, prefix) }, false)
}

func (v cachedKVView) All() iter.Seq2[state.KeyValue, error] {
	return v.merged(v.s.Store.All(), func([]byte) bool { return true }, false)
}

func (v cachedKVView) ApproximateNumEntries() (int64, error) {
	return v.s.Store.ApproximateNumEntries()
}

// merged yields the store's entries of a range with the cached writes in
// it laid over them, in key order (descending if reverse).
func (v cachedKVView) merged(store iter.Seq2[state.KeyValue, error], in func([]byte) bool, reverse bool) iter.Seq2[state.KeyValue, error] {
	return func(yield func(state.KeyValue, error) bool) {
		m := map[string][]byte{}
		for kv, err := range store {
			if err != nil {
				yield(state.KeyValue{}, err)
				return
			}
			m[string(kv.Key)] = bytes.Clone(kv.Value)
		}
		for k, e := range v.s.cache.entries {
			if !e.dirty || !in([]byte(k)) {
				continue
			}
			if e.value == nil {
				delete(m, k)
			} else {
				m[k] = stamped(e.ts, e.value)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if reverse {
			slices.Reverse(keys)
		}
		for _, k := range keys {
			if !yield(state.KeyValue{Key: []byte(k), Value: m[k]}, nil) {
				return
			}
		}
	}
}

// cachedWindowView is cachedKVView for window stores.
type cachedWindowView struct{ s *WindowStore }

var _ state.WindowStore = cachedWindowView{}

func (v cachedWindowView) Name() string { return v.s.Store.Name() }

func (v cachedWindowView) Put([]byte, int64, []byte) error { return errReadOnlyView }

func (v cachedWindowView) Fetch(key []byte, start int64) ([]byte, error) {
	if e, ok := v.s.cache.entries[string(windowCacheKey(key, start))]; ok {
		if e.value == nil {
			return nil, nil
		}
		return stamped(e.ts, e.value), nil
	}
	return v.s.Store.Fetch(key, start)
}

func (v cachedWindowView) FetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return v.merged(v.s.Store.FetchKeyRange(key, key, from, to), key, key, from, to, false)
}

func (v cachedWindowView) BackwardFetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return v.merged(v.s.Store.FetchKeyRange(key, key, from, to), key, key, from, to, true)
}

func (v cachedWindowView) FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return v.merged(v.s.Store.FetchKeyRange(keyFrom, keyTo, from, to), keyFrom, keyTo, from, to, false)
}

func (v cachedWindowView) All() iter.Seq2[state.WindowEntry, error] {
	return v.merged(v.s.Store.All(), nil, nil, math.MinInt64, math.MaxInt64, false)
}

func (v cachedWindowView) ObservedTime() int64 { return v.s.Store.ObservedTime() }

func (v cachedWindowView) merged(store iter.Seq2[state.WindowEntry, error], keyFrom, keyTo []byte, from, to int64, reverse bool) iter.Seq2[state.WindowEntry, error] {
	return func(yield func(state.WindowEntry, error) bool) {
		m := map[string]state.WindowEntry{}
		for e, err := range store {
			if err != nil {
				yield(state.WindowEntry{}, err)
				return
			}
			ck := string(windowCacheKey(e.Key, e.WindowStart))
			m[ck] = state.WindowEntry{Key: bytes.Clone(e.Key), WindowStart: e.WindowStart, Value: bytes.Clone(e.Value)}
		}
		for ck, e := range v.s.cache.entries {
			if !e.dirty {
				continue
			}
			key, start := []byte(ck[:len(ck)-8]), int64(binary.BigEndian.Uint64([]byte(ck[len(ck)-8:])))
			if start < from || start > to || keyFrom != nil && bytes.Compare(key, keyFrom) < 0 || keyTo != nil && bytes.Compare(key, keyTo) > 0 {
				continue
			}
			if e.value == nil {
				delete(m, ck)
			} else {
				m[ck] = state.WindowEntry{Key: key, WindowStart: start, Value: stamped(e.ts, e.value)}
			}
		}
		es := make([]state.WindowEntry, 0, len(m))
		for _, e := range m {
			es = append(es, e)
		}
		slices.SortFunc(es, func(a, b state.WindowEntry) int {
			if c := bytes.Compare(a.Key, b.Key); c != 0 {
				return c
			}
			if a.WindowStart < b.WindowStart {
				return -1
			}
			if a.WindowStart > b.WindowStart {
				return 1
			}
			return 0
		})
		if reverse {
			slices.Reverse(es)
		}
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// stamped returns value in the timestamped layout.
func stamped(ts int64, value []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(ts)), value...)
}
