// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// VersionedMaterialize turns a stream of upserts into a versioned table
// (Kafka Streams' KTableSource over a versioned store): each record is put
// in the versioned store as the version of its key at the record's
// timestamp (a null value is a tombstone version) and forwarded with the
// key's latest value before it as the old value. A record that does not
// become its key's latest version (out of order) lands in the history and
// is forwarded marked NotLatest, so joins, aggregations and
// materializations downstream ignore it while ToStream emits it, as in
// Kafka Streams; a record older than the history retention is dropped
// (counted as expired) and not forwarded. Records with a null key are
// dropped.
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
	if to == state.VersionNotPut {
		p.drops.drop(p.t, p.Node, engine.DropExpired)
		return nil
	}
	ch.NotLatest = to != state.VersionIsLatest
	return p.Forward(engine.Record[K, engine.Change[V]]{Key: r.Key, Value: ch, Timestamp: r.Timestamp, Headers: r.Headers})
}

// StreamVersionedTableJoin joins each stream record with the row its key
// had in a versioned table at the record's timestamp (Kafka Streams'
// KStreamKTableJoin over a versioned table, KIP-914): the version valid at
// that time, so table updates that arrive after the stream record but carry
// an older timestamp are seen by later stream records, and a stream record
// older than the table's history retention finds no row (unless the key's
// latest version was already valid then). Otherwise as StreamTableJoin.
// The table is read through Table: the versioned store's lookup, or that
// of a Filter or MapValues of a versioned table that is not materialized
// (Kafka Streams joins through the derived table's value getter, which
// filters or maps the parent's version valid at the record's timestamp).
//
// With HasGrace (Kafka Streams' Joined.withGracePeriod, KIP-923) stream
// records wait in the key-value store BufferStore until stream time (the
// largest stream timestamp seen) has passed their timestamp by Grace, so
// that table updates arriving late but within the grace period are joined:
// a record older than stream time - Grace is joined at once; any other is
// buffered, and then every buffered record whose timestamp is at or before
// stream time - Grace is joined, in order of timestamp, then key bytes,
// then arrival. A record with a null key in a left join is emitted at once.
// The buffer's layout: 0x00 → 8-byte stream time ‖ 4-byte sequence
// number; 0x01 ‖ 8-byte timestamp ‖ key ‖ 4-byte sequence number → value
// and headers.
type StreamVersionedTableJoin[K, V, VT, R any] struct {
	engine.Forwarder[K, R]
	Node  string
	drops dropLog
	// Table opens the table's lookup in a task, and what closes it.
	Table  func(t *engine.Task) (AsOf[K, VT], func() error, error)
	Left   bool
	Joiner func(value V, row VT, found bool) R
	// HasGrace, Grace (ms), BufferStore, KeySerde and ValueSerde (the
	// stream's keys and values, for the buffer) configure the grace period.
	HasGrace    bool
	Grace       int64
	BufferStore string
	KeySerde    serde.Serde[K]
	ValueSerde  serde.Serde[V]
	get         AsOf[K, VT]
	closeTable  func() error
	t           *engine.Task
	buffer      *engine.KVStore
	bufTopic    string
	observed    int64 // stream time of the buffer; state.MinTime before the first record
	seq         uint32
}

// Init implements engine.Initializer.
func (p *StreamVersionedTableJoin[K, V, VT, R]) Init(t *engine.Task) error {
	get, closeTable, err := p.Table(t)
	if err != nil {
		return err
	}
	p.get, p.closeTable, p.t = get, closeTable, t
	if !p.HasGrace {
		return nil
	}
	if p.buffer, err = t.KeyValue(p.BufferStore); err != nil {
		return err
	}
	p.bufTopic = storeTopic(p.buffer.ChangelogTopic(), p.BufferStore)
	p.observed = state.MinTime
	meta, _, found, err := p.buffer.GetTimestamped(bufferMetaKey)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.BufferStore, err))
	}
	if found {
		if len(meta) != 12 {
			return engine.Fatal(fmt.Errorf("%s: store %s: corrupt buffer state of %d bytes", p.Node, p.BufferStore, len(meta)))
		}
		p.observed, p.seq = int64(binary.BigEndian.Uint64(meta)), binary.BigEndian.Uint32(meta[8:])
	}
	return nil
}

var bufferMetaKey = []byte{0x00}

const bufferEntry byte = 0x01

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
	if !p.HasGrace {
		return p.join(r)
	}
	if p.observed != state.MinTime && r.Timestamp < p.observed-p.Grace {
		return p.join(r) // too late to wait for table updates
	}
	if err := p.bufferPut(r); err != nil {
		return err
	}
	return p.evict()
}

// bufferPut adds r to the buffer and advances its stream time.
func (p *StreamVersionedTableJoin[K, V, VT, R]) bufferPut(r engine.Record[K, V]) error {
	kb, err := p.KeySerde.Serialize(p.bufTopic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: store %s: serialize key: %w", p.Node, p.BufferStore, err)
	}
	vb, err := p.ValueSerde.Serialize(p.bufTopic, r.Value)
	if err != nil {
		return fmt.Errorf("%s: store %s: serialize value: %w", p.Node, p.BufferStore, err)
	}
	p.seq = state.NextSeq(p.seq)
	p.observed = max(p.observed, r.Timestamp)
	k := make([]byte, 0, 1+8+len(kb)+4)
	k = append(k, bufferEntry)
	k = binary.BigEndian.AppendUint64(k, uint64(r.Timestamp)^(1<<63))
	k = append(k, kb...)
	k = binary.BigEndian.AppendUint32(k, p.seq)
	if err := p.buffer.PutTimestamped(k, encodeEntry(true, vb, false, nil, r.Headers), r.Timestamp); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.BufferStore, err)
	}
	meta := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, uint64(p.observed)), p.seq)
	if err := p.buffer.PutTimestamped(bufferMetaKey, meta, p.observed); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.BufferStore, err)
	}
	return nil
}

