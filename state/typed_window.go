// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// WindowView is a typed view of a [WindowStore]. Entries are yielded with
// [window.Windowed] keys whose End is Start + the window size the view was
// made with. Times are kept to the millisecond.
type WindowView[K, V any] struct {
	store  WindowStore
	topic  string
	size   int64
	keys   serde.Serde[K]
	values serde.Serde[V]
}

// NewWindowView returns a typed view of store, whose windows are
// windowSize long. Serdes are called with topic.
func NewWindowView[K, V any](store WindowStore, topic string, windowSize time.Duration, keys serde.Serde[K], values serde.Serde[V]) WindowView[K, V] {
	return WindowView[K, V]{store: store, topic: topic, size: windowSize.Milliseconds(), keys: keys, values: values}
}

// Store returns the underlying byte-level store.
func (v WindowView[K, V]) Store() WindowStore { return v.store }

// ObservedTime is the largest window start put so far; false if none was.
func (v WindowView[K, V]) ObservedTime() (time.Time, bool) {
	t := v.store.ObservedTime()
	if t == MinTime {
		return time.Time{}, false
	}
	return time.UnixMilli(t), true
}

func (v WindowView[K, V]) key(k K) ([]byte, error) {
	b, err := v.keys.Serialize(v.topic, k)
	if err != nil {
		return nil, fmt.Errorf("state: store %s: serialize key: %w", v.store.Name(), err)
	}
	return b, nil
}

func (v WindowView[K, V]) value(b []byte) (V, error) {
	val, err := v.values.Deserialize(v.topic, b)
	if err != nil {
		return val, fmt.Errorf("state: store %s: deserialize value: %w", v.store.Name(), err)
	}
	return val, nil
}

// window returns the window starting at start.
func (v WindowView[K, V]) window(start int64) window.Window {
	end := start + v.size
	if v.size > 0 && start > math.MaxInt64-v.size {
		end = math.MaxInt64
	}
	return window.Between(time.UnixMilli(start), time.UnixMilli(end))
}

// Put stores value for (key, windowStart). A value that serializes to nil
// deletes the window (or is ignored by a store that retains duplicates).
func (v WindowView[K, V]) Put(key K, windowStart time.Time, value V) error {
	kb, err := v.key(key)
	if err != nil {
		return err
	}
	vb, err := v.values.Serialize(v.topic, value)
	if err != nil {
		return fmt.Errorf("state: store %s: serialize value: %w", v.store.Name(), err)
	}
	return v.store.Put(kb, windowStart.UnixMilli(), vb)
}

// Fetch returns the value for (key, windowStart) and whether there is one.
func (v WindowView[K, V]) Fetch(key K, windowStart time.Time) (V, bool, error) {
	var zero V
	kb, err := v.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := v.store.Fetch(kb, windowStart.UnixMilli())
	if err != nil || vb == nil {
		return zero, false, err
	}
	val, err := v.value(vb)
	return val, err == nil, err
}

// FetchRange iterates key's windows whose start lies in [from, to], by
// ascending start.
func (v WindowView[K, V]) FetchRange(key K, from, to time.Time) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	kb, err := v.key(key)
	if err != nil {
		return fail[record.KeyValue[window.Windowed[K], V]](err)
	}
	return v.typed(v.store.FetchRange(kb, from.UnixMilli(), to.UnixMilli()), &key)
}

// BackwardFetchRange is FetchRange by descending start.
func (v WindowView[K, V]) BackwardFetchRange(key K, from, to time.Time) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	kb, err := v.key(key)
	if err != nil {
		return fail[record.KeyValue[window.Windowed[K], V]](err)
	}
	return v.typed(v.store.BackwardFetchRange(kb, from.UnixMilli(), to.UnixMilli()), &key)
}

// FetchKeyRange iterates the windows of keys in [*keyFrom, *keyTo] (nil
// bounds open) whose start lies in [from, to], ordered by serialized key,
// then start.
func (v WindowView[K, V]) FetchKeyRange(keyFrom, keyTo *K, from, to time.Time) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	var fb, tb []byte
	var err error
	if keyFrom != nil {
		if fb, err = v.key(*keyFrom); err != nil {
			return fail[record.KeyValue[window.Windowed[K], V]](err)
		}
	}
	if keyTo != nil {
		if tb, err = v.key(*keyTo); err != nil {
			return fail[record.KeyValue[window.Windowed[K], V]](err)
		}
		if tb == nil {
			tb = []byte{}
		}
	}
	return v.typed(v.store.FetchKeyRange(fb, tb, from.UnixMilli(), to.UnixMilli()), nil)
}

// All iterates every unexpired window, ordered by serialized key, then start.
func (v WindowView[K, V]) All() iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
	return v.typed(v.store.All(), nil)
}

// typed decodes a byte-level iteration. If key is not nil, every entry has
// that key and it is not deserialized again.
func (v WindowView[K, V]) typed(seq iter.Seq2[WindowEntry, error], key *K) iter.Seq2[record.KeyValue[window.Windowed[K], V], error] {
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
			val, err := v.value(e.Value)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(record.KeyValue[window.Windowed[K], V]{Key: window.Windowed[K]{Key: k, Window: v.window(e.WindowStart)}, Value: val}, nil) {
				return
			}
		}
	}
}
