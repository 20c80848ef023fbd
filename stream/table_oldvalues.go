// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import "github.com/eddy-streams/eddy/internal/topology"

// Old values of table changes, as Kafka Streams 4.4 decides to send them.
//
// Every table operator in Kafka Streams has a sendOldValues flag, false at
// first. KTableImpl.enableSendingOldValues(force) sets it:
//
//   - on a source table (Builder.Table, ToTable; KTableSource) it succeeds
//     when the table is materialized — given a store name (table.As,
//     table.Versioned), or made so by a join reading it through its value
//     getter — or when force is true, which materializes it;
//   - on an aggregation it always succeeds;
//   - on a Filter, MapValues or TransformValues it succeeds at once if the
//     operator is materialized (it then reads old values from its own
//     store), else if the request succeeds on its parent;
//   - on a table–table join result it forces the request on both joined
//     tables and succeeds; on a suppression it asks the parent.
//
// The requests: Filter's constructor asks its parent without force (so
// that, if the parent is materialized, the filter can drop updates it has
// nothing to say about), and GroupBy, LeftJoin (its left table), OuterJoin
// (both), the foreign-key joins (both tables) and SuppressUntilTimeLimit
// ask with force. An inner Join, JoinTable and ToStream ask nothing.
//
// A Filter whose flag is set drops a change when neither its new nor its
// old row passes (KTableFilter: "unnecessary to forward"), unless its
// parent is versioned (versioned semantics, which never drop): a versioned
// store, or a Filter, MapValues or TransformValues of a versioned table
// that is not materialized in a key-value store. Filter records its
// parent's answer when it is created, so construction order matters: a
// Filter created before a join materialized its source table forwards such
// changes (as deletions), one created after drops them. Later requests set
// the flags of the operators they pass; as Kafka Streams' processors read
// the flags when they run, so Eddy's read them when the topology is
// instantiated, and a request also changes what the children created
// before it see. A Filter of a windowed or session table (always an
// aggregation's) always drops.
//
// A materialized Filter (Materialize, key-value or versioned) decides on
// its store: with its flag set (or its Materialize node's, set by a
// request through it), a change without a new row is dropped — not
// written, not forwarded — when its store has no row for the key; and a
// materialized Filter, MapValues or TransformValues that sends old values
// forwards as old value its store's row. Eddy's Filter node then leaves
// the decision to its Materialize node, also for other children of the
// Filter node (a topology Kafka Streams cannot express).
//
// Eddy keeps every source table in a store, so Eddy's tables send old
// values where Kafka Streams' do not; the flags below only decide what is
// observable: which changes a Filter drops, whether an unmaterialized
// TransformValues calls its transformer a second time for the old value,
// and whether a materialized Filter, MapValues or TransformValues reads
// its old values from its store.

// tableKind is the Kafka Streams operator a table node stands for.
type tableKind int

const (
	// tkAggregate: an aggregation (always materialized). Unregistered
	// table nodes count as one.
	tkAggregate tableKind = iota
	// tkSource: Builder.Table, ToTable or a foreign-key join's result
	// (KTableSource).
	tkSource
	// tkFilter, tkMapValues, tkTransformValues: the operators of those
	// names, materialized if they have a store of their own (a
	// TransformValues with table.As) or an explicit Materialize child.
	tkFilter
	tkMapValues
	tkTransformValues
	// tkMaterialize: Table.Materialize's node, the store of its parent
	// operator (Kafka Streams' Materialized.as on it).
	tkMaterialize
	// tkStoreView: the store a join keeps a table in to read it; Kafka
	// Streams reads the table through value getters instead, so the node
	// passes requests on.
	tkStoreView
	// tkMerge: a table–table join's result.
	tkMerge
	// tkSuppress: a suppression.
	tkSuppress
)

// tableState is one table node's part in the sending of old values.
type tableState struct {
	kind tableKind
	// parents are the tables the node reads: one, or a join's two.
	parents []*topology.Node
	// materialized: a source given a store name or read by a join, or a
	// Filter, MapValues or TransformValues with a store of its own.
	materialized bool
	// sendOld is Kafka Streams' sendOldValues flag.
	sendOld bool
}

// registerTable records how table node n takes part in sending old values.
func (b *Builder) registerTable(n *topology.Node, kind tableKind, materialized bool, parents ...*topology.Node) *tableState {
	if b.tables == nil {
		b.tables = map[*topology.Node]*tableState{}
	}
	st := &tableState{kind: kind, parents: parents, materialized: materialized}
	b.tables[n] = st
	return st
}

