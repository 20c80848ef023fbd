// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package record holds the small vocabulary every layer of Eddy shares: a
// key with its value (KeyValue), a record header (Header) and the context
// of the input record being processed (Context).
//
// Instants are time.Time and spans time.Duration throughout Eddy's typed
// API; on the wire and in the byte-level state interfaces a timestamp is
// Kafka's epoch milliseconds.
package record

import "time"

// KeyValue is a key and a value: the element of FlatMap results, of store
// iterations and of the test driver's outputs.
type KeyValue[K, V any] struct {
	Key   K
	Value V
}

// KV builds a KeyValue.
func KV[K, V any](k K, v V) KeyValue[K, V] { return KeyValue[K, V]{Key: k, Value: v} }

// Header is a Kafka record header. Keys need not be unique; order is kept.
type Header struct {
	Key   string
	Value []byte
}

// Context is the metadata of the input record being processed (Kafka
// Streams' RecordContext): where it was read and its time and headers.
// Headers is shared with the record: copy it before keeping or changing it.
type Context struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Headers   []Header
}
