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
	"github.com/eddy-streams/eddy/window"
)

func wordCountNamed(b *stream.Builder, group []stream.Option, store []table.Option) {
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String(), group...).
		Count(store...).
		ToStream().
		To("counts", serde.String(), serde.Int64())
}

// RequireExplicitNames rejects every store and repartition topic the
// topology leaves to generated names, naming the operator and saying what
// to pass.
func TestRequireExplicitNames(t *testing.T) {
	b := stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, nil, nil)
	_, err := b.Build()
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `Count (processor KSTREAM-AGGREGATE-`)
	assert.Contains(t, msg, `): the state store (and its changelog topic KSTREAM-AGGREGATE-STATE-STORE-`)
	assert.Contains(t, msg, `would get the generated name "KSTREAM-AGGREGATE-STATE-STORE-`)
	assert.Contains(t, msg, `: pass table.As(name) to Count`)
	assert.Contains(t, msg, `GroupBy (processor KSTREAM-AGGREGATE-STATE-STORE-`)
	assert.Contains(t, msg, `the repartition topic would get the generated name`)
	assert.Contains(t, msg, `pass stream.As(name) to GroupBy, or table.As(name) to Count`)
	assert.Len(t, strings.Split(msg, "\n"), 2, "one error per resource")

	// A named store names the repartition topic that feeds it.
	b = stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, nil, []table.Option{table.As("word-counts")})
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Contains(t, topo.Describe(), "word-counts-repartition")

	// A named grouping with an unnamed store: only the store is reported.
	b = stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, []stream.Option{stream.As("words")}, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "state store")
	assert.NotContains(t, err.Error(), "repartition topic")

	// Naming the processor does not name the store.
	b = stream.NewBuilder(stream.RequireExplicitNames())
	wordCountNamed(b, []stream.Option{stream.As("words")}, []table.Option{stream.As("count-words")})
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Count (processor count-words): the state store`)

	// Without the option, generated names are fine.
	b = stream.NewBuilder()
	wordCountNamed(b, nil, nil)
	_, err = b.Build()
	require.NoError(t, err)
}

// Every operator with internal resources: without names RequireExplicitNames
// rejects the topology with the operator and the fix; with the fix applied
// it builds.
func TestRequireExplicitNamesEveryResource(t *testing.T) {
	ss := serde.String()
	concat := func(a, b string) string { return a + b }
	rekey := func(_, v string) string { return v }
	cases := []struct {
		name    string
		build   func(b *stream.Builder, named bool)
		want    []string
		unnamed int // errors expected without names
	}{
		{"Builder.Table", func(b *stream.Builder, named bool) {
			b.Table("t", ss, ss, pick(named, table.As("t-store"))...)
		}, []string{"Builder.Table (processor KSTREAM-TABLE-SOURCE-", "pass table.As(name) to Builder.Table"}, 1},
		{"Builder.GlobalTable", func(b *stream.Builder, named bool) {
			b.GlobalTable("g", ss, ss, pick(named, table.As("g-store"))...)
		}, []string{"Builder.GlobalTable (processor KTABLE-SOURCE-", "the global table's state store", "pass table.As(name) to Builder.GlobalTable"}, 1},
		{"ToTable", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).ToTable(pick(named, table.As("s-store"))...)
		}, []string{"ToTable (processor KSTREAM-TOTABLE-", "pass table.As(name) to ToTable"}, 1},
		{"Materialize", func(b *stream.Builder, named bool) {
			b.Table("t", ss, ss, table.As("t-store")).
				Filter(func(string, string) bool { return true }).
				Materialize(append(pick(named, table.As("m-store")), stream.As("m"))...)
		}, []string{"Materialize (processor m): the state store", "pass table.As(name) to Materialize"}, 1},
		{"JoinTable materializes its table", func(b *stream.Builder, named bool) {
			tb := b.Table("t", ss, ss, table.As("t-store")).MapValues(strings.ToUpper)
			if named {
				tb = tb.Materialize(table.As("upper"))
			}
			b.Stream("s", ss, ss).JoinTable(tb, concat).To("out", nil, nil)
		}, []string{"JoinTable (processor KTABLE-MATERIALIZE-", "materialize the table before JoinTable with Materialize(table.As(name))"}, 1},
		{"Table.Join materializes its tables", func(b *stream.Builder, named bool) {
			l := b.Table("l", ss, ss, table.As("l-store")).MapValues(strings.ToUpper)
			if named {
				l = l.Materialize(table.As("upper"))
			}
			l.Join(b.Table("r", ss, ss, table.As("r-store")), concat)
		}, []string{"Table.Join (processor KTABLE-MATERIALIZE-", "Materialize(table.As(name))"}, 1},
		{"JoinTable after a key change", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).SelectKey(rekey).
				JoinTable(b.Table("t", ss, ss, table.As("t-store")), concat, pick(named, stream.As("enrich"))...)
		}, []string{"JoinTable (processor KSTREAM-REPARTITION-", "the repartition topic", "pass stream.As(name) to JoinTable"}, 1},
		{"stream-stream Join", func(b *stream.Builder, named bool) {
			b.Stream("l", ss, ss).SelectKey(rekey).
				OuterJoin(b.Stream("r", ss, ss), func(a string, _ bool, b string, _ bool) string { return a + b },
					window.JoinWindow(time.Minute), pick(named, stream.As("j"))...)
		}, []string{"OuterJoin (processor KSTREAM-OUTERJOINTHIS-", "OuterJoin (processor KSTREAM-OUTERJOINOTHER-",
			"the repartition topic", "pass stream.As(name) to OuterJoin (it names the join's stores <name>-outer-this-join-store, <name>-outer-other-join-store, <name>-outer-shared-join-store"}, 4},
		{"Repartition", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).Repartition(pick(named, stream.As("r"))...)
		}, []string{"Repartition (processor KSTREAM-REPARTITION-", "pass stream.As(name) to Repartition"}, 1},
		{"windowed Count with EmitOnWindowClose", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).GroupByKey().WindowedBy(window.Tumbling(time.Minute)).EmitOnWindowClose().
				Count(pick(named, table.As("per-minute"))...)
		}, []string{"Count (processor KSTREAM-WINDOWED-AGGREGATE-", "EmitOnWindowClose (processor KTABLE-SUPPRESS-",
			"pass table.As(name) to the aggregation; it names the buffer <name>-on-window-close-store"}, 2},
		{"session Reduce", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).GroupByKey().SessionWindowedBy(window.Session(time.Minute)).
				Reduce(concat, pick(named, table.As("sessions"))...)
		}, []string{"Reduce (processor KSTREAM-SESSION-WINDOWED-AGGREGATE-", "pass table.As(name) to Reduce"}, 1},
		{"sliding Aggregate", func(b *stream.Builder, named bool) {
			b.Stream("s", ss, ss).GroupByKey().SlidingWindowedBy(window.Sliding(time.Minute)).
				Aggregate(func() string { return "" }, func(_, v, agg string) string { return agg + v }, ss, pick(named, table.As("sliding"))...)
		}, []string{"Aggregate (processor KSTREAM-SLIDING-WINDOWED-AGGREGATE-", "pass table.As(name) to Aggregate"}, 1},
		{"suppression", func(b *stream.Builder, named bool) {
			b.Table("t", ss, ss, table.As("t-store")).SuppressUntilTimeLimit(time.Second, pick[stream.SuppressOption](named, stream.As("limit"))...)
		}, []string{"SuppressUntilTimeLimit (processor KTABLE-SUPPRESS-", "pass stream.As(name) to SuppressUntilTimeLimit (it names the buffer store <name>-store)"}, 1},
		{"Table.GroupBy", func(b *stream.Builder, named bool) {
			b.Table("t", ss, ss, table.As("t-store")).
				GroupBy(func(k, v string) (string, string) { return v, k }, ss, ss).
				Count(pick(named, table.As("per-value"))...)
		}, []string{"Count (processor KTABLE-AGGREGATE-", "Table.GroupBy (processor KSTREAM-AGGREGATE-STATE-STORE-",
			"pass stream.As(name) to GroupBy, or table.As(name) to the aggregation"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder(stream.RequireExplicitNames())
			c.build(b, false)
			_, err := b.Build()
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, strings.Split(err.Error(), "\n"), c.unnamed, err.Error())

			b = stream.NewBuilder(stream.RequireExplicitNames())
			c.build(b, true)
			_, err = b.Build()
			require.NoError(t, err)
		})
	}
}

func pick[O any](named bool, opts ...O) []O {
	if named {
		return opts
	}
	return nil
}

// allNamed builds a topology with every kind of operator, naming every
// processor, store and internal topic.
func allNamed(b *stream.Builder) {
	ss, ls := serde.String(), serde.Int64()
	concat := func(a, b string) string { return a + b }
	keep := func(string, string) bool { return true }

	orders := b.Stream("orders", ss, ss, stream.As("orders-source"))
	customers := b.Table("customers", ss, ss, stream.As("customers"), table.As("customers-store"))
	rates := b.GlobalTable("rates", ss, ss, stream.As("rates"), table.As("rates-store"))

	byCustomer := orders.Filter(keep, stream.As("valid-orders")).
		SelectKey(func(_, v string) string { return v }, stream.As("by-customer"))
	byCustomer.JoinTable(customers, concat, stream.As("enrich")).
		JoinGlobalTable(rates, func(k, _ string) string { return k }, concat, stream.As("add-rate")).
		To("enriched", ss, ss, stream.As("enriched-sink"))

	payments := b.Stream("payments", ss, ss, stream.As("payments-source")).
		Map(func(k, v string) (string, string) { return v, k }, stream.As("payments-by-customer"))
	byCustomer.LeftJoin(payments, func(o, p string, _ bool) string { return o + p }, window.JoinWindow(time.Minute), stream.As("pay")).
		To("paid", ss, ss, stream.As("paid-sink"))

	// A grouping that repartitions names its topic; one whose key is
	// unchanged (after Repartition) needs no name.
	byCustomer.GroupByKey(stream.As("orders-by-customer")).Count(stream.As("count-orders"), table.As("order-counts")).
		ToStream(stream.As("order-count-changes")).
		To("order-counts", ss, ls, stream.As("order-counts-sink"))
	grouped := byCustomer.Repartition(stream.As("customer-orders")).GroupByKey()
	grouped.WindowedBy(window.Tumbling(time.Minute)).EmitOnWindowClose().
		Count(stream.As("count-per-minute"), table.As("per-minute")).
		ToStream(stream.As("per-minute-changes")).
		To("per-minute", nil, ls, stream.As("per-minute-sink"))
	grouped.SessionWindowedBy(window.Session(time.Minute)).
		Reduce(concat, stream.As("sessionize"), table.As("sessions")).
		SuppressUntilWindowCloses(stream.As("final-sessions")).
		ToStream(stream.As("session-changes")).
		To("sessions", nil, ss, stream.As("sessions-sink"))
	grouped.SlidingWindowedBy(window.Sliding(time.Minute)).
		Reduce(concat, stream.As("slide"), table.As("sliding"))

	customers.GroupBy(func(k, v string) (string, string) { return v, k }, ss, ss, stream.As("customers-by-city")).
		Count(stream.As("count-customers"), table.As("customers-per-city"))
	customers.Filter(keep, stream.As("vip")).
		Materialize(stream.As("vip-materialize"), table.As("vip-store")).
		Join(customers, concat, stream.As("vip-join")).
		SuppressUntilTimeLimit(time.Second, stream.As("vip-limit")).
		ToStream(stream.As("vip-changes")).
		To("vips", ss, ss, stream.As("vips-sink"))

	orders.Repartition(stream.As("orders-rekeyed"), stream.Partitions(4)).
		Merge(payments, stream.As("merged")).
		ToTable(stream.As("latest"), table.As("latest-store"))
}

// Every processor, store and internal topic can be named: the Describe of
// a topology naming them all has no generated name left, and
// RequireExplicitNames accepts it. Aggregations, table sources and
// materializations name their processor (stream.As) apart from their store
// (table.As).
func TestDescribeAllNamed(t *testing.T) {
	b := stream.NewBuilder(stream.RequireExplicitNames())
	allNamed(b)
	topo, err := b.Build()
	require.NoError(t, err)
	d := topo.Describe()
	golden(t, "named.describe", d)
	for _, generated := range []string{"KSTREAM-", "KTABLE-"} {
		assert.NotContains(t, d, generated)
	}
	for _, line := range []string{
		"Source: customers-source (topics: [customers])",
		"Processor: customers (stores: [customers-store])",
		"Source: rates-source (topics: [rates])",
		"Processor: rates (stores: [rates-store])",
		"Processor: count-orders (stores: [order-counts])",
		"Processor: count-per-minute (stores: [per-minute])",
		"Processor: count-per-minute-on-window-close (stores: [per-minute-on-window-close-store])",
		"Processor: sessionize (stores: [sessions])",
		"Processor: final-sessions (stores: [final-sessions-store])",
		"Processor: slide (stores: [sliding])",
		"Processor: count-customers (stores: [customers-per-city])",
		"Processor: vip-materialize (stores: [vip-store])",
		"Processor: latest (stores: [latest-store])",
		"Processor: merged (stores: [])",
		"Processor: by-customer (stores: [])",
		"Source: orders-by-customer-repartition-source (topics: [orders-by-customer-repartition])",
		"Source: customers-by-city-repartition-source (topics: [customers-by-city-repartition])",
		"Source: enrich-repartition-source (topics: [enrich-repartition])",
		"Source: customer-orders-repartition-source (topics: [customer-orders-repartition])",
		"Source: pay-right-repartition-source (topics: [pay-right-repartition])",
		"Processor: pay-this-join (stores: [pay-this-join-store, pay-outer-other-join-store, pay-left-shared-join-store])",
		"Processor: vip-join-join-this (stores: [customers-store])",
	} {
		assert.Contains(t, d, line)
	}
	assert.ElementsMatch(t, []string{
		"customers-store", "rates-store", "pay-this-join-store", "pay-outer-other-join-store", "pay-left-shared-join-store",
		"order-counts", "per-minute", "per-minute-on-window-close-store", "sessions", "final-sessions-store", "sliding",
		"customers-per-city", "vip-store", "vip-limit-store", "latest-store",
	}, topo.StoreNames())
}

// stream.As among an operator's table options names its processor only;
// misused options are Build errors naming the operator.
func TestTableOptionNamesOperator(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("s", serde.String(), serde.String()).GroupByKey().Count(stream.As("count-s"))
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Contains(t, topo.Describe(), "Processor: count-s (stores: [KSTREAM-AGGREGATE-STATE-STORE-")

	b = stream.NewBuilder()
	b.Stream("s", serde.String(), serde.String()).GroupByKey().Count(stream.As(""), stream.Partitions(2))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stream.As: empty name")
	assert.Contains(t, err.Error(), "stream.Partitions applies to repartitioning operators, not to an operator that creates a table")

	// The operator's name and the store's must differ from other
	// processors' and stores' names.
	b = stream.NewBuilder()
	s := b.Stream("s", serde.String(), serde.String(), stream.As("x"))
	s.GroupByKey().Count(stream.As("x"), table.As("counts"))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `duplicate processor name "x"`)
}

// EmitOnWindowClose's buffer is named after the aggregation's store only,
// so naming the store names all of the aggregation's state; naming just the
// processor leaves both stores to generated names.
func TestEmitOnWindowCloseNames(t *testing.T) {
	build := func(opts ...table.Option) (*stream.Topology, error) {
		b := stream.NewBuilder(stream.RequireExplicitNames())
		b.Stream("s", serde.String(), serde.String()).GroupByKey().
			WindowedBy(window.Tumbling(time.Minute)).EmitOnWindowClose().Count(opts...)
		return b.Build()
	}
	_, err := build(stream.As("count"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Count (processor count): the state store")
	assert.Contains(t, err.Error(), `EmitOnWindowClose (processor count-on-window-close): the state store (and its changelog topic KSTREAM-SUPPRESS-STATE-STORE-`)

	topo, err := build(table.As("counts"))
	require.NoError(t, err)
	assert.Contains(t, topo.Describe(), "Processor: counts-on-window-close (stores: [counts-on-window-close-store])")
}
