// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"encoding/binary"
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

type order struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Amount   int64  `json:"amount"`
}

// A stream re-keyed before a join is repartitioned (<app>-<name>-repartition)
// so that each order meets its customer's row in the same task, whatever
// partition the order was written to.
func TestStreamTableJoinRepartitionsRekeyedStream(t *testing.T) {
	b := stream.NewBuilder()
	customers := b.Table("customers", serde.String(), serde.String(), table.As("customers"))
	b.Stream("orders", serde.String(), serde.JSON[order]()).
		SelectKey(func(_ string, o order) string { return o.Customer }).
		LeftJoinTable(customers, func(o order, region string, found bool) string {
			if !found {
				region = "unknown"
			}
			return o.ID + "@" + region
		}, stream.As("enrich")).
		To("enriched", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(3), topologytest.AppID("shop"))
	cust := d.Input("customers", serde.String(), serde.String())
	for c, region := range map[string]string{"alice": "eu", "bob": "us", "carol": "apac", "dave": "eu"} {
		require.NoError(t, cust.Pipe(c, region))
	}
	orders := d.Input("orders", serde.String(), serde.JSON[order]())
	for i, c := range []string{"alice", "bob", "carol", "dave", "erin"} {
		id := string(rune('1' + i))
		require.NoError(t, orders.Pipe("order-"+id, order{ID: id, Customer: c}))
	}
	got, err := topologytest.ReadToMap(d.Output("enriched", serde.String(), serde.String()))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"alice": "1@eu", "bob": "2@us", "carol": "3@apac", "dave": "4@eu", "erin": "5@unknown"}, got)
	assert.Contains(t, d.ProducedTopics(), "shop-enrich-repartition")
	for _, r := range d.ReadRaw("shop-enrich-repartition") {
		assert.Equal(t, partition.ForKey(r.Key, 3), r.Partition)
	}
}

// Both sides of a stream-stream join are repartitioned when re-keyed, and
// the join's stores are logged under the names derived from As.
func TestStreamStreamJoinNamesAndChangelogs(t *testing.T) {
	b := stream.NewBuilder()
	rekey := func(_, v string) string { return strings.SplitN(v, ":", 2)[0] }
	l := b.Stream("left", serde.String(), serde.String()).SelectKey(rekey)
	r := b.Stream("right", serde.String(), serde.String()).SelectKey(rekey)
	l.OuterJoin(r, joined, window.JoinWindow(10*time.Millisecond), stream.As("j")).To("out", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(2), topologytest.AppID("app"))
	li, ri := d.Input("left", serde.String(), serde.String()), d.Input("right", serde.String(), serde.String())
	require.NoError(t, li.PipeAt("x", "k1:A", ms(1)))
	require.NoError(t, ri.PipeAt("y", "k1:a", ms(2)))
	require.NoError(t, ri.PipeAt("y", "k2:b", ms(3)))
	require.NoError(t, li.PipeAt("x", "k2:C", ms(50)))
	got, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{
		{Key: "k1", Value: "[k1:A,k1:a]"},
		{Key: "k2", Value: "[null,k2:b]"},
	}, got)
	for _, topic := range []string{
		"app-j-left-repartition", "app-j-right-repartition",
		"app-j-outer-this-join-store-changelog", "app-j-outer-other-join-store-changelog", "app-j-outer-shared-join-store-changelog",
	} {
		assert.Contains(t, d.ProducedTopics(), topic)
	}
}

// The outer store is laid out as Kafka Streams' (TimestampedKeyAndJoinSide
// keys, ListSerde of LeftOrRightValue values), so its changelog is
// byte-compatible.
func TestOuterJoinStoreChangelogLayout(t *testing.T) {
	b := stream.NewBuilder()
	l, r := b.Stream("left", serde.String(), serde.String()), b.Stream("right", serde.String(), serde.String())
	l.LeftJoin(r, func(a, b string, _ bool) string { return a + b }, window.JoinWindow(time.Second), stream.As("j")).To("out", nil, nil)
	d := driver(t, b, topologytest.AppID("app"))
	require.NoError(t, d.Input("left", serde.String(), serde.String()).PipeAt("k", "A", ms(7)))
	recs := d.ReadRaw("app-j-left-shared-join-store-changelog")
	require.Len(t, recs, 1)
	wantKey := binary.BigEndian.AppendUint64(nil, 7)
	wantKey = append(wantKey, 1, 'k')
	assert.Equal(t, wantKey, recs[0].Key, "8-byte timestamp, side 1 = left, key")
	assert.Equal(t, []byte{1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 'A'}, recs[0].Value, "variable-size list of one element: side 1, value")

	require.NoError(t, d.Input("right", serde.String(), serde.String()).PipeAt("k", "a", ms(8)))
	recs = d.ReadRaw("app-j-left-shared-join-store-changelog")
	require.Len(t, recs, 1)
	assert.Equal(t, wantKey, recs[0].Key)
	assert.Nil(t, recs[0].Value, "a matched record leaves the outer store")
}

