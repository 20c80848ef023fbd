// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// Entry is one typed entry of a store, with the timestamp of the record
// that last wrote it (zero for stores that keep none).
type Entry[K, V any] struct {
	Key       K
	Value     V
	Timestamp time.Time
}

// storeRef is what every typed handle knows of its store.
type storeRef[K any] struct {
	app   *runtime.App
	name  string
	topic string // serdes are called with it: the changelog topic (a global table's source topic)
	keys  serde.Serde[K]
}

// locate serializes key and returns the partition of the store that holds
// it.
func (r *storeRef[K]) locate(key K) ([]byte, int32, error) {
	kb, err := r.keys.Serialize(r.topic, key)
	if err != nil {
		return nil, 0, fmt.Errorf("query: store %q: serialize key: %w", r.name, err)
	}
	p, err := r.app.PartitionForKey(r.name, kb)
	return kb, p, err
}

// KeyValueStore is typed read access to a key-value store of a running
// application (aggregations, materialized tables, Processor API stores).
type KeyValueStore[K, V any] struct {
	storeRef[K]
	values serde.Serde[V]
	ts     bool
	global bool // a global table's store: whole on every instance
}

// KeyValue opens typed read access to the key-value store called name,
// whose keys and values the given serdes read (the serdes the topology
// stores them with). It fails if app's topology has no such key-value
// store.
func KeyValue[K, V any](app *runtime.App, name string, keys serde.Serde[K], values serde.Serde[V]) (*KeyValueStore[K, V], error) {
	info, err := app.Store(name)
	if err != nil && !errors.Is(err, runtime.ErrNotRunning) {
		return nil, err
	}
	if info.Kind != runtime.KeyValueStore {
		return nil, fmt.Errorf("query: store %q is a %s store, not a key-value store", name, info.Kind)
	}
	return &KeyValueStore[K, V]{storeRef: storeRef[K]{app: app, name: name, topic: info.Topic, keys: keys},
		values: values, ts: info.Timestamped, global: info.Global}, nil
}

// Name returns the store's name.
func (s *KeyValueStore[K, V]) Name() string { return s.name }

// Get returns the value under key. It reads the key's partition on this
// instance (see the package doc for the errors when another instance runs
// it).
func (s *KeyValueStore[K, V]) Get(ctx context.Context, key K, opts ...ReadOption) (V, bool, error) {
	e, ok, err := s.GetEntry(ctx, key, opts...)
	return e.Value, ok, err
}

// GetEntry is Get with the entry's timestamp.
func (s *KeyValueStore[K, V]) GetEntry(ctx context.Context, key K, opts ...ReadOption) (Entry[K, V], bool, error) {
	o := collect(opts)
	kb, p, err := s.locate(key)
	if err != nil {
		return Entry[K, V]{}, false, err
	}
	var vb []byte
	info, err := s.app.ReadKeyValue(ctx, s.name, p, o.ReadOptions, func(st state.KeyValueStore) error {
		b, err := st.Get(kb)
		vb = bytes.Clone(b)
		return err
	})
	if err != nil {
		return Entry[K, V]{}, false, err
	}
	o.report(info)
	if vb == nil {
		return Entry[K, V]{Key: key}, false, nil
	}
	e, err := s.decode(kb, vb)
	e.Key = key
	return e, err == nil, err
}

// Range returns the entries with keys in [from, to] (by serialized key
// order, see state.KeyValueView) of every partition this instance runs,
// ordered by serialized key.
func (s *KeyValueStore[K, V]) Range(ctx context.Context, from, to K) ([]Entry[K, V], error) {
	fb, err := s.keys.Serialize(s.topic, from)
	if err != nil {
		return nil, fmt.Errorf("query: store %q: serialize key: %w", s.name, err)
	}
	tb, err := s.keys.Serialize(s.topic, to)
	if err != nil {
		return nil, fmt.Errorf("query: store %q: serialize key: %w", s.name, err)
	}
	return s.scan(ctx, func(st state.KeyValueStore) iter.Seq2[state.KeyValue, error] { return st.Range(fb, tb) })
}

// All returns every entry of every partition this instance runs, ordered
// by serialized key.
func (s *KeyValueStore[K, V]) All(ctx context.Context) ([]Entry[K, V], error) {
	return s.scan(ctx, func(st state.KeyValueStore) iter.Seq2[state.KeyValue, error] { return st.All() })
}

func (s *KeyValueStore[K, V]) scan(ctx context.Context, it func(state.KeyValueStore) iter.Seq2[state.KeyValue, error]) ([]Entry[K, V], error) {
	info, err := s.app.Store(s.name)
	if err != nil {
		return nil, err
	}
	var raw []state.KeyValue
	for p := range info.Partitions {
		_, err := s.app.ReadKeyValue(ctx, s.name, p, runtime.ReadOptions{}, func(st state.KeyValueStore) error {
			for kv, err := range it(st) {
				if err != nil {
					return err
				}
				raw = append(raw, state.KeyValue{Key: bytes.Clone(kv.Key), Value: bytes.Clone(kv.Value)})
			}
			return nil
		})
		if errors.Is(err, runtime.ErrNotHosted) {
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(raw, func(a, b state.KeyValue) int { return bytes.Compare(a.Key, b.Key) })
	out := make([]Entry[K, V], 0, len(raw))
	for _, kv := range raw {
		e, err := s.decode(kv.Key, kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// decode reads a stored entry.
func (s *KeyValueStore[K, V]) decode(kb, vb []byte) (Entry[K, V], error) {
	var e Entry[K, V]
	k, err := s.keys.Deserialize(s.topic, kb)
	if err != nil {
		return e, fmt.Errorf("query: store %q: deserialize key: %w", s.name, err)
	}
	e.Key = k
	if s.ts {
		ts, b, err := state.DecodeTimestamped(vb)
		if err != nil {
			return e, fmt.Errorf("query: store %q: %w", s.name, err)
		}
		vb, e.Timestamp = b, time.UnixMilli(ts)
	}
	if e.Value, err = s.values.Deserialize(s.topic, vb); err != nil {
		return e, fmt.Errorf("query: store %q: deserialize value: %w", s.name, err)
	}
	return e, nil
}
