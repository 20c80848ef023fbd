// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"fmt"
	"iter"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// KeyValueView is a typed view of a [KeyValueStore]: keys and values go
// through serdes, called with the view's topic (normally the store's
// changelog topic, so that topic-aware serdes such as Schema Registry ones
// pick the right subject).
//
// Ranges are over serialized keys: their order is the byte order of the
// serialized form (for the Kafka-compatible primitive serdes, that is numeric
// order for non-negative integers and byte order for strings).
type KeyValueView[K, V any] struct {
	store  KeyValueStore
	topic  string
	keys   serde.Serde[K]
	values serde.Serde[V]
}

// NewKeyValueView returns a typed view of store.
func NewKeyValueView[K, V any](store KeyValueStore, topic string, keys serde.Serde[K], values serde.Serde[V]) KeyValueView[K, V] {
	return KeyValueView[K, V]{store: store, topic: topic, keys: keys, values: values}
}

// Store returns the underlying byte-level store.
func (v KeyValueView[K, V]) Store() KeyValueStore { return v.store }

func (v KeyValueView[K, V]) key(k K) ([]byte, error) {
	b, err := v.keys.Serialize(v.topic, k)
	if err != nil {
		return nil, fmt.Errorf("state: store %s: serialize key: %w", v.store.Name(), err)
	}
	return b, nil
}

func (v KeyValueView[K, V]) decode(kb, vb []byte) (record.KeyValue[K, V], error) {
	k, err := v.keys.Deserialize(v.topic, kb)
	if err != nil {
		return record.KeyValue[K, V]{}, fmt.Errorf("state: store %s: deserialize key: %w", v.store.Name(), err)
	}
	val, err := v.values.Deserialize(v.topic, vb)
	if err != nil {
		return record.KeyValue[K, V]{}, fmt.Errorf("state: store %s: deserialize value: %w", v.store.Name(), err)
	}
	return record.KeyValue[K, V]{Key: k, Value: val}, nil
}

// Get returns the value stored under key and whether there is one.
func (v KeyValueView[K, V]) Get(key K) (V, bool, error) {
	var zero V
	kb, err := v.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := v.store.Get(kb)
	if err != nil || vb == nil {
		return zero, false, err
	}
	val, err := v.values.Deserialize(v.topic, vb)
	if err != nil {
		return zero, false, fmt.Errorf("state: store %s: deserialize value: %w", v.store.Name(), err)
	}
	return val, true, nil
}

// Put stores value under key. A value that serializes to nil deletes the key.
func (v KeyValueView[K, V]) Put(key K, value V) error {
	kb, err := v.key(key)
	if err != nil {
		return err
	}
	vb, err := v.values.Serialize(v.topic, value)
	if err != nil {
		return fmt.Errorf("state: store %s: serialize value: %w", v.store.Name(), err)
	}
	return v.store.Put(kb, vb)
}

// Delete removes key.
func (v KeyValueView[K, V]) Delete(key K) error {
	kb, err := v.key(key)
	if err != nil {
		return err
	}
	return v.store.Delete(kb)
}

// bounds serializes optional range bounds.
func (v KeyValueView[K, V]) bounds(from, to *K) (fb, tb []byte, err error) {
	if from != nil {
		if fb, err = v.key(*from); err != nil {
			return nil, nil, err
		}
	}
	if to != nil {
		if tb, err = v.key(*to); err != nil {
			return nil, nil, err
		}
		if tb == nil {
			tb = []byte{} // a present bound, not an open one
		}
	}
	return fb, tb, nil
}

// Range iterates keys in [*from, *to] in ascending order; a nil bound is
// open.
func (v KeyValueView[K, V]) Range(from, to *K) iter.Seq2[record.KeyValue[K, V], error] {
	fb, tb, err := v.bounds(from, to)
	if err != nil {
		return fail[record.KeyValue[K, V]](err)
	}
	return v.typed(v.store.Range(fb, tb))
}

// ReverseRange iterates keys in [*from, *to] in descending order; a nil
// bound is open.
func (v KeyValueView[K, V]) ReverseRange(from, to *K) iter.Seq2[record.KeyValue[K, V], error] {
	fb, tb, err := v.bounds(from, to)
	if err != nil {
		return fail[record.KeyValue[K, V]](err)
	}
	return v.typed(v.store.ReverseRange(fb, tb))
}

// PrefixScan iterates the keys whose serialized form starts with the
// serialized prefix, like Kafka Streams' prefixScan(prefix, serializer).
func (v KeyValueView[K, V]) PrefixScan[P any](prefix P, prefixSerde serde.Serde[P]) iter.Seq2[record.KeyValue[K, V], error] {
	pb, err := prefixSerde.Serialize(v.topic, prefix)
	if err != nil {
		return fail[record.KeyValue[K, V]](fmt.Errorf("state: store %s: serialize prefix: %w", v.store.Name(), err))
	}
	return v.typed(v.store.PrefixScan(pb))
}

// All iterates every key in ascending order.
func (v KeyValueView[K, V]) All() iter.Seq2[record.KeyValue[K, V], error] {
	return v.typed(v.store.All())
}

// ApproximateNumEntries estimates the number of keys.
func (v KeyValueView[K, V]) ApproximateNumEntries() (int64, error) {
	return v.store.ApproximateNumEntries()
}

// typed decodes a byte-level iteration. A decoding error ends it with a
// final (zero, err) pair.
func (v KeyValueView[K, V]) typed(seq iter.Seq2[KeyValue, error]) iter.Seq2[record.KeyValue[K, V], error] {
	return func(yield func(record.KeyValue[K, V], error) bool) {
		for e, err := range seq {
			if err != nil {
				yield(record.KeyValue[K, V]{}, err)
				return
			}
			kv, err := v.decode(e.Key, e.Value)
			if err != nil {
				yield(record.KeyValue[K, V]{}, err)
				return
			}
			if !yield(kv, nil) {
				return
			}
		}
	}
}

// fail returns an iteration that yields only err.
func fail[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
