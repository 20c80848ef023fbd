// Package engine is Eddy's single task-execution engine: it instantiates a
// sub-topology's processor graph for one task (sub-topology × partition),
// feeds it records one at a time depth-first, keeps stream time, owns the
// task's state stores and changelogging, and hands produced records to a
// Collector. The broker-free test driver and the Kafka runtime both run tasks
// through this package, so operator semantics exist exactly once.
package engine

import "fmt"

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

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

// Where names the record's position for error messages.
func (r *RawRecord) Where() string {
	return fmt.Sprintf("topic %q partition %d offset %d", r.Topic, r.Partition, r.Offset)
}

// Change is the value of a table record: the new and the previous value of a
// key. HasNew false means the key was deleted (a tombstone); HasOld false
// means it did not exist before.
type Change[V any] struct {
	New    V
	Old    V
	HasNew bool
	HasOld bool
}

// RecordContext is the metadata of the input record being processed.
type RecordContext struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64
	Headers   []Header
}

// KeyValue is a key and a value, the element type of FlatMap results.
type KeyValue[K, V any] struct {
	Key   K
	Value V
}
