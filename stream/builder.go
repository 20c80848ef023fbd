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
package stream

import (
	"github.com/eddy-streams/eddy/internal/topology"
)

// Builder collects the operators of one topology.
type Builder struct {
	g     topology.Graph
	built bool
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

// RequireExplicitNames makes Build fail for every state store and
// repartition topic that the topology does not name (Kafka Streams'
// ensure.explicit.internal.resource.naming). Generated names follow the
// topology's shape, so changing an unrelated part of it can rename a store
// — whose new changelog starts empty — or a repartition topic; with this
// option such names cannot reach production. Name stores with table.As
// and repartitioning operators with stream.As. Default: off.
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
