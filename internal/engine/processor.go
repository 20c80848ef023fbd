// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

// Processor receives typed records from its parent, one at a time.
type Processor[K, V any] interface {
	Process(r Record[K, V]) error
}

// Parent is a processor instance that forwards records of type K, V to
// children. The topology links children to parents after instantiation.
type Parent[K, V any] interface {
	AddChild(p Processor[K, V])
}

// RawProcessor is a source node: it consumes raw records of its topics.
type RawProcessor interface {
	ProcessRaw(raw *RawRecord) error
}

// EventTimer is implemented by sources with a timestamp extractor: the
// event time of a raw record, as the source will see it, so that a task
// can order its input by it before processing. ok is false when the record
// cannot be decoded (the source's error policy deals with it when it is
// processed).
type EventTimer interface {
	// Extracts reports whether the source has an extractor.
	Extracts() bool
	EventTime(raw *RawRecord) (ts int64, ok bool)
}

// Initializer is implemented by node instances that need the task once the
// whole graph is linked and the stores are open.
type Initializer interface {
	Init(t *Task) error
}

// Closer is implemented by node instances that hold resources.
type Closer interface {
	Close() error
}

// Forwarder holds a node's children and forwards records to them
// depth-first. Embed it in processors. It marks a record whose key or value
// is nil as having a null key or value (see Nillable), so that a nil
// returned by a user function is a null, as in Kafka Streams.
type Forwarder[K, V any] struct {
	children []Processor[K, V]
	keyNil   NilCheck[K]
	valueNil NilCheck[V]
}

// AddChild appends a child.
func (f *Forwarder[K, V]) AddChild(p Processor[K, V]) { f.children = append(f.children, p) }

// Forward hands r to every child in order, stopping at the first error.
func (f *Forwarder[K, V]) Forward(r Record[K, V]) error {
	if f.keyNil != nilNever || f.valueNil != nilNever {
		r.KeyNull, r.ValueNull = f.nulls(r.Key, r.Value, r.KeyNull, r.ValueNull)
	}
	for _, c := range f.children {
		if err := c.Process(r); err != nil {
			return err
		}
	}
	return nil
}

// ForwardTo hands r to the i-th child only.
func (f *Forwarder[K, V]) ForwardTo(i int, r Record[K, V]) error {
	if i < 0 || i >= len(f.children) {
		return nil
	}
	if f.keyNil != nilNever || f.valueNil != nilNever {
		r.KeyNull, r.ValueNull = f.nulls(r.Key, r.Value, r.KeyNull, r.ValueNull)
	}
	return f.children[i].Process(r)
}

// nulls returns a record's null flags, set for a nil key or value. Forward
// skips the call once it knows that neither type has nil, and does not pass
// the record's address, which would keep it out of registers.
func (f *Forwarder[K, V]) nulls(k K, v V, keyNull, valueNull bool) (bool, bool) {
	return keyNull || f.keyNil.IsNil(&k), valueNull || f.valueNil.IsNil(&v)
}

// NumChildren reports the number of children.
func (f *Forwarder[K, V]) NumChildren() int { return len(f.children) }
