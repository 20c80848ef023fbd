// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// VersionedMaterialize turns a stream of upserts into a versioned table
// (Kafka Streams' KTableSource over a versioned store): each record is put
// in the versioned store as the version of its key at the record's
// timestamp (a null value is a tombstone version). Only a record that
// becomes its key's latest version is forwarded, with the previous latest
// value as the old value; an out-of-order record (older than the key's
// latest version) lands in the history without triggering anything
// downstream, and a record older than the history retention is dropped
// (counted as expired). Records with a null key are dropped.
type VersionedMaterialize[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node       string
	drops      dropLog
	Store      string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	store      *engine.VersionedStore
	t          *engine.Task
	topic      string
}

// Init implements engine.Initializer.
func (p *VersionedMaterialize[K, V]) Init(t *engine.Task) error {
	s, err := t.Versioned(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *VersionedMaterialize[K, V]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	old, found, err := p.store.Store.Get(kb)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	var ch engine.Change[V]
	if found {
		if ch.Old, err = p.ValueSerde.Deserialize(p.topic, old.Value); err != nil {
			return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
		}
		ch.HasOld = true
	}
	var nb []byte
	if !r.ValueNull {
		if nb, err = p.ValueSerde.Serialize(p.topic, r.Value); err != nil {
			return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
		}
		if nb == nil {
			nb = []byte{}
		}
		ch.New, ch.HasNew = r.Value, true
	}
	to, err := p.store.Put(kb, nb, r.Timestamp)
	if err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	switch to {
	case state.VersionIsLatest:
		return p.Forward(engine.Record[K, engine.Change[V]]{Key: r.Key, Value: ch, Timestamp: r.Timestamp, Headers: r.Headers})
	case state.VersionNotPut:
		p.drops.drop(p.t, p.Node, engine.DropExpired)
	}
	return nil // out of order: in the history only
}

// StreamVersionedTableJoin joins each stream record with the row its key
// had in a versioned table at the record's timestamp (Kafka Streams'
// KStreamKTableJoin over a versioned table, KIP-914): the version valid at
// that time, so table updates that arrive after the stream record but carry
// an older timestamp are seen by later stream records, and a stream record
// older than the table's history retention finds no row (unless the key's
// latest version was already valid then). Otherwise as StreamTableJoin.
type StreamVersionedTableJoin[K, V, VT, R any] struct {
	engine.Forwarder[K, R]
	Node       string
	drops      dropLog
	Store      string
	KeySerde   serde.Serde[K]
	TableSerde serde.Serde[VT]
	Left       bool
	Joiner     func(value V, row VT, found bool) R
	store      *engine.VersionedStore
	t          *engine.Task
	topic      string
}

// Init implements engine.Initializer.
func (p *StreamVersionedTableJoin[K, V, VT, R]) Init(t *engine.Task) error {
	s, err := t.Versioned(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *StreamVersionedTableJoin[K, V, VT, R]) Process(r engine.Record[K, V]) error {
	var row VT
	if p.Left && r.KeyNull && !r.ValueNull {
		return p.Forward(engine.Record[K, R]{KeyNull: true, Value: p.Joiner(r.Value, row, false), Timestamp: r.Timestamp, Headers: r.Headers})
	}
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	if r.ValueNull {
		p.drops.drop(p.t, p.Node, engine.DropNullValue)
		return nil
	}
	return p.join(r)
}

// join looks up the row valid at r's timestamp and forwards the result.
func (p *StreamVersionedTableJoin[K, V, VT, R]) join(r engine.Record[K, V]) error {
	var row VT
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: store %s: serialize key: %w", p.Node, p.Store, err)
	}
	rec, found, err := p.store.Store.GetAsOf(kb, r.Timestamp)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	if found {
		if row, err = p.TableSerde.Deserialize(p.topic, rec.Value); err != nil {
			return fmt.Errorf("%s: store %s: decode value: %w", p.Node, p.Store, err)
		}
	} else if !p.Left {
		return nil
	}
	return p.Forward(engine.Record[K, R]{Key: r.Key, Value: p.Joiner(r.Value, row, found), Timestamp: r.Timestamp, Headers: r.Headers})
}
