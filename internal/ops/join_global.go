// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"reflect"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// GlobalMaterialize keeps a global table's store: each record of the
// global topic upserts its key, a null value deletes it, a null key is
// dropped. It runs in the global task, forwards nothing and logs nothing
// (the topic is the store's changelog). Keys and values are re-serialized
// with the table's serdes called with the topic, so lookups, which
// serialize the mapped key the same way, find them.
type GlobalMaterialize[K, V any] struct {
	Node       string
	Store      string
	Topic      string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	store      *engine.KVStore
	t          *engine.Task
}

// Init implements engine.Initializer.
func (p *GlobalMaterialize[K, V]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	return nil
}

// Process implements engine.Processor.
func (p *GlobalMaterialize[K, V]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.t.Drop(engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.Topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for global store %s: %w", p.Node, p.Store, err)
	}
	var vb []byte
	if !r.ValueNull {
		if vb, err = p.ValueSerde.Serialize(p.Topic, r.Value); err != nil {
			return fmt.Errorf("%s: serialize value for global store %s: %w", p.Node, p.Store, err)
		}
	}
	if err := p.store.PutTimestamped(kb, vb, r.Timestamp); err != nil {
		return fmt.Errorf("%s: write global store %s: %w", p.Node, p.Store, err)
	}
	return nil
}

// StreamGlobalJoin joins each stream record with a global table's row
// (Kafka Streams' KStream-GlobalKTable join): Mapper picks the table key
// from the record's key and value; only stream records trigger the join,
// and the result keeps the stream record's key (null or not), timestamp
// and headers. There is no time synchronization with the table: a record
// sees the table as the global task has applied it so far.
//
// Records with a null value are dropped. A record whose mapped key is nil
// (a nil pointer, slice, map or interface, or a key serializing to nil),
// or whose mapped key has no row, is dropped by an inner join and joined
// with an absent row by a left join (KIP-962).
type StreamGlobalJoin[K, V, KT, VT, R any] struct {
	engine.Forwarder[K, R]
	Node       string
	Store      string
	Topic      string // the global table's topic, for its serdes
	Mapper     func(key K, value V) KT
	KeySerde   serde.Serde[KT]
	TableSerde serde.Serde[VT]
	Left       bool
	Joiner     func(value V, row VT, found bool) R
	store      *engine.GlobalStore
	t          *engine.Task
	nillable   bool
}

// Init implements engine.Initializer.
func (p *StreamGlobalJoin[K, V, KT, VT, R]) Init(t *engine.Task) error {
	s, err := t.GlobalStore(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	switch reflect.TypeFor[KT]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		p.nillable = true
	}
	return nil
}

// Process implements engine.Processor.
func (p *StreamGlobalJoin[K, V, KT, VT, R]) Process(r engine.Record[K, V]) error {
	if r.ValueNull {
		p.t.Drop(engine.DropNullValue)
		return nil
	}
	var row VT
	found := false
	mk := p.Mapper(r.Key, r.Value)
	var kb []byte
	if !p.nillable || !reflect.ValueOf(&mk).Elem().IsNil() {
		var err error
		if kb, err = p.KeySerde.Serialize(p.Topic, mk); err != nil {
			return fmt.Errorf("%s: serialize mapped key for global store %s: %w", p.Node, p.Store, err)
		}
	}
	if kb == nil {
		if !p.Left {
			p.t.Drop(engine.DropNullKey)
			return nil
		}
	} else {
		b, _, ok, err := p.store.GetTimestamped(kb)
		if err != nil {
			return fmt.Errorf("%s: global store %s: %w", p.Node, p.Store, err)
		}
		if ok {
			if row, err = p.TableSerde.Deserialize(p.Topic, b); err != nil {
				return fmt.Errorf("%s: global store %s: decode value: %w", p.Node, p.Store, err)
			}
			found = true
		}
	}
	if !found && !p.Left {
		return nil
	}
	return p.Forward(engine.Record[K, R]{Key: r.Key, KeyNull: r.KeyNull, Value: p.Joiner(r.Value, row, found),
		Timestamp: r.Timestamp, Headers: r.Headers})
}
