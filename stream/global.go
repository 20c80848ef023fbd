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

// GlobalTable is a table replicated in full on every instance (Kafka
// Streams' GlobalKTable): each instance reads all partitions of its topic
// into a local key-value store, which every task of the instance reads.
// Streams join it with Stream.JoinGlobalTable and LeftJoinGlobalTable,
// without repartitioning and without co-partitioning, choosing the
// table key per record.
//
// The runtime reads the topic to its end before any stream processing
// starts, then keeps the store up to date from a separate consumer; the
// topic is the store's changelog (there is no -changelog topic), so it
// should be compacted. A global table has no time semantics: a stream
// record is joined with the table as it has been read so far. The store is
// read-only to processors.
type GlobalTable[K, V any] struct {
	b     *Builder
	topic string
	ks    serde.Serde[K]
	vs    serde.Serde[V]
	store *topology.Store
}

// GlobalTable reads topic as a global table (Kafka Streams'
// StreamsBuilder#globalTable), materialized in a key-value store named
// with table.As (a generated, stable name otherwise) that can be
// queried like a table's store, e.g. with the test driver's
// KeyValueStore. A null value deletes its key; records with a null key
// are dropped; undecodable records go to the error policy.
// table.WithoutLogging changes nothing (the topic is the changelog);
// table.WithRetention is an error. stream.As(name) names the table's
// processor <name> and its source <name>-source. Nil serdes fall back to
// the built-in serde of primitive types.
func (b *Builder) GlobalTable[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V], opts ...table.Option) GlobalTable[K, V] {
	m, mErr := table.Resolve(opts...)
	ks, vs = orDefault(ks), orDefault(vs)
	srcName := ""
	if m.Operator != "" {
		srcName = m.Operator + "-source"
	}
	src := &topology.Node{Kind: topology.Source, Op: "SOURCE", UserName: srcName, Topics: []string{topic}, Global: true}
	src.Check = func() error {
		return errors.Join(topicErr(topic),
			need(ks == nil, missingSerde[K]("key", "pass one to Builder.GlobalTable")),
			need(vs == nil, missingSerde[V]("value", "pass one to Builder.GlobalTable")))
	}
	src.New = func(*engine.Task) (any, error) {
		return &ops.Source[K, V]{Node: src.Name, KeySerde: ks, ValueSerde: vs}, nil
	}
	store := &topology.Store{UserName: m.Name, Op: "GLOBALTABLE-SOURCE", Global: true, Naming: storeNaming("Builder.GlobalTable"),
		Spec: engine.StoreSpec{Kind: engine.KeyValueKind}}
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-SOURCE", UserName: m.Operator, Global: true}
	n.Check = func() error {
		return errors.Join(mErr, need(m.Retention != 0, errors.New("table.WithRetention applies to windowed stores only")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.GlobalMaterialize[K, V]{Node: n.Name, Store: store.Name, Topic: topic, KeySerde: ks, ValueSerde: vs}, nil
	}
	b.g.AddNode(src)
	b.g.AddNode(n, src)
	b.g.AddStore(store, n)
	link[K, V](src, n)
	return GlobalTable[K, V]{b: b, topic: topic, ks: ks, vs: vs, store: store}
}

// StoreName returns the name of the global table's store once the
// topology is built (Kafka Streams' queryableStoreName).
func (g GlobalTable[K, V]) StoreName() string {
	if g.store == nil {
		return ""
	}
	return g.store.Name
}

// JoinGlobalTable joins each record of s with the row of gt under the key
// keyMapper returns for it (Kafka Streams' KStream#join(GlobalKTable,
// KeyValueMapper, ValueJoiner)). Only records of s trigger the join; a
// table update only changes the row later records see. The result keeps
// the stream record's key (whatever keyMapper returned) and timestamp.
//
// Records with a null value are dropped, and so are records whose mapped
// key has no row or is nil (a nil pointer, slice, map or interface, or a
// key its serde turns into nil). A record with a null key is joined like
// any other: keyMapper gets the zero key.
//
// The stream is never repartitioned, even after a key change, and needs
// no co-partitioning with the table's topic: every instance has the whole
// table. As(name) names the join processor.
func (s Stream[K, V]) JoinGlobalTable[KT, VT, R any](gt GlobalTable[KT, VT], keyMapper func(key K, value V) KT, joiner func(value V, row VT) R, opts ...Option) Stream[K, R] {
	var j func(V, VT, bool) R
	if joiner != nil {
		j = func(v V, row VT, _ bool) R { return joiner(v, row) }
	}
	return streamGlobalJoin(s, gt, false, keyMapper, j, opts)
}

// LeftJoinGlobalTable is JoinGlobalTable that also emits the records whose
// mapped key has no row or is nil, with found false and row the zero
// value (Kafka Streams' leftJoin, with KIP-962's rule for a null mapped
// key). Records with a null value are still dropped.
func (s Stream[K, V]) LeftJoinGlobalTable[KT, VT, R any](gt GlobalTable[KT, VT], keyMapper func(key K, value V) KT, joiner func(value V, row VT, found bool) R, opts ...Option) Stream[K, R] {
	return streamGlobalJoin(s, gt, true, keyMapper, joiner, opts)
}

func streamGlobalJoin[K, V, KT, VT, R any](s Stream[K, V], gt GlobalTable[KT, VT], left bool, keyMapper func(K, V) KT, joiner func(V, VT, bool) R, opts []Option) Stream[K, R] {
	c := resolve(opts)
	method, op := "JoinGlobalTable", "JOIN"
	if left {
		method, op = "LeftJoinGlobalTable", "LEFTJOIN"
	}
	if gt.b != s.b {
		msg := method + ": the stream and the global table come from different builders"
		if gt.b == nil {
			msg = method + ": the global table was not created with Builder.GlobalTable"
		}
		s.b.g.Errs = append(s.b.g.Errs, errors.New(msg))
		return Stream[K, R]{b: s.b, node: s.node}
	}
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: c.name, GlobalStores: []*topology.Store{gt.store}}
	n.Check = func() error {
		return errors.Join(c.err,
			need(keyMapper == nil, errors.New(method+": nil key mapper")),
			need(joiner == nil, errors.New(method+": nil joiner")))
	}
	topic, store, ks, vs := gt.topic, gt.store, gt.ks, gt.vs
	n.New = func(*engine.Task) (any, error) {
		return &ops.StreamGlobalJoin[K, V, KT, VT, R]{Node: n.Name, Store: store.Name, Topic: topic, Mapper: keyMapper,
			KeySerde: ks, TableSerde: vs, Left: left, Joiner: joiner}, nil
	}
	s.b.g.AddNode(n, s.node)
	link[K, V](s.node, n)
	return Stream[K, R]{b: s.b, node: n, ks: s.ks, vs: defaultSerde[R](), keyChanged: s.keyChanged}
}
