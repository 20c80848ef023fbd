// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

type skv = record.KeyValue[string, string]

func storeContents(t *testing.T, d *topologytest.Driver, name string) []skv {
	t.Helper()
	s, err := d.KeyValueStore(name, serde.String(), serde.String())
	require.NoError(t, err)
	all, err := s.All()
	require.NoError(t, err)
	return all
}

// Filter, MapValues and table–table join results materialized in named,
// queryable stores (Kafka Streams' Materialized.as).
func TestTableMaterialize(t *testing.T) {
	b := stream.NewBuilder()
	l := b.Table("left", serde.String(), serde.String())
	r := b.Table("right", serde.String(), serde.String())
	long := l.Filter(func(_, v string) bool { return len(v) > 2 }).Materialize(table.As("long"))
	upper := l.MapValues(strings.ToUpper).Materialize()
	joined := l.LeftJoin(r, func(a, b string, ok bool) string { return a + "+" + show(b, ok) }).
		Materialize(table.As("joined"), table.WithoutLogging())
	// A later join reads the materialized table from its store.
	b.Stream("lookups", serde.String(), serde.String()).
		JoinTable(joined, func(v, row string) string { return v + "=" + row }).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, "long", long.StoreName())
	assert.Regexp(t, `^KSTREAM-MATERIALIZE-STATE-STORE-[0-9a-f]{8}$`, upper.StoreName())
	// No extra store for the stream–table join of the materialized table.
	assert.Len(t, topo.StoreNames(), 5, "left, right, long, upper, joined: %v", topo.StoreNames())
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(2))
	require.NoError(t, err)
	defer d.Close()

	left := d.Input("left", serde.String(), serde.String())
	right := d.Input("right", serde.String(), serde.String())
	require.NoError(t, left.PipeKeyValues(record.KV("a", "abc"), record.KV("b", "x"), record.KV("c", "long")))
	require.NoError(t, right.PipeKeyValues(record.KV("a", "1")))
	assert.Equal(t, []skv{record.KV("a", "abc"), record.KV("c", "long")}, storeContents(t, d, "long"))
	assert.Equal(t, []skv{record.KV("a", "ABC"), record.KV("b", "X"), record.KV("c", "LONG")}, storeContents(t, d, upper.StoreName()))
	assert.Equal(t, []skv{record.KV("a", "abc+1"), record.KV("b", "x+null"), record.KV("c", "long+null")}, storeContents(t, d, "joined"))

	// A row that stops matching, and a deleted row, leave the stores.
	require.NoError(t, left.Pipe("a", "y"))
	require.NoError(t, left.PipeTombstone("c"))
	require.NoError(t, right.PipeTombstone("a"))
	assert.Empty(t, storeContents(t, d, "long"))
	assert.Equal(t, []skv{record.KV("a", "Y"), record.KV("b", "X")}, storeContents(t, d, upper.StoreName()))
	assert.Equal(t, []skv{record.KV("a", "y+null"), record.KV("b", "x+null")}, storeContents(t, d, "joined"))

	require.NoError(t, d.Input("lookups", serde.String(), serde.String()).PipeKeyValues(record.KV("a", "q"), record.KV("c", "q")))
	kvs, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []skv{record.KV("a", "q=y+null")}, kvs)

	produced := d.ProducedTopics()
	assert.Contains(t, produced, "test-app-long-changelog")
	assert.Contains(t, produced, "test-app-"+upper.StoreName()+"-changelog")
	assert.NotContains(t, produced, "test-app-joined-changelog", "table.WithoutLogging")
}

func TestTableMaterializeErrors(t *testing.T) {
	type custom struct{ N int }
	ss := serde.String()
	cases := []struct {
		name  string
		build func(b *stream.Builder)
		want  []string
	}{
		{"already materialized", func(b *stream.Builder) {
			b.Table("t", ss, ss, table.As("t")).Materialize(table.As("again"))
		}, []string{"Materialize: the table is already materialized in a store; name it where it is created"}},
		{"custom values without serde", func(b *stream.Builder) {
			b.Table("t", ss, ss).MapValues(func(v string) custom { return custom{len(v)} }).Materialize(table.As("m"))
		}, []string{"KTABLE-MATERIALIZE-", "no value serde for type topologytest_test.custom", "Materialize materializes this table", "Table.WithValueSerde"}},
		{"retention", func(b *stream.Builder) {
			b.Table("t", ss, ss).Filter(func(string, string) bool { return true }).Materialize(table.WithRetention(1))
		}, []string{"table.WithRetention applies to windowed stores only"}},
		{"empty name", func(b *stream.Builder) {
			b.Table("t", ss, ss).Filter(func(string, string) bool { return true }).Materialize(table.As(""))
		}, []string{"table.As: empty store name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b)
			_, err := b.Build()
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	// With a serde, custom values materialize.
	b := stream.NewBuilder()
	b.Table("t", ss, ss).MapValues(func(v string) custom { return custom{len(v)} }).
		WithValueSerde(serde.JSON[custom]()).Materialize(table.As("m"))
	_, err := b.Build()
	require.NoError(t, err)
}
