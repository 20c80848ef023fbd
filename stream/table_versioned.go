// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
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
	return Table[K, V]{b: s.b, node: n, ks: ks, vs: vs, store: store}
}

// versioned reports whether the table is kept in a versioned store.
func (t Table[K, V]) versioned() bool {
	return t.store != nil && t.store.Spec.Kind == engine.VersionedKind
}

// versionedUpstream reports whether the table whose changes node forwards
// is versioned: node keeps a versioned store, or is a filter or value
// mapping of such a table, which inherits its versioned semantics (as in
// Kafka Streams, where suppress is rejected on them too).
func versionedUpstream(node *topology.Node) bool {
	for node != nil {
		for _, s := range node.Stores {
			if s.Spec.Kind == engine.VersionedKind {
				return true
			}
		}
		switch {
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