func TestJoinCoPartitioning(t *testing.T) {
	ss := serde.String()
	streamStream := func(rekeyLeft bool, opts ...stream.Option) *stream.Builder {
		b := stream.NewBuilder()
		l := b.Stream("left", ss, ss)
		if rekeyLeft {
			l = l.SelectKey(func(_, v string) string { return v })
		}
		if len(opts) > 0 {
			l = l.Repartition(opts...)
		}
		l.Join(b.Stream("right", ss, ss), func(a, b string) string { return a + b }, window.JoinWindow(time.Second)).To("out", nil, nil)
		return b
	}
	streamTable := func() *stream.Builder {
		b := stream.NewBuilder()
		b.Stream("left", ss, ss).JoinTable(b.Table("right", ss, ss), func(a, b string) string { return a + b }).To("out", nil, nil)
		return b
	}
	tableTable := func() *stream.Builder {
		b := stream.NewBuilder()
		b.Table("left", ss, ss).Join(b.Table("right", ss, ss), func(a, b string) string { return a + b }).ToStream().To("out", nil, nil)
		return b
	}
	mismatch := []topologytest.Option{topologytest.TopicPartitions("left", 2), topologytest.TopicPartitions("right", 3)}
	for name, b := range map[string]*stream.Builder{"stream-stream": streamStream(false), "stream-table": streamTable(), "table-table": tableTable()} {
		t.Run(name, func(t *testing.T) {
			topo, err := b.Build()
			require.NoError(t, err)
			_, err = topologytest.New(topo, mismatch...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `sub-topology 0 joins topics that are not co-partitioned: "left" has 2 partitions but "right" has 3`)
		})
	}

	t.Run("repartition topic takes the other side's count", func(t *testing.T) {
		d := driver(t, streamStream(true), topologytest.TopicPartitions("left", 4), topologytest.TopicPartitions("right", 2))
		assert.Equal(t, []string{"0_0", "0_1", "0_2", "0_3", "1_0", "1_1"}, d.Tasks())
		require.NoError(t, d.Input("left", ss, ss).PipeAt("x", "k", ms(1)))
		require.NoError(t, d.Input("right", ss, ss).PipeAt("k", "b", ms(2)))
		vals, err := d.Output("out", ss, ss).ReadValues()
		require.NoError(t, err)
		assert.Equal(t, []string{"kb"}, vals)
	})

	t.Run("a requested repartition count must match", func(t *testing.T) {
		topo, err := streamStream(true, stream.As("rk"), stream.Partitions(3)).Build()
		require.NoError(t, err)
		_, err = topologytest.New(topo, topologytest.DefaultPartitions(2), topologytest.AppID("app"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"app-rk-repartition" has 3 partitions but "right" has 2`)
	})

	t.Run("sub-topologies without joins may mix counts", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Stream("left", ss, ss).Merge(b.Stream("right", ss, ss)).To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := topologytest.New(topo, mismatch...)
		require.NoError(t, err)
		require.NoError(t, d.Close())
	})
}

// Tables that are not materialized (here after Filter) are materialized
// for the join; values of custom types need a serde for that.
func TestTableJoinMaterializesDerivedTables(t *testing.T) {
	type price struct{ Cents int64 }
	b := stream.NewBuilder()
	prices := b.Table("prices", serde.String(), serde.Int64()).
		Filter(func(_ string, p int64) bool { return p > 0 }).
		MapValues(func(p int64) price { return price{p} }).
		WithValueSerde(serde.JSON[price]())
	names := b.Table("names", serde.String(), serde.String())
	names.Join(prices, func(n string, p price) string { return n + "=" + strconv.FormatInt(p.Cents, 10) }).
		ToStream().To("out", nil, nil)
	b.Stream("lookups", serde.String(), serde.String()).
		JoinTable(prices, func(_ string, p price) int64 { return p.Cents }).
		To("looked-up", nil, nil)
	d := driver(t, b)
	require.NoError(t, d.Input("names", serde.String(), serde.String()).PipeAt("a", "apple", ms(1)))
	pin := d.Input("prices", serde.String(), serde.Int64())
	require.NoError(t, pin.PipeAt("a", 5, ms(2)))
	require.NoError(t, pin.PipeAt("a", -1, ms(3))) // filtered out: a deletion
	require.NoError(t, d.Input("lookups", serde.String(), serde.String()).PipeAt("a", "?", ms(4)))
	require.NoError(t, pin.PipeAt("a", 7, ms(5)))
	require.NoError(t, d.Input("lookups", serde.String(), serde.String()).PipeAt("a", "?", ms(6)))

	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	var got []string
	for _, r := range rs {
		got = append(got, show(r.Value, !r.ValueNull))
	}
	assert.Equal(t, []string{"apple=5", "null", "apple=7"}, got)
	vals, err := d.Output("looked-up", serde.String(), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []int64{7}, vals, "the lookup at 4 found no row")
}

// A stream can be joined with an aggregation's table.
func TestStreamJoinsAggregate(t *testing.T) {
	b := stream.NewBuilder()
	clicks := b.Stream("clicks", serde.String(), serde.String())
	counts := clicks.GroupByKey().Count(table.As("click-counts"))
	clicks.JoinTable(counts, func(page string, n int64) string { return page + "#" + string(rune('0'+n)) }).To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("clicks", serde.String(), serde.String())
	require.NoError(t, in.PipeKeyValues(record.KV("u1", "home"), record.KV("u1", "cart"), record.KV("u2", "home")))
	vals, err := d.Output("out", serde.String(), serde.String()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []string{"home#1", "cart#2", "home#1"}, vals, "the aggregate is updated before the join reads it")
}
