// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// concat is the aggregator of Kafka Streams' CogroupedKStreamImplTest:
// aggregate + value.
func concat(_ string, v, agg string) string { return agg + v }

// kvts reads an output topic as "key=value@ts" lines (value <null> for a
// tombstone).
func kvts[V any](t *testing.T, o *topologytest.OutputTopic[string, V]) []string {
	t.Helper()
	rs, err := o.ReadRecords()
	require.NoError(t, err)
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		v := fmt.Sprint(r.Value)
		if r.ValueNull {
			v = "<null>"
		}
		out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, v, r.Timestamp.UnixMilli()))
	}
	return out
}

// wkvts reads a windowed output topic as "key[start,end)=value@ts".
func wkvts[V any](t *testing.T, o *topologytest.OutputTopic[window.Windowed[string], V]) []string {
	t.Helper()
	rs, err := o.ReadRecords()
	require.NoError(t, err)
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		v := fmt.Sprint(r.Value)
		if r.ValueNull {
			v = "<null>"
		}
		out = append(out, fmt.Sprintf("%s[%d,%d]=%s@%d", r.Key.Key, r.Key.Window.Start().UnixMilli(),
			r.Key.Window.End().UnixMilli(), v, r.Timestamp.UnixMilli()))
	}
	return out
}

// Kafka Streams' shouldCogroupAndAggregateTwoKStreamsWithSharedKeys: every
// record of either stream updates the one aggregate of its key and
// forwards it, with the largest timestamp so far.
func TestCogroupTwoStreamsSharedKeys(t *testing.T) {
	b := stream.NewBuilder()
	g1 := b.Stream("one", serde.String(), serde.String()).GroupByKey()
	g2 := b.Stream("two", serde.String(), serde.String()).GroupByKey()
	g1.Cogroup(concat).Cogroup(g2, concat).
		Aggregate(func() string { return "" }, serde.String()).
		ToStream().To("output", nil, nil)
	d := driver(t, b)
	one, two := d.Input("one", serde.String(), serde.String()), d.Input("two", serde.String(), serde.String())
	for _, r := range []struct {
		in *topologytest.InputTopic[string, string]
		k  string
		v  string
		ts int64
	}{
		{one, "k1", "A", 0}, {one, "k2", "A", 1}, {one, "k1", "A", 10}, {one, "k2", "A", 100},
		{two, "k2", "B", 100}, {two, "k2", "B", 200}, {two, "k1", "B", 1}, {two, "k2", "B", 500},
		{two, "k1", "B", 500}, {two, "k2", "B", 500}, {two, "k3", "B", 500}, {two, "k2", "B", 100},
	} {
		require.NoError(t, r.in.PipeAt(r.k, r.v, ms(r.ts)))
	}
	assert.Equal(t, []string{
		"k1=A@0", "k2=A@1", "k1=AA@10", "k2=AA@100",
		"k2=AAB@100", "k2=AABB@200", "k1=AAB@10", "k2=AABBB@500",
		"k1=AABB@500", "k2=AABBBB@500", "k3=B@500", "k2=AABBBBB@500",
	}, kvts(t, d.Output("output", serde.String(), serde.String())))
}

type purchase struct {
	Item  string `json:"item"`
	Cents int64  `json:"cents"`
}

type profile struct {
	Views     int64    `json:"views"`
	Clicks    int64    `json:"clicks"`
	Spent     int64    `json:"spent"`
	Purchases []string `json:"purchases,omitempty"`
}

