// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package processor

import (
	"time"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/state"
)

// ProcessingContext is what every processor's context offers besides
// forwarding (Kafka Streams' ProcessingContext).
type ProcessingContext interface {
	// ApplicationID returns the application id.
	ApplicationID() string
	// TaskID returns the task id, "<sub-topology>_<partition>".
	TaskID() string
	// RecordMetadata returns the topic, partition and offset of the input
	// record being processed; false inside a punctuator.
	RecordMetadata() (RecordMetadata, bool)
	// Headers returns the headers of the input record being processed; nil
	// inside a punctuator.
	Headers() []record.Header
	// StreamTime returns the task's stream time (the largest record
	// timestamp it has seen), or the zero time.Time before its first record.
	StreamTime() time.Time
	// WallClockTime returns the wall-clock time (the test driver's clock
	// under topologytest).
	WallClockTime() time.Time
	// Schedule calls fn every interval on the given clock until the
	// returned function is called or the task closes. Intervals are
	// rounded down to milliseconds, at least 1 ms.
	Schedule(interval time.Duration, typ PunctuationType, fn Punctuator) (cancel func())
	// RequestCommit asks for a commit as soon as possible (a request,
	// not a synchronous commit).
	RequestCommit()
	// StateStore returns the key-value store called name at byte level,
	// values without the store's timestamp prefix, writes logged to the
	// changelog. The store must be connected to the processor with
	// the processor by passing its handle to the operator, except a
	// global table's store (stream.Builder.GlobalTable), which every
	// processor can read and none can write (writes fail). Most code
	// wants the typed view a store handle's Open returns
	// (stream.KeyValueStore.Open).
	StateStore(name string) (state.KeyValueStore, error)
	// WindowStateStore returns the window store called name at byte
	// level, values without the store's timestamp prefix, writes logged to
	// the changelog, and its window size. The store must be connected to
	// the processor by passing its handle to the operator. Most code wants
	// the typed view of stream.WindowStore.Open.
	WindowStateStore(name string) (state.WindowStore, time.Duration, error)
	// SessionStateStore returns the session store called name at byte
	// level, writes logged to the changelog. The store must be connected
	// to the processor by passing its handle to the operator. Most code
	// wants the typed view of stream.SessionStore.Open.
	SessionStateStore(name string) (state.SessionStore, error)
}

// Context is the context of a Processor: ProcessingContext plus
// forwarding of records of type K, V.
type Context[K, V any] interface {
	ProcessingContext
	// Forward sends r to every child, depth-first.
	Forward(r Record[K, V]) error
	// ForwardTo sends r to the child called child only.
	ForwardTo(child string, r Record[K, V]) error
}

// FixedKeyContext is the context of a FixedKeyProcessor.
type FixedKeyContext[K, V any] interface {
	ProcessingContext
	// Forward sends r to every child, depth-first.
	Forward(r FixedKeyRecord[K, V]) error
	// ForwardTo sends r to the child called child only.
	ForwardTo(child string, r FixedKeyRecord[K, V]) error
}
