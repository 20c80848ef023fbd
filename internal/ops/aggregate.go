// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// Aggregate folds a grouped stream into a table: Count, Reduce and
// Aggregate. Records with a null key or value are dropped and counted, as in
// Kafka Streams. The first record of a key yields Initial(key, value); later
// ones Add(key, value, aggregate). The result's timestamp is the largest
// timestamp that contributed to it. A nil aggregate (for an A that has nil)
// is null: it deletes the key, logs a tombstone and forwards the deletion,
// and the key's next record starts again with Initial (Kafka Streams'
// KStreamAggregate and KStreamReduce put the null, which deletes).
//
// With Versioned the store is a versioned one (Kafka Streams accepts a
// versioned store for aggregations): each aggregate is put as a version at
// its timestamp, and one older than the store's history retention (a key
// whose aggregate is older than the largest timestamp put minus the
// retention) is not put, not forwarded and counted as expired, as Kafka
// Streams drops what its versioned store does not take.
//
// A key's first update carries as old value Start(), the aggregate before
// the record (Kafka Streams' KStreamAggregate forwards its initializer's
// aggregate as the old value, which a Filter or a GroupBy downstream
// uses), unless Start is nil (Reduce: none) or returns nil.
type Aggregate[K, V, A any] struct {
	engine.Forwarder[K, engine.Change[A]]
	Node      string
	drops     dropLog // null keys and values dropped, logged
	Store     string
	KeySerde  serde.Serde[K]
	AggSerde  serde.Serde[A]
	Initial   func(key K, value V) A
	Add       func(key K, value V, agg A) A
	Start     func() A
	Versioned bool
	store     tableStore
	t         *engine.Task
	topic     string
	isNil     engine.NilCheck[A]
	// keyApp and aggApp are the serdes' Appenders, if they implement it
	// and the store is not versioned: the store key and the aggregate are
	// serialized into kbuf and abuf, reused from record to record (the
	// key-value store, its cache and its changelog copy what they keep).
	keyApp     serde.Appender[K]
	aggApp     serde.Appender[A]
	kbuf, abuf []byte
}

// Init implements engine.Initializer.
func (p *Aggregate[K, V, A]) Init(t *engine.Task) error {
	s, err := openTableStore(t, p.Store, p.Versioned)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	if s.kv != nil {
		p.keyApp, _ = p.KeySerde.(serde.Appender[K])
		p.aggApp, _ = p.AggSerde.(serde.Appender[A])
	}
	p.topic = storeTopic(s.changelogTopic(), p.Store)
	if s.cached() {
		s.kv.OnFlush(p.flushed)
	}
	return nil
}

// flushed forwards an aggregate as the record cache writes it out.
func (p *Aggregate[K, V, A]) flushed(f engine.Flushed) error {
	k, ch, ok, err := flushedChange(p.Node, p.Store, p.topic, p.KeySerde, p.AggSerde, f)
	if !ok || err != nil {
		return err
	}
	return p.Forward(engine.Record[K, engine.Change[A]]{Key: k, Value: ch, Timestamp: f.NewTS, Headers: p.t.RecordContext().Headers})
}

func storeTopic(changelog, store string) string {
	if changelog != "" {
		return changelog
	}
	return store
}

// Process implements engine.Processor.
func (p *Aggregate[K, V, A]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	if r.ValueNull {
		p.drops.drop(p.t, p.Node, engine.DropNullValue)
		return nil
	}
	kb, err := serializeScratch(p.KeySerde, p.keyApp, &p.kbuf, p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	old, oldTs, found, err := p.store.get(kb)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	var oldAgg, newAgg A
	ts := r.Timestamp
	if found {
		if oldAgg, err = p.AggSerde.Deserialize(p.topic, old); err != nil {
			return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
		}
		newAgg = p.Add(r.Key, r.Value, oldAgg)
		ts = max(ts, oldTs)
	} else {
		newAgg = p.Initial(r.Key, r.Value)
	}
	hasOld := found
	if !found && p.Start != nil {
		oldAgg = p.Start()
		hasOld = !p.isNil.IsNil(&oldAgg)
	}
	// A nil aggregate is null: as Kafka Streams puts a null aggregate in
	// the store, the key is deleted (a tombstone in the changelog) and the
	// deletion forwarded.
	isNull := p.isNil.IsNil(&newAgg)
	var nb []byte
	if !isNull {
		if nb, err = serializeScratch(p.AggSerde, p.aggApp, &p.abuf, p.topic, newAgg); err != nil {
			return fmt.Errorf("%s: serialize aggregate for store %s: %w", p.Node, p.Store, err)
		}
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
		Key:       r.Key,
		Value:     engine.Change[A]{New: newAgg, Old: oldAgg, HasNew: !isNull, HasOld: hasOld, NotLatest: to != state.VersionIsLatest},
		Timestamp: ts,
		Headers:   r.Headers,
	})
}
