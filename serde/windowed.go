// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/eddy-streams/eddy/window"
)

// The windowed key layouts of Kafka Streams' WindowedSerdes, used for the
// keys of windowed aggregation results written to user topics:
//
//	time window:    key ‖ start (8 bytes, big-endian)
//	session window: key ‖ end (8 bytes, big-endian) ‖ start (8 bytes, big-endian)
//
// Records with such keys are partitioned by the inner key bytes alone, as
// Kafka Streams' WindowedStreamPartitioner does; split the key with
// [SplitTimeWindowedKey] or [SplitSessionWindowedKey] to get them.

// TimeWindowed returns the serde of Kafka Streams' TimeWindowedSerializer
// and TimeWindowedDeserializer for tumbling and hopping windows: the inner
// key bytes followed by the 8-byte big-endian window start.
//
// The encoding does not carry the window end; Deserialize sets it to start +
// windowSize, clamped to math.MaxInt64 on overflow (Java's
// TimeWindowedDeserializer also clamps any negative end, which only differs
// for windows starting before the Unix epoch). TimeWindowed panics if
// windowSize is not positive.
func TimeWindowed[K any](inner Serde[K], windowSize time.Duration) Serde[window.Windowed[K]] {
	if windowSize.Milliseconds() <= 0 {
		panic(fmt.Sprintf("serde: TimeWindowed: window size must be at least 1ms, got %v", windowSize))
	}
	return timeWindowed[K]{inner: inner, size: windowSize.Milliseconds()}
}

type timeWindowed[K any] struct {
	inner Serde[K]
	size  int64
}

func (s timeWindowed[K]) Serialize(topic string, w window.Windowed[K]) ([]byte, error) {
	return s.AppendSerialize(nil, topic, w)
}

func (s timeWindowed[K]) AppendSerialize(dst []byte, topic string, w window.Windowed[K]) ([]byte, error) {
	out, err := Append(s.inner, dst, topic, w.Key)
	if err != nil {
		return dst, serErr("TimeWindowed", topic, fmt.Errorf("key: %w", err))
	}
	return binary.BigEndian.AppendUint64(out, uint64(w.Window.Start().UnixMilli())), nil
}

func (s timeWindowed[K]) Deserialize(topic string, data []byte) (window.Windowed[K], error) {
	var w window.Windowed[K]
	kb, start, err := SplitTimeWindowedKey(data)
	if err != nil {
		return w, deErr("TimeWindowed", topic, err)
	}
	k, err := s.inner.Deserialize(topic, kb)
	if err != nil {
		return w, deErr("TimeWindowed", topic, fmt.Errorf("key: %w", err))
	}
	end := start + s.size
	if end < start { // overflow
		end = math.MaxInt64
	}
	return window.Of(k, time.UnixMilli(start), time.UnixMilli(end)), nil
}

// SessionWindowed returns the serde of Kafka Streams'
// SessionWindowedSerializer and SessionWindowedDeserializer: the inner key
// bytes followed by the 8-byte big-endian window end and then the 8-byte
// big-endian window start.
func SessionWindowed[K any](inner Serde[K]) Serde[window.Windowed[K]] {
	return sessionWindowed[K]{inner: inner}
}

type sessionWindowed[K any] struct {
	inner Serde[K]
}

func (s sessionWindowed[K]) Serialize(topic string, w window.Windowed[K]) ([]byte, error) {
	return s.AppendSerialize(nil, topic, w)
}

func (s sessionWindowed[K]) AppendSerialize(dst []byte, topic string, w window.Windowed[K]) ([]byte, error) {
	out, err := Append(s.inner, dst, topic, w.Key)
	if err != nil {
		return dst, serErr("SessionWindowed", topic, fmt.Errorf("key: %w", err))
	}
	out = binary.BigEndian.AppendUint64(out, uint64(w.Window.End().UnixMilli()))
	return binary.BigEndian.AppendUint64(out, uint64(w.Window.Start().UnixMilli())), nil
}

func (s sessionWindowed[K]) Deserialize(topic string, data []byte) (window.Windowed[K], error) {
	var w window.Windowed[K]
	kb, start, end, err := SplitSessionWindowedKey(data)
	if err != nil {
		return w, deErr("SessionWindowed", topic, err)
	}
	k, err := s.inner.Deserialize(topic, kb)
	if err != nil {
		return w, deErr("SessionWindowed", topic, fmt.Errorf("key: %w", err))
	}
	return window.Of(k, time.UnixMilli(start), time.UnixMilli(end)), nil
}

// AppendTimeWindowedKey appends the time-windowed key layout, key followed
// by the 8-byte big-endian start, to dst and returns the extended slice.
func AppendTimeWindowedKey(dst, key []byte, start int64) []byte {
	dst = append(dst, key...)
	return binary.BigEndian.AppendUint64(dst, uint64(start))
}

// SplitTimeWindowedKey splits a time-windowed key into the inner key bytes
// and the window start. The key aliases b and has its capacity capped, so
// appending to it cannot overwrite the suffix. It fails if b is shorter
// than 8 bytes.
func SplitTimeWindowedKey(b []byte) (key []byte, start int64, err error) {
	n := len(b) - 8
	if n < 0 {
		return nil, 0, fmt.Errorf("time-windowed key needs at least 8 bytes, got %d", len(b))
	}
	return b[:n:n], int64(binary.BigEndian.Uint64(b[n:])), nil
}

// AppendSessionWindowedKey appends the session-windowed key layout, key
// followed by the 8-byte big-endian end and the 8-byte big-endian start, to
// dst and returns the extended slice. Note that the layout puts end first.
func AppendSessionWindowedKey(dst, key []byte, start, end int64) []byte {
	dst = append(dst, key...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(end))
	return binary.BigEndian.AppendUint64(dst, uint64(start))
}

// SplitSessionWindowedKey splits a session-windowed key into the inner key
// bytes, the window start and the window end. The key aliases b and has its
// capacity capped. It fails if b is shorter than 16 bytes.
func SplitSessionWindowedKey(b []byte) (key []byte, start, end int64, err error) {
	n := len(b) - 16
	if n < 0 {
		return nil, 0, 0, fmt.Errorf("session-windowed key needs at least 16 bytes, got %d", len(b))
	}
	end = int64(binary.BigEndian.Uint64(b[n:]))
	start = int64(binary.BigEndian.Uint64(b[n+8:]))
	return b[:n:n], start, end, nil
}

// PartitionKey returns the inner key bytes of a time-windowed key: Kafka
// Streams partitions windowed keys by their base key, so every window of a
// key lands in the same partition.
func (timeWindowed[K]) PartitionKey(serialized []byte) []byte {
	if len(serialized) < 8 {
		return serialized
	}
	return serialized[:len(serialized)-8]
}

// PartitionKey returns the inner key bytes of a session-windowed key.
func (sessionWindowed[K]) PartitionKey(serialized []byte) []byte {
	if len(serialized) < 16 {
		return serialized
	}
	return serialized[:len(serialized)-16]
}
