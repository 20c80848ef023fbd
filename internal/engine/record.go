// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package engine is Eddy's single task-execution engine: it instantiates a
// sub-topology's processor graph for one task (sub-topology × partition),
// feeds it records one at a time depth-first, keeps stream time, owns the
// task's state stores and changelogging, and hands produced records to a
// Collector. The broker-free test driver and the Kafka runtime both run tasks
// through this package, so operator semantics exist exactly once.
package engine

import (
	"fmt"
	"unsafe"

	"github.com/eddy-streams/eddy/record"
)

// Header is a Kafka record header.
type Header = record.Header

// Record is a typed record flowing between processors.
//
// KeyNull and ValueNull mark a null key or value (nil bytes on the wire, a
// tombstone for tables). When set, Key or Value holds the zero value.
type Record[K, V any] struct {
	Key       K
	Value     V
	Timestamp int64
	Headers   []Header
	KeyNull   bool
	ValueNull bool
}

// RawRecord is a record as read from or written to a topic.
type RawRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Timestamp int64
	Headers   []Header
}

// Assign sets r to src, field by field, leaving alone a string or slice
// field that holds src's already (the same bytes, not only equal ones): a
// record that a node reuses for everything it sends, mostly to one topic
// from the same buffers, then costs no write barriers for them while the
// garbage collector marks.
func (r *RawRecord) Assign(src RawRecord) {
	if unsafe.StringData(r.Topic) != unsafe.StringData(src.Topic) || len(r.Topic) != len(src.Topic) {
		r.Topic = src.Topic
	}
	r.Partition, r.Offset, r.Timestamp = src.Partition, src.Offset, src.Timestamp
	if !sameSlice(r.Key, src.Key) {
		r.Key = src.Key
	}
	if !sameSlice(r.Value, src.Value) {
		r.Value = src.Value
	}
	if !sameSlice(r.Headers, src.Headers) {
		r.Headers = src.Headers
	}
}

// sameSlice reports whether a and b are the same slice: the same array,
// length and capacity (so a nil slice differs from an empty one).
func sameSlice[T any](a, b []T) bool {
	return unsafe.SliceData(a) == unsafe.SliceData(b) && len(a) == len(b) && cap(a) == cap(b)
}

// Arena hands out copies of byte slices for the records a task sends to
// its collector, which owns them (see Collector): short ones are carved
// from a shared chunk, so that a record's key and value cost no allocation
// of their own; a chunk is collected once nothing refers to any of its
// slices. The zero value is ready to use; it is not safe for concurrent
// use.
type Arena struct {
	chunk []byte // the current chunk, carved from used on
	used  int
}

// arenaChunk is the size of an Arena's chunks, and arenaMax the longest
// slice it carves from one: a longer one gets an allocation of its own.
const (
	arenaChunk = 4 << 10
	arenaMax   = 256
)

// Copy returns a copy of b, with no spare capacity, so that appending to
// it cannot overwrite another; nil stays nil and empty stays empty (a
// null and an empty key or value differ).
func (a *Arena) Copy(b []byte) []byte {
	n := len(b)
	switch {
	case b == nil:
		return nil
	case n == 0:
		return []byte{}
	case n > arenaMax:
		return append(make([]byte, 0, n), b...)
	}
	if len(a.chunk)-a.used < n {
		// Only here does the chunk pointer change: assigning it for
		// every copy would cost a write barrier each while the garbage
		// collector runs.
		a.chunk, a.used = make([]byte, arenaChunk), 0
	}
	start := a.used
	a.used += copy(a.chunk[start:], b)
	return a.chunk[start:a.used:a.used]
}

// Where names the record's position for error messages.
func (r *RawRecord) Where() string {
	return fmt.Sprintf("topic %q partition %d offset %d", r.Topic, r.Partition, r.Offset)
}

// Change is the value of a table record: the new and the previous value of a
// key. HasNew false means the key was deleted (a tombstone); HasOld false
// means it did not exist before.
//
// NotLatest marks an update of a versioned table that is not its key's
// latest version (it arrived out of order): it went to the table's history,
// and Old is the key's latest value, which it does not replace. Operators
// that map values pass it on, ToStream emits it, and joins, aggregations
// and the store keeping a versioned table's latest rows for joins ignore
// it, as Kafka Streams does with Change.isLatest; a materialization the
// user asks for takes it as the new row, as Kafka Streams' does.
type Change[V any] struct {
	New       V
	Old       V
	HasNew    bool
	HasOld    bool
	NotLatest bool
}

// RecordContext is the metadata of the input record being processed.
type RecordContext struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64
	Headers   []Header
}

// set makes rc the context of raw, as Assign does for a record: the topic
// and headers, mostly the same from record to record, are written only
// when they change.
func (rc *RecordContext) set(raw *RawRecord) {
	if unsafe.StringData(rc.Topic) != unsafe.StringData(raw.Topic) || len(rc.Topic) != len(raw.Topic) {
		rc.Topic = raw.Topic
	}
	rc.Partition, rc.Offset, rc.Timestamp = raw.Partition, raw.Offset, raw.Timestamp
	if !sameSlice(rc.Headers, raw.Headers) {
		rc.Headers = raw.Headers
	}
}

// KeyValue is a key and a value, the element type of FlatMap results.
type KeyValue[K, V any] = record.KeyValue[K, V]

// Record size limits (poison-pill handling of oversize output).

// RecordLimiter is implemented by collectors that know the largest record a
// topic accepts: the topic's max.message.bytes and the producer's batch
// limit. Sinks check records against it before sending, so an oversize
// record goes to the error handler (fail, skip or dead-letter) like other
// bad records, instead of failing the produce and with it the task.
type RecordLimiter interface {
	// MaxRecordBytes returns the EncodedSize up to which every record
	// fits topic; 0 means no known limit.
	MaxRecordBytes(topic string) (int, error)
	// CheckRecordSize is asked about a record larger than MaxRecordBytes:
	// it returns nil if the record fits after all (it compresses below
	// the topic's limit), otherwise a *RecordTooLargeError.
	CheckRecordSize(topic string, key, value []byte, headers []Header) error
}

// EncodedSize is an upper bound of the size of a Kafka record batch
// (format v2, uncompressed) holding only a record with key, value and
// headers: what brokers compare with max.message.bytes, and producers with
// their batch limit.
func EncodedSize(key, value []byte, headers []Header) int {
	// Batch header (61 bytes) plus the produce request's record array
	// length; then the record: length, attributes, timestamp and offset
	// deltas, key and value lengths (-1 for null), header count.
	const batchOverhead, varint = 61 + 4, 5
	n := batchOverhead + varint + 1 + 1 + 1 + varint + len(key) + varint + len(value) + varint
	for _, h := range headers {
		n += varint + len(h.Key) + varint + len(h.Value)
	}
	return n
}

// RecordTooLargeError reports an output record larger than its topic
// accepts.
type RecordTooLargeError struct {
	Topic     string
	Size, Max int
}

// Error names the topic and the sizes.
func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("output record of %d bytes is larger than topic %q accepts (%d bytes: its max.message.bytes or the producer's batch limit)",
		e.Size, e.Topic, e.Max)
}
