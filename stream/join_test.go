// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

type payment struct {
	Order  string `json:"order"`
	Amount int64  `json:"amount"`
}

type shipment struct {
	Order string `json:"order"`
}

// Orders re-keyed by id left-joined with payments within an hour, then
// enriched from the customers table: two repartition topics feed the
// stream-stream join, whose result is re-keyed again for the stream-table
// join.
func joinTopology(b *stream.Builder) {
	orders := b.Stream("orders", serde.String(), serde.JSON[order]()).
		SelectKey(func(_ string, o order) string { return o.ID })
	payments := b.Stream("payments", serde.String(), serde.JSON[payment]()).
		SelectKey(func(_ string, p payment) string { return p.Order })
	customers := b.Table("customers", serde.String(), serde.String(), table.As("customers"))
	orders.LeftJoin(payments, func(o order, _ payment, paid bool) order {
		if !paid {
			o.Amount = 0
		}
		return o
	}, window.JoinWindow(time.Hour).Grace(time.Minute), stream.As("order-payments")).
		WithValueSerde(serde.JSON[order]()).
		SelectKey(func(_ string, o order) string { return o.Customer }).
		JoinTable(customers, func(o order, region string) string { return region }, stream.As("order-regions")).
		To("order-regions", nil, nil)
}

func TestDescribeJoins(t *testing.T) {
	b := stream.NewBuilder()
	joinTopology(b)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 4, topo.Subtopologies())
	golden(t, "join.describe", topo.Describe())
	assert.Equal(t, []string{
		"customers",
		"order-payments-this-join-store", "order-payments-outer-other-join-store", "order-payments-left-shared-join-store",
	}, topo.StoreNames())
}