// evict joins and removes every buffered record whose timestamp is at or
// before stream time - Grace, in buffer order.
func (p *StreamVersionedTableJoin[K, V, VT, R]) evict() error {
	cutoff := p.observed - p.Grace
	type buffered struct {
		key, value []byte
		ts         int64
	}
	var due []buffered
	for e, err := range p.buffer.Store.PrefixScan([]byte{bufferEntry}) {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.BufferStore, err))
		}
		if len(e.Key) < 1+8+4 || len(e.Value) < 8 {
			return engine.Fatal(fmt.Errorf("%s: store %s: corrupt buffer entry", p.Node, p.BufferStore))
		}
		ts := int64(binary.BigEndian.Uint64(e.Key[1:]) ^ (1 << 63))
		if ts > cutoff {
			break
		}
		due = append(due, buffered{bytes.Clone(e.Key), bytes.Clone(e.Value[8:]), ts})
	}
	for _, b := range due {
		if err := p.buffer.PutTimestamped(b.key, nil, p.observed); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.BufferStore, err)
		}
		e, err := decodeEntry(b.value)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: store %s: %w", p.Node, p.BufferStore, err))
		}
		kb := b.key[9 : len(b.key)-4]
		k, err := p.KeySerde.Deserialize(p.bufTopic, kb)
		if err != nil {
			return fmt.Errorf("%s: store %s: decode key: %w", p.Node, p.BufferStore, err)
		}
		v, err := p.ValueSerde.Deserialize(p.bufTopic, e.new)
		if err != nil {
			return fmt.Errorf("%s: store %s: decode value: %w", p.Node, p.BufferStore, err)
		}
		if err := p.join(engine.Record[K, V]{Key: k, Value: v, Timestamp: b.ts, Headers: e.headers}); err != nil {
			return err
		}
	}
	return nil
}

// Close implements engine.Closer: it closes the table's lookup.
func (p *StreamVersionedTableJoin[K, V, VT, R]) Close() error {
	closeTable := p.closeTable
	p.closeTable = nil
	if closeTable == nil {
		return nil
	}
	return closeTable()
}

// join looks up the row valid at r's timestamp and forwards the result.
func (p *StreamVersionedTableJoin[K, V, VT, R]) join(r engine.Record[K, V]) error {
	row, _, found, err := p.get(r.Key, r.Timestamp)
	if err != nil {
		return err
	}
	if !found && !p.Left {
		return nil
	}
	return p.Forward(engine.Record[K, R]{Key: r.Key, Value: p.Joiner(r.Value, row, found), Timestamp: r.Timestamp, Headers: r.Headers})
}

// VersionedTableMaterialize keeps a derived table (a Filter, MapValues,
// TransformValues or table–table join result) in a versioned store (Kafka
// Streams' Materialized.as(Stores.persistentVersionedKeyValueStore(…)) on
// those operators): each change is put as its key's version at the
// change's timestamp (no new value: a tombstone version), whether or not
// it was its parent's latest version. A change older than the store's
// history retention is dropped (counted as expired) and not forwarded; any
// other is forwarded, marked NotLatest unless it became its key's latest
// version in this store, so that joins and aggregations downstream ignore
// it as in Kafka Streams.
//
// With StoreOld (a materialized Filter, MapValues or TransformValues whose
// old values are used downstream) the old value forwarded is the store's
// latest row before the change, as Kafka Streams' materialized KTableFilter
// and KTableMapValues read it with old values enabled; without, the
// incoming change's (as its KTableKTableJoinMerger forwards). With
// DropEmpty too (a Filter of a table that is not versioned) a change
// without a new row is dropped, neither put nor forwarded, when the store
// has no row for the key either, as Kafka Streams' KTableFilter without
// versioned semantics returns when both its new and old values are null.
type VersionedTableMaterialize[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node       string
	drops      dropLog
	Store      string
	StoreOld   bool
	DropEmpty  bool
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	store      *engine.VersionedStore
	t          *engine.Task
	topic      string
}

// Init implements engine.Initializer.
func (p *VersionedTableMaterialize[K, V]) Init(t *engine.Task) error {
	s, err := t.Versioned(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *VersionedTableMaterialize[K, V]) Process(r engine.Record[K, engine.Change[V]]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	if p.StoreOld {
		old, found, err := p.store.Store.Get(kb)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		if !found && !r.Value.HasNew && p.DropEmpty {
			return nil
		}
		var zero V
		r.Value.Old, r.Value.HasOld = zero, found
		if found {
			if r.Value.Old, err = p.ValueSerde.Deserialize(p.topic, old.Value); err != nil {
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
	to, err := p.store.Put(kb, vb, r.Timestamp)
	if err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	if to == state.VersionNotPut {
		p.drops.drop(p.t, p.Node, engine.DropExpired)
		return nil
	}
	r.Value.NotLatest = to != state.VersionIsLatest
	return p.Forward(r)
}