// Three streams with three value types (string, int64, a JSON struct) fold
// into one aggregate of a fourth type; the store holds it under the
// table.As name and logs it.
func TestCogroupThreeStreamsOfDifferentTypes(t *testing.T) {
	b := stream.NewBuilder()
	views := b.Stream("views", serde.String(), serde.String()).GroupByKey()
	clicks := b.Stream("clicks", serde.String(), serde.Int64()).GroupByKey()
	buys := b.Stream("purchases", serde.String(), serde.JSON[purchase]()).GroupByKey()
	profiles := views.Cogroup(func(_ string, _ string, p profile) profile { p.Views++; return p }).
		Cogroup(clicks, func(_ string, n int64, p profile) profile { p.Clicks += n; return p }).
		Cogroup(buys, func(_ string, b purchase, p profile) profile {
			p.Spent += b.Cents
			p.Purchases = append(p.Purchases, b.Item)
			return p
		}).
		Aggregate(func() profile { return profile{} }, serde.JSON[profile](), table.As("profiles"))
	assert.Equal(t, "", profiles.StoreName(), "named at Build")
	profiles.ToStream().To("out", nil, nil)
	d := driver(t, b, topologytest.AppID("app"))
	assert.Equal(t, "profiles", profiles.StoreName())
	vi := d.Input("views", serde.String(), serde.String())
	ci := d.Input("clicks", serde.String(), serde.Int64())
	pi := d.Input("purchases", serde.String(), serde.JSON[purchase]())
	require.NoError(t, vi.PipeAt("ann", "/home", ms(10)))
	require.NoError(t, ci.PipeAt("ann", 3, ms(20)))
	require.NoError(t, pi.PipeAt("bob", purchase{"book", 1200}, ms(15)))
	require.NoError(t, pi.PipeAt("ann", purchase{"pen", 150}, ms(5)))
	require.NoError(t, vi.PipeAt("bob", "/cart", ms(30)))
	require.NoError(t, ci.PipeAt("ann", 2, ms(25)))
	assert.Equal(t, []string{
		`ann={1 0 0 []}@10`,
		`ann={1 3 0 []}@20`,
		`bob={0 0 1200 [book]}@15`,
		`ann={1 3 150 [pen]}@20`,
		`bob={1 0 1200 [book]}@30`,
		`ann={1 5 150 [pen]}@25`,
	}, kvts(t, d.Output("out", serde.String(), serde.JSON[profile]())))

	store, err := d.KeyValueStore("profiles", serde.String(), serde.JSON[profile]())
	require.NoError(t, err)
	ann, ts, ok, err := store.GetWithTimestamp("ann")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, profile{Views: 1, Clicks: 5, Spent: 150, Purchases: []string{"pen"}}, ann)
	assert.Equal(t, ms(25), ts)
	changelog := d.ReadRaw("app-profiles-changelog")
	require.Len(t, changelog, 6, "one changelog record per update, whatever the input")
	assert.Equal(t, "ann", string(changelog[5].Key))
	assert.Equal(t, `{"views":1,"clicks":5,"spent":150,"purchases":["pen"]}`, string(changelog[5].Value))
	assert.Equal(t, ms(25), changelog[5].Timestamp, "the aggregate's timestamp")
}

// As in Kafka Streams (testCogroupHandleNullValues), records with a null
// key or a null value are dropped and counted, whichever input they come
// from.
func TestCogroupDropsNullKeysAndValues(t *testing.T) {
	b := stream.NewBuilder()
	g1 := b.Stream("one", serde.String(), serde.String()).GroupByKey()
	g2 := b.Stream("two", serde.String(), serde.Int64()).GroupByKey()
	g1.Cogroup(concat).
		Cogroup(g2, func(_ string, n int64, agg string) string { return agg + strconv.FormatInt(n, 10) }).
		Aggregate(func() string { return "" }, nil).
		ToStream().To("out", nil, nil)
	d := driver(t, b)
	one, two := d.Input("one", serde.String(), serde.String()), d.Input("two", serde.String(), serde.Int64())
	require.NoError(t, one.PipeAt("k1", "A", ms(0)))
	require.NoError(t, one.PipeAt("k2", "B", ms(0)))
	require.NoError(t, one.PipeRecord(topologytest.Record[string, string]{Key: "k2", ValueNull: true, Timestamp: ms(0)}))
	require.NoError(t, two.PipeRecord(topologytest.Record[string, int64]{KeyNull: true, Value: 7, Timestamp: ms(0)}))
	require.NoError(t, two.PipeRecord(topologytest.Record[string, int64]{Key: "k1", ValueNull: true, Timestamp: ms(0)}))
	require.NoError(t, one.PipeAt("k2", "B", ms(0)))
	require.NoError(t, two.PipeAt("k1", 9, ms(0)))
	assert.Equal(t, []string{"k1=A@0", "k2=B@0", "k2=BB@0", "k1=A9@0"}, kvts(t, d.Output("out", serde.String(), serde.String())))
	assert.Equal(t, int64(2), d.Dropped()[record.DropNullValue])
	assert.Equal(t, int64(1), d.Dropped()[record.DropNullKey])
}

