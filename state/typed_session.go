// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"fmt"
	"iter"
	"time"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// SessionView is a typed view of a [SessionStore]: one value per key and
// session [start, end] (both inclusive, as Kafka Streams' session windows),
// yielded with [window.Windowed] keys. Times are kept to the millisecond.
type SessionView[K, V any] struct {
	store  SessionStore
	topic  string
	keys   serde.Serde[K]
	values serde.Serde[V]
}

// NewSessionView returns a typed view of store. Serdes are called with
// topic.
func NewSessionView[K, V any](store SessionStore, topic string, keys serde.Serde[K], values serde.Serde[V]) SessionView[K, V] {
	return SessionView[K, V]{store: store, topic: topic, keys: keys, values: values}
}

// Store returns the underlying byte-level store.
func (v SessionView[K, V]) Store() SessionStore { return v.store }

func (v SessionView[K, V]) key(k K) ([]byte, error) {
	b, err := v.keys.Serialize(v.topic, k)
	if err != nil {
		return nil, fmt.Errorf("state: store %s: serialize key: %w", v.store.Name(), err)
	}
	return b, nil
}

// Put stores value for key's session [start, end] (Kafka Streams'
// SessionStore.put). A value that serializes to nil removes the session.
func (v SessionView[K, V]) Put(key K, start, end time.Time, value V) error {
	kb, err := v.key(key)
	if err != nil {
		return err
	}
	vb, err := v.values.Serialize(v.topic, value)
	if err != nil {
		return fmt.Errorf("state: store %s: serialize value: %w", v.store.Name(), err)
	}
	return v.store.Put(kb, start.UnixMilli(), end.UnixMilli(), vb)
}

// Remove deletes key's session [start, end] (Kafka Streams'
// SessionStore.remove).
func (v SessionView[K, V]) Remove(key K, start, end time.Time) error {
	kb, err := v.key(key)
	if err != nil {
		return err
	}
	return v.store.Put(kb, start.UnixMilli(), end.UnixMilli(), nil)
}

// FetchSession returns the value of key's session [start, end] and
// whether there is one (absent or expired: false).
func (v SessionView[K, V]) FetchSession(key K, start, end time.Time) (V, bool, error) {
	var zero V
	kb, err := v.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := v.store.FetchSession(kb, start.UnixMilli(), end.UnixMilli())
	if err != nil || vb == nil {
		return zero, false, err
	}
	val, err := v.values.Deserialize(v.topic, vb)
	if err != nil {
		return zero, false, fmt.Errorf("state: store %s: deserialize value: %w", v.store.Name(), err)
	}
	return val, true, nil
}

// FindSessions iterates key's sessions that end at or after
// earliestSessionEnd and start at or before latestSessionStart, ordered by
// end, then start (Kafka Streams' SessionStore.findSessions).
func (v SessionView[K, V]) FindSessions(key K, earliestSessionEnd, latestSessionStart time.Time) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	kb, err := v.key(key)
	if err != nil {
		return fail[record.KeyValue[window.Windowed[K], V]](err)
	}
	return v.typed(v.store.FindSessions(kb, earliestSessionEnd.UnixMilli(), latestSessionStart.UnixMilli()), &key)
}

// BackwardFindSessions is FindSessions in descending order.
func (v SessionView[K, V]) BackwardFindSessions(key K, earliestSessionEnd, latestSessionStart time.Time) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	kb, err := v.key(key)
	if err != nil {
		return fail[record.KeyValue[window.Windowed[K], V]](err)
	}
	return v.typed(v.store.BackwardFindSessions(kb, earliestSessionEnd.UnixMilli(), latestSessionStart.UnixMilli()), &key)
}

// Fetch iterates every unexpired session of key, ordered by end, then
// start.
func (v SessionView[K, V]) Fetch(key K) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	kb, err := v.key(key)
	if err != nil {
		return fail[record.KeyValue[window.Windowed[K], V]](err)
	}
	return v.typed(v.store.Fetch(kb), &key)
}

// All iterates every unexpired session, ordered by serialized key, then
// end, then start.
func (v SessionView[K, V]) All() iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	return v.typed(v.store.All(), nil)
}

// typed decodes a byte-level iteration. If key is not nil, every entry has
// that key and it is not deserialized again.
func (v SessionView[K, V]) typed(seq iter.Seq2[SessionEntry, error], key *K) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	return func(yield func(record.KeyValue[window.Windowed[K], V], error) bool) {
		var zero record.KeyValue[window.Windowed[K], V]
		for e, err := range seq {
			if err != nil {
				yield(zero, err)
				return
			}
			var k K
			if key != nil {
				k = *key
			} else if k, err = v.keys.Deserialize(v.topic, e.Key); err != nil {
				yield(zero, fmt.Errorf("state: store %s: deserialize key: %w", v.store.Name(), err))
				return
			}
			val, err := v.values.Deserialize(v.topic, e.Value)
			if err != nil {
				yield(zero, fmt.Errorf("state: store %s: deserialize value: %w", v.store.Name(), err))
				return
			}
			w := window.Between(time.UnixMilli(e.Start), time.UnixMilli(e.End))
			if !yield(record.KeyValue[window.Windowed[K], V]{Key: window.Windowed[K]{Key: k, Window: w}, Value: val}, nil) {
				return
			}
		}
	}
}
