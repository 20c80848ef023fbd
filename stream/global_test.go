// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Orders enriched from two global tables: customers (by the order's
// customer) and regions (by the customer row's region), after a key change
// that does not repartition.
func globalTopology(b *stream.Builder) {
	customers := b.GlobalTable("customers", serde.String(), serde.JSON[customer](), table.As("customers"))
	regions := b.GlobalTable("regions", serde.String(), serde.String())
	b.Stream("orders", serde.String(), serde.JSON[order]()).
		SelectKey(func(_ string, o order) string { return o.ID }).
		LeftJoinGlobalTable(customers, func(_ string, o order) string { return o.Customer },
			func(o order, c customer, ok bool) customer { return c }, stream.As("order-customers")).
		WithValueSerde(serde.JSON[customer]()).
		JoinGlobalTable(regions, func(_ string, c customer) string { return c.Region },
			func(c customer, region string) string { return c.Name + "@" + region }).
		To("order-regions", nil, nil)
}

type customer struct {
	Name   string `json:"name"`
	Region string `json:"region"`
}

func TestDescribeGlobalTables(t *testing.T) {
	b := stream.NewBuilder()
	globalTopology(b)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 1, topo.Subtopologies(), "global stores create no tasks")
	golden(t, "global.describe", topo.Describe())
	names := topo.StoreNames()
	require.Len(t, names, 2)
	assert.Equal(t, "customers", names[0])
	assert.Regexp(t, `^KSTREAM-GLOBALTABLE-SOURCE-STATE-STORE-[0-9a-f]{8}$`, names[1])
	assert.Contains(t, topo.DOT(), `"order-customers" -> "store:customers" [dir=back, style=dotted];`)
	assert.Contains(t, topo.DOT(), `label="Sub-topology 1 (global store)";`)
}

// Global tables never renumber task sub-topologies (and so task ids and
// state directories): they are numbered after them, wherever they are
// declared.
func TestGlobalTableKeepsTaskNumbers(t *testing.T) {
	b1 := stream.NewBuilder()
	wordCount(b1)
	t1, err := b1.Build()
	require.NoError(t, err)

	b2 := stream.NewBuilder()
	g := b2.GlobalTable("stop-words", serde.String(), serde.String(), table.As("stop-words"))
	wordCount(b2)
	b2.Stream("other", serde.String(), serde.String()).
		JoinGlobalTable(g, func(k, _ string) string { return k }, func(v, _ string) string { return v }).
		To("other-out", nil, nil)
	t2, err := b2.Build()
	require.NoError(t, err)
	assert.Equal(t, 3, t2.Subtopologies())
	assert.True(t, strings.HasPrefix(t2.Describe(), strings.TrimSuffix(t1.Describe(), "\n")), t2.Describe())
	assert.Contains(t, t2.Describe(), "   Sub-topology: 3 for global store (will not generate tasks)\n")
}

func TestGlobalTableBuildErrors(t *testing.T) {
	ss := serde.String()
	id := func(k, _ string) string { return k }
	concat := func(a, b string) string { return a + b }
	type custom struct{ N int }
	cases := []struct {
		name  string
		build func(b *stream.Builder)
		want  []string
	}{
		{"global table of a different builder", func(b *stream.Builder) {
			other := stream.NewBuilder()
			b.Stream("l", ss, ss).JoinGlobalTable(other.GlobalTable("g", ss, ss), id, concat)
		}, []string{"JoinGlobalTable: the stream and the global table come from different builders"}},
		{"zero global table", func(b *stream.Builder) {
			b.Stream("l", ss, ss).LeftJoinGlobalTable(stream.GlobalTable[string, string]{}, id, func(a, b string, _ bool) string { return a })
		}, []string{"LeftJoinGlobalTable: the global table was not created with Builder.GlobalTable"}},
		{"nil key mapper and joiner", func(b *stream.Builder) {
			b.Stream("l", ss, ss).JoinGlobalTable(b.GlobalTable("g", ss, ss), nil, (func(a, b string) string)(nil), stream.As("j"))
		}, []string{"j: JoinGlobalTable: nil key mapper", "JoinGlobalTable: nil joiner"}},
		{"missing value serde", func(b *stream.Builder) {
			b.GlobalTable("g", ss, serde.Serde[custom](nil))
		}, []string{"no value serde for type stream_test.custom: pass one to Builder.GlobalTable"}},
		{"retention", func(b *stream.Builder) {
			b.GlobalTable("g", ss, ss, table.WithRetention(time.Hour))
		}, []string{"KTABLE-SOURCE-", "table.WithRetention applies to windowed stores only"}},
		{"empty topic", func(b *stream.Builder) {
			b.GlobalTable("", ss, ss)
		}, []string{"empty topic name"}},
		{"topic read as a stream too", func(b *stream.Builder) {
			b.GlobalTable("t", ss, ss)
			b.Stream("t", ss, ss).To("out", nil, nil)
		}, []string{`topic "t" is read by two sources`}},
		{"duplicate store name", func(b *stream.Builder) {
			b.GlobalTable("g", ss, ss, table.As("s"))
			b.Table("t", ss, ss, table.As("s"))
		}, []string{`duplicate store name "s"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b)
			topo, err := b.Build()
			require.Error(t, err)
			assert.Nil(t, topo)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
