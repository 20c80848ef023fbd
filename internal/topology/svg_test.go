// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topology_test

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// svgCounts parses svg as XML and counts the elements per class.
func svgCounts(t *testing.T, svg string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the SVG is well-formed XML")
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					for _, c := range strings.Fields(a.Value) {
						counts[c]++
					}
				}
			}
		}
	}
	return counts
}

func TestSVGDrawsEveryNodeStoreAndEdge(t *testing.T) {
	b := stream.NewBuilder()
	regions := b.GlobalTable("regions", serde.String(), serde.String(), table.As("regions"))
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		JoinGlobalTable(regions, func(k, _ string) string { return k }, func(w, r string) string { return w + "@" + r }).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	st, err := b.Build()
	require.NoError(t, err)
	topo, ok := topology.Of(st)
	require.True(t, ok)

	svg := topo.SVG()
	c := svgCounts(t, svg)
	nodes, edges, stores := 0, 0, map[string]bool{}
	subs := append(topo.Subtopologies(), topo.GlobalSubtopologies()...)
	topics := 0
	for _, s := range subs {
		for _, n := range s.Nodes {
			nodes++
			edges += len(n.Children)
			for _, s := range n.Stores {
				stores[s.Name] = true
			}
			if n.Kind == topology.Source {
				topics += len(n.Topics)
				if n.Internal != nil {
					topics++
				}
			}
			if n.Kind == topology.Sink {
				topics++
			}
		}
	}
	assert.Equal(t, len(subs), c["subtopology"], "one column per sub-topology")
	assert.Equal(t, nodes, c["node"], "every node drawn")
	assert.Equal(t, len(stores), c["store"], "every store drawn once")
	assert.Equal(t, topics, c["topic"], "every topic a source reads or a sink writes")
	assert.Equal(t, edges+topics, c["edge"], "an arrow per node edge and per topic read or written")
	assert.Equal(t, 1, c["repartition"], "the repartition topic joins its two sub-topologies")
	for _, s := range subs {
		for _, n := range s.Nodes {
			assert.Contains(t, svg, ">"+n.Name+"<")
		}
	}
	assert.Contains(t, svg, ">counts<")
	assert.Contains(t, svg, "(global store)")
	assert.NotContains(t, svg, "<script", "no script in the drawing")
}
