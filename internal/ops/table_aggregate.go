// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// Flags ending a table-grouping repartition value, in the layout of Kafka
// Streams' ChangedSerializer since KIP-904 (3.5):
//
//	old only:     value ‖ 0x00
//	new only:     value ‖ 0x01
//	old and new:  4-byte big-endian len(new) ‖ new ‖ old ‖ 0x02
const (
	changeOld  byte = 0
	changeNew  byte = 1
	changeBoth byte = 2
)

func encodeChange(newV, oldV []byte, flag byte) []byte {
	switch flag {
	case changeOld:
		return append(append(make([]byte, 0, len(oldV)+1), oldV...), flag)
	case changeNew:
		return append(append(make([]byte, 0, len(newV)+1), newV...), flag)
	}
	b := make([]byte, 0, 4+len(newV)+len(oldV)+1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(newV)))
	b = append(b, newV...)
	b = append(b, oldV...)
	return append(b, flag)
}

func decodeChange(b []byte) (newV, oldV []byte, hasNew, hasOld bool, err error) {
	if len(b) == 0 {
		return nil, nil, false, false, errors.New("empty change value")
	}
	body, flag := b[:len(b)-1], b[len(b)-1]
	switch flag {
	case changeOld:
		return nil, body, false, true, nil
	case changeNew:
		return body, nil, true, false, nil
	case changeBoth:
		if len(body) < 4 {
			return nil, nil, false, false, errors.New("truncated change value")
		}
		n := binary.BigEndian.Uint32(body)
		if uint64(n) > uint64(len(body)-4) {
			return nil, nil, false, false, fmt.Errorf("change value: new value length %d exceeds %d bytes", n, len(body)-4)
		}
		return body[4 : 4+n], body[4+n:], true, true, nil
	}
	return nil, nil, false, false, fmt.Errorf("change value: unknown flag %d", flag)
}

// TableGroupBySink re-keys table changes for Table.GroupBy and writes them
// to the repartition topic: the old value, mapped, to its (old) grouping
// key, to be subtracted; the new value, mapped, to its (new) grouping key,
// to be added. When both map to the same serialized key they travel in one
// record, so the aggregation subtracts then adds atomically; otherwise as two
// records, subtraction first, each to its key's partition. A deletion sends
// only the subtraction, an insert only the addition.
type TableGroupBySink[K, V, K2, V2 any] struct {
	Node       string
	drops      dropLog // null keys and values dropped, logged
	Fn         func(K, V) (K2, V2)
	TopicOf    func(t *engine.Task) string
	KeySerde   serde.Serde[K2]
	ValueSerde serde.Serde[V2]
	t          *engine.Task
	topic      string
	n          int32
}

// Init implements engine.Initializer.
func (s *TableGroupBySink[K, V, K2, V2]) Init(t *engine.Task) error {
	s.t, s.topic = t, s.TopicOf(t)
	return nil
}

func (s *TableGroupBySink[K, V, K2, V2]) mapped(k K, v V) (kb, vb []byte, err error) {
	k2, v2 := s.Fn(k, v)
	if kb, err = s.KeySerde.Serialize(s.topic, k2); err != nil {
		return nil, nil, fmt.Errorf("%s: serialize key for topic %q: %w", s.Node, s.topic, err)
	}
	if vb, err = s.ValueSerde.Serialize(s.topic, v2); err != nil {
		return nil, nil, fmt.Errorf("%s: serialize value for topic %q: %w", s.Node, s.topic, err)
	}
	return kb, vb, nil
}

