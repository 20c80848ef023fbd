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
	"github.com/eddy-streams/eddy/window"
)

// Grouped is a stream grouped by key, ready for aggregation (Kafka Streams'
// KGroupedStream).
type Grouped[K, V any] struct {
	s           Stream[K, V]
	name        string
	method      string // "GroupBy" or "GroupByKey"
	repartition bool
}

// GroupByKey groups the stream by its current key. If an earlier operator
// changed the key, the aggregation first repartitions through
// <app>-<name>-repartition, name being As(name) or the store's name.
func (s Stream[K, V]) GroupByKey(opts ...Option) Grouped[K, V] {
	c := resolve(opts)
	if c.err != nil {
		s.b.g.Errs = append(s.b.g.Errs, c.err)
	}
	return Grouped[K, V]{s: s, name: c.name, method: "GroupByKey", repartition: s.keyChanged}
}

// GroupBy groups the stream by a new key computed from each record. It
// always repartitions, through <app>-<name>-repartition (As(name), else the
// store's name). ks serializes the new key; nil uses the built-in serde of
// primitive key types.
func (s Stream[K, V]) GroupBy[K2 any](fn func(key K, value V) K2, ks serde.Serde[K2], opts ...Option) Grouped[K2, V] {
	c := resolve(opts)
	if c.err != nil {
		s.b.g.Errs = append(s.b.g.Errs, c.err)
	}
	var selOpts []Option
	if c.name != "" {
		selOpts = append(selOpts, As(c.name)) // Kafka Streams names the key selector after the grouping too
	}
	sel := s.SelectKey(fn, selOpts...).WithKeySerde(orDefault(ks))
	return Grouped[K2, V]{s: sel, name: c.name, method: "GroupBy", repartition: true}
}

// Count counts records per key. Records with a null key or value are
// dropped, as in Kafka Streams.
//
// Like every aggregation it takes table options: table.As names the store
// (and its changelog topic and, if the grouping did not name it, the
// repartition topic), stream.As the aggregation's processor.
func (g Grouped[K, V]) Count(opts ...table.Option) Table[K, int64] {
	return aggregate(g, "COUNT", func(K, V) int64 { return 1 }, func(_ K, _ V, n int64) int64 { return n + 1 }, func() int64 { return 0 }, serde.Int64(), opts)
}

// Reduce combines the values of each key: the first value is the initial
// aggregate, later values are folded in with fn(aggregate, value). If V
// has nil (a pointer, map, slice or interface), fn may return nil, a null
// aggregate, as in Kafka Streams: the key is deleted from the store (a
// tombstone in its changelog), the table forwards the deletion, and the
// key's next value starts a new aggregate.
func (g Grouped[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) Table[K, V] {
	return aggregate(g, "REDUCE", func(_ K, v V) V { return v }, func(_ K, v V, agg V) V { return fn(agg, v) }, nil, orDefault(g.s.vs), opts)
}

// Aggregate folds the values of each key into an aggregate of type A,
// starting from init(). as serializes the aggregate for the store and its
// changelog; nil uses the built-in serde of primitive types. An adder whose
// A has nil may return nil, a null aggregate: as in Kafka Streams, the key
// is deleted (a tombstone in the changelog, a deletion forwarded by the
// table), and the key's next record starts again from init().
func (g Grouped[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, as serde.Serde[A], opts ...table.Option) Table[K, A] {
	return aggregate(g, "AGGREGATE", func(k K, v V) A { return adder(k, v, init()) }, adder, init, orDefault(as), opts)
}

// WindowedBy groups the records further by time window.
func (g Grouped[K, V]) WindowedBy(w window.TimeWindows) TimeWindowedStream[K, V] {
	return TimeWindowedStream[K, V]{g: g, w: w}
}

// grouped returns the stream to aggregate, repartitioned if needed, and
// registers the repartition topic's name source.
func (g Grouped[K, V]) prepare(store *topology.Store, op string) Stream[K, V] {
	if !g.repartition {
		return g.s
	}
	it := &topology.InternalTopic{UserName: g.name, NameFrom: store, Naming: topology.Naming{Method: g.method,
		Hint: "pass stream.As(name) to " + g.method + ", or table.As(name) to " + aggMethod(op) + " (the store's name then names the topic)"}}
	return repartition(g.s, it, true, op)
}

// aggregate adds an aggregation of g; start (nil for Reduce) is the
// aggregate before a key's first record, forwarded as its old value.
func aggregate[K, V, A any](g Grouped[K, V], op string, initial func(K, V) A, add func(K, V, A) A, start func() A, as serde.Serde[A], opts []table.Option) Table[K, A] {
	m, mErr := table.ResolveVersioned(opts...)
	store := &topology.Store{UserName: m.Name, Op: "AGGREGATE", Naming: aggNaming(op), Spec: kvSpec(m)}
	in := g.prepare(store, op)
	ks := orDefault(in.ks)
	n := &topology.Node{Kind: topology.Processor, Op: "AGGREGATE", UserName: m.Operator}
	n.Check = func() error {
		var retErr error
		if m.Retention != 0 {
			retErr = errors.New("table.WithRetention applies to windowed aggregations only")
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", op+" stores keys; pass one to GroupBy or WithKeySerde")),
			need(as == nil, missingSerde[A]("aggregate", op+" stores the aggregate; pass a serde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.Aggregate[K, V, A]{Node: n.Name, Store: store.Name, KeySerde: ks, AggSerde: as, Initial: initial, Add: add, Start: start, Versioned: m.Versioned}, nil
	}
	in.b.g.AddNode(n, in.node)
	in.b.g.AddStore(store, n)
	link[K, V](in.node, n)
	return Table[K, A]{b: in.b, node: n, ks: ks, vs: as, store: store}.withAsOf()
}
