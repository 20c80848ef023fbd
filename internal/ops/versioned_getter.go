// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// AsOf reads a versioned table's row of key as of ts: the value of the
// version valid at ts, found false if there is none (no version, a
// tombstone, a version older than the history retention, or a row a
// derived table's filter drops). It is Kafka Streams' value getter
// get(key, asOfTimestamp).
type AsOf[K, V any] func(key K, ts int64) (V, bool, error)

// OpenVersionedAsOf opens the versioned store name in t and returns its
// lookup with the table's serdes, for processor node (named in errors).
func OpenVersionedAsOf[K, V any](t *engine.Task, node, name string, ks serde.Serde[K], vs serde.Serde[V]) (AsOf[K, V], error) {
	s, err := t.Versioned(name)
	if err != nil {
		return nil, err
	}
	topic := storeTopic(s.ChangelogTopic(), name)
	return func(key K, ts int64) (V, bool, error) {
		var row V
		kb, err := ks.Serialize(topic, key)
		if err != nil {
			return row, false, fmt.Errorf("%s: store %s: serialize key: %w", node, name, err)
		}
		rec, found, err := s.Store.GetAsOf(kb, ts)
		if err != nil {
			return row, false, engine.Fatal(fmt.Errorf("%s: read store %s: %w", node, name, err))
		}
		if !found {
			return row, false, nil
		}
		if row, err = vs.Deserialize(topic, rec.Value); err != nil {
			return row, false, fmt.Errorf("%s: store %s: decode value: %w", node, name, err)
		}
		return row, true, nil
	}, nil
}

// FilterAsOf is the lookup of a Filter of the table get reads: its row as
// of ts if keep accepts it (Kafka Streams' KTableFilterValueGetter).
func FilterAsOf[K, V any](get AsOf[K, V], keep func(K, V) bool) AsOf[K, V] {
	return func(key K, ts int64) (V, bool, error) {
		v, found, err := get(key, ts)
		if err != nil || !found || !keep(key, v) {
			var zero V
			return zero, false, err
		}
		return v, true, nil
	}
}

// MapValuesAsOf is the lookup of a MapValues of the table get reads: fn of
// its row as of ts; a nil result (for a type with nil) is no row, as a
// null from Kafka Streams' mapper (KTableMapValuesValueGetter).
func MapValuesAsOf[K, V, V2 any](get AsOf[K, V], fn func(K, V) V2) AsOf[K, V2] {
	var isNil engine.NilCheck[V2]
	return func(key K, ts int64) (V2, bool, error) {
		var out V2
		v, found, err := get(key, ts)
		if err != nil || !found {
			return out, false, err
		}
		out = fn(key, v)
		if isNil.IsNil(&out) {
			var zero V2
			return zero, false, nil
		}
		return out, true, nil
	}
}
