// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topology

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
)

// Describe renders the topology as text in the layout of Kafka Streams'
// Topology.describe(): sub-topologies with their sources, processors
// (and stores) and sinks, each with its successors (-->) and
// predecessors (<--). Internal topics appear without the application id.
// The sub-topologies of global stores come last, marked "for global store
// (will not generate tasks)".
func (t *Topology) Describe() string {
	var b strings.Builder
	b.WriteString("Topologies:\n")
	for i, st := range t.all() {
		if i > 0 {
			b.WriteString("\n")
		}
		if st.Global {
			fmt.Fprintf(&b, "   Sub-topology: %d for global store (will not generate tasks)\n", st.ID)
		} else {
			fmt.Fprintf(&b, "   Sub-topology: %d\n", st.ID)
		}
		for _, n := range st.Nodes {
			switch n.Kind {
			case Source:
				fmt.Fprintf(&b, "    Source: %s (topics: [%s])\n", n.Name, strings.Join(n.topicNames(), ", "))
			case Processor:
				fmt.Fprintf(&b, "    Processor: %s (stores: [%s])\n", n.Name, strings.Join(n.storeNames(), ", "))
			case Sink:
				fmt.Fprintf(&b, "    Sink: %s (topic: %s)\n", n.Name, n.sinkTopic())
			}
			if n.Kind != Sink {
				fmt.Fprintf(&b, "      --> %s\n", names(n.Children))
			}
			if n.Kind != Source {
				fmt.Fprintf(&b, "      <-- %s\n", names(n.Parents))
			}
		}
	}
	return b.String()
}

// DOT renders the topology as a Graphviz digraph: one cluster per
// sub-topology, topics as ellipses, processors as boxes, stores as
// cylinders; reads of global stores are dotted edges.
func (t *Topology) DOT() string {
	var b strings.Builder
	b.WriteString("digraph topology {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
	topics := map[string]bool{}
	for _, st := range t.all() {
		label := fmt.Sprintf("Sub-topology %d", st.ID)
		if st.Global {
			label += " (global store)"
		}
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q;\n", st.ID, label)
		for _, n := range st.Nodes {
			fmt.Fprintf(&b, "    %q [shape=box];\n", n.Name)
		}
		for _, s := range st.Stores {
			fmt.Fprintf(&b, "    %q [shape=cylinder];\n", "store:"+s.Name)
		}
		b.WriteString("  }\n")
		for _, n := range st.Nodes {
			for _, c := range n.Children {
				fmt.Fprintf(&b, "  %q -> %q;\n", n.Name, c.Name)
			}
			for _, s := range n.Stores {
				fmt.Fprintf(&b, "  %q -> %q [dir=both, style=dashed];\n", n.Name, "store:"+s.Name)
			}
			for _, s := range n.GlobalStores {
				fmt.Fprintf(&b, "  %q -> %q [dir=back, style=dotted];\n", n.Name, "store:"+s.Name)
			}
			switch n.Kind {
			case Source:
				for _, tp := range n.topicNames() {
					topics[tp] = true
					fmt.Fprintf(&b, "  %q -> %q;\n", "topic:"+tp, n.Name)
				}
			case Sink:
				tp := n.sinkTopic()
				topics[tp] = true
				fmt.Fprintf(&b, "  %q -> %q;\n", n.Name, "topic:"+tp)
			}
		}
	}
	for tp := range sortedKeys(topics) {
		fmt.Fprintf(&b, "  %q [shape=ellipse, label=%q];\n", "topic:"+tp, tp)
	}
	b.WriteString("}\n")
	return b.String()
}

// all returns the task sub-topologies, then the global ones.
func (t *Topology) all() []*Subtopology {
	return append(slices.Clip(t.subs), t.globals...)
}

func (n *Node) topicNames() []string {
	if n.Internal != nil {
		return []string{n.Internal.Name}
	}
	return n.Topics
}

func (n *Node) storeNames() []string {
	out := make([]string, len(n.Stores))
	for i, s := range n.Stores {
		out[i] = s.Name
	}
	return out
}

func (n *Node) sinkTopic() string {
	switch {
	case n.Internal != nil:
		return n.Internal.Name
	case n.DynamicTopic:
		return "<chosen per record>"
	case len(n.Topics) > 0:
		return n.Topics[0]
	}
	return ""
}

func names(ns []*Node) string {
	if len(ns) == 0 {
		return "none"
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]bool) iter.Seq[string] {
	return slices.Values(slices.Sorted(maps.Keys(m)))
}
