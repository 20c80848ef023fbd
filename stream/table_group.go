// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/table"
)

// GroupedTable is a table re-grouped by a new key, ready for aggregation
// with an adder and a subtractor (Kafka Streams' KGroupedTable).
type GroupedTable[K, V any] struct {
	b  *Builder
	ks serde.Serde[K]
	vs serde.Serde[V]
	// prepare adds the re-keying repartition sink and source, the topic
	// named after the aggregation's store unless As named it, and returns
	// the source node (records K, engine.Change[V]).
	prepare func(store *topology.Store) *topology.Node
}

// GroupBy re-groups the table by a new key and value computed from each row
// (Kafka Streams' KTable.groupBy). It always repartitions, through
// <app>-<name>-repartition (As(name), else the aggregation store's name;
// Partitions sets its partition count). For every change of a row the
// aggregation subtracts the old row's mapped value from its old grouping
// key and adds the new row's mapped value to its new grouping key: an
// insert only adds, a deletion (tombstone) only subtracts, and an update
// whose grouping key stays the same subtracts then adds, in one repartition
// record. When the grouping key changes, the subtraction and the addition
// are two records, to the partitions of the old and the new key, so the
// old key's aggregate is updated before or after the new key's depending
// on the tasks' order (as in Kafka Streams).
//
// ks and vs serialize the new key and value on the repartition topic; nil
// uses the built-in serde of primitive types.
func (t Table[K, V]) GroupBy[K2, V2 any](fn func(key K, value V) (K2, V2), ks serde.Serde[K2], vs serde.Serde[V2], opts ...Option) GroupedTable[K2, V2] {
	c := resolve(opts)
	ks, vs = orDefault(ks), orDefault(vs)
	// The aggregation subtracts old rows: t sends old values (Kafka
	// Streams' groupBy asks for them when it is called).
	t.b.enableSendingOldValues(t.node, true)
	g := GroupedTable[K2, V2]{b: t.b, ks: ks, vs: vs}
	g.prepare = func(store *topology.Store) *topology.Node {
		it := &topology.InternalTopic{UserName: c.name, NameFrom: store, Partitions: c.partitions,
			Naming: topology.Naming{Method: "Table.GroupBy",
				Hint: "pass stream.As(name) to GroupBy, or table.As(name) to the aggregation (the store's name then names the topic)"}}
		sink := &topology.Node{Kind: topology.Sink, Op: "KTABLE-GROUPBY-REPARTITION-SINK", Internal: it}
		sink.Check = func() error {
			return errors.Join(c.err,
				need(fn == nil, errors.New("GroupBy: nil key-value mapper")),
				need(ks == nil, missingSerde[K2]("key", "GroupBy writes repartition topic "+it.Name+"; pass one to GroupBy")),
				need(vs == nil, missingSerde[V2]("value", "GroupBy writes repartition topic "+it.Name+"; pass one to GroupBy")))
		}
		sink.New = func(*engine.Task) (any, error) {
			return &ops.TableGroupBySink[K, V, K2, V2]{Node: sink.Name, Fn: fn, KeySerde: ks, ValueSerde: vs,
				TopicOf: func(t *engine.Task) string { return it.FullName(t.AppID()) }}, nil
		}
		t.b.g.AddNode(sink, t.node)
		t.b.g.AddTopic(it, sink)
		link[K, engine.Change[V]](t.node, sink)
		src := &topology.Node{Kind: topology.Source, Op: "KTABLE-GROUPBY-REPARTITION-SOURCE", Internal: it, LogicalParent: sink}
		src.New = func(*engine.Task) (any, error) {
			return &ops.TableGroupSource[K2, V2]{Node: src.Name, KeySerde: ks, ValueSerde: vs}, nil
		}
		t.b.g.AddNode(src)
		return src
	}
	return g
}

// Count counts the rows per grouping key: +1 for each added row, −1 for
// each subtracted one. A key whose rows all went away keeps the count 0, as
// in Kafka Streams.
func (g GroupedTable[K, V]) Count(opts ...table.Option) Table[K, int64] {
	return tableAggregate(g, "COUNT", func(K, V) int64 { return 1 },
		func(_ K, _ V, n int64) int64 { return n + 1 }, func(_ K, _ V, n int64) int64 { return n - 1 }, serde.Int64(), opts)
}

// Reduce combines the values per grouping key: the first value is the
// initial aggregate, added values are folded in with adder(agg, value),
// subtracted ones taken out with subtractor(agg, value). If V is a pointer,
// map, slice or interface type and the subtractor returns nil, the key is
// deleted (a tombstone downstream) and the next value starts afresh.
func (g GroupedTable[K, V]) Reduce(adder, subtractor func(agg, value V) V, opts ...table.Option) Table[K, V] {
	var add, sub func(K, V, V) V
	if adder != nil {
		add = func(_ K, v, agg V) V { return adder(agg, v) }
	}
	if subtractor != nil {
		sub = func(_ K, v, agg V) V { return subtractor(agg, v) }
	}
	return tableAggregate(g, "REDUCE", func(_ K, v V) V { return v }, add, sub, orDefault(g.vs), opts)
}

// Aggregate folds the values per grouping key into an aggregate of type A:
// a key's first added value gets adder(key, value, init()), later ones
// adder(key, value, agg); subtracted values subtractor(key, value, agg).
// On an update with an unchanged grouping key the subtractor runs before
// the adder. If A is a pointer, map, slice or interface type and the
// subtractor (or adder) returns nil, the key is deleted (a tombstone
// downstream) and the next added value re-initializes it. as serializes the
// aggregate; nil uses the built-in serde of primitive types.
func (g GroupedTable[K, V]) Aggregate[A any](init func() A, adder, subtractor func(key K, value V, agg A) A, as serde.Serde[A], opts ...table.Option) Table[K, A] {
	var initial func(K, V) A
	if init != nil && adder != nil {
		initial = func(k K, v V) A { return adder(k, v, init()) }
	}
	return tableAggregate(g, "AGGREGATE", initial, adder, subtractor, orDefault(as), opts)
}

func tableAggregate[K, V, A any](g GroupedTable[K, V], op string, initial func(K, V) A, add, sub func(K, V, A) A, as serde.Serde[A], opts []table.Option) Table[K, A] {
	m, mErr := table.ResolveVersioned(opts...)
	store := &topology.Store{UserName: m.Name, Op: "AGGREGATE", Naming: aggNaming(op), Spec: kvSpec(m)}
	src := g.prepare(store)
	ks := g.ks
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-AGGREGATE", UserName: m.Operator}
	n.Check = func() error {
		var retErr error
		if m.Retention != 0 {
			retErr = errors.New("table.WithRetention applies to windowed aggregations only")
		}
		return errors.Join(mErr, retErr,
			need(initial == nil || add == nil, errors.New(op+": nil initializer or adder")),
			need(sub == nil, errors.New(op+": nil subtractor")),
			need(as == nil, missingSerde[A]("aggregate", op+" stores the aggregate; pass a serde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.TableAggregate[K, V, A]{Node: n.Name, Store: store.Name, KeySerde: ks, AggSerde: as, Initial: initial, Add: add, Sub: sub,
			Versioned: m.Versioned}, nil
	}
	g.b.g.AddNode(n, src)
	g.b.g.AddStore(store, n)
	link[K, engine.Change[V]](src, n)
	return Table[K, A]{b: g.b, node: n, ks: ks, vs: as, store: store}.withAsOf()
}