// An input whose key changed is repartitioned through its own topic, named
// after the store (or its GroupByKey As), so that its records meet the
// other inputs' records of the same key in one task; the inputs read
// directly keep their partitions. All the aggregation processors share
// the store and run in one sub-topology.
func TestCogroupRepartitionsRekeyedInputs(t *testing.T) {
	build := func(name string) *stream.Builder {
		b := stream.NewBuilder()
		direct := b.Stream("direct", serde.String(), serde.String()).GroupByKey()
		// "rekeyed" carries "key:value" under unrelated keys.
		var opts []stream.Option
		if name != "" {
			opts = append(opts, stream.As(name))
		}
		rekeyed := b.Stream("rekeyed", serde.String(), serde.String()).
			SelectKey(func(_, v string) string { k, _, _ := strings.Cut(v, ":"); return k }).
			MapValues(func(v string) int64 { _, n, _ := strings.Cut(v, ":"); i, _ := strconv.ParseInt(n, 10, 64); return i }).
			GroupByKey(opts...)
		direct.Cogroup(func(_ string, v string, agg int64) int64 { return agg + int64(len(v)) }).
			Cogroup(rekeyed, func(_ string, n int64, agg int64) int64 { return agg + 1000*n }).
			Aggregate(func() int64 { return 0 }, nil, table.As("totals")).
			ToStream().To("out", nil, nil)
		return b
	}
	for _, tc := range []struct{ name, topic string }{{"", "app-totals-repartition"}, {"by-user", "app-by-user-repartition"}} {
		t.Run("repartition topic "+tc.topic, func(t *testing.T) {
			b := build(tc.name)
			topo, err := b.Build()
			require.NoError(t, err)
			assert.Equal(t, 2, topo.Subtopologies(), "the rekeyed input's upstream, then the aggregation")
			d := driver(t, b, topologytest.DefaultPartitions(3), topologytest.AppID("app"))
			di, ri := d.Input("direct", serde.String(), serde.String()), d.Input("rekeyed", serde.String(), serde.String())
			want := map[string]int64{}
			for i := range 30 {
				user := fmt.Sprintf("u%d", i%7)
				if i%3 == 0 {
					require.NoError(t, di.PipeAt(user, strings.Repeat("x", i%4+1), ms(int64(i))))
					want[user] += int64(i%4 + 1)
				} else {
					require.NoError(t, ri.PipeAt(fmt.Sprintf("event-%d", i), fmt.Sprintf("%s:%d", user, i), ms(int64(i))))
					want[user] += 1000 * int64(i)
				}
			}
			got, err := topologytest.ReadToMap(d.Output("out", serde.String(), serde.Int64()))
			require.NoError(t, err)
			assert.Equal(t, want, got)
			repart := d.ReadRaw(tc.topic)
			require.Len(t, repart, 20)
			for _, r := range repart {
				assert.Equal(t, partition.ForKey(r.Key, 3), r.Partition, "repartitioned by the new key")
			}
			store, err := d.KeyValueStore("totals", serde.String(), serde.Int64())
			require.NoError(t, err)
			all, err := store.All()
			require.NoError(t, err)
			assert.Len(t, all, 7)
		})
	}
}

// Every input keyed the way it is read needs no repartition topic: one
// sub-topology reads them all. Describe shows the processors of Kafka
// Streams' cogroup: one COGROUPKSTREAM-AGGREGATE per input, each with the
// store, and the COGROUPKSTREAM-MERGE they forward to.
func TestCogroupDescribe(t *testing.T) {
	b := stream.NewBuilder()
	g1 := b.Stream("one", serde.String(), serde.String()).GroupByKey()
	g2 := b.Stream("two", serde.String(), serde.Int64()).GroupByKey()
	g3 := b.Stream("three", serde.String(), serde.String()).
		SelectKey(func(_, v string) string { return v }).
		GroupByKey(stream.As("three-by-value"))
	g1.Cogroup(concat).
		Cogroup(g2, func(_ string, n int64, agg string) string { return agg + strconv.FormatInt(n, 10) }).
		Cogroup(g3, concat).
		Aggregate(func() string { return "" }, nil, table.As("store")).
		ToStream().To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	desc := topo.Describe()
	assert.Equal(t, 2, topo.Subtopologies(), desc)
	assert.Equal(t, []string{"store"}, topo.StoreNames())
	var aggs, merges []string
	for _, line := range strings.Split(desc, "\n") {
		switch {
		case strings.HasPrefix(line, "    Processor: COGROUPKSTREAM-AGGREGATE-"):
			assert.True(t, strings.HasSuffix(line, " (stores: [store])"), line)
			aggs = append(aggs, line)
		case strings.HasPrefix(line, "    Processor: COGROUPKSTREAM-MERGE-"):
			merges = append(merges, line)
		}
	}
	assert.Len(t, aggs, 3, desc)
	assert.Len(t, merges, 1, desc)
	assert.Contains(t, desc, "Sink: three-by-value-repartition-sink (topic: three-by-value-repartition)")
	assert.Contains(t, desc, "Source: three-by-value-repartition-source (topics: [three-by-value-repartition])\n      --> COGROUPKSTREAM-AGGREGATE-")
}

