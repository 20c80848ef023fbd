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
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/table"
)

// toVersionedTable is toTable for table.Versioned: the table is kept in a
// versioned store; updates that do not become their key's latest version
// are forwarded marked as such (engine.Change.NotLatest), so that only
// ToStream and value mappings pass them on.
func (s Stream[K, V]) toVersionedTable(op, method string, m table.Materialized, mErr error) Table[K, V] {
	store := &topology.Store{UserName: m.Name, Op: op, Naming: storeNaming(method),
		Spec: engine.StoreSpec{Kind: engine.VersionedKind, Logged: m.Logging,
			Versioned: state.VersionedOptions{HistoryRetention: m.HistoryRetention.Milliseconds()}}}
	ks, vs := orDefault(s.ks), orDefault(s.vs)
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: m.Operator}
	n.Check = func() error {
		var retErr error
		if m.Retention != 0 {
			retErr = errors.New("table.WithRetention applies to windowed stores only; a versioned table's history retention is given to table.Versioned")
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", "the table's store needs one; set it with WithKeySerde")),
			need(vs == nil, missingSerde[V]("value", "the table's store needs one; set it with WithValueSerde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.VersionedMaterialize[K, V]{Node: n.Name, Store: store.Name, KeySerde: ks, ValueSerde: vs}, nil
	}
	s.b.g.AddNode(n, s.node)
	s.b.g.AddStore(store, n)
	link[K, V](s.node, n)
	s.b.registerTable(n, tkSource, true) // a versioned store has a name in Kafka Streams
	return Table[K, V]{b: s.b, node: n, ks: ks, vs: vs, store: store, asOf: storeAsOf(store, ks, vs)}
}

// materializeVersioned is Materialize with table.Versioned: a
// KTABLE-MATERIALIZE node keeping t in a new versioned store.
func (t Table[K, V]) materializeVersioned(m table.Materialized, optErr error) Table[K, V] {
	ks, vs := orDefault(t.ks), orDefault(t.vs)
	store := &topology.Store{UserName: m.Name, Op: "MATERIALIZE", Naming: storeNaming("Materialize"),
		Spec: engine.StoreSpec{Kind: engine.VersionedKind, Logged: m.Logging,
			Versioned: state.VersionedOptions{HistoryRetention: m.HistoryRetention.Milliseconds()}}}
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-MATERIALIZE", UserName: m.Operator}
	n.Check = func() error {
		return errors.Join(optErr,
			need(ks == nil, missingSerde[K]("key", "Materialize keeps this table in a versioned store")),
			need(vs == nil, missingSerde[V]("value", "Materialize keeps this table in a versioned store; set one with Table.WithValueSerde")))
	}
	// Kafka Streams' materialized filter and mapValues (and transformValues)
	// forward the store's latest row as the old value when they send old
	// values; a join's merger the incoming one. A filter of a table that
	// is not versioned drops a change whose new and old rows are both
	// absent (KTableFilter without versioned semantics); see
	// table_oldvalues.go.
	b := t.b
	n.New = func(*engine.Task) (any, error) {
		old, dropEmpty := b.materializedOld(n)
		return &ops.VersionedTableMaterialize[K, V]{Node: n.Name, Store: store.Name, KeySerde: ks, ValueSerde: vs,
			StoreOld: old, DropEmpty: dropEmpty}, nil
	}
	t.b.g.AddNode(n, t.node)
	t.b.g.AddStore(store, n)
	link[K, engine.Change[V]](t.node, n)
	b.registerMaterialize(n, t.node)
	return Table[K, V]{b: t.b, node: n, ks: ks, vs: vs, store: store, asOf: storeAsOf(store, ks, vs)}
}

// kvSpec is the spec of the key-value store of an aggregation materialized
// with m: a versioned store with table.Versioned (Kafka Streams accepts
// one for aggregate, reduce and count), else a key-value store.
func kvSpec(m table.Materialized) engine.StoreSpec {
	if m.Versioned {
		return engine.StoreSpec{Kind: engine.VersionedKind, Logged: m.Logging,
			Versioned: state.VersionedOptions{HistoryRetention: m.HistoryRetention.Milliseconds()}}
	}
	return engine.StoreSpec{Kind: engine.KeyValueKind, Logged: m.Logging, Cached: m.Caching}
}

// withAsOf returns t with its as-of view if its store is versioned.
func (t Table[K, V]) withAsOf() Table[K, V] {
	if t.versioned() {
		t.asOf = storeAsOf(t.store, t.ks, t.vs)
	}
	return t
}

// versioned reports whether the table is kept in a versioned store.
func (t Table[K, V]) versioned() bool {
	return t.store != nil && t.store.Spec.Kind == engine.VersionedKind
}

// versionedUpstream reports whether the table whose changes node forwards
// is versioned: node keeps a versioned store, or is a filter or value
// mapping (not materialized in a key-value store) of such a table, which
// inherits its versioned semantics (as in Kafka Streams, where suppress is
// rejected on them too), or a cogroup's merge of aggregations into a
// versioned store.
func versionedUpstream(node *topology.Node) bool {
	for node != nil {
		for _, s := range node.Stores {
			if s.Spec.Kind == engine.VersionedKind {
				return true
			}
		}
		switch {
		case node.Op == "KTABLE-TRANSFORMVALUES" && ownsStore(node):
			// Materialized in a key-value store: not versioned, as Kafka
			// Streams marks a materialized operator's output versioned
			// only if its store is.
			return false
		case node.Op == "COGROUPKSTREAM-MERGE" && len(node.Parents) > 0:
			node = node.Parents[0] // the aggregations share one store
		case len(node.Parents) != 1:
			return false
		case node.Op == "KTABLE-FILTER", node.Op == "KTABLE-MAPVALUES", node.Op == "KTABLE-TRANSFORMVALUES":
			node = node.Parents[0]
		default:
			return false
		}
	}
	return false
}

// ownsStore reports whether node created one of its stores.
func ownsStore(node *topology.Node) bool {
	for _, s := range node.Stores {
		if s.Owner == node {
			return true
		}
	}
	return false
}

// asOfView is how a stream–table join reads a versioned table, or a
// Filter, MapValues or TransformValues of one that is not materialized,
// as of a time (Kafka Streams' value getter with get(key,
// asOfTimestamp)): store is the versioned store the rows come from, open
// the lookup a join processor (named node) opens in its task, with what
// closes it.
type asOfView[K, V any] struct {
	store *topology.Store
	open  func(t *engine.Task, node string) (ops.AsOf[K, V], func() error, error)
}

// noClose closes a lookup that holds nothing.
func noClose() error { return nil }

// storeAsOf is the view of a table kept in the versioned store.
func storeAsOf[K, V any](store *topology.Store, ks serde.Serde[K], vs serde.Serde[V]) *asOfView[K, V] {
	return &asOfView[K, V]{store: store, open: func(t *engine.Task, node string) (ops.AsOf[K, V], func() error, error) {
		get, err := ops.OpenVersionedAsOf(t, node, store.Name, ks, vs)
		return get, noClose, err
	}}
}

// derivedAsOf is the view of a table derived from t's rows by wrap, if t
// has a view.
func derivedAsOf[K, V, V2 any](t Table[K, V], wrap func(tk *engine.Task, node string, get ops.AsOf[K, V]) (ops.AsOf[K, V2], func() error, error)) *asOfView[K, V2] {
	if t.asOf == nil {
		return nil
	}
	parent := t.asOf
	return &asOfView[K, V2]{store: parent.store, open: func(tk *engine.Task, node string) (ops.AsOf[K, V2], func() error, error) {
		get, closeParent, err := parent.open(tk, node)
		if err != nil {
			return nil, nil, err
		}
		out, closeOwn, err := wrap(tk, node, get)
		if err != nil {
			return nil, nil, errors.Join(err, closeParent())
		}
		// As Kafka Streams' getters: the parent's lookup closes first.
		return out, func() error { return errors.Join(closeParent(), closeOwn()) }, nil
	}}
}

// filterAsOf is the view of t.Filter(keep), if t has one.
func filterAsOf[K, V any](t Table[K, V], keep func(K, V) bool) *asOfView[K, V] {
	return derivedAsOf(t, func(_ *engine.Task, _ string, get ops.AsOf[K, V]) (ops.AsOf[K, V], func() error, error) {
		return ops.FilterAsOf(get, keep), noClose, nil
	})
}

// mapValuesAsOf is filterAsOf for t.MapValues(fn).
func mapValuesAsOf[K, V, V2 any](t Table[K, V], fn func(K, V) V2) *asOfView[K, V2] {
	return derivedAsOf(t, func(_ *engine.Task, _ string, get ops.AsOf[K, V]) (ops.AsOf[K, V2], func() error, error) {
		return ops.MapValuesAsOf(get, fn), noClose, nil
	})
}

// transformValuesAsOf is filterAsOf for an unmaterialized
// t.TransformValues(supplier): each lookup opened calls supplier for a
// transformer instance of its own (fresh checks that it is new), as Kafka
// Streams' KTableTransformValuesGetter does.
func transformValuesAsOf[K, V, V2 any](t Table[K, V], supplier func() processor.ValueTransformer[K, V, V2], fresh func(any) error) *asOfView[K, V2] {
	return derivedAsOf(t, func(tk *engine.Task, node string, get ops.AsOf[K, V]) (ops.AsOf[K, V2], func() error, error) {
		tr := supplier()
		if tr == nil {
			return nil, nil, errors.New("transformer supplier returned nil")
		}
		if err := fresh(tr); err != nil {
			return nil, nil, err
		}
		return ops.TransformValuesAsOf(tk, node, get, tr)
	})
}
