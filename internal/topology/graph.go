// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package topology is the untyped model of a built Eddy topology: nodes,
// stores, internal topics, the split into sub-topologies, generated names
// and the textual and Graphviz descriptions. The DSL (package stream)
// builds it; the engine instantiates it per task.
package topology

import (
	"github.com/eddy-streams/eddy/internal/engine"
)

// Kind is the role of a node.
type Kind int

// Node kinds.
const (
	Source Kind = iota
	Processor
	Sink
)

// Node is one source, processor or sink.
type Node struct {
	ID int
	// Kind is the node's role.
	Kind Kind
	// Op names the operator ("FILTER", "AGGREGATE", …) in generated names.
	Op string
	// UserName is the name the user gave, or "".
	UserName string
	// Name is the final unique name, set by Build.
	Name string
	// Parents and Children are the graph edges.
	Parents  []*Node
	Children []*Node
	// LogicalParent links a repartition source to the sink writing its
	// topic, so generated names follow the data's path.
	LogicalParent *Node
	// Topics are the user topics a source reads or a sink writes.
	Topics []string
	// Internal is the repartition topic a source reads or a sink writes.
	Internal *InternalTopic
	// DynamicTopic marks a sink choosing its topic per record.
	DynamicTopic bool
	// Stores are the stores the node uses.
	Stores []*Store
	// New instantiates the node for a task.
	New func(t *engine.Task) (any, error)
	// Links connect the node's instance to its children's instances.
	Links []func(instances []any)
	// Check is run by Build and may report a user mistake.
	Check func() error
	// Global marks the source and the materializer of a global table.
	// They form a global sub-topology, which creates no tasks: every
	// instance runs it over all partitions of its topic (a global task).
	Global bool
	// GlobalStores are the global stores the node reads (stream–global
	// table joins). Unlike Stores they do not tie the node to the store's
	// sub-topology: every task reads its instance's shared copy.
	GlobalStores []*Store

	lineage string
	sub     int
}

// Store is a state store declared by the DSL.
type Store struct {
	// UserName is the name the user gave, or "".
	UserName string
	// Name is the final name, set by Build.
	Name string
	// Owner is the node that created the store; generated names derive
	// from it.
	Owner *Node
	// Op names the store in generated names ("AGGREGATE" →
	// KSTREAM-AGGREGATE-STATE-STORE-…).
	Op string
	// Spec is the engine's view; Spec.Name is set by Build.
	Spec engine.StoreSpec
	// WindowSize is the window size (ms) of windowed aggregate stores and
	// user window stores, 0 otherwise.
	WindowSize int64
	// Global marks the store of a global table: a full copy of its source
	// topic on every instance, read-only to processors, with the topic as
	// its changelog (Spec.Logged is false).
	Global bool
	// Naming says, in the DSL's terms, which operator creates the store
	// and how to name it; Build's errors for generated names under
	// Graph.RequireNames show it.
	Naming Naming
}

// Naming describes for error messages how the user names a store or an
// internal topic.
type Naming struct {
	// Method is the DSL call that creates the resource ("Count",
	// "Builder.Table", "Join", …); empty: only the processor is named.
	Method string
	// Hint says what to pass to name the resource ("pass table.As(name)
	// to Count"); empty: a generic hint.
	Hint string
}

// InternalTopic is a repartition topic, or another internal topic written
// and read like one (a foreign-key join's subscription and response
// topics). Its full name in a running application is <app>-<Name>, Name
// ending in Suffix (-repartition by default).
type InternalTopic struct {
	// UserName is the name given with stream.As, or "".
	UserName string
	// Prefix starts a generated name, followed by a hash of the writing
	// sink's lineage: "KSTREAM-REPARTITION" when empty.
	Prefix string
	// Suffix ends the name: "-repartition" when empty.
	Suffix string
	// NameFrom supplies the name when UserName is empty (e.g. the store
	// of the aggregation it feeds); nil means generated from the sink node.
	NameFrom *Store
	// Partitions is the requested partition count, 0 = inferred from the
	// upstream sub-topology's sources.
	Partitions int32
	// Name is the resolved base name including the suffix, without the
	// application id.
	Name string
	// Naming says which operator writes the topic and how to name it.
	Naming Naming
	sink   *Node
}

// FullName is the topic's name in application app.
func (it *InternalTopic) FullName(app string) string { return app + "-" + it.Name }

// Graph collects nodes and stores while the DSL builds a topology.
type Graph struct {
	Nodes  []*Node
	Stores []*Store
	Topics []*InternalTopic
	// Errs are user mistakes recorded while building; Build reports them.
	Errs []error
	// RequireNames makes Build reject state stores (and so changelog
	// topics) and internal topics whose names would be generated (Kafka
	// Streams' ensure.explicit.internal.resource.naming).
	RequireNames bool
}

// AddNode appends n with the given parents and returns it.
func (g *Graph) AddNode(n *Node, parents ...*Node) *Node {
	n.ID = len(g.Nodes)
	g.Nodes = append(g.Nodes, n)
	for _, p := range parents {
		n.Parents = append(n.Parents, p)
		p.Children = append(p.Children, n)
	}
	return n
}

// AddStore registers s owned by owner.
func (g *Graph) AddStore(s *Store, owner *Node) *Store {
	s.Owner = owner
	owner.Stores = append(owner.Stores, s)
	g.Stores = append(g.Stores, s)
	return s
}

// AddTopic registers an internal topic written by sink.
func (g *Graph) AddTopic(it *InternalTopic, sink *Node) *InternalTopic {
	it.sink = sink
	g.Topics = append(g.Topics, it)
	return it
}

var unwrap func(any) (*Topology, bool)

// RegisterUnwrap lets package stream expose its public Topology to the
// runtime and the test driver without exporting the internal model.
func RegisterUnwrap(f func(any) (*Topology, bool)) { unwrap = f }

// Of returns the internal topology of a *stream.Topology.
func Of(v any) (*Topology, bool) {
	if unwrap == nil {
		return nil, false
	}
	return unwrap(v)
}
