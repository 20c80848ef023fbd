// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// Record is a test record. KeyNull and ValueNull pipe or report a null key
// or value (a tombstone) regardless of Key and Value. For a key or value
// type that has nil (a pointer, map, slice or interface type) nil is null
// too, as in a running topology: a nil value is piped as a tombstone, not
// as what the serde makes of nil (JSON's null, for one), and a null read
// from an output topic is nil.
type Record[K, V any] struct {
	Key       K
	Value     V
	Timestamp time.Time
	Headers   []record.Header
	KeyNull   bool
	ValueNull bool
	// Partition and Offset are set on records read from output topics.
	Partition int32
	Offset    int64
}

// InputTopic pipes typed records into a source topic.
type InputTopic[K, V any] struct {
	d       *Driver
	topic   string
	ks      serde.Serde[K]
	vs      serde.Serde[V]
	next    time.Time
	advance time.Duration
	// kapp and vapp are the serdes' Appenders, if they implement it:
	// PipeRecord serializes into kbuf and vbuf, which it reuses: the driver
	// keeps a copy of the bytes it pipes.
	kapp       serde.Appender[K]
	vapp       serde.Appender[V]
	kbuf, vbuf []byte
	// knil and vnil tell nil keys and values, which are null.
	knil engine.NilCheck[K]
	vnil engine.NilCheck[V]
}

// Input returns an input topic that serializes with ks and vs. Records
// piped without a timestamp get the topic's clock, which starts at the Unix
// epoch (see StartAt) and advances by AutoAdvance after each record.
func (d *Driver) Input[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V]) *InputTopic[K, V] {
	in := &InputTopic[K, V]{d: d, topic: topic, ks: ks, vs: vs, next: time.UnixMilli(0)}
	in.kapp, _ = ks.(serde.Appender[K])
	in.vapp, _ = vs.(serde.Appender[V])
	return in
}

// StartAt sets the topic's clock.
func (in *InputTopic[K, V]) StartAt(t time.Time) *InputTopic[K, V] { in.next = t; return in }

// AutoAdvance makes the clock advance by d after each record piped without
// an explicit timestamp.
func (in *InputTopic[K, V]) AutoAdvance(d time.Duration) *InputTopic[K, V] { in.advance = d; return in }

// AdvanceTime moves the topic's clock forward by d.
func (in *InputTopic[K, V]) AdvanceTime(d time.Duration) { in.next = in.next.Add(d) }

// Pipe sends key and value at the topic's clock. A nil key or value (of a
// type that has nil) is null: Pipe(k, nil) pipes a tombstone.
func (in *InputTopic[K, V]) Pipe(key K, value V) error {
	return in.PipeRecord(Record[K, V]{Key: key, Value: value})
}

// PipeAt sends key and value with timestamp ts.
func (in *InputTopic[K, V]) PipeAt(key K, value V, ts time.Time) error {
	return in.PipeRecord(Record[K, V]{Key: key, Value: value, Timestamp: ts})
}

// PipeValue sends value with a null key.
func (in *InputTopic[K, V]) PipeValue(value V) error {
	return in.PipeRecord(Record[K, V]{Value: value, KeyNull: true})
}

// PipeTombstone sends a null value for key.
func (in *InputTopic[K, V]) PipeTombstone(key K) error {
	return in.PipeRecord(Record[K, V]{Key: key, ValueNull: true})
}

// PipeKeyValues sends the pairs in order.
func (in *InputTopic[K, V]) PipeKeyValues(kvs ...record.KeyValue[K, V]) error {
	for _, kv := range kvs {
		if err := in.Pipe(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// PipeValues sends the values with null keys, in order.
func (in *InputTopic[K, V]) PipeValues(values ...V) error {
	for _, v := range values {
		if err := in.PipeValue(v); err != nil {
			return err
		}
	}
	return nil
}

// PipeRecords sends the records in order.
func (in *InputTopic[K, V]) PipeRecords(rs ...Record[K, V]) error {
	for _, r := range rs {
		if err := in.PipeRecord(r); err != nil {
			return err
		}
	}
	return nil
}

// PipeRecord sends r. A zero Timestamp takes the topic's clock.
func (in *InputTopic[K, V]) PipeRecord(r Record[K, V]) error {
	ts := r.Timestamp
	if ts.IsZero() {
		ts = in.next
		in.next = in.next.Add(in.advance)
	}
	var key, value []byte
	var err error
	if !r.KeyNull && !in.knil.IsNil(&r.Key) {
		if key, err = serialize(in.ks, in.kapp, &in.kbuf, in.topic, r.Key); err != nil {
			return fmt.Errorf("topologytest: serialize key for topic %q: %w", in.topic, err)
		}
	}
	if !r.ValueNull && !in.vnil.IsNil(&r.Value) {
		if value, err = serialize(in.vs, in.vapp, &in.vbuf, in.topic, r.Value); err != nil {
			return fmt.Errorf("topologytest: serialize value for topic %q: %w", in.topic, err)
		}
	}
	raw := engine.RawRecord{Topic: in.topic, Partition: -1, Key: key, Value: value, Timestamp: ts.UnixMilli(), Headers: r.Headers}
	return in.d.pipe(&raw)
}

// maxInputBuf bounds the serialization buffers an input topic keeps
// between records: a larger one, grown for a rare large record, is let go.
const maxInputBuf = 64 << 10

// serialize encodes v with s, or with app into *buf, which it reuses (the
// driver copies what it keeps); the result is never nil (a key or value
// piped is not null).
func serialize[T any](s serde.Serde[T], app serde.Appender[T], buf *[]byte, topic string, v T) ([]byte, error) {
	if app == nil {
		b, err := s.Serialize(topic, v)
		if err != nil {
			return nil, err
		}
		if b == nil {
			b = []byte{}
		}
		return b, nil
	}
	b, err := app.AppendSerialize((*buf)[:0], topic, v)
	if err != nil {
		return nil, err
	}
	if cap(b) != cap(*buf) { // grown: keep the larger buffer, unless too large
		*buf = b
		if cap(b) > maxInputBuf {
			*buf = nil
		}
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// PipeRaw sends a record as raw bytes (nil key or value = null), e.g. to
// test undecodable input.
func (d *Driver) PipeRaw(topic string, key, value []byte, ts time.Time) error {
	return d.pipe(&engine.RawRecord{Topic: topic, Partition: -1, Key: key, Value: value, Timestamp: ts.UnixMilli()})
}