// Process implements engine.Processor.
func (s *TableGroupBySink[K, V, K2, V2]) Process(r engine.Record[K, engine.Change[V]]) error {
	if r.Value.NotLatest {
		return nil // an out-of-order update of a versioned table: history only
	}
	if r.KeyNull {
		s.drops.drop(s.t, s.Node, engine.DropNullKey)
		return nil
	}
	ch := r.Value
	var ok, ov, nk, nv []byte
	var err error
	if ch.HasOld {
		if ok, ov, err = s.mapped(r.Key, ch.Old); err != nil {
			return err
		}
	}
	if ch.HasNew {
		if nk, nv, err = s.mapped(r.Key, ch.New); err != nil {
			return err
		}
	}
	if ch.HasOld && ch.HasNew && bytes.Equal(ok, nk) {
		return s.send(nk, encodeChange(nv, ov, changeBoth), r)
	}
	if ch.HasOld {
		if err := s.send(ok, encodeChange(nil, ov, changeOld), r); err != nil {
			return err
		}
	}
	if ch.HasNew {
		return s.send(nk, encodeChange(nv, nil, changeNew), r)
	}
	return nil
}

func (s *TableGroupBySink[K, V, K2, V2]) send(key, value []byte, r engine.Record[K, engine.Change[V]]) error {
	if key == nil {
		s.drops.drop(s.t, s.Node, engine.DropNullKey)
		return nil
	}
	if s.n == 0 {
		n, err := s.t.Collector().PartitionCount(s.topic)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Node, err)
		}
		s.n = n
	}
	return s.t.Collector().Send(&engine.RawRecord{
		Topic: s.topic, Partition: partition.ForKey(key, s.n), Key: key, Value: value,
		Timestamp: r.Timestamp, Headers: r.Headers,
	})
}

// TableGroupSource reads a table-grouping repartition topic back as table
// changes keyed by the grouping key.
type TableGroupSource[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node       string
	drops      dropLog // null keys and values dropped, logged
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	t          *engine.Task
}

// Init implements engine.Initializer.
func (s *TableGroupSource[K, V]) Init(t *engine.Task) error { s.t = t; return nil }

// ProcessRaw implements engine.RawProcessor.
func (s *TableGroupSource[K, V]) ProcessRaw(raw *engine.RawRecord) error {
	if raw.Timestamp < 0 {
		return s.t.HandleError(s.Node, raw, engine.DropTimestamp, fmt.Errorf("invalid (negative) record timestamp %d", raw.Timestamp))
	}
	s.t.Advance(raw.Timestamp)
	if raw.Key == nil {
		s.drops.drop(s.t, s.Node, engine.DropNullKey)
		return nil
	}
	k, err := s.KeySerde.Deserialize(raw.Topic, raw.Key)
	if err != nil {
		return s.t.HandleError(s.Node, raw, engine.DropDeserialization, fmt.Errorf("deserialize key: %w", err))
	}
	nb, ob, hasNew, hasOld, err := decodeChange(raw.Value)
	if err != nil {
		return s.t.HandleError(s.Node, raw, engine.DropDeserialization, err)
	}
	ch := engine.Change[V]{HasNew: hasNew, HasOld: hasOld}
	if hasNew {
		if ch.New, err = s.ValueSerde.Deserialize(raw.Topic, nb); err != nil {
			return s.t.HandleError(s.Node, raw, engine.DropDeserialization, fmt.Errorf("deserialize new value: %w", err))
		}
	}
	if hasOld {
		if ch.Old, err = s.ValueSerde.Deserialize(raw.Topic, ob); err != nil {
			return s.t.HandleError(s.Node, raw, engine.DropDeserialization, fmt.Errorf("deserialize old value: %w", err))
		}
	}
	return s.Forward(engine.Record[K, engine.Change[V]]{Key: k, Value: ch, Timestamp: raw.Timestamp, Headers: raw.Headers})
}

// TableAggregate aggregates re-keyed table changes (Kafka Streams'
// KTableAggregate / KTableReduce): for a change it calls Sub(old) if the
// key has an aggregate, then Add(new), or Initial(new) if the key has no
// aggregate (left). An aggregate that is a nil pointer, map, slice or
// interface deletes the key; the next addition re-initializes it. The
// result's timestamp is the largest of the record's and the previous
// aggregate's. With Versioned the store is a versioned one, as for
// Aggregate.
type TableAggregate[K, V, A any] struct {
	engine.Forwarder[K, engine.Change[A]]
	Node      string
	drops     dropLog // null keys and values dropped, logged
	Store     string
	KeySerde  serde.Serde[K]
	AggSerde  serde.Serde[A]
	Initial   func(key K, value V) A
	Add       func(key K, value V, agg A) A
	Sub       func(key K, value V, agg A) A
	Versioned bool
	store     tableStore
	t         *engine.Task
	topic     string
	nillable  bool
}

