// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"math"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// StreamTableJoin joins each stream record with the current row of its key
// in a table's store (Kafka Streams' KStreamKTableJoin). Only stream records
// trigger it; table updates just update the store. The result keeps the
// stream record's key, timestamp and headers.
//
// Stream records with a null value are dropped, and so are records with a
// null key in an inner join; a left join emits a null-key record at once
// with an absent row (KIP-962). An inner join drops records whose key has
// no row; a left join emits them with an absent row.
type StreamTableJoin[K, V, VT, R any] struct {
	engine.Forwarder[K, R]
	Node       string
	drops      dropLog // null keys and values dropped, logged
	Store      string
	KeySerde   serde.Serde[K]
	TableSerde serde.Serde[VT]
	Left       bool
	Joiner     func(value V, row VT, found bool) R
	store      *engine.KVStore
	t          *engine.Task
	topic      string
}

// Init implements engine.Initializer.
func (p *StreamTableJoin[K, V, VT, R]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *StreamTableJoin[K, V, VT, R]) Process(r engine.Record[K, V]) error {
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
	row, _, found, err := lookup(p.store, p.KeySerde, p.TableSerde, p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: store %s: %w", p.Node, p.Store, err)
	}
	if !found && !p.Left {
		return nil
	}
	return p.Forward(engine.Record[K, R]{Key: r.Key, Value: p.Joiner(r.Value, row, found), Timestamp: r.Timestamp, Headers: r.Headers})
}

// lookup reads key's row from a timestamped key-value store.
func lookup[K, V any](s *engine.KVStore, ks serde.Serde[K], vs serde.Serde[V], topic string, key K) (V, int64, bool, error) {
	var zero V
	kb, err := ks.Serialize(topic, key)
	if err != nil {
		return zero, 0, false, fmt.Errorf("serialize key: %w", err)
	}
	b, ts, found, err := s.GetTimestamped(kb)
	if err != nil || !found {
		return zero, 0, false, err
	}
	v, err := vs.Deserialize(topic, b)
	if err != nil {
		return zero, 0, false, fmt.Errorf("decode value: %w", err)
	}
	return v, ts, true, nil
}

// TableJoinMode selects which rows of a table–table join survive without a
// partner, from the point of view of one side's processor.
type TableJoinMode int

// Table join modes, named after Kafka Streams' processors.
const (
	// TableInner: both rows must exist (KTableKTableInnerJoin).
	TableInner TableJoinMode = iota
	// TablePreserveThis: this side's rows survive without a partner (the
	// left side of a left join, KTableKTableLeftJoin).
	TablePreserveThis
	// TablePreserveOther: the other side's rows survive without a partner
	// (the right side of a left join, KTableKTableRightJoin).
	TablePreserveOther
	// TableOuter: rows of either side survive (KTableKTableOuterJoin).
	TableOuter
)

// TableJoinSide is one side of a primary-key table–table join: a change of
// this table's row looks up the other table's current row and forwards the
// change of the joined row, with Kafka Streams' tombstone rules:
//
//   - inner: nothing happens unless the other row exists; a deleted row
//     then yields a result tombstone;
//   - left (this = left): nothing happens for a deletion of a row that did
//     not exist while the other row is absent; otherwise the result is
//     joined with the other row if present, and a deleted left row yields a
//     result tombstone; the right side's changes yield (left, right or
//     absent) whenever the left row exists;
//   - outer: nothing happens only when neither row exists before or after;
//     otherwise the result is joined with whatever exists, a tombstone when
//     nothing does.
//
// Null keys are dropped. The result's timestamp is the larger of the two
// rows' timestamps (this record's when the other row is absent). The
// previous joined value is computed from the change's old value, as Kafka
// Streams does when old values are needed downstream.
type TableJoinSide[K, VThis, VOther, R any] struct {
	engine.Forwarder[K, engine.Change[R]]
	Node       string
	drops      dropLog // null keys and values dropped, logged
	OtherStore string
	// Other, if set, reads the other table's latest rows through a lookup
	// instead of OtherStore: a versioned table's store, or a Filter,
	// MapValues or TransformValues of one read through its store (Kafka
	// Streams' value getter get(key) on a versioned table); it returns
	// the lookup and what closes it.
	Other      func(t *engine.Task) (AsOf[K, VOther], func() error, error)
	Mode       TableJoinMode
	KeySerde   serde.Serde[K]
	OtherSerde serde.Serde[VOther]
	Joiner     func(this VThis, thisOK bool, other VOther, otherOK bool) R
	store      *engine.KVStore
	get        AsOf[K, VOther]
	closeOther func() error
	t          *engine.Task
	topic      string
	isNil      engine.NilCheck[R]
}

// Init implements engine.Initializer.
func (p *TableJoinSide[K, VThis, VOther, R]) Init(t *engine.Task) error {
	if p.Other != nil {
		get, closeOther, err := p.Other(t)
		if err != nil {
			return err
		}
		p.get, p.closeOther, p.t = get, closeOther, t
		return nil
	}
	s, err := t.KeyValue(p.OtherStore)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.OtherStore)
	return nil
}

