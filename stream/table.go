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

// Table is a typed changelog stream: the latest value per key (Kafka
// Streams' KTable). A null value deletes its key.
type Table[K, V any] struct {
	b     *Builder
	node  *topology.Node
	ks    serde.Serde[K]
	vs    serde.Serde[V]
	store *topology.Store
	// asOf is set on a versioned table and on a Filter or MapValues of one
	// that is not materialized: how a stream–table join reads its rows as
	// of a time.
	asOf *asOfView[K, V]
}

// Table reads topic as a table, materialized in a store (named with
// table.As) so it can be queried and, in the runtime, restored.
// stream.As(name) names the table's processor <name> and its source
// <name>-source (Kafka Streams' Consumed.as).
func (b *Builder) Table[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V], opts ...table.Option) Table[K, V] {
	m, _ := table.Resolve(opts...) // toTable reports the errors
	var srcOpts []Option
	if m.Operator != "" {
		srcOpts = append(srcOpts, As(m.Operator+"-source"))
	}
	s := b.Stream(topic, ks, vs, srcOpts...)
	return s.toTable("TABLE-SOURCE", "Builder.Table", opts)
}

// ToTable turns the stream into a table: each record upserts its key, a
// null value deletes it, records with a null key are dropped. table.As
// names the table's store, stream.As its processor.
func (s Stream[K, V]) ToTable(opts ...table.Option) Table[K, V] {
	return s.toTable("TOTABLE", "ToTable", opts)
}

func (s Stream[K, V]) toTable(op, method string, opts []table.Option) Table[K, V] {
	m, mErr := table.ResolveVersioned(opts...)
	if m.Versioned {
		return s.toVersionedTable(op, method, m, mErr)
	}
	store := &topology.Store{UserName: m.Name, Op: op, Naming: storeNaming(method),
		Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: m.Logging, Cached: m.Caching}}
	ks, vs := orDefault(s.ks), orDefault(s.vs)
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: m.Operator}
	n.Check = func() error {
		var retErr error
		if m.Retention != 0 {
			retErr = errors.New("table.WithRetention applies to windowed stores only")
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", "the table's store needs one; set it with WithKeySerde")),
			need(vs == nil, missingSerde[V]("value", "the table's store needs one; set it with WithValueSerde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.Materialize[K, V]{Node: n.Name, Store: store.Name, KeySerde: ks, ValueSerde: vs}, nil
	}
	s.b.g.AddNode(n, s.node)
	s.b.g.AddStore(store, n)
	link[K, V](s.node, n)
	// Kafka Streams materializes a source table given a store name.
	s.b.registerTable(n, tkSource, m.Name != "")
	return Table[K, V]{b: s.b, node: n, ks: ks, vs: vs, store: store}
}

// StoreName returns the name of the table's store once the topology is
// built, or "" if the table is not materialized.
func (t Table[K, V]) StoreName() string {
	if t.store == nil {
		return ""
	}
	return t.store.Name
}

// ToStream turns the table's changes into a stream; deletions become records
// with a null value.
func (t Table[K, V]) ToStream(opts ...Option) Stream[K, V] {
	n := addTableProcessor(t, "TOSTREAM", opts, func() any { return &ops.ToStream[K, V]{} })
	return Stream[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// Filter keeps rows matching pred; rows that do not match are forwarded as
// deletions, so a row that stops matching disappears downstream. As in
// Kafka Streams, a change neither of whose rows matches (a row that did not
// match is updated to one that does not either, or deleted) is dropped
// instead when the table sends old values: when t was materialized with
// table.As (or read by a join) before Filter was called, or an operator
// downstream uses old values (GroupBy, LeftJoin, OuterJoin, the
// foreign-key joins, SuppressUntilTimeLimit). A Filter of a versioned
// table never drops them.
func (t Table[K, V]) Filter(pred func(key K, value V) bool, opts ...Option) Table[K, V] {
	n := t.addFilter(pred, opts)
	return Table[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs, asOf: filterAsOf(t, pred)}
}

// FilterNot drops rows matching pred (as deletions); see Filter.
func (t Table[K, V]) FilterNot(pred func(key K, value V) bool, opts ...Option) Table[K, V] {
	keep := func(k K, v V) bool { return !pred(k, v) }
	n := t.addFilter(keep, opts)
	return Table[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs, asOf: filterAsOf(t, keep)}
}

// addFilter adds a KTABLE-FILTER node keeping the rows matching keep; it
// asks t to send old values, as Kafka Streams' KTableFilter does when it
// is created (see table_oldvalues.go).
func (t Table[K, V]) addFilter(keep func(K, V) bool, opts []Option) *topology.Node {
	b := t.b
	n := addNode[K, engine.Change[V]](b, t.node, "KTABLE-FILTER", opts, func(n *topology.Node) any {
		return &ops.TableFilter[K, V]{Keep: keep, DropUnchanged: b.filterDrops(n)}
	})
	st := b.registerTable(n, tkFilter, false, t.node)
	st.sendOld = b.enableSendingOldValues(t.node, false)
	return n
}

// MapValues maps each row's value.
func (t Table[K, V]) MapValues[V2 any](fn func(value V) V2, opts ...Option) Table[K, V2] {
	f := func(_ K, v V) V2 { return fn(v) }
	n := addTableProcessor(t, "MAPVALUES", opts, func() any { return &ops.TableMapValues[K, V, V2]{Fn: f} })
	t.b.registerTable(n, tkMapValues, false, t.node)
	return Table[K, V2]{b: t.b, node: n, ks: t.ks, vs: orDefault(carry[V, V2](t.vs)), asOf: mapValuesAsOf(t, f)}
}

func addTableProcessor[K, V any](t Table[K, V], op string, opts []Option, newFn func() any) *topology.Node {
	return addNode[K, engine.Change[V]](t.b, t.node, "KTABLE-"+op, opts, func(*topology.Node) any { return newFn() })
}
