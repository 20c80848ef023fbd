// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// cogroupTopology cogroups page views (strings), clicks (int64) and orders
// re-keyed by customer (repartitioned) into one profile per customer, and
// the views and clicks per 10-minute window.
func cogroupTopology(b *stream.Builder) {
	views := b.Stream("views", serde.String(), serde.String()).GroupByKey()
	clicks := b.Stream("clicks", serde.String(), serde.Int64()).GroupByKey()
	orders := b.Stream("orders", serde.String(), serde.JSON[order]()).
		SelectKey(func(_ string, o order) string { return o.Customer }).
		GroupByKey(stream.As("orders-by-customer"))
	addView := func(_ string, page string, agg string) string { return agg + "v:" + page + ";" }
	addClicks := func(_ string, n int64, agg string) string { return agg + "c:" + strconv.FormatInt(n, 10) + ";" }
	views.Cogroup(addView).
		Cogroup(clicks, addClicks).
		Cogroup(orders, func(_ string, o order, agg string) string { return agg + "o:" + o.ID + ";" }).
		Aggregate(func() string { return "" }, serde.String(), table.As("profiles")).
		ToStream().
		To("profiles", nil, nil)
	views.Cogroup(addView).
		Cogroup(clicks, addClicks).
		WindowedBy(window.Tumbling(10*time.Minute)).
		Aggregate(func() string { return "" }, nil, table.As("activity")).
		ToStream().
		To("activity", serde.TimeWindowed(serde.String(), 10*time.Minute), nil)
}

// The processors of a cogroup are Kafka Streams': one
// COGROUPKSTREAM-AGGREGATE per input, each connected to the one store,
// forwarding to a COGROUPKSTREAM-MERGE; a re-keyed input is repartitioned
// first, in a sub-topology of its own. A grouped stream may feed several
// cogroups.
func TestDescribeCogroup(t *testing.T) {
	b := stream.NewBuilder()
	cogroupTopology(b)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 2, topo.Subtopologies())
	golden(t, "cogroup.describe", topo.Describe())
	assert.Equal(t, []string{"profiles", "activity"}, topo.StoreNames())
}

// Generated cogroup names follow the lineage: adding an unrelated pipeline
// renames nothing.
func TestCogroupGeneratedNamesStable(t *testing.T) {
	unnamed := func(b *stream.Builder) {
		g1 := b.Stream("a", serde.String(), serde.String()).GroupByKey()
		g2 := b.Stream("b", serde.String(), serde.String()).GroupByKey()
		concat := func(_ string, v, agg string) string { return agg + v }
		g1.Cogroup(concat).Cogroup(g2, concat).Aggregate(func() string { return "" }, nil).ToStream().To("out", nil, nil)
	}
	b1 := stream.NewBuilder()
	unnamed(b1)
	t1, err := b1.Build()
	require.NoError(t, err)
	b2 := stream.NewBuilder()
	b2.Stream("other", serde.String(), serde.String()).GroupByKey().Count().ToStream().To("counts", nil, nil)
	unnamed(b2)
	t2, err := b2.Build()
	require.NoError(t, err)
	for _, line := range strings.Split(t1.Describe(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Sub-topology") {
			continue
		}
		assert.Contains(t, t2.Describe(), line)
	}
	require.Len(t, t1.StoreNames(), 1)
	assert.Regexp(t, `^COGROUPKSTREAM-AGGREGATE-STATE-STORE-[0-9a-f]{8}$`, t1.StoreNames()[0])
	assert.Contains(t, t2.StoreNames(), t1.StoreNames()[0])
}

// Kafka Streams' shouldNameProcessorsAndStoreBasedOnNamedParameter:
// stream.As names the processors, table.As the store.
func TestCogroupNamedProcessors(t *testing.T) {
	b := stream.NewBuilder()
	concat := func(_ string, v, agg string) string { return agg + v }
	g1 := b.Stream("one", serde.String(), serde.String()).GroupByKey()
	g2 := b.Stream("two", serde.String(), serde.String()).GroupByKey()
	g1.Cogroup(concat).Cogroup(g2, concat).
		Aggregate(func() string { return "" }, nil, stream.As("test"), table.As("store")).
		ToStream().To("output", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	desc := topo.Describe()
	for _, want := range []string{
		"    Processor: test-cogroup-agg-0 (stores: [store])\n      --> test-cogroup-merge\n",
		"    Processor: test-cogroup-agg-1 (stores: [store])\n      --> test-cogroup-merge\n",
		"    Processor: test-cogroup-merge (stores: [])\n",
		"      <-- test-cogroup-agg-0, test-cogroup-agg-1\n",
	} {
		assert.Contains(t, desc, want)
	}
	assert.Equal(t, []string{"store"}, topo.StoreNames())
}

// A customer profile from two streams of different types: page views
// (strings) and purchases (amounts in cents). Each grouped stream brings its
// own aggregator; every record updates the one profile of its key.
func ExampleGrouped_Cogroup() {
	type profile struct {
		Views int
		Spent int64
	}
	b := stream.NewBuilder()
	views := b.Stream("views", serde.String(), serde.String()).GroupByKey()
	purchases := b.Stream("purchases", serde.String(), serde.Int64()).GroupByKey()
	views.Cogroup(func(_ string, _ string, p profile) profile { p.Views++; return p }).
		Cogroup(purchases, func(_ string, cents int64, p profile) profile { p.Spent += cents; return p }).
		Aggregate(func() profile { return profile{} }, serde.JSON[profile](), table.As("profiles")).
		ToStream().
		To("profiles", nil, nil)
	topo, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := topologytest.New(topo)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	_ = d.Input("views", serde.String(), serde.String()).Pipe("ann", "/home")
	_ = d.Input("purchases", serde.String(), serde.Int64()).Pipe("ann", 1250)
	_ = d.Input("views", serde.String(), serde.String()).Pipe("ann", "/cart")
	out, _ := d.Output("profiles", serde.String(), serde.JSON[profile]()).ReadKeyValues()
	for _, kv := range out {
		fmt.Printf("%s: %+v\n", kv.Key, kv.Value)
	}
	// Output:
	// ann: {Views:1 Spent:0}
	// ann: {Views:1 Spent:1250}
	// ann: {Views:2 Spent:1250}
}
