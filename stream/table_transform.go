// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/table"
)

// TransformValues computes a table from t with a user ValueTransformer
// (Kafka Streams' KTable.transformValues): supplier is called once per
// task and must return a new instance each time. The key cannot change,
// so the result keeps t's partitioning. The transformer sees every update
// of t: its new value, or found false for a deletion (Kafka Streams passes
// the transformer a null value; what it returns, value or no value, is the
// row's new state, so a deletion can turn into a value).
//
// Options:
//   - stream.As names the processor.
//   - Store handles (KeyValueStore, WindowStore, SessionStore, Table.Store)
//     connect their stores to the transformer, which opens them with the
//     handles' Open methods; GlobalTable.Store needs no connecting.
//   - table.As materializes the result in a key-value store of that name,
//     queryable like any table's store and backed by
//     <app>-<name>-changelog unless table.WithoutLogging is given. The
//     store's value serde is V2's built-in one, or the one given with
//     StoreValueSerde. A materialized result forwards as old value the
//     row it replaces in its store, and the transformer is called once
//     per update. With table.Versioned(historyRetention) too the store
//     is a versioned one, as with Kafka Streams'
//     Materialized.as(Stores.persistentVersionedKeyValueStore(…)): see
//     Table.Materialize.
//
// An unmaterialized result that sends old values forwards as old value
// the transform of t's old value (found false when there is none): the
// transformer is then called a second time per update, after the call for
// the new value, as Kafka Streams calls it when old values are enabled.
// It sends them, as in Kafka Streams, when an operator downstream asks for
// them (GroupBy, LeftJoin on its left, OuterJoin, the foreign-key joins,
// SuppressUntilTimeLimit, a Filter of it if t is materialized, directly or
// through Filter, MapValues and TransformValues that are not
// materialized); ToStream, JoinTable and an inner Join do not ask. A
// stateful transformer (one counting updates, say) should therefore be
// materialized, or only followed by operators that do not ask.
//
// A stream–table join with an unmaterialized result of a versioned table
// reads, for each stream record, the transform of the version valid at
// the record's timestamp, as Kafka Streams' value getter does: the join
// calls supplier for an instance of its own (initialized and closed with
// the join), which is also called with found false when there is no such
// version (a value it returns then is a row). During that call its
// Timestamp is the version's (the zero time for none), and it has no
// record metadata, no headers and no stores: in Kafka Streams it runs in
// the join's processor, which is connected to the versioned table's
// store only.
func (t Table[K, V]) TransformValues[V2 any](supplier func() processor.ValueTransformer[K, V, V2], opts ...table.Option) Table[K, V2] {
	var refs []*storeRef
	var vs serde.Serde[V2]
	var serdeErr error
	tableOpts := make([]table.Option, 0, len(opts))
	for _, o := range opts {
		switch o := o.(type) {
		case storeValueSerde[V2]:
			vs = o.s
		case storeHandle:
			refs = append(refs, o.handle())
		case interface{ storeValueSerde() }:
			serdeErr = errors.New("TransformValues: StoreValueSerde's type is not the result's value type")
		default:
			tableOpts = append(tableOpts, o)
		}
	}
	m, mErr := table.ResolveVersioned(tableOpts...)
	b := t.b
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-TRANSFORMVALUES", UserName: m.Operator}
	access := connectStores(b, n, refs)
	var store *topology.Store
	ks := orDefault(t.ks)
	vs = orDefault(vs)
	if m.Name != "" {
		spec := engine.StoreSpec{Kind: engine.KeyValueKind, Logged: m.Logging}
		if m.Versioned {
			spec = kvSpec(m)
		}
		store = &topology.Store{UserName: m.Name, Op: "TRANSFORMVALUES", Naming: storeNaming("TransformValues"), Spec: spec}
	}
	n.Check = func() error {
		errs := []error{mErr, serdeErr, access.check(), need(supplier == nil, errors.New("TransformValues: nil transformer supplier")),
			need(m.Retention != 0, errors.New("table.WithRetention applies to windowed stores only")),
			need(store == nil && !m.Logging, errors.New("table.WithoutLogging applies to a materialized result: pass table.As(name) too")),
			need(store == nil && m.Versioned, errors.New("table.Versioned materializes the result in a versioned store: pass table.As(name) too"))}
		if store != nil {
			errs = append(errs,
				need(ks == nil, missingSerde[K]("key", "TransformValues materializes the result in a store")),
				need(vs == nil, missingSerde[V2]("value", "TransformValues materializes the result in a store; pass one with StoreValueSerde")))
		}
		return errors.Join(errs...)
	}
	fresh := newInstanceCheck()
	n.New = func(*engine.Task) (any, error) {
		tr := supplier()
		if tr == nil {
			return nil, errors.New("transformer supplier returned nil")
		}
		if err := fresh(tr); err != nil {
			return nil, err
		}
		op := &ops.TableTransformValues[K, V, V2]{Node: n.Name, Transformer: tr, Access: access.access, KeySerde: ks, ValueSerde: vs}
		if store != nil {
			op.Store, op.Versioned = store.Name, m.Versioned
		} else {
			op.SendOld = b.sendsOldValues(n)
		}
		return op, nil
	}
	b.g.AddNode(n, t.node)
	if store != nil {
		b.g.AddStore(store, n)
	}
	link[K, engine.Change[V]](t.node, n)
	b.registerTable(n, tkTransformValues, store != nil, t.node)
	out := Table[K, V2]{b: b, node: n, ks: t.ks, vs: orDefault(carry[V, V2](t.vs)), store: store}
	if store != nil {
		out.ks, out.vs = ks, vs
		return out.withAsOf()
	}
	if supplier != nil {
		out.asOf = transformValuesAsOf(t, supplier, fresh)
	}
	return out
}

// StoreValueSerde gives the value serde of the store Table.TransformValues
// materializes its result in (with table.As), for value types without a
// built-in serde. Other operators report it as an error.
func StoreValueSerde[V any](vs serde.Serde[V]) table.Option { return storeValueSerde[V]{s: vs} }

type storeValueSerde[V any] struct{ s serde.Serde[V] }

func (storeValueSerde[V]) storeValueSerde() {}

// ApplyToTable implements table.Option.
func (storeValueSerde[V]) ApplyToTable(*table.Materialized) error {
	return errors.New("StoreValueSerde applies to TransformValues only")
}
