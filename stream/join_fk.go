// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
)

// JoinForeignKey joins t with other on a foreign key: each row of t is
// joined with the row of other whose key foreignKey extracts from its
// value (Kafka Streams' KTable#join(KTable, Function, ValueJoiner), the
// foreign-key join of KIP-213). The result is a table with t's keys,
// holding joiner(v, otherV) for every row of t whose foreign key has a row
// in other, updated whenever either changes: an update of t's row yields at
// most one result, an update of other's row one result per row of t that
// refers to it.
//
// foreignKey returns false for a row without a foreign key (Kafka Streams'
// null): such a row joins nothing and is dropped (counted as null-key); a
// row that loses its foreign key deletes its result. Deleting a row of t,
// or of other, or changing a row's foreign key to one without a row in
// other, deletes the result row (a tombstone is forwarded, also where no
// result existed, as in Kafka Streams). A result carries the larger of the
// two rows' timestamps when t's row changed, other's row's timestamp when
// other's row changed.
//
// The two tables need not be co-partitioned: t's changes are sent, keyed by
// foreign key, through the subscription topic
// <app>-<name>-subscription-registration-topic to other's partitions,
// where the subscriptions are kept in the store <name>-subscription-store;
// the rows of other go back, keyed by t's key, through
// <app>-<name>-subscription-response-topic to the partition of t's row. A
// response made for a value of t's row that has changed since (an
// out-of-order response, after a quick change of foreign key) is
// recognized by the hash of the row's value and dropped (counted as
// stale-response). As(name) gives these names (and names the processors
// <name>-subscription-registration-processor, …, <name>-result); without
// it they are generated (KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-…-topic).
// Both tables are read from their stores (tables that are not materialized
// are materialized first, see JoinTable): the key serde of other
// serializes the foreign key, the value serde of t hashes t's values. A
// versioned table, and a Filter, MapValues or TransformValues of one that
// is not materialized, is read from its versioned store, its latest rows,
// as Table.Join reads it; its updates that are not their key's latest
// version (out of order) trigger nothing.
//
// The result keeps, in the store <name>-result-store (changelogged), the
// values each result row was joined from, to give downstream operators the
// previous result (as Kafka Streams' materialized result does); so the
// joiner should be a pure function. Materialize the result to query it.
//
// To take the foreign key from the row's key as well, use
// JoinForeignKeyWithKey.
func (t Table[K, V]) JoinForeignKey[KO, VO, VR any](other Table[KO, VO], foreignKey func(value V) (KO, bool), joiner func(v V, other VO) VR, opts ...Option) Table[K, VR] {
	return fkJoin(t, other, valueOnly[K](foreignKey), "JoinForeignKey", false, innerJoiner(joiner), opts)
}

// JoinForeignKeyWithKey is JoinForeignKey with a foreign-key extractor that
// gets the row's key too (Kafka Streams 4's KTable#join(KTable, BiFunction,
// ValueJoiner), KIP-1104), for foreign keys that are part of the key or
// depend on it:
//
//	// orders keyed "<customer>/<order>"
//	orders.JoinForeignKeyWithKey(customers, func(key string, o Order) (string, bool) {
//		customer, _, ok := strings.Cut(key, "/")
//		return customer, ok
//	}, joiner)
//
// Everything else, names included, is as for JoinForeignKey.
func (t Table[K, V]) JoinForeignKeyWithKey[KO, VO, VR any](other Table[KO, VO], foreignKey func(key K, value V) (KO, bool), joiner func(v V, other VO) VR, opts ...Option) Table[K, VR] {
	return fkJoin(t, other, foreignKey, "JoinForeignKeyWithKey", false, innerJoiner(joiner), opts)
}

// valueOnly adapts a value-only foreign-key extractor; nil stays nil (an
// error at Build).
func valueOnly[K, V, KO any](fk func(V) (KO, bool)) func(K, V) (KO, bool) {
	if fk == nil {
		return nil
	}
	return func(_ K, v V) (KO, bool) { return fk(v) }
}

// innerJoiner adapts an inner joiner to the left joiner fkJoin runs; nil
// stays nil (an error at Build).
func innerJoiner[V, VO, VR any](joiner func(V, VO) VR) func(V, VO, bool) VR {
	if joiner == nil {
		return nil
	}
	return func(v V, o VO, _ bool) VR { return joiner(v, o) }
}

// LeftJoinForeignKey is JoinForeignKey that keeps every row of t (Kafka
// Streams' KTable#leftJoin on a foreign key): a row whose foreign key has
// no row in other, or that has no foreign key, yields joiner(v, zero,
// false). Deleting a row of other updates its subscribers' results to
// joiner(v, zero, false); deleting a row of t deletes its result row.
func (t Table[K, V]) LeftJoinForeignKey[KO, VO, VR any](other Table[KO, VO], foreignKey func(value V) (KO, bool), joiner func(v V, other VO, found bool) VR, opts ...Option) Table[K, VR] {
	return fkJoin(t, other, valueOnly[K](foreignKey), "LeftJoinForeignKey", true, joiner, opts)
}

