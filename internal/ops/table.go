// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// Materialize turns a stream of upserts into a table: it stores each value
// under its key (a null value deletes the key) and forwards the change with
// the previous value. Records with a null key are dropped. It backs both
// table sources and Stream.ToTable.
type Materialize[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node       string
	drops      dropLog // null keys and values dropped, logged
	Store      string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	store      *engine.KVStore
	t          *engine.Task
	topic      string
}

// Init implements engine.Initializer.
func (p *Materialize[K, V]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	if s.Cached() {
		s.OnFlush(p.flushed)
	}
	return nil
}

// flushed forwards a table update as the record cache writes it out.
func (p *Materialize[K, V]) flushed(f engine.Flushed) error {
	k, ch, ok, err := flushedChange(p.Node, p.Store, p.topic, p.KeySerde, p.ValueSerde, f)
	if !ok || err != nil {
		return err
	}
	return p.Forward(engine.Record[K, engine.Change[V]]{Key: k, Value: ch, Timestamp: f.NewTS, Headers: p.t.RecordContext().Headers})
}

// Process implements engine.Processor.
func (p *Materialize[K, V]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	old, _, found, err := p.store.GetTimestamped(kb)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	var ch engine.Change[V]
	if found {
		if ch.Old, err = p.ValueSerde.Deserialize(p.topic, old); err != nil {
			return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
		}
		ch.HasOld = true
	}
	var nb []byte
	if !r.ValueNull {
		if nb, err = p.ValueSerde.Serialize(p.topic, r.Value); err != nil {
			return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
		}
		ch.New, ch.HasNew = r.Value, true
	} else if !found {
		// Deleting an absent key changes nothing; Kafka Streams still
		// forwards the tombstone.
		ch.HasNew = false
	}
	if err := p.store.PutTimestamped(kb, nb, r.Timestamp); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	if p.store.Cached() {
		return nil // forwarded when the cache writes it out (flushed)
	}
	return p.Forward(engine.Record[K, engine.Change[V]]{Key: r.Key, Value: ch, Timestamp: r.Timestamp, Headers: r.Headers})
}

// ToStream turns table changes into a stream of the new values; deletions
// become records with a null value.
type ToStream[K, V any] struct {
	engine.Forwarder[K, V]
}

// Process implements engine.Processor.
func (p *ToStream[K, V]) Process(r engine.Record[K, engine.Change[V]]) error {
	return p.Forward(engine.Record[K, V]{Key: r.Key, Value: r.Value.New, ValueNull: !r.Value.HasNew, Timestamp: r.Timestamp, Headers: r.Headers, KeyNull: r.KeyNull})
}

// TableFilter keeps table rows matching Keep. A row that does not match is
// forwarded as a deletion, as Kafka Streams does, so downstream consumers
// drop rows that stop matching. With DropUnchanged (Kafka Streams'
// KTableFilter with sendOldValues, without versioned semantics) a change
// whose new and old rows both fail to match, or are absent, is dropped
// instead of being forwarded as a change with neither.
type TableFilter[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Keep          func(K, V) bool
	DropUnchanged bool
}

// Process implements engine.Processor.
func (p *TableFilter[K, V]) Process(r engine.Record[K, engine.Change[V]]) error {
	var out engine.Change[V]
	if r.Value.HasNew && p.Keep(r.Key, r.Value.New) {
		out.New, out.HasNew = r.Value.New, true
	}
	if r.Value.HasOld && p.Keep(r.Key, r.Value.Old) {
		out.Old, out.HasOld = r.Value.Old, true
	}
	if p.DropUnchanged && !out.HasNew && !out.HasOld {
		return nil
	}
	out.NotLatest = r.Value.NotLatest
	r2 := engine.Record[K, engine.Change[V]]{Key: r.Key, Value: out, Timestamp: r.Timestamp, Headers: r.Headers}
	return p.Forward(r2)
}

// TableMapValues maps new and old values of table changes. A nil result
// (for a type with nil) is no value: the row is deleted, as a null from
// Kafka Streams' mapper deletes it.
type TableMapValues[K, V, V2 any] struct {
	engine.Forwarder[K, engine.Change[V2]]
	Fn    func(K, V) V2
	isNil engine.NilCheck[V2]
}

// Process implements engine.Processor.
func (p *TableMapValues[K, V, V2]) Process(r engine.Record[K, engine.Change[V]]) error {
	var out engine.Change[V2]
	if r.Value.HasNew {
		out.New = p.Fn(r.Key, r.Value.New)
		out.HasNew = !p.isNil.IsNil(&out.New)
	}
	if r.Value.HasOld {
		out.Old = p.Fn(r.Key, r.Value.Old)
		out.HasOld = !p.isNil.IsNil(&out.Old)
	}
	out.NotLatest = r.Value.NotLatest
	return p.Forward(engine.Record[K, engine.Change[V2]]{Key: r.Key, Value: out, Timestamp: r.Timestamp, Headers: r.Headers})
}