// The store of an unnamed cogroup gets a generated name of Kafka Streams'
// form, which two repartitioned inputs cannot both take for their
// repartition topics: as in Kafka Streams the topology is rejected until
// they are named.
func TestCogroupNames(t *testing.T) {
	build := func(names ...string) (*stream.Topology, error) {
		b := stream.NewBuilder()
		var gs []stream.Grouped[string, string]
		for i, topic := range []string{"a", "b"} {
			var opts []stream.Option
			if names[i] != "" {
				opts = append(opts, stream.As(names[i]))
			}
			gs = append(gs, b.Stream(topic, serde.String(), serde.String()).
				SelectKey(func(_, v string) string { return v }).GroupByKey(opts...))
		}
		gs[0].Cogroup(concat).Cogroup(gs[1], concat).Aggregate(func() string { return "" }, nil)
		return b.Build()
	}
	_, err := build("", "")
	require.Error(t, err)
	assert.Regexp(t, `duplicate repartition topic "COGROUPKSTREAM-AGGREGATE-STATE-STORE-[0-9a-f]{8}-repartition"`, err.Error())
	_, err = build("a-by-value", "")
	require.NoError(t, err, "one repartition topic named after the store, one named by As")
	topo, err := build("a-by-value", "b-by-value")
	require.NoError(t, err)
	assert.Regexp(t, `^COGROUPKSTREAM-AGGREGATE-STATE-STORE-[0-9a-f]{8}$`, topo.StoreNames()[0])

	b := stream.NewBuilder(stream.RequireExplicitNames())
	g := b.Stream("a", serde.String(), serde.String()).GroupByKey()
	g.Cogroup(concat).Aggregate(func() string { return "" }, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "would get the generated name \"COGROUPKSTREAM-AGGREGATE-STATE-STORE-")
}