// LeftJoinForeignKeyWithKey is LeftJoinForeignKey with a foreign-key
// extractor that gets the row's key too (Kafka Streams 4's
// KTable#leftJoin(KTable, BiFunction, ValueJoiner), KIP-1104); see
// JoinForeignKeyWithKey.
func (t Table[K, V]) LeftJoinForeignKeyWithKey[KO, VO, VR any](other Table[KO, VO], foreignKey func(key K, value V) (KO, bool), joiner func(v V, other VO, found bool) VR, opts ...Option) Table[K, VR] {
	return fkJoin(t, other, foreignKey, "LeftJoinForeignKeyWithKey", true, joiner, opts)
}

func fkJoin[K, V, KO, VO, VR any](l Table[K, V], r Table[KO, VO], foreignKey func(K, V) (KO, bool), method string, left bool, joiner func(V, VO, bool) VR, opts []Option) Table[K, VR] {
	c := resolve(opts)
	if r.b != l.b {
		l.b.g.Errs = append(l.b.g.Errs, errors.New(method+": the tables come from different builders"))
		return Table[K, VR]{b: l.b, node: l.node}
	}
	named := func(suffix string) string {
		if c.name == "" {
			return ""
		}
		return c.name + suffix
	}
	naming := topology.Naming{Method: method, Hint: "pass stream.As(name) to " + method}
	// As Kafka Streams' doJoinOnForeignKey: both tables send old values,
	// and the left one is read through its value getter.
	l.b.enableSendingOldValues(r.node, true)
	l.b.enableSendingOldValues(l.node, true)
	l.b.materializeForGetter(l.node)
	lm, rm := l.joinable(method), r.joinable(method)
	pks, vs, fks, vos := lm.ks, lm.vs, rm.ks, rm.vs
	g := &l.b.g

	// Left side: subscriptions out.
	subTopic := &topology.InternalTopic{UserName: named("-subscription-registration"),
		Prefix: "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION", Suffix: "-topic", Naming: naming}
	// Kafka Streams' pseudo topics for the serdes of the subscription's
	// parts: <app>-<subscription topic>-pk, -fk and -vh.
	pseudo := func(t *engine.Task, suffix string) string { return subTopic.FullName(t.AppID()) + "-" + suffix }
	subSerde := func(t *engine.Task) ops.FKSubscriptionSerde[K] {
		return ops.FKSubscriptionSerde[K]{PK: pks, PKTopic: pseudo(t, "pk")}
	}
	send := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION", UserName: named("-subscription-registration-processor")}
	send.Check = func() error {
		var partsErr error
		if c.partitions != 0 {
			partsErr = errors.New("stream.Partitions does not apply to a foreign-key join: its internal topics are partitioned like the tables")
		}
		return errors.Join(c.err, partsErr,
			need(foreignKey == nil, errors.New(method+": nil foreign-key extractor")),
			need(joiner == nil, errors.New(method+": nil joiner")),
			need(pks == nil, missingSerde[K]("key", method+" writes the left table's keys to its internal topics")),
			need(vs == nil, missingSerde[V]("value", method+" hashes the left table's values; set one with Table.WithValueSerde")),
			need(fks == nil, missingSerde[KO]("foreign key", method+" writes foreign keys to its subscription topic; give the right table a key serde")),
			need(vos == nil, missingSerde[VO]("value", method+" writes the right table's values to its response topic; set one with Table.WithValueSerde")))
	}
	send.New = func(t *engine.Task) (any, error) {
		return &ops.FKSubscriptionSend[K, V, KO]{Node: send.Name, Left: left, ForeignKey: foreignKey,
			FKSerde: fks, FKTopic: pseudo(t, "fk"), ValueSerde: vs, HashTopic: pseudo(t, "vh")}, nil
	}
	g.AddNode(send, lm.node)
	link[K, engine.Change[V]](lm.node, send)

	subSink := &topology.Node{Kind: topology.Sink, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-SINK", Internal: subTopic,
		UserName: named("-subscription-registration-sink")}
	subSink.New = func(t *engine.Task) (any, error) {
		return &ops.Sink[KO, ops.FKSubscription[K]]{Node: subSink.Name, KeySerde: fks, ValueSerde: subSerde(t),
			TopicOf: func(t *engine.Task) string { return subTopic.FullName(t.AppID()) }}, nil
	}
	g.AddNode(subSink, send)
	g.AddTopic(subTopic, subSink)
	link[KO, ops.FKSubscription[K]](send, subSink)

	// Right side: subscriptions in, kept in the subscription store and
	// answered; right rows answer their subscribers.
	subSource := &topology.Node{Kind: topology.Source, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-SOURCE", Internal: subTopic,
		LogicalParent: subSink, UserName: named("-subscription-registration-source")}
	subSource.New = func(t *engine.Task) (any, error) {
		return &ops.Source[KO, ops.FKSubscription[K]]{Node: subSource.Name, KeySerde: fks, ValueSerde: subSerde(t)}, nil
	}
	g.AddNode(subSource)

	subStore := &topology.Store{UserName: named("-subscription-store"), Op: "FK-JOIN-SUBSCRIPTION",
		Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: true}, Naming: naming}
	receive := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-RECEIVE", UserName: named("-subscription-receive")}
	receive.New = func(t *engine.Task) (any, error) {
		return &ops.FKSubscriptionReceive[KO, K]{Node: receive.Name, Store: subStore.Name, FKSerde: fks, FKTopic: pseudo(t, "fk"),
			Subscription: subSerde(t)}, nil
	}
	g.AddNode(receive, subSource)
	g.AddStore(subStore, receive)
	link[KO, ops.FKSubscription[K]](subSource, receive)

	subJoin := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-JOIN-FOREIGN", UserName: named("-subscription-join-foreign")}
	subJoin.New = func(*engine.Task) (any, error) {
		return &ops.FKSubscriptionJoin[KO, K, VO]{Node: subJoin.Name, Store: rm.readStore().Name, Rows: rm.latest(subJoin),
			KeySerde: fks, ValueSerde: vos}, nil
	}
	g.AddNode(subJoin, receive)
	subJoin.Stores = append(subJoin.Stores, rm.readStore())
	link[ops.FKCombinedKey[KO, K], ops.FKSubscription[K]](receive, subJoin)

	foreignJoin := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-FOREIGN-JOIN-SUBSCRIPTION", UserName: named("-foreign-join-subscription")}
	foreignJoin.New = func(t *engine.Task) (any, error) {
		return &ops.FKForeignJoin[KO, K, VO]{Node: foreignJoin.Name, Store: subStore.Name, FKSerde: fks, FKTopic: pseudo(t, "fk"),
			Subscription: subSerde(t)}, nil
	}
	g.AddNode(foreignJoin, rm.node)
	foreignJoin.Stores = append(foreignJoin.Stores, subStore)
	link[KO, engine.Change[VO]](rm.node, foreignJoin)

	respTopic := &topology.InternalTopic{UserName: named("-subscription-response"),
		Prefix: "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE", Suffix: "-topic", Naming: naming}
	respSerde := ops.FKResponseSerde[VO]{Value: vos}
	respSink := &topology.Node{Kind: topology.Sink, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-SINK", Internal: respTopic,
		UserName: named("-subscription-response-sink")}
	respSink.New = func(*engine.Task) (any, error) {
		return &ops.Sink[K, ops.FKResponse[VO]]{Node: respSink.Name, KeySerde: pks, ValueSerde: respSerde,
			TopicOf:     func(t *engine.Task) string { return respTopic.FullName(t.AppID()) },
			Partitioner: func(_ K, v ops.FKResponse[VO], _ int32) int32 { return v.Partition }}, nil
	}
	g.AddNode(respSink, subJoin, foreignJoin)
	g.AddTopic(respTopic, respSink)
	link[K, ops.FKResponse[VO]](subJoin, respSink)
	link[K, ops.FKResponse[VO]](foreignJoin, respSink)

	// Left side again: responses in, resolved against the left rows.
	respSource := &topology.Node{Kind: topology.Source, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-SOURCE", Internal: respTopic,
		LogicalParent: respSink, UserName: named("-subscription-response-source")}
	respSource.New = func(*engine.Task) (any, error) {
		return &ops.Source[K, ops.FKResponse[VO]]{Node: respSource.Name, KeySerde: pks, ValueSerde: respSerde}, nil
	}
	g.AddNode(respSource)

	resultStore := &topology.Store{UserName: named("-result-store"), Op: "FK-JOIN-OUTPUT",
		Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: true}, Naming: naming}
	resolver := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER",
		UserName: named("-subscription-response-resolver")}
	resolver.New = func(t *engine.Task) (any, error) {
		return &ops.FKResponseJoin[K, V, VO, VR]{Node: resolver.Name, Left: left, LeftStore: lm.readStore().Name, LeftRows: lm.latest(resolver), KeySerde: pks,
			ValueSerde: vs, HashTopic: pseudo(t, "vh"), Foreign: vos, ResultStore: resultStore.Name, Joiner: joiner}, nil
	}
	g.AddNode(resolver, respSource)
	resolver.Stores = append(resolver.Stores, lm.readStore())
	g.AddStore(resultStore, resolver)
	link[K, ops.FKResponse[VO]](respSource, resolver)

	result := &topology.Node{Kind: topology.Processor, Op: "KTABLE-FK-JOIN-OUTPUT", UserName: named("-result")}
	result.New = func(*engine.Task) (any, error) { return &ops.Pass[K, engine.Change[VR]]{}, nil }
	g.AddNode(result, resolver)
	link[K, engine.Change[VR]](resolver, result)
	// Kafka Streams' result is a source table, not materialized without
	// Materialized.as (which Eddy's foreign-key joins do not take).
	l.b.registerTable(result, tkSource, false)
	return Table[K, VR]{b: l.b, node: result, ks: pks, vs: defaultSerde[VR]()}
}