// Init implements engine.Initializer.
func (p *TableAggregate[K, V, A]) Init(t *engine.Task) error {
	s, err := openTableStore(t, p.Store, p.Versioned)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.changelogTopic(), p.Store)
	switch reflect.TypeFor[A]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		p.nillable = true
	}
	if s.cached() {
		s.kv.OnFlush(p.flushed)
	}
	return nil
}

// flushed forwards an aggregate as the record cache writes it out.
func (p *TableAggregate[K, V, A]) flushed(f engine.Flushed) error {
	k, ch, ok, err := flushedChange(p.Node, p.Store, p.topic, p.KeySerde, p.AggSerde, f)
	if !ok || err != nil {
		return err
	}
	return p.Forward(engine.Record[K, engine.Change[A]]{Key: k, Value: ch, Timestamp: f.NewTS, Headers: p.t.RecordContext().Headers})
}

func (p *TableAggregate[K, V, A]) isNil(a A) bool {
	return p.nillable && reflect.ValueOf(&a).Elem().IsNil()
}

// Process implements engine.Processor.
func (p *TableAggregate[K, V, A]) Process(r engine.Record[K, engine.Change[V]]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	ch := r.Value
	if !ch.HasOld && !ch.HasNew {
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	old, oldTs, found, err := p.store.get(kb)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	var oldAgg A
	if found {
		if oldAgg, err = p.AggSerde.Deserialize(p.topic, old); err != nil {
			return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
		}
	}
	agg, have := oldAgg, found
	if ch.HasOld && have {
		agg = p.Sub(r.Key, ch.Old, agg)
		have = !p.isNil(agg)
	}
	if ch.HasNew {
		if have {
			agg = p.Add(r.Key, ch.New, agg)
		} else {
			agg = p.Initial(r.Key, ch.New)
		}
		have = !p.isNil(agg)
	}
	ts := r.Timestamp
	if found {
		ts = max(ts, oldTs)
	}
	if !have {
		if !found && p.store.cached() {
			// Nothing was there and nothing is: Kafka Streams' caching
			// store forwards nothing for a null replacing a null.
			return nil
		}
		// A null aggregate: the key is deleted and the deletion
		// forwarded. Kafka Streams puts and forwards the null also when
		// the key held nothing (a subtraction from a key without an
		// aggregate, or an adder returning nil for a new key): a
		// tombstone downstream and in the changelog.
		to, err := p.store.put(kb, nil, ts)
		if err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
		if to == state.VersionNotPut {
			p.drops.drop(p.t, p.Node, engine.DropExpired)
			return nil
		}
		if p.store.cached() {
			return nil // forwarded when the cache writes it out (flushed)
		}
		return p.Forward(engine.Record[K, engine.Change[A]]{Key: r.Key, Value: engine.Change[A]{Old: oldAgg, HasOld: found, NotLatest: to != state.VersionIsLatest},
			Timestamp: ts, Headers: r.Headers})
	}
	nb, err := p.AggSerde.Serialize(p.topic, agg)
	if err != nil {
		return fmt.Errorf("%s: serialize aggregate for store %s: %w", p.Node, p.Store, err)
	}
	to, err := p.store.put(kb, nb, ts)
	if err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	if to == state.VersionNotPut {
		p.drops.drop(p.t, p.Node, engine.DropExpired)
		return nil
	}
	if p.store.cached() {
		return nil // forwarded when the cache writes it out (flushed)
	}
	return p.Forward(engine.Record[K, engine.Change[A]]{
		Key: r.Key, Value: engine.Change[A]{New: agg, Old: oldAgg, HasNew: true, HasOld: found, NotLatest: to != state.VersionIsLatest},
		Timestamp: ts, Headers: r.Headers,
	})
}