// tableStateOf returns n's state, nil for an unregistered node (an
// aggregation).
func (b *Builder) tableStateOf(n *topology.Node) *tableState { return b.tables[n] }

// enableSendingOldValues is Kafka Streams' KTableImpl.enableSendingOldValues
// on table node n: it reports whether n now sends old values, force
// materializing source tables as needed.
func (b *Builder) enableSendingOldValues(n *topology.Node, force bool) bool {
	st := b.tables[n]
	if st == nil {
		return true // an aggregation
	}
	if st.sendOld {
		return true
	}
	switch st.kind {
	case tkSource:
		if !force && !st.materialized {
			return false
		}
		st.materialized = true
	case tkFilter, tkMapValues, tkTransformValues:
		if !st.materialized && !b.enableSendingOldValues(st.parents[0], force) {
			return false
		}
	case tkMaterialize:
		if p := b.tables[st.parents[0]]; p != nil && p.kind != tkFilter && p.kind != tkMapValues && p.kind != tkTransformValues {
			// Materialize on a join result, a suppression, …: the
			// operator's own rule (a join's merger forces its tables).
			if !b.enableSendingOldValues(st.parents[0], force) {
				return false
			}
		}
	case tkStoreView, tkSuppress:
		if !b.enableSendingOldValues(st.parents[0], force) {
			return false
		}
	case tkMerge:
		for _, p := range st.parents {
			b.enableSendingOldValues(p, true)
		}
	}
	st.sendOld = true
	return true
}

// materializeForGetter is what Kafka Streams' valueGetterSupplier does to
// the table of node n that a join reads: an unmaterialized Filter,
// MapValues or TransformValues reads its parent's getter, and a source
// table read that way becomes materialized.
func (b *Builder) materializeForGetter(n *topology.Node) {
	for {
		st := b.tables[n]
		if st == nil {
			return
		}
		switch st.kind {
		case tkSource:
			st.materialized = true
			return
		case tkFilter, tkMapValues, tkTransformValues:
			if st.materialized {
				return
			}
		case tkStoreView:
		default:
			return
		}
		n = st.parents[0]
	}
}

// sendsOldValues reports whether table node n has its flag set (at Build,
// after every request); an aggregation always does.
func (b *Builder) sendsOldValues(n *topology.Node) bool {
	st := b.tables[n]
	return st == nil || st.sendOld
}

// explicitMaterialize reports whether n has a Materialize child.
func (b *Builder) explicitMaterialize(n *topology.Node) bool {
	for _, ch := range n.Children {
		if st := b.tables[ch]; st != nil && st.kind == tkMaterialize {
			return true
		}
	}
	return false
}

// filterDrops reports whether the Filter of node n drops the changes
// neither of whose rows passes: its flag is set, it is not materialized
// (its Materialize node then decides on its store) and its parent is not
// versioned (versioned semantics).
func (b *Builder) filterDrops(n *topology.Node) bool {
	return b.sendsOldValues(n) && !b.explicitMaterialize(n) && !versionedUpstream(n.Parents[0])
}

// materializedOld reports, for the Materialize node n, whether it forwards
// its store's row as the old value (its parent is a Filter, MapValues or
// TransformValues whose flag, or its own, is set), and whether it drops a
// change without a new row when its store has none (a Filter of a table
// that is not versioned).
func (b *Builder) materializedOld(n *topology.Node) (storeOld, dropEmpty bool) {
	parent := n.Parents[0]
	p := b.tables[parent]
	if p == nil || (p.kind != tkFilter && p.kind != tkMapValues && p.kind != tkTransformValues) {
		return false, false
	}
	storeOld = b.sendsOldValues(n) || p.sendOld
	return storeOld, storeOld && p.kind == tkFilter && !versionedUpstream(parent.Parents[0])
}

// registerMaterialize records the Materialize node n of table node parent:
// a Filter, MapValues or TransformValues parent becomes a materialized one,
// and so does a foreign-key join's result (Kafka Streams' join with
// Materialized.as names its result's source table).
func (b *Builder) registerMaterialize(n, parent *topology.Node) {
	b.registerTable(n, tkMaterialize, true, parent)
	if p := b.tables[parent]; p != nil && p.kind != tkMerge && p.kind != tkSuppress && p.kind != tkStoreView && p.kind != tkMaterialize {
		p.materialized = true
	}
}
