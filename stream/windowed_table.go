// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// WindowedTable is the result of a windowed aggregation: a table whose keys
// are window.Windowed[K] (Kafka Streams' KTable<Windowed<K>, V>).
//
// It is a type of its own, rather than Table[window.Windowed[K], V],
// because Go forbids generic types whose methods lead to ever-deeper
// instantiations (a Table of windowed keys could be windowed again).
type WindowedTable[K, V any] struct {
	b     *Builder
	node  *topology.Node
	ks    serde.Serde[window.Windowed[K]]
	vs    serde.Serde[V]
	store *topology.Store
}

// StoreName returns the name of the table's window store once the topology
// is built, or "" if the table is not materialized.
func (t WindowedTable[K, V]) StoreName() string {
	if t.store == nil {
		return ""
	}
	return t.store.Name
}

// ToStream turns the table's changes into a stream of windowed records.
func (t WindowedTable[K, V]) ToStream(opts ...Option) WindowedKeyStream[K, V] {
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-TOSTREAM", opts, func(*topology.Node) any {
		return &ops.ToStream[window.Windowed[K], V]{}
	})
	return WindowedKeyStream[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// Filter keeps rows matching pred; other rows are forwarded as deletions.
// A change neither of whose rows matches is dropped, as in Kafka Streams
// (an aggregation sends old values).
func (t WindowedTable[K, V]) Filter(pred func(key window.Windowed[K], value V) bool, opts ...Option) WindowedTable[K, V] {
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-FILTER", opts, func(*topology.Node) any {
		// An aggregation always sends old values (Kafka Streams), so a
		// change neither of whose rows passes is dropped.
		return &ops.TableFilter[window.Windowed[K], V]{Keep: pred, DropUnchanged: true}
	})
	return WindowedTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// MapValues maps each row's value.
func (t WindowedTable[K, V]) MapValues[V2 any](fn func(value V) V2, opts ...Option) WindowedTable[K, V2] {
	f := func(_ window.Windowed[K], v V) V2 { return fn(v) }
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-MAPVALUES", opts, func(*topology.Node) any {
		return &ops.TableMapValues[window.Windowed[K], V, V2]{Fn: f}
	})
	return WindowedTable[K, V2]{b: t.b, node: n, ks: t.ks, vs: orDefault(carry[V, V2](t.vs))}
}

// WindowedKeyStream is a stream of records keyed by window.Windowed[K], as
// produced by WindowedTable.ToStream. Map leads back to an ordinary Stream.
type WindowedKeyStream[K, V any] struct {
	b    *Builder
	node *topology.Node
	ks   serde.Serde[window.Windowed[K]]
	vs   serde.Serde[V]
}

// Filter keeps records for which pred returns true.
func (s WindowedKeyStream[K, V]) Filter(pred func(key window.Windowed[K], value V) bool, opts ...Option) WindowedKeyStream[K, V] {
	n := addNode[window.Windowed[K], V](s.b, s.node, "FILTER", opts, func(*topology.Node) any { return &ops.Filter[window.Windowed[K], V]{Keep: pred} })
	return WindowedKeyStream[K, V]{b: s.b, node: n, ks: s.ks, vs: s.vs}
}

// Peek calls fn for each record and passes it on unchanged.
func (s WindowedKeyStream[K, V]) Peek(fn func(key window.Windowed[K], value V), opts ...Option) WindowedKeyStream[K, V] {
	n := addNode[window.Windowed[K], V](s.b, s.node, "PEEK", opts, func(*topology.Node) any { return &ops.Peek[window.Windowed[K], V]{Fn: fn} })
	return WindowedKeyStream[K, V]{b: s.b, node: n, ks: s.ks, vs: s.vs}
}

// Foreach calls fn for each record; it ends the stream.
func (s WindowedKeyStream[K, V]) Foreach(fn func(key window.Windowed[K], value V), opts ...Option) {
	addNode[window.Windowed[K], V](s.b, s.node, "FOREACH", opts, func(*topology.Node) any { return &ops.Peek[window.Windowed[K], V]{Fn: fn} })
}

// MapValues replaces the value, keeping the windowed key.
func (s WindowedKeyStream[K, V]) MapValues[V2 any](fn func(value V) V2, opts ...Option) WindowedKeyStream[K, V2] {
	f := func(_ window.Windowed[K], v V) V2 { return fn(v) }
	n := addNode[window.Windowed[K], V](s.b, s.node, "MAPVALUES", opts, func(*topology.Node) any { return &ops.MapValues[window.Windowed[K], V, V2]{Fn: f} })
	return WindowedKeyStream[K, V2]{b: s.b, node: n, ks: s.ks, vs: orDefault(carry[V, V2](s.vs))}
}

// Map replaces key and value, giving an ordinary stream (marked for
// repartitioning).
func (s WindowedKeyStream[K, V]) Map[K2, V2 any](fn func(key window.Windowed[K], value V) (K2, V2), opts ...Option) Stream[K2, V2] {
	n := addNode[window.Windowed[K], V](s.b, s.node, "MAP", opts, func(*topology.Node) any { return &ops.Map[window.Windowed[K], V, K2, V2]{Fn: fn} })
	return Stream[K2, V2]{b: s.b, node: n, ks: defaultSerde[K2](), vs: orDefault(carry[V, V2](s.vs)), keyChanged: true}
}

// To writes the stream to topic. A nil key serde uses the table's
// time-windowed serde (key bytes ‖ 8-byte window start, as Kafka Streams'
// TimeWindowedSerializer); records are partitioned by the base key.
func (s WindowedKeyStream[K, V]) To(topic string, ks serde.Serde[window.Windowed[K]], vs serde.Serde[V], opts ...Option) {
	if ks == nil {
		ks = s.ks
	}
	if vs == nil {
		vs = orDefault(s.vs)
	}
	addSink(s.b, s.node, topic, nil, ks, vs, opts)
}