// Build reports the mistakes of a cogroup naming the processor at fault.
func TestCogroupValidation(t *testing.T) {
	type point struct{ X int }
	cases := map[string]struct {
		build func(b *stream.Builder)
		want  []string
	}{
		"nil aggregator": {func(b *stream.Builder) {
			g1 := b.Stream("a", serde.String(), serde.String()).GroupByKey()
			g2 := b.Stream("b", serde.String(), serde.String()).GroupByKey()
			g1.Cogroup(concat).Cogroup(g2, nil).Aggregate(func() string { return "" }, nil)
		}, []string{"Cogroup: nil aggregator"}},
		"nil initializer": {func(b *stream.Builder) {
			b.Stream("a", serde.String(), serde.String()).GroupByKey().Cogroup(concat).Aggregate(nil, nil)
		}, []string{"Aggregate: nil initializer"}},
		"no aggregate serde": {func(b *stream.Builder) {
			b.Stream("a", serde.String(), serde.String()).GroupByKey().
				Cogroup(func(string, string, point) point { return point{} }).
				Aggregate(func() point { return point{} }, nil)
		}, []string{"no aggregate serde for type topologytest_test.point"}},
		"retention on a key-value aggregation": {func(b *stream.Builder) {
			b.Stream("a", serde.String(), serde.String()).GroupByKey().Cogroup(concat).
				Aggregate(func() string { return "" }, nil, table.WithRetention(time.Hour))
		}, []string{"table.WithRetention applies to windowed aggregations only"}},
		"retention shorter than the windows": {func(b *stream.Builder) {
			b.Stream("a", serde.String(), serde.String()).GroupByKey().Cogroup(concat).
				WindowedBy(window.Tumbling(time.Minute).Grace(time.Second)).
				Aggregate(func() string { return "" }, nil, table.WithRetention(time.Minute))
		}, []string{"retention 1m0s is shorter than window size + grace (1m1s)"}},
		"nil session merger": {func(b *stream.Builder) {
			b.Stream("a", serde.String(), serde.String()).GroupByKey().Cogroup(concat).
				SessionWindowedBy(window.Session(time.Minute)).
				Aggregate(func() string { return "" }, nil, nil)
		}, []string{"Aggregate: nil session merger"}},
		"different builders": {func(b *stream.Builder) {
			other := stream.NewBuilder()
			b.Stream("a", serde.String(), serde.String()).GroupByKey().Cogroup(concat).
				Cogroup(other.Stream("b", serde.String(), serde.String()).GroupByKey(), concat).
				Aggregate(func() string { return "" }, nil)
		}, []string{"Cogroup: the grouped streams come from different builders"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b)
			_, err := b.Build()
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// The inputs of a cogroup are co-partitioned, as a join's: topics read
// directly need the same partition count, and a repartitioned input's topic
// takes it.
func TestCogroupCoPartitioning(t *testing.T) {
	build := func(rekeyA bool) *stream.Topology {
		b := stream.NewBuilder()
		a := b.Stream("a", serde.String(), serde.String())
		if rekeyA {
			a = a.SelectKey(func(_, v string) string { return v })
		}
		a.GroupByKey().Cogroup(concat).
			Cogroup(b.Stream("b", serde.String(), serde.String()).GroupByKey(), concat).
			Aggregate(func() string { return "" }, nil, table.As("s")).
			ToStream().To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	_, err := topologytest.New(build(false), topologytest.TopicPartitions("a", 2), topologytest.TopicPartitions("b", 3))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `sub-topology 0 joins topics that are not co-partitioned: "a" has 2 partitions but "b" has 3`)

	d, err := topologytest.New(build(true), topologytest.TopicPartitions("a", 4), topologytest.TopicPartitions("b", 2),
		topologytest.AppID("app"))
	require.NoError(t, err)
	defer d.Close()
	n, err := d.PartitionCount("app-s-repartition")
	require.NoError(t, err)
	assert.Equal(t, int32(2), n, "the repartition topic takes the directly read input's count")
	assert.Equal(t, []string{"0_0", "0_1", "0_2", "0_3", "1_0", "1_1"}, d.Tasks())
	require.NoError(t, d.Input("a", serde.String(), serde.String()).PipeAt("x", "k", ms(1)))
	require.NoError(t, d.Input("b", serde.String(), serde.String()).PipeAt("k", "b", ms(2)))
	vals, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{{Key: "k", Value: "k"}, {Key: "k", Value: "kb"}}, vals)
}

// addLong is the aggregator of cg-b in java/…/CogroupTopologies.java.
func addLong(_ string, n int64, agg string) string { return agg + "b" + strconv.FormatInt(n, 10) }

// cogroupSmall is the "cogroup" topology of java/…/CogroupTopologies.java:
// cg-a, cg-b (int64) and cg-c cogrouped into strings, unwindowed, over
// hopping windows, sessions and sliding windows.
func cogroupSmall(b *stream.Builder) {
	a := b.Stream("cg-a", serde.String(), serde.String()).GroupByKey()
	bs := b.Stream("cg-b", serde.String(), serde.Int64()).GroupByKey()
	c := b.Stream("cg-c", serde.String(), serde.String()).GroupByKey()
	cg := a.Cogroup(concat).Cogroup(bs, addLong).Cogroup(c, concat)
	empty := func() string { return "" }
	cg.Aggregate(empty, nil).ToStream().To("cg-agg", nil, nil)
	cg.WindowedBy(window.Hopping(10*time.Second, 5*time.Second).Grace(2*time.Second)).
		Aggregate(empty, nil).ToStream().To("cg-windowed", nil, nil)
	cg.SessionWindowedBy(window.Session(3*time.Second).Grace(2*time.Second)).
		Aggregate(empty, func(_ string, l, r string) string { return l + "+" + r }, nil).ToStream().To("cg-session", nil, nil)
	cg.SlidingWindowedBy(window.Sliding(5*time.Second).Grace(2*time.Second)).
		Aggregate(empty, nil).ToStream().To("cg-sliding", nil, nil)
}

// The small case of the cogroup conformance test gives the output Java
// Kafka Streams gives on the TopologyTestDriver (CogroupTopologiesTest):
// null values are dropped unwindowed and from sliding windows, and reach
// the time-window and session aggregators as the zero value; the record
// at 9000 after 20000 is late for every windowed aggregation.
func TestCogroupMatchesKafkaStreamsSmallCase(t *testing.T) {
	b := stream.NewBuilder()
	cogroupSmall(b)
	d := driver(t, b)
	a := d.Input("cg-a", serde.String(), serde.String())
	bs := d.Input("cg-b", serde.String(), serde.Int64())
	c := d.Input("cg-c", serde.String(), serde.String())
	require.NoError(t, a.PipeAt("k1", "a1", ms(1000)))
	require.NoError(t, bs.PipeAt("k1", 5, ms(2000)))
	require.NoError(t, c.PipeAt("k2", "c1", ms(3000)))
	require.NoError(t, a.PipeAt("k2", "a2", ms(4000)))
	require.NoError(t, bs.PipeRecord(topologytest.Record[string, int64]{Key: "k1", ValueNull: true, Timestamp: ms(5000)}))
	require.NoError(t, bs.PipeAt("k2", 7, ms(6000)))
	require.NoError(t, c.PipeAt("k1", "c2", ms(7000)))
	require.NoError(t, a.PipeAt("k1", "a3", ms(20000)))
	require.NoError(t, a.PipeAt("k1", "a4", ms(9000)))

	assert.Equal(t, []string{"k1=a1@1000", "k1=a1b5@2000", "k2=c1@3000", "k2=c1a2@4000", "k2=c1a2b7@6000",
		"k1=a1b5c2@7000", "k1=a1b5c2a3@20000", "k1=a1b5c2a3a4@20000"},
		kvts(t, d.Output("cg-agg", serde.String(), serde.String())))
	assert.Equal(t, []string{
		"k1[0,10000]=a1@1000", "k1[0,10000]=a1b5@2000", "k2[0,10000]=c1@3000", "k2[0,10000]=c1a2@4000",
		"k1[0,10000]=a1b5b0@5000", "k1[5000,15000]=b0@5000",
		"k2[0,10000]=c1a2b7@6000", "k2[5000,15000]=b7@6000",
		"k1[0,10000]=a1b5b0c2@7000", "k1[5000,15000]=b0c2@7000",
		"k1[15000,25000]=a3@20000", "k1[20000,30000]=a3@20000"},
		wkvts(t, d.Output("cg-windowed", serde.TimeWindowed(serde.String(), 10*time.Second), serde.String())))
	assert.Equal(t, []string{
		"k1[1000,1000]=a1@1000",
		"k1[1000,1000]=<null>@1000", "k1[1000,2000]=+a1b5@2000",
		"k2[3000,3000]=c1@3000",
		"k2[3000,3000]=<null>@3000", "k2[3000,4000]=+c1a2@4000",
		"k1[1000,2000]=<null>@2000", "k1[1000,5000]=++a1b5b0@5000",
		"k2[3000,4000]=<null>@4000", "k2[3000,6000]=++c1a2b7@6000",
		"k1[1000,5000]=<null>@5000", "k1[1000,7000]=+++a1b5b0c2@7000",
		"k1[20000,20000]=a3@20000"},
		wkvts(t, d.Output("cg-session", serde.SessionWindowed(serde.String()), serde.String())))
	// Java's TimeWindowedSerde reads End = Start + the time difference.
	assert.Equal(t, []string{
		"k1[0,5000]=a1@1000", "k1[1001,6001]=b5@2000", "k1[0,5000]=a1b5@2000",
		"k2[0,5000]=c1@3000", "k2[3001,8001]=a2@4000", "k2[0,5000]=c1a2@4000",
		"k2[3001,8001]=a2b7@6000", "k2[4001,9001]=b7@6000", "k2[1000,6000]=c1a2b7@6000",
		"k1[2001,7001]=c2@7000", "k1[2000,7000]=b5c2@7000",
		"k1[15000,20000]=a3@20000"},
		wkvts(t, d.Output("cg-sliding", serde.TimeWindowed(serde.String(), 5*time.Second), serde.String())))
	assert.Equal(t, int64(4), d.Dropped()[record.DropLate], "a4 for its two hopping windows, the session and the sliding windows")
	assert.Equal(t, int64(2), d.Dropped()[record.DropNullValue], "b's null, unwindowed and sliding")
}

// Each input's windowed-aggregation processor tracks the stream time of
// the records it has seen, as Kafka Streams' KStreamWindowAggregate and
// KStreamSessionWindowAggregate processors do: a record is late when its
// window closed for its own input, however far another input has
// advanced.
func TestCogroupLateRecordsPerInput(t *testing.T) {
	// The inputs share the store, whose retention (window size + grace
	// unless set) follows the largest timestamp any input put: a window
	// still open for one input may have expired from the store because of
	// another's records. The input then starts the window afresh, as in
	// Kafka Streams, whose window stores return nothing older than their
	// observed time - retention.
	for _, tc := range []struct {
		name     string
		opts     []table.Option
		reopened string
	}{
		{"time windows", []table.Option{table.WithRetention(time.Hour)}, "k[0,10]=xb5@3"},
		{"time windows expired from the store", nil, "k[0,10]=b5@3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := stream.NewBuilder()
			g1 := b.Stream("a", serde.String(), serde.String()).GroupByKey()
			g2 := b.Stream("b", serde.String(), serde.Int64()).GroupByKey()
			g1.Cogroup(concat).Cogroup(g2, addLong).
				WindowedBy(window.Tumbling(10*time.Millisecond).Grace(5*time.Millisecond)).
				Aggregate(func() string { return "" }, nil, tc.opts...).
				ToStream().To("out", nil, nil)
			d := driver(t, b)
			a, bi := d.Input("a", serde.String(), serde.String()), d.Input("b", serde.String(), serde.Int64())
			require.NoError(t, a.PipeAt("k", "x", ms(1)))
			require.NoError(t, bi.PipeAt("k", 7, ms(12)))
			require.NoError(t, a.PipeAt("k", "y", ms(30))) // a's stream time 30: windows ending by 25 closed for a
			require.NoError(t, bi.PipeAt("k", 5, ms(3)))   // b's stream time 12: [0,10) still open for b
			require.NoError(t, a.PipeAt("k", "z", ms(4)))  // late for a
			require.NoError(t, bi.PipeAt("k", 1, ms(26)))
			require.NoError(t, bi.PipeAt("k", 2, ms(9))) // late for b now (26 - 5 >= 10)
			require.NoError(t, a.PipeRecord(topologytest.Record[string, string]{Key: "k", ValueNull: true, Timestamp: ms(31)}))
			require.NoError(t, a.PipeRecord(topologytest.Record[string, string]{KeyNull: true, Value: "n", Timestamp: ms(32)}))
			assert.Equal(t, []string{
				"k[0,10]=x@1", "k[10,20]=b7@12", "k[30,40]=y@30", tc.reopened, "k[20,30]=b1@26",
				"k[30,40]=y@31", // a null value reaches the aggregator as the zero value
			}, wkvts(t, d.Output("out", serde.TimeWindowed(serde.String(), 10*time.Millisecond), serde.String())))
			assert.Equal(t, int64(2), d.Dropped()[record.DropLate])
			assert.Equal(t, int64(1), d.Dropped()[record.DropNullKey])
		})
	}
	t.Run("sessions", func(t *testing.T) {
		b := stream.NewBuilder()
		g1 := b.Stream("a", serde.String(), serde.String()).GroupByKey()
		g2 := b.Stream("b", serde.String(), serde.Int64()).GroupByKey()
		g1.Cogroup(concat).Cogroup(g2, addLong).
			SessionWindowedBy(window.Session(10*time.Millisecond)).
			Aggregate(func() string { return "" }, func(_ string, l, r string) string { return l + "|" + r }, nil,
				table.WithRetention(time.Hour)).
			ToStream().To("out", nil, nil)
		d := driver(t, b)
		a, bi := d.Input("a", serde.String(), serde.String()), d.Input("b", serde.String(), serde.Int64())
		require.NoError(t, a.PipeAt("k", "x", ms(0)))
		require.NoError(t, bi.PipeAt("k", 1, ms(20)))
		require.NoError(t, a.PipeAt("k", "y", ms(10))) // bridges [0,0] and [20,20]: merged in store order
		require.NoError(t, bi.PipeAt("k", 2, ms(25)))
		require.NoError(t, a.PipeAt("k", "z", ms(100))) // a's stream time 100: sessions ending before 90 closed for a
		require.NoError(t, bi.PipeAt("k", 3, ms(50)))   // b's stream time 50: open
		require.NoError(t, a.PipeAt("k", "w", ms(60)))  // would merge [50,50] into [50,60]: late for a
		assert.Equal(t, []string{
			"k[0,0]=x@0",
			"k[20,20]=b1@20",
			"k[0,0]=<null>@0", "k[20,20]=<null>@20", "k[0,20]=|x|b1y@20",
			"k[0,20]=<null>@20", "k[0,25]=||x|b1yb2@25",
			"k[100,100]=z@100",
			"k[50,50]=b3@50",
		}, wkvts(t, d.Output("out", serde.SessionWindowed(serde.String()), serde.String())))
		assert.Equal(t, int64(1), d.Dropped()[record.DropLate])
	})
}

// Without late records, a cogroup aggregates exactly as one aggregation of
// the inputs merged into one stream of a common value type would: the
// same updates of the same keys and windows, in the same order, on several
// partitions.
func TestCogroupEqualsAggregatingTheMergedInputs(t *testing.T) {
	type ev struct {
		From string
		N    int64
	}
	addA := func(_ string, v string, agg string) string { return agg + "a" + v }
	addB := func(_ string, n int64, agg string) string { return agg + "b" + strconv.FormatInt(n, 10) }
	addEv := func(k string, e ev, agg string) string {
		if e.From == "a" {
			return addA(k, strconv.FormatInt(e.N, 10), agg)
		}
		return addB(k, e.N, agg)
	}
	merger := func(_ string, l, r string) string { return l + "/" + r }
	empty := func() string { return "" }
	hopping := window.Hopping(40*time.Millisecond, 10*time.Millisecond).Grace(time.Hour)
	session := window.Session(15 * time.Millisecond).Grace(time.Hour)
	sliding := window.Sliding(25 * time.Millisecond).Grace(time.Hour)
	cogrouped := func(b *stream.Builder) {
		a := b.Stream("a", serde.String(), serde.String()).GroupByKey()
		bs := b.Stream("b", serde.String(), serde.Int64()).GroupByKey()
		cg := a.Cogroup(addA).Cogroup(bs, addB)
		cg.Aggregate(empty, nil).ToStream().To("kv", nil, nil)
		cg.WindowedBy(hopping).Aggregate(empty, nil).ToStream().To("time", nil, nil)
		cg.SessionWindowedBy(session).Aggregate(empty, merger, nil).ToStream().To("session", nil, nil)
		cg.SlidingWindowedBy(sliding).Aggregate(empty, nil).ToStream().To("sliding", nil, nil)
	}
	merged := func(b *stream.Builder) {
		a := b.Stream("a", serde.String(), serde.String()).
			MapValues(func(v string) ev { n, _ := strconv.ParseInt(v, 10, 64); return ev{"a", n} })
		bs := b.Stream("b", serde.String(), serde.Int64()).MapValues(func(n int64) ev { return ev{"b", n} })
		g := a.Merge(bs).WithValueSerde(serde.JSON[ev]()).GroupByKey()
		g.Aggregate(empty, addEv, nil).ToStream().To("kv", nil, nil)
		g.WindowedBy(hopping).Aggregate(empty, addEv, nil).ToStream().To("time", nil, nil)
		g.SessionWindowedBy(session).Aggregate(empty, addEv, merger, nil).ToStream().To("session", nil, nil)
		g.SlidingWindowedBy(sliding).Aggregate(empty, addEv, nil).ToStream().To("sliding", nil, nil)
	}
	run := func(build func(*stream.Builder)) map[string][]string {
		b := stream.NewBuilder()
		build(b)
		d := driver(t, b, topologytest.DefaultPartitions(3))
		a, bi := d.Input("a", serde.String(), serde.String()), d.Input("b", serde.String(), serde.Int64())
		for i := range 300 {
			key := fmt.Sprintf("k%d", i*7%11)
			ts := ms(int64(i*4 - i%5*9 + 100)) // out of order, within the grace
			if i%3 == 0 {
				require.NoError(t, bi.PipeAt(key, int64(i), ts))
			} else {
				require.NoError(t, a.PipeAt(key, strconv.Itoa(i), ts))
			}
		}
		return map[string][]string{
			"kv":      kvts(t, d.Output("kv", serde.String(), serde.String())),
			"time":    wkvts(t, d.Output("time", serde.TimeWindowed(serde.String(), 40*time.Millisecond), serde.String())),
			"session": wkvts(t, d.Output("session", serde.SessionWindowed(serde.String()), serde.String())),
			"sliding": wkvts(t, d.Output("sliding", serde.TimeWindowed(serde.String(), 25*time.Millisecond), serde.String())),
		}
	}
	want, got := run(merged), run(cogrouped)
	for _, o := range []string{"kv", "time", "session", "sliding"} {
		assert.Greater(t, len(want[o]), 250, o)
		assert.Equal(t, want[o], got[o], o)
	}
}

// Kafka Streams' shouldInsertRepartitionsTopicForCogroupsUsedTwice: two
// aggregations of one cogrouped stream share its input's repartition topic
// (and so its name, here given by GroupByKey's As) and run in one
// sub-topology.
func TestCogroupAggregatedTwiceSharesRepartitionTopic(t *testing.T) {
	b := stream.NewBuilder()
	g := b.Stream("one", serde.String(), serde.String()).
		SelectKey(func(_, v string) string { return v }).
		GroupByKey(stream.As("foo"))
	c := g.Cogroup(concat)
	c.Aggregate(func() string { return "" }, nil, table.As("first")).ToStream().To("out1", nil, nil)
	c.WindowedBy(window.Tumbling(time.Second)).Aggregate(func() string { return "" }, nil, table.As("second")).
		ToStream().To("out2", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 2, topo.Subtopologies(), topo.Describe())
	assert.Equal(t, 1, strings.Count(topo.Describe(), "Sink: foo-repartition-sink"), topo.Describe())
	d := driver(t, b, topologytest.DefaultPartitions(2), topologytest.AppID("app"))
	require.NoError(t, d.Input("one", serde.String(), serde.String()).PipeAt("x", "k", ms(5)))
	assert.Equal(t, []string{"k=k@5"}, kvts(t, d.Output("out1", serde.String(), serde.String())))
	assert.Equal(t, []string{"k[0,1000]=k@5"}, wkvts(t, d.Output("out2", serde.TimeWindowed(serde.String(), time.Second), serde.String())))
	assert.Len(t, d.ReadRaw("app-foo-repartition"), 1)
}
