// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/serde"
)

// ValueAndTimestamp is a value with the timestamp of the record that last
// updated it, as kept by DSL aggregates and tables.
type ValueAndTimestamp[V any] struct {
	Value     V
	Timestamp time.Time
}

// timestampLen is the length of the timestamp prefix.
const timestampLen = 8

// EncodeTimestamped appends the stored form of a timestamped value to dst:
// the timestamp as 8 bytes big-endian followed by the value bytes, the
// layout of Kafka Streams' timestamped stores.
func EncodeTimestamped(dst []byte, ts int64, value []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(ts))
	return append(dst, value...)
}

// ErrShortTimestamped is returned by DecodeTimestamped for input shorter than
// a timestamp.
var ErrShortTimestamped = errors.New("state: timestamped value shorter than 8 bytes")

// DecodeTimestamped splits the stored form of a timestamped value. The
// returned value aliases b.
func DecodeTimestamped(b []byte) (ts int64, value []byte, err error) {
	if len(b) < timestampLen {
		return 0, nil, ErrShortTimestamped
	}
	return int64(binary.BigEndian.Uint64(b)), b[timestampLen:], nil
}

// TimestampedSerde wraps values so that ValueAndTimestamp[V] is stored as
// EncodeTimestamped(timestamp, values.Serialize(value)).
func TimestampedSerde[V any](values serde.Serde[V]) serde.Serde[ValueAndTimestamp[V]] {
	return timestampedSerde[V]{values}
}

type timestampedSerde[V any] struct{ values serde.Serde[V] }

func (s timestampedSerde[V]) Serialize(topic string, v ValueAndTimestamp[V]) ([]byte, error) {
	b, err := s.values.Serialize(topic, v.Value)
	if err != nil {
		return nil, err
	}
	return EncodeTimestamped(make([]byte, 0, timestampLen+len(b)), v.Timestamp.UnixMilli(), b), nil
}

func (s timestampedSerde[V]) Deserialize(topic string, data []byte) (ValueAndTimestamp[V], error) {
	ts, vb, err := DecodeTimestamped(data)
	if err != nil {
		return ValueAndTimestamp[V]{}, err
	}
	v, err := s.values.Deserialize(topic, vb)
	if err != nil {
		return ValueAndTimestamp[V]{}, fmt.Errorf("timestamped value: %w", err)
	}
	return ValueAndTimestamp[V]{Value: v, Timestamp: time.UnixMilli(ts)}, nil
}

// TimestampedKeyValueView is a key-value view whose values carry timestamps.
type TimestampedKeyValueView[K, V any] = KeyValueView[K, ValueAndTimestamp[V]]

// NewTimestampedKeyValueView returns a typed view of store whose values are
// stored in the timestamped layout.
func NewTimestampedKeyValueView[K, V any](store KeyValueStore, topic string, keys serde.Serde[K], values serde.Serde[V]) TimestampedKeyValueView[K, V] {
	return NewKeyValueView(store, topic, keys, TimestampedSerde(values))
}

// TimestampedWindowView is a window view whose values carry timestamps.
type TimestampedWindowView[K, V any] = WindowView[K, ValueAndTimestamp[V]]

// NewTimestampedWindowView returns a typed view of store whose values are
// stored in the timestamped layout.
func NewTimestampedWindowView[K, V any](store WindowStore, topic string, windowSize time.Duration, keys serde.Serde[K], values serde.Serde[V]) TimestampedWindowView[K, V] {
	return NewWindowView(store, topic, windowSize, keys, TimestampedSerde(values))
}
