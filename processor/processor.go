// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package processor is Eddy's typed Processor API (Kafka Streams'
// org.apache.kafka.streams.processor.api): user code that sees one record
// at a time, keeps state in stores, forwards any number of records to its
// children and schedules punctuations on stream time or wall-clock time.
//
// Plug a processor into the DSL with stream.Stream.Process (the key may
// change, so a later grouping or join repartitions) or
// stream.Stream.ProcessValues (a FixedKeyProcessor: the key cannot change,
// no repartitioning), and a ValueTransformer with
// stream.Table.TransformValues. The supplier passed there is called once
// per task and must return a new instance each time.
//
//	seen := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.Int64())
//
//	type dedup struct {
//		ctx  processor.Context[string, string]
//		seen state.KeyValueView[string, int64]
//	}
//
//	func (d *dedup) Init(ctx processor.Context[string, string]) (err error) {
//		d.ctx = ctx
//		d.seen, err = seen.Open(ctx)
//		return err
//	}
//
//	func (d *dedup) Process(r processor.Record[string, string]) error {
//		if _, ok, err := d.seen.Get(r.Key); err != nil || ok {
//			return err
//		}
//		if err := d.seen.Put(r.Key, r.Timestamp.UnixMilli()); err != nil {
//			return err
//		}
//		return d.ctx.Forward(r)
//	}
//
//	func (d *dedup) Close() error { return nil }
//
//	b.Stream("in", serde.String(), serde.String()).
//		Process(func() processor.Processor[string, string, string, string] { return &dedup{} }, seen).
//		To("out", nil, nil)
//
// # Stores
//
// A store is declared once, as a typed handle that carries its name and
// serdes: stream.NewKeyValueStore, stream.NewWindowStore and
// stream.NewSessionStore. Passing the handle to Process, ProcessValues or
// stream.Table.TransformValues connects the store to that processor (and
// adds it to the topology); inside the processor the handle's Open
// returns the typed view (state.KeyValueView, state.WindowView,
// state.SessionView). A table's store is connected the same way with the
// handle stream.Table.Store. A global table's store
// (stream.GlobalTable.Store) is readable by every processor without
// connecting it, and cannot be written.
//
// # Table value transformers
//
// A ValueTransformer computes a table's values from another table's
// (stream.Table.TransformValues): it sees each update, deletions included,
// and cannot change the key or forward records.
//
// # Children
//
// A processor's children are the operators added on the stream that
// Process returns, in the order they were added. Forward sends a record to
// all of them; ForwardTo sends it to the one child whose node name matches:
// the name given with stream.As on that operator (e.g.
// out.Filter(f, stream.As("alerts"))), or its generated name as shown by
// Topology.Describe. ForwardTo with an unknown name returns an error listing
// the children.
package processor

import (
	"strconv"
	"time"

	"github.com/eddy-streams/eddy/record"
)

// Record is a typed record: key, value, timestamp and headers. KeyNull and
// ValueNull mark a null key or value (a tombstone); Key or Value then holds
// the zero value. For a key or value type with nil (a pointer, map, slice
// or interface type) nil is null too: a forwarded record with a nil value
// is a null-value record whether or not ValueNull is set (see package
// stream's doc on null values). Records are values: change a copy and
// forward it.
//
// Forwarding the input record (or a copy) keeps its timestamp and headers.
// In a punctuator, set Timestamp explicitly (usually the punctuation time):
// forwarding a record with a zero Timestamp is an error. Timestamps are
// kept to the millisecond, Kafka's resolution.
type Record[K, V any] struct {
	Key       K
	Value     V
	Timestamp time.Time
	Headers   []record.Header
	KeyNull   bool
	ValueNull bool
}

// Processor processes records of type KIn, VIn and forwards records of type
// KOut, VOut (Kafka Streams' api.Processor).
//
// Init is called once per task before the first record, with the context
// the instance keeps for forwarding, stores and punctuation; Process is
// called for each record, depth-first: records forwarded by Process reach
// the children before Process returns; Close is called when the task
// closes. An error from any of them stops the task, naming the input
// record.
type Processor[KIn, VIn, KOut, VOut any] interface {
	Init(ctx Context[KOut, VOut]) error
	Process(r Record[KIn, VIn]) error
	Close() error
}

// FixedKeyProcessor processes records whose key it cannot change (Kafka
// Streams' api.FixedKeyProcessor): output records are derived from input
// records with FixedKeyRecord.WithValue, so they keep the input key and the
// stream keeps its partitioning.
type FixedKeyProcessor[K, VIn, VOut any] interface {
	Init(ctx FixedKeyContext[K, VOut]) error
	Process(r FixedKeyRecord[K, VIn]) error
	Close() error
}

// RecordMetadata is the position of the input record being processed.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
}

// PunctuationType selects the clock of a punctuation.
type PunctuationType int

// Punctuation clocks, with Kafka Streams' rules.
const (
	// StreamTime punctuations fire when stream time (the largest record
	// timestamp the task has seen) reaches epoch-aligned multiples of the
	// interval: first as soon as stream time is known, then at most once per
	// record; missed intervals are skipped, not replayed, and an idle task
	// never punctuates.
	StreamTime PunctuationType = iota
	// WallClock punctuations fire every interval of wall-clock time, first
	// at schedule time + interval, checked between records; missed
	// intervals are skipped.
	WallClock
)

// String returns "StreamTime" or "WallClock".
func (t PunctuationType) String() string {
	switch t {
	case StreamTime:
		return "StreamTime"
	case WallClock:
		return "WallClock"
	}
	return "PunctuationType(" + strconv.Itoa(int(t)) + ")"
}

// Punctuator is called with the punctuation time: the stream time for
// StreamTime punctuations, the wall-clock time for WallClock ones. Records
// it forwards flow through the children like records forwarded by Process.
type Punctuator func(t time.Time) error
