// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package stream is Eddy's typed DSL: a Builder creates streams and tables
// from topics, and the handles chain Kafka Streams' operators — Filter, Map,
// FlatMapValues, GroupBy, Count, WindowedBy, ToStream, To — with the key and
// value types checked by the compiler from end to end.
//
//	b := stream.NewBuilder()
//	b.Stream("text-lines", serde.String(), serde.String()).
//		FlatMapValues(func(line string) []string { return strings.Fields(strings.ToLower(line)) }).
//		GroupBy(func(_, word string) string { return word }, serde.String()).
//		Count(table.As("word-counts")).
//		ToStream().
//		To("word-counts-output", serde.String(), serde.Int64())
//	topo, err := b.Build()
//
// Build validates the whole topology and reports every user mistake (missing
// serdes, duplicate names, invalid windows) as an error naming the operator.
// Operators that change the key mark the stream; a later grouping inserts a
// repartition topic <app>-<name>-repartition, as in Kafka Streams.
//
// # Names
//
// As names operators and table.As names stores (see As for the resources an
// operator's name also names). Unnamed processors, stores and topics get
// generated names that stay stable when unrelated operators are added;
// RequireExplicitNames makes Build insist on names for every store,
// changelog and repartition topic.
//
// # Null keys and values
//
// A Kafka record's key or value may be null: nil bytes, a tombstone for a
// table. The typed API represents null by nil where the type has nil:
//
//   - For a key or value type with nil — a pointer, map, slice or interface
//     type — null is nil. A null value reaches user functions as nil, and
//     a nil that a function returns (Map, MapValues, a joiner, a table's
//     MapValues, …) is a null: a sink writes nil bytes, stream joins and
//     aggregations drop the record (counted as null-value; time- and
//     session-windowed aggregations, as in Kafka Streams, drop only null
//     keys), a table deletes the key, a table's MapValues or join deletes
//     the row. A
//     serde that decodes bytes to nil (JSON null into a pointer) gives a
//     null too. So with V = *T, Filter tells a tombstone (nil) from an
//     empty value (a pointer to the zero T), as Kafka Streams' predicate
//     tells null from "". Functions over such types must expect nil where
//     Kafka Streams passes null (Filter, Map, MapValues, Peek, …); []byte
//     keeps nil (null) apart from an empty slice.
//   - A type without nil (string, numbers, structs) cannot represent null:
//     a null value reaches user functions as the zero value, just like an
//     empty one. The record stays null while it passes unchanged (Filter,
//     Peek, Merge, Split, Repartition, ToTable, To), so a tombstone is
//     still written as a tombstone, but a value a function computes from
//     it is never null. Use a pointer type where null matters.
//   - Joiners get no null in place of a record: where a partner may be
//     absent (LeftJoin, OuterJoin, LeftJoinTable, …) they get a flag
//     telling whether it was found, and the zero value if not, where Kafka
//     Streams' ValueJoiner gets null; a partner with an empty value is
//     found. Stream records with a null value never join (Kafka Streams
//     drops them). Table rows are never null: a
//     deleted row is a change without a new value, which ToStream turns
//     into a null-value record.
//
// To produce a tombstone, return nil from a function whose result type has
// nil (MapValues to *T, say) or forward a processor.Record with ValueNull
// set; the test driver pipes one with topologytest's PipeTombstone and
// reports one with Record.ValueNull.
package stream

import (
	"github.com/eddy-streams/eddy/internal/topology"
)

// Builder collects the operators of one topology.
type Builder struct {
	g     topology.Graph
	built bool
	// tables is how each table node takes part in sending old values
	// (see table_oldvalues.go).
	tables map[*topology.Node]*tableState
}

// NewBuilder returns an empty builder.
func NewBuilder(opts ...BuilderOption) *Builder {
	b := &Builder{}
	for _, o := range opts {
		o(b)
	}
	return b
}

// BuilderOption configures a Builder.
type BuilderOption func(*Builder)

// RequireExplicitNames makes Build fail for every state store (and so
// changelog topic) and repartition topic that the topology does not name
// (Kafka Streams' ensure.explicit.internal.resource.naming). Generated
// names follow the topology's shape, so changing an unrelated part of it
// can rename a store — whose new changelog starts empty — or a repartition
// topic; with this option such names cannot reach production. Each error
// names the operator (its method and processor), the resource's generated
// name and what to pass: table.As to the operator that creates a table
// (aggregations, Builder.Table, ToTable, Materialize — also the tables a
// join would materialize itself), stream.As to a grouping, Repartition, a
// join or a suppression. Processor names are not required. Default: off.
func RequireExplicitNames() BuilderOption { return func(b *Builder) { b.g.RequireNames = true } }

// Topology is a built topology: run it with the runtime or the test driver.
type Topology struct {
	t *topology.Topology
}

func init() {
	topology.RegisterUnwrap(func(v any) (*topology.Topology, bool) {
		t, ok := v.(*Topology)
		if !ok || t == nil {
			return nil, false
		}
		return t.t, true
	})
}

// Build names, validates and splits the topology into sub-topologies.
func (b *Builder) Build() (*Topology, error) {
	t, err := topology.Build(&b.g)
	if err != nil {
		return nil, err
	}
	b.built = true
	return &Topology{t: t}, nil
}

// Describe renders the topology as Kafka Streams' Topology.describe() does.
func (t *Topology) Describe() string { return t.t.Describe() }

// String is Describe.
func (t *Topology) String() string { return t.t.Describe() }

// DOT renders the topology as a Graphviz digraph.
func (t *Topology) DOT() string { return t.t.DOT() }

// SVG draws the topology as a self-contained SVG image: a column per
// sub-topology with its sources, processors, sinks, topics and stores, and
// dashed arrows for repartition topics. The status page shows it.
func (t *Topology) SVG() string { return t.t.SVG() }

// Subtopologies returns the number of sub-topologies.
func (t *Topology) Subtopologies() int { return len(t.t.Subtopologies()) }

// StoreNames lists the topology's state stores.
func (t *Topology) StoreNames() []string {
	var out []string
	for _, s := range t.t.Stores() {
		out = append(out, s.Name)
	}
	return out
}