// Process implements engine.Processor.
func (p *TableJoinSide[K, VThis, VOther, R]) Process(r engine.Record[K, engine.Change[VThis]]) error {
	if r.Value.NotLatest {
		return nil // an out-of-order update of a versioned table: history only
	}
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	other, ots, found, err := p.other(r.Key)
	if err != nil {
		return err
	}
	ch := r.Value
	var out engine.Change[R]
	switch p.Mode {
	case TableInner:
		if !found {
			return nil
		}
		if ch.HasNew {
			out.New, out.HasNew = p.Joiner(ch.New, true, other, true), true
		}
		if ch.HasOld {
			out.Old, out.HasOld = p.Joiner(ch.Old, true, other, true), true
		}
	case TablePreserveThis:
		if !found && !ch.HasNew && !ch.HasOld {
			return nil
		}
		if ch.HasNew {
			out.New, out.HasNew = p.Joiner(ch.New, true, other, found), true
		}
		if ch.HasOld {
			out.Old, out.HasOld = p.Joiner(ch.Old, true, other, found), true
		}
	case TablePreserveOther:
		if !found {
			return nil
		}
		out.New, out.HasNew = p.Joiner(ch.New, ch.HasNew, other, true), true
		out.Old, out.HasOld = p.Joiner(ch.Old, ch.HasOld, other, true), true
	case TableOuter:
		if !found && !ch.HasNew && !ch.HasOld {
			return nil
		}
		if found || ch.HasNew {
			out.New, out.HasNew = p.Joiner(ch.New, ch.HasNew, other, found), true
		}
		if found || ch.HasOld {
			out.Old, out.HasOld = p.Joiner(ch.Old, ch.HasOld, other, found), true
		}
	}
	// A nil result (for a type with nil) is no row, as a null from Kafka
	// Streams' joiner.
	out.HasNew = out.HasNew && !p.isNil.IsNil(&out.New)
	out.HasOld = out.HasOld && !p.isNil.IsNil(&out.Old)
	ts := r.Timestamp
	if found {
		ts = max(ts, ots)
	}
	return p.Forward(engine.Record[K, engine.Change[R]]{Key: r.Key, Value: out, Timestamp: ts, Headers: r.Headers})
}

// other reads the other table's current row of key.
func (p *TableJoinSide[K, VThis, VOther, R]) other(key K) (VOther, int64, bool, error) {
	if p.get != nil {
		return p.get(key, math.MaxInt64) // the latest version
	}
	other, ots, found, err := lookup(p.store, p.KeySerde, p.OtherSerde, p.topic, key)
	if err != nil {
		err = fmt.Errorf("%s: store %s: %w", p.Node, p.OtherStore, err)
	}
	return other, ots, found, err
}

// Close implements engine.Closer: it closes the other table's lookup.
func (p *TableJoinSide[K, VThis, VOther, R]) Close() error {
	closeOther := p.closeOther
	p.closeOther = nil
	if closeOther == nil {
		return nil
	}
	return closeOther()
}

// TableMaterialize stores a table's changes in a key-value store and
// forwards them, so that joins can read a table that was not materialized
// (e.g. the result of Filter or MapValues), or to keep a table the user
// materialized.
//
// An out-of-order update of a versioned table (Change.NotLatest) is, as in
// Kafka Streams' materialized KTableFilter and KTableMapValues, written and
// forwarded as the new current row, unless SkipNotLatest: then it is
// ignored, for the store that keeps a versioned table's latest rows for the
// joins that read it.
//
// With StoreOld (a materialized Filter, MapValues or TransformValues that
// sends old values) the old value forwarded is the store's row before the
// change, as Kafka Streams' materialized KTableFilter and KTableMapValues
// read it; else the incoming change's. With DropEmpty too (a Filter of a
// table that is not versioned) a change without a new row is dropped,
// neither written nor forwarded, when the store has no row for the key
// either (KTableFilter: both new and old values null).
type TableMaterialize[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node          string
	drops         dropLog // null keys and values dropped, logged
	Store         string
	KeySerde      serde.Serde[K]
	ValueSerde    serde.Serde[V]
	SkipNotLatest bool
	StoreOld      bool
	DropEmpty     bool
	store         *engine.KVStore
	t             *engine.Task
	topic         string
}

// Init implements engine.Initializer.
func (p *TableMaterialize[K, V]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *TableMaterialize[K, V]) Process(r engine.Record[K, engine.Change[V]]) error {
	if r.Value.NotLatest {
		if p.SkipNotLatest {
			return nil
		}
		r.Value.NotLatest = false
	}
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	if p.StoreOld {
		old, _, found, err := p.store.GetTimestamped(kb)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		if !found && !r.Value.HasNew && p.DropEmpty {
			return nil
		}
		var zero V
		r.Value.Old, r.Value.HasOld = zero, found
		if found {
			if r.Value.Old, err = p.ValueSerde.Deserialize(p.topic, old); err != nil {
				return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
			}
		}
	}
	var vb []byte
	if r.Value.HasNew {
		if vb, err = p.ValueSerde.Serialize(p.topic, r.Value.New); err != nil {
			return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
		}
		if vb == nil {
			vb = []byte{}
		}
	}
	if err := p.store.PutTimestamped(kb, vb, r.Timestamp); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	return p.Forward(r)
}