// Generated join names derive from the lineage, so they survive unrelated
// changes to the topology.
func TestJoinGeneratedNames(t *testing.T) {
	build := func(extra bool) *stream.Topology {
		b := stream.NewBuilder()
		if extra {
			b.Stream("other", serde.String(), serde.String()).To("elsewhere", nil, nil)
		}
		l := b.Stream("l", serde.String(), serde.String())
		r := b.Stream("r", serde.String(), serde.String())
		l.OuterJoin(r, func(a string, _ bool, b string, _ bool) string { return a + b }, window.JoinWindow(time.Second)).
			To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	t1, t2 := build(false), build(true)
	assert.Equal(t, t1.StoreNames(), t2.StoreNames())
	require.Len(t, t1.StoreNames(), 3)
	// OUTERTHIS and OUTEROTHER as in Kafka Streams' generated names for an
	// outer join (KSTREAM-OUTERTHIS-0000000004-store, …).
	assert.Regexp(t, `^KSTREAM-OUTERTHIS-STATE-STORE-[0-9a-f]{8}$`, t1.StoreNames()[0])
	assert.Regexp(t, `^KSTREAM-OUTEROTHER-STATE-STORE-[0-9a-f]{8}$`, t1.StoreNames()[1])
	assert.Regexp(t, `^KSTREAM-OUTERSHARED-STATE-STORE-[0-9a-f]{8}$`, t1.StoreNames()[2])
	assert.Contains(t, t1.Describe(), "Processor: KSTREAM-OUTERJOINTHIS-")
}

func TestJoinBuildErrors(t *testing.T) {
	type custom struct{ N int }
	ss := serde.String()
	concat := func(a, b string) string { return a + b }
	cases := []struct {
		name  string
		build func(b *stream.Builder)
		want  []string
	}{
		{"stream-stream join without the left value serde", func(b *stream.Builder) {
			l := b.Stream("l", ss, ss).MapValues(func(v string) custom { return custom{len(v)} })
			l.Join(b.Stream("r", ss, ss), func(c custom, v string) string { return v }, window.JoinWindow(time.Second), stream.As("j"))
		}, []string{"j-this-join: ", "no value serde for type stream_test.custom", "Join keeps the left stream's values in a window store", "WithValueSerde"}},
		{"stream-stream join without the right value serde", func(b *stream.Builder) {
			r := b.Stream("r", ss, ss).MapValues(func(v string) custom { return custom{len(v)} })
			b.Stream("l", ss, ss).LeftJoin(r, func(v string, _ custom, _ bool) string { return v }, window.JoinWindow(time.Second))
		}, []string{"KSTREAM-LEFTJOINTHIS-", "no value serde for type stream_test.custom", "LeftJoin keeps the right stream's values"}},
		{"stream-stream join without a key serde", func(b *stream.Builder) {
			l := b.Stream("l", ss, ss).SelectKey(func(k, _ string) custom { return custom{len(k)} })
			r := b.Stream("r", ss, ss).SelectKey(func(k, _ string) custom { return custom{len(k)} })
			l.OuterJoin(r, func(a string, _ bool, b string, _ bool) string { return a + b }, window.JoinWindow(time.Second), stream.As("j"))
		}, []string{"no key serde for type stream_test.custom", "OuterJoin writes repartition topic j-left-repartition"}},
		{"empty join windows", func(b *stream.Builder) {
			b.Stream("l", ss, ss).Join(b.Stream("r", ss, ss), concat, window.JoinWindows{})
		}, []string{"KSTREAM-JOINTHIS-", "join window specification is empty: use window.JoinWindow"}},
		{"negative difference", func(b *stream.Builder) {
			b.Stream("l", ss, ss).Join(b.Stream("r", ss, ss), concat, window.JoinWindow(-time.Second))
		}, []string{"join window time difference must not be negative, got -1s"}},
		{"negative span", func(b *stream.Builder) {
			b.Stream("l", ss, ss).Join(b.Stream("r", ss, ss), concat, window.JoinWindow(time.Second).Before(-2*time.Second))
		}, []string{"join window span before+after must not be negative, got before=-2s after=1s"}},
		{"negative grace", func(b *stream.Builder) {
			b.Stream("l", ss, ss).Join(b.Stream("r", ss, ss), concat, window.JoinWindow(time.Second).Grace(-time.Second))
		}, []string{"join window grace must not be negative"}},
		{"streams of different builders", func(b *stream.Builder) {
			other := stream.NewBuilder()
			b.Stream("l", ss, ss).Join(other.Stream("r", ss, ss), concat, window.JoinWindow(time.Second))
		}, []string{"Join: the streams come from different builders"}},
		{"table of a different builder", func(b *stream.Builder) {
			other := stream.NewBuilder()
			b.Stream("l", ss, ss).JoinTable(other.Table("t", ss, ss), concat)
		}, []string{"JoinTable: the stream and the table come from different builders"}},
		{"derived table of a custom type without serde", func(b *stream.Builder) {
			t := b.Table("t", ss, ss).MapValues(func(v string) custom { return custom{len(v)} })
			b.Stream("l", ss, ss).LeftJoinTable(t, func(v string, _ custom, _ bool) string { return v })
		}, []string{"KTABLE-MATERIALIZE-", "no value serde for type stream_test.custom", "LeftJoinTable materializes this table", "Table.WithValueSerde"}},
		{"table-table join of a derived custom table without serde", func(b *stream.Builder) {
			t := b.Table("t", ss, ss).MapValues(func(v string) custom { return custom{len(v)} })
			b.Table("l", ss, ss).Join(t, func(v string, _ custom) string { return v }, stream.As("tt"))
		}, []string{"Table.Join materializes this table"}},
		{"WithValueSerde on a materialized table", func(b *stream.Builder) {
			b.Table("t", ss, ss, table.As("t")).WithValueSerde(ss)
		}, []string{"WithValueSerde: the table is materialized in a store with its own value serde"}},
		{"duplicate join name", func(b *stream.Builder) {
			l, r := b.Stream("l", ss, ss), b.Stream("r", ss, ss)
			l.Join(r, concat, window.JoinWindow(time.Second), stream.As("j"))
			l.LeftJoin(r, func(a, b string, _ bool) string { return a }, window.JoinWindow(time.Second), stream.As("j"))
		}, []string{`duplicate processor name "j-this-join"`, `duplicate store name "j-this-join-store"`}},
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

// Joins keep the values typed end to end: the output serde of a join of
// primitive results is known, custom results need one for To.
func TestJoinOutputSerdes(t *testing.T) {
	b := stream.NewBuilder()
	l := b.Stream("l", serde.String(), serde.Int64())
	r := b.Stream("r", serde.String(), serde.JSON[shipment]())
	l.Join(r, func(n int64, s shipment) int64 { return n }, window.JoinWindow(time.Second)).To("ints", nil, nil)
	l.Join(r, func(n int64, s shipment) shipment { return s }, window.JoinWindow(time.Second)).To("shipments", nil, nil)
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no value serde for type stream_test.shipment: pass one to To")
	assert.NotContains(t, err.Error(), "int64")
}
