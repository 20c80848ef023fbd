package topologytest

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// Record is a test record. KeyNull and ValueNull pipe or report a null key
// or value (a tombstone) regardless of Key and Value.
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
}

// Input returns an input topic that serializes with ks and vs. Records
// piped without a timestamp get the topic's clock, which starts at the Unix
// epoch (see StartAt) and advances by AutoAdvance after each record.
func (d *Driver) Input[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V]) *InputTopic[K, V] {
	return &InputTopic[K, V]{d: d, topic: topic, ks: ks, vs: vs, next: time.UnixMilli(0)}
}

// StartAt sets the topic's clock.
func (in *InputTopic[K, V]) StartAt(t time.Time) *InputTopic[K, V] { in.next = t; return in }

// AutoAdvance makes the clock advance by d after each record piped without
// an explicit timestamp.
func (in *InputTopic[K, V]) AutoAdvance(d time.Duration) *InputTopic[K, V] { in.advance = d; return in }

// AdvanceTime moves the topic's clock forward by d.
func (in *InputTopic[K, V]) AdvanceTime(d time.Duration) { in.next = in.next.Add(d) }

// Pipe sends key and value at the topic's clock.
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
	raw := &engine.RawRecord{Topic: in.topic, Partition: -1, Timestamp: ts.UnixMilli(), Headers: r.Headers}
	var err error
	if !r.KeyNull {
		if raw.Key, err = in.ks.Serialize(in.topic, r.Key); err != nil {
			return fmt.Errorf("topologytest: serialize key for topic %q: %w", in.topic, err)
		}
		if raw.Key == nil {
			raw.Key = []byte{}
		}
	}
	if !r.ValueNull {
		if raw.Value, err = in.vs.Serialize(in.topic, r.Value); err != nil {
			return fmt.Errorf("topologytest: serialize value for topic %q: %w", in.topic, err)
		}
		if raw.Value == nil {
			raw.Value = []byte{}
		}
	}
	return in.d.pipe(raw)
}

// PipeRaw sends a record as raw bytes (nil key or value = null), e.g. to
// test undecodable input.
func (d *Driver) PipeRaw(topic string, key, value []byte, ts time.Time) error {
	return d.pipe(&engine.RawRecord{Topic: topic, Partition: -1, Key: key, Value: value, Timestamp: ts.UnixMilli()})
}
