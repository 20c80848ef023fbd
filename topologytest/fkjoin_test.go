// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// Foreign-key table–table joins (KIP-213), as data: the left table "orders"
// holds values "<product>:<text>" whose foreign key is the product (a value
// without ":" or with an empty product has none), the right table
// "products" holds product names. Each step pipes one record and lists the
// records the join writes in response, "key value@ts", "null" a tombstone.
//
// The expected outputs are those of Kafka Streams 4.4's TopologyTestDriver
// for the same topology and input: FkJoinTopologiesTest in the Java
// reference module replays the scenarios from fkScenariosFile, which
// TestForeignKeyJoinScenariosFile keeps equal to them.

type fkStep struct {
	side  string // "L" (orders) or "R" (products)
	ts    int64
	key   string
	value string // "null": a tombstone
	want  []string
}

func fkL(ts int64, key, value string, want ...string) fkStep {
	return fkStep{"L", ts, key, value, want}
}
func fkR(ts int64, key, value string, want ...string) fkStep {
	return fkStep{"R", ts, key, value, want}
}

// fkOf is the scenarios' foreign-key extractor.
func fkOf(v string) (string, bool) {
	fk, _, ok := strings.Cut(v, ":")
	return fk, ok && fk != ""
}

func fkInner(v, p string) string { return v + "+" + p }

func fkLeft(v, p string, found bool) string {
	if !found {
		p = "null"
	}
	return v + "+" + p
}

type fkScenario struct {
	name  string
	left  bool
	steps []fkStep
}

var fkScenarios = []fkScenario{
	{name: "inner foreign key change", steps: []fkStep{
		fkR(1, "p1", "apple"),
		fkL(2, "o1", "p1:a", "o1 p1:a+apple@2"),
		// unsubscribes from p1 (no response), subscribes to p2, which has
		// no row: the result is deleted.
		fkL(3, "o1", "p2:b", "o1 null@3"),
		fkR(4, "p2", "pear", "o1 p2:b+pear@4"),
		fkR(5, "p1", "apple2"),
		// same foreign key: only a matching row answers
		fkL(6, "o1", "p2:c", "o1 p2:c+pear@6"),
		fkL(7, "o1", "p1:d", "o1 p1:d+apple2@7"),
		fkR(8, "p2", "pear2"),
	}},
	{name: "inner left delete", steps: []fkStep{
		fkR(1, "p1", "apple"),
		fkL(2, "o1", "p1:a", "o1 p1:a+apple@2"),
		fkL(3, "o1", "null", "o1 null@3"),
		fkL(4, "o1", "null"), // deleting an absent row: nothing
		fkR(5, "p1", "apple2"),
		fkL(6, "o2", "p3:x"), // no row: an insert sends nothing
		fkL(7, "o2", "null", "o2 null@7"),
	}},
	{name: "inner right delete", steps: []fkStep{
		fkL(1, "o1", "p1:a"),
		fkR(2, "p1", "apple", "o1 p1:a+apple@2"),
		fkR(3, "p1", "null", "o1 null@3"),
		fkR(4, "p1", "null", "o1 null@4"), // a tombstone for an absent row still answers
		fkR(5, "p1", "apple3", "o1 p1:a+apple3@5"),
		fkL(6, "o1", "p1:b", "o1 p1:b+apple3@6"),
	}},
	{name: "inner null foreign key", steps: []fkStep{
		fkR(1, "p1", "apple"),
		fkL(2, "o1", "nofk"), // dropped
		fkL(3, "o1", "p1:a", "o1 p1:a+apple@3"),
		fkL(4, "o1", ":empty", "o1 null@4"), // loses its foreign key: unsubscribes
		fkR(5, "p1", "apple2"),
		fkL(6, "o1", "null"),
	}},
	{name: "inner fan-out", steps: []fkStep{
		fkL(1, "o3", "p1:c"),
		fkL(2, "o1", "p1:a"),
		fkL(3, "o2", "p1:b"),
		fkL(4, "o4", "p2:d"),
		// every subscriber, in the order of their serialized keys
		fkR(5, "p1", "apple", "o1 p1:a+apple@5", "o2 p1:b+apple@5", "o3 p1:c+apple@5"),
		fkR(6, "p2", "pear", "o4 p2:d+pear@6"),
		fkL(7, "o2", "p2:b", "o2 p2:b+pear@7"),
		fkR(8, "p1", "null", "o1 null@8", "o3 null@8"),
		fkR(9, "p2", "pear2", "o2 p2:b+pear2@9", "o4 p2:d+pear2@9"),
	}},
	{name: "left join", left: true, steps: []fkStep{
		fkL(1, "o1", "p1:a", "o1 p1:a+null@1"),
		fkR(2, "p1", "apple", "o1 p1:a+apple@2"),
		fkL(3, "o2", "nofk", "o2 nofk+null@3"), // no foreign key: the row alone
		fkL(4, "o1", "p2:b", "o1 p2:b+null@4"),
		fkR(5, "p2", "pear", "o1 p2:b+pear@5"),
		fkR(6, "p2", "null", "o1 p2:b+null@6"),
		fkR(7, "p1", "apple2"),
		fkL(8, "o1", "null", "o1 null@8"),
		fkL(9, "o1", "null"), // deleting an absent row: nothing
		fkL(10, "o2", "null", "o2 null@10"),
		fkL(11, "o3", "p1:c", "o3 p1:c+apple2@11"),
		fkL(12, "o3", "nofk", "o3 nofk+null@12"),
		fkR(13, "p1", "apple3"),
		fkL(14, "o3", "p1:d", "o3 p1:d+apple3@14"),
		fkL(15, "o3", "p1:e", "o3 p1:e+apple3@15"),
	}},
	{name: "timestamps", steps: []fkStep{
		// a left change carries the larger timestamp, a right change its own
		fkR(100, "p1", "apple"),
		fkL(50, "o1", "p1:a", "o1 p1:a+apple@100"),
		fkL(150, "o1", "p1:b", "o1 p1:b+apple@150"),
		fkR(120, "p1", "apple2", "o1 p1:b+apple2@120"),
	}},
}

func (sc fkScenario) build(b *stream.Builder, opts ...stream.Option) {
	ss := serde.String()
	orders := b.Table("orders", ss, ss, table.As("orders-store"))
	products := b.Table("products", ss, ss, table.As("products-store"))
	var out stream.Table[string, string]
	if sc.left {
		out = orders.LeftJoinForeignKey(products, fkOf, fkLeft, opts...)
	} else {
		out = orders.JoinForeignKey(products, fkOf, fkInner, opts...)
	}
	out.ToStream().To("out", ss, ss)
}

func fkShow(rs []topologytest.Record[string, string]) []string {
	var got []string
	for _, r := range rs {
		v := r.Value
		if r.ValueNull {
			v = "null"
		}
		got = append(got, fmt.Sprintf("%s %s@%d", r.Key, v, r.Timestamp.UnixMilli()))
	}
	return got
}

func (sc fkScenario) runOn(t *testing.T, opts ...topologytest.Option) {
	b := stream.NewBuilder()
	sc.build(b)
	d := driver(t, b, opts...)
	ins := map[string]*topologytest.InputTopic[string, string]{
		"L": d.Input("orders", serde.String(), serde.String()),
		"R": d.Input("products", serde.String(), serde.String()),
	}
	out := d.Output("out", serde.String(), serde.String())
	for i, st := range sc.steps {
		rec := topologytest.Record[string, string]{Key: st.key, Value: st.value, Timestamp: time.UnixMilli(st.ts),
			ValueNull: st.value == "null"}
		require.NoError(t, ins[st.side].PipeRecord(rec))
		rs, err := out.ReadRecords()
		require.NoError(t, err)
		assert.Equal(t, st.want, fkShow(rs), "step %d: %s %d %s %s", i+1, st.side, st.ts, st.key, st.value)
	}
}

func TestForeignKeyJoinSemantics(t *testing.T) {
	for _, sc := range fkScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Run("memory", func(t *testing.T) { sc.runOn(t) })
			t.Run("pebble", func(t *testing.T) {
				dir := t.TempDir()
				sc.runOn(t, topologytest.Backend(func(task string) (state.Backend, error) {
					return pebble.Open(filepath.Join(dir, task), pebble.Options{})
				}))
			})
			// The tables on several partitions, partitioned differently:
			// the same records, each key's in the same order.
			t.Run("partitions", func(t *testing.T) {
				sc.runOn(t, topologytest.DefaultPartitions(3), topologytest.TopicPartitions("products", 2))
			})
		})
	}
}

// A response that arrives after the left row changed again carries the
// hash of the older value and is dropped: the stale result never appears,
// whatever order the tasks run in.
func TestForeignKeyJoinDropsStaleResponses(t *testing.T) {
	for _, left := range []bool{false, true} {
		t.Run(fmt.Sprintf("left=%v", left), func(t *testing.T) {
			b := stream.NewBuilder()
			fkScenario{left: left}.build(b)
			topo, err := b.Build()
			require.NoError(t, err)
			// Batch: both left updates are processed before any
			// subscription reaches the right side, so the responses to
			// the first come back after the second.
			d, err := topologytest.New(topo, topologytest.Batch())
			require.NoError(t, err)
			defer d.Close()
			orders := d.Input("orders", serde.String(), serde.String())
			products := d.Input("products", serde.String(), serde.String())
			require.NoError(t, products.PipeAt("p1", "apple", time.UnixMilli(1)))
			require.NoError(t, products.PipeAt("p2", "pear", time.UnixMilli(2)))
			require.NoError(t, d.Run())
			require.NoError(t, orders.PipeAt("o1", "p1:a", time.UnixMilli(10)))
			require.NoError(t, orders.PipeAt("o1", "p1:b", time.UnixMilli(11)))
			require.NoError(t, orders.PipeAt("o1", "p2:c", time.UnixMilli(12)))
			require.NoError(t, d.Run())
			rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
			require.NoError(t, err)
			assert.Equal(t, []string{"o1 p2:c+pear@12"}, fkShow(rs))
			assert.Equal(t, int64(2), d.Dropped()[record.DropStaleResponse], "dropped: %v", d.Dropped())
		})
	}
}

// Under every interleaving of the tasks and the in-flight internal records
// the join ends with the same table: responses that overtake each other are
// told apart by the hash of the left value.
func TestForeignKeyJoinOrderIndependentResult(t *testing.T) {
	scenario := func(mode topologytest.Option) (string, error) {
		b := stream.NewBuilder()
		fkScenario{left: true}.build(b)
		topo, err := b.Build()
		if err != nil {
			return "", err
		}
		d, err := topologytest.New(topo, mode, topologytest.DefaultPartitions(3), topologytest.TopicPartitions("products", 2))
		if err != nil {
			return "", err
		}
		defer d.Close()
		orders := d.Input("orders", serde.String(), serde.String())
		products := d.Input("products", serde.String(), serde.String())
		ts := int64(0)
		at := func() time.Time { ts++; return time.UnixMilli(ts) }
		for i := range 4 {
			if err := products.PipeAt(fmt.Sprintf("p%d", i), fmt.Sprintf("name%d", i), at()); err != nil {
				return "", err
			}
		}
		for round := range 3 {
			for o := range 6 {
				v := fmt.Sprintf("p%d:r%d", (o+round)%5, round) // p4 has no row
				if err := orders.PipeAt(fmt.Sprintf("o%d", o), v, at()); err != nil {
					return "", err
				}
			}
			if err := products.PipeAt(fmt.Sprintf("p%d", round), fmt.Sprintf("renamed%d", round), at()); err != nil {
				return "", err
			}
		}
		if err := orders.PipeAt("o5", "nofk", at()); err != nil {
			return "", err
		}
		if err := orders.PipeRecord(topologytest.Record[string, string]{Key: "o4", ValueNull: true, Timestamp: at()}); err != nil {
			return "", err
		}
		if err := products.PipeRecord(topologytest.Record[string, string]{Key: "p3", ValueNull: true, Timestamp: at()}); err != nil {
			return "", err
		}
		if err := d.Run(); err != nil {
			return "", err
		}
		m, err := topologytest.ReadToMap(d.Output("out", serde.String(), serde.String()))
		if err != nil {
			return "", err
		}
		return topologytest.FormatTable(m), nil
	}
	want := map[string]string{
		"o0": "p2:r2+renamed2", "o1": "p3:r2+null", "o2": "p4:r2+null", "o3": "p0:r2+renamed0",
		"o5": "nofk+null",
	}
	got, err := scenario(topologytest.PipeOrder())
	require.NoError(t, err)
	assert.Equal(t, topologytest.FormatTable(want), got)
	require.NoError(t, topologytest.CheckOrder(30, scenario))
}

// A result's old value reaches downstream operators: grouping the result
// subtracts a row's previous result when it changes.
func TestForeignKeyJoinResultFeedsAggregation(t *testing.T) {
	b := stream.NewBuilder()
	ss := serde.String()
	orders := b.Table("orders", ss, ss)
	products := b.Table("products", ss, ss)
	orders.JoinForeignKey(products, fkOf, func(_, p string) string { return p }).
		GroupBy(func(_, p string) (string, string) { return p, p }, ss, ss).
		Count(table.As("per-product")).
		ToStream().To("counts", ss, serde.Int64())
	d := driver(t, b, topologytest.DefaultPartitions(2))
	o, p := d.Input("orders", ss, ss), d.Input("products", ss, ss)
	require.NoError(t, p.Pipe("p1", "apple"))
	require.NoError(t, p.Pipe("p2", "pear"))
	require.NoError(t, o.Pipe("o1", "p1:a"))
	require.NoError(t, o.Pipe("o2", "p1:b"))
	require.NoError(t, o.Pipe("o1", "p2:c"))
	require.NoError(t, p.Pipe("p1", "apricot"))
	require.NoError(t, o.PipeTombstone("o2"))
	counts, err := topologytest.ReadToMap(d.Output("counts", ss, serde.Int64()))
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"apple": 0, "pear": 1, "apricot": 0}, counts)
}

// Chained foreign-key joins: the first join's result is the left table of
// the second, whose subscriptions follow the first's changes.
func TestForeignKeyJoinChained(t *testing.T) {
	b := stream.NewBuilder()
	ss := serde.String()
	orders := b.Table("orders", ss, ss)
	products := b.Table("products", ss, ss) // "<category>:<name>"
	categories := b.Table("categories", ss, ss)
	orders.JoinForeignKey(products, fkOf, func(_, p string) string { return p }, stream.As("order-product")).
		JoinForeignKey(categories, fkOf, func(p, c string) string { return p + "/" + c }, stream.As("product-category")).
		ToStream().To("out", ss, ss)
	d := driver(t, b, topologytest.DefaultPartitions(3), topologytest.TopicPartitions("products", 2))
	o, p, c := d.Input("orders", ss, ss), d.Input("products", ss, ss), d.Input("categories", ss, ss)
	out := d.Output("out", ss, ss)
	require.NoError(t, c.PipeAt("fruit", "Fruit", time.UnixMilli(1)))
	require.NoError(t, c.PipeAt("veg", "Vegetables", time.UnixMilli(2)))
	require.NoError(t, p.PipeAt("p1", "fruit:apple", time.UnixMilli(3)))
	require.NoError(t, o.PipeAt("o1", "p1:a", time.UnixMilli(4)))
	require.NoError(t, p.PipeAt("p1", "veg:apple", time.UnixMilli(5)))  // moves to another category
	require.NoError(t, c.PipeAt("fruit", "Fruits", time.UnixMilli(6)))  // o1 no longer subscribed
	require.NoError(t, p.PipeAt("p1", "nuts:apple", time.UnixMilli(7))) // a category without a row
	require.NoError(t, c.PipeAt("nuts", "Nuts", time.UnixMilli(8)))
	rs, err := out.ReadRecords()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"o1 fruit:apple/Fruit@4",
		"o1 veg:apple/Vegetables@5",
		"o1 null@7",
		"o1 nuts:apple/Nuts@8",
	}, fkShow(rs))
}

func TestForeignKeyJoinNamesAndInternalTopics(t *testing.T) {
	b := stream.NewBuilder()
	fkScenario{}.build(b, stream.As("enrich"))
	topo, err := b.Build()
	require.NoError(t, err)
	desc := topo.Describe()
	for _, name := range []string{
		"Processor: enrich-subscription-registration-processor (stores: [])",
		"Sink: enrich-subscription-registration-sink (topic: enrich-subscription-registration-topic)",
		"Source: enrich-subscription-registration-source (topics: [enrich-subscription-registration-topic])",
		"Processor: enrich-subscription-receive (stores: [enrich-subscription-store])",
		"Processor: enrich-subscription-join-foreign (stores: [products-store])",
		"Processor: enrich-foreign-join-subscription (stores: [enrich-subscription-store])",
		"Sink: enrich-subscription-response-sink (topic: enrich-subscription-response-topic)",
		"Source: enrich-subscription-response-source (topics: [enrich-subscription-response-topic])",
		"Processor: enrich-subscription-response-resolver (stores: [orders-store, enrich-result-store])",
		"Processor: enrich-result (stores: [])",
	} {
		assert.Contains(t, desc, name)
	}
	// The subscriptions live with the products, the responses with the
	// orders: two sub-topologies.
	assert.Equal(t, 2, topo.Subtopologies(), desc)

	d, err := topologytest.New(topo, topologytest.AppID("app"), topologytest.DefaultPartitions(3),
		topologytest.TopicPartitions("products", 2))
	require.NoError(t, err)
	defer d.Close()
	n, err := d.PartitionCount("app-enrich-subscription-registration-topic")
	require.NoError(t, err)
	assert.Equal(t, int32(2), n, "the subscription topic is partitioned like the right table")
	n, err = d.PartitionCount("app-enrich-subscription-response-topic")
	require.NoError(t, err)
	assert.Equal(t, int32(3), n, "the response topic is partitioned like the left table")

	ss := serde.String()
	require.NoError(t, d.Input("products", ss, ss).Pipe("p1", "apple"))
	require.NoError(t, d.Input("orders", ss, ss).Pipe("o1", "p1:a"))
	for _, topic := range []string{"app-enrich-subscription-registration-topic", "app-enrich-subscription-response-topic",
		"app-enrich-subscription-store-changelog", "app-enrich-result-store-changelog"} {
		assert.Contains(t, d.ProducedTopics(), topic)
	}
	// The subscription goes to the partition of its foreign key, as Kafka
	// Streams' producer would put it; the response to the order's.
	subs, err := d.Output("app-enrich-subscription-registration-topic", ss, serde.Bytes()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, subs, 1)
	assert.Equal(t, "p1", subs[0].Key)
	assert.Equal(t, partition.ForKey([]byte("p1"), 2), subs[0].Partition)
	resps, err := d.Output("app-enrich-subscription-response-topic", ss, serde.Bytes()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, resps, 1)
	orderPartition := partition.ForKey([]byte("o1"), 3)
	assert.Equal(t, orderPartition, resps[0].Partition)
	// version 1, instruction PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, the
	// 16-byte hash, the order key, its partition
	sub := subs[0].Value
	require.Len(t, sub, 2+16+2+4)
	assert.Equal(t, []byte{1, 3}, sub[:2])
	assert.Equal(t, "o1", string(sub[18:20]))
	assert.Equal(t, []byte{0, 0, 0, byte(orderPartition)}, sub[20:])
	// version 0, the same hash, the product's value
	assert.Equal(t, append([]byte{0}, append(sub[2:18:18], "apple"...)...), resps[0].Value)
}

func TestForeignKeyJoinRequiresNames(t *testing.T) {
	b := stream.NewBuilder(stream.RequireExplicitNames())
	fkScenario{}.build(b)
	_, err := b.Build()
	require.Error(t, err)
	for _, s := range []string{"KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-",
		"KSTREAM-FK-JOIN-SUBSCRIPTION-STATE-STORE-", "KSTREAM-FK-JOIN-OUTPUT-STATE-STORE-", "JoinForeignKey"} {
		assert.Contains(t, err.Error(), s)
	}
	b = stream.NewBuilder(stream.RequireExplicitNames())
	fkScenario{}.build(b, stream.As("enrich"))
	_, err = b.Build()
	require.NoError(t, err)
}

// The join restores its stores: a driver on the state of an earlier one
// (Pebble) answers right updates for the subscriptions made before, and
// knows the previous results.
func TestForeignKeyJoinKeepsStateAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	backend := topologytest.Backend(func(task string) (state.Backend, error) {
		return pebble.Open(filepath.Join(dir, task), pebble.Options{})
	})
	ss := serde.String()
	run := func(f func(d *topologytest.Driver)) {
		b := stream.NewBuilder()
		fkScenario{left: true}.build(b, stream.As("enrich"))
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := topologytest.New(topo, backend, topologytest.DefaultPartitions(2))
		require.NoError(t, err)
		f(d)
		require.NoError(t, d.Close())
	}
	run(func(d *topologytest.Driver) {
		require.NoError(t, d.Input("products", ss, ss).PipeAt("p1", "apple", time.UnixMilli(1)))
		require.NoError(t, d.Input("orders", ss, ss).PipeAt("o1", "p1:a", time.UnixMilli(2)))
		require.NoError(t, d.Input("orders", ss, ss).PipeAt("o2", "p1:b", time.UnixMilli(3)))
	})
	run(func(d *topologytest.Driver) {
		out := d.Output("out", ss, ss)
		require.NoError(t, d.Input("products", ss, ss).PipeAt("p1", "apple2", time.UnixMilli(4)))
		rs, err := out.ReadRecords()
		require.NoError(t, err)
		assert.Equal(t, []string{"o1 p1:a+apple2@4", "o2 p1:b+apple2@4"}, fkShow(rs))
		require.NoError(t, d.Input("orders", ss, ss).PipeAt("o1", "p2:c", time.UnixMilli(5)))
		require.NoError(t, d.Input("products", ss, ss).PipeAt("p1", "apple3", time.UnixMilli(6)))
		rs, err = out.ReadRecords()
		require.NoError(t, err)
		assert.Equal(t, []string{"o1 p2:c+null@5", "o2 p1:b+apple3@6"}, fkShow(rs))
	})
}

// fkScenariosFile holds fkScenarios for the Java reference's
// FkJoinTopologiesTest: per scenario "scenario <name> <inner|left>", then
// per step "step <L|R> <ts> <key> <value>" and a "want <record>" line per
// expected output record, then "end".
const fkScenariosFile = "../java/src/test/resources/fk-join-scenarios.txt"

func TestForeignKeyJoinScenariosFile(t *testing.T) {
	var b strings.Builder
	for _, sc := range fkScenarios {
		kind := "inner"
		if sc.left {
			kind = "left"
		}
		fmt.Fprintf(&b, "scenario %s %s\n", strings.ReplaceAll(sc.name, " ", "_"), kind)
		for _, st := range sc.steps {
			fmt.Fprintf(&b, "step %s %d %s %s\n", st.side, st.ts, st.key, st.value)
			for _, w := range st.want {
				fmt.Fprintf(&b, "want %s\n", w)
			}
		}
		b.WriteString("end\n")
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.WriteFile(fkScenariosFile, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(fkScenariosFile)
	require.NoError(t, err, "run go test ./topologytest -run ScenariosFile -update to write it")
	assert.Equal(t, string(want), b.String(), "%s is out of date: go test ./topologytest -run ScenariosFile -update", fkScenariosFile)
}

// Materialize names a queryable store of the result, as for the
// primary-key joins; the result of a non-primitive type needs a value
// serde first.
func TestForeignKeyJoinMaterialized(t *testing.T) {
	type enriched struct {
		Order, Product string
	}
	b := stream.NewBuilder()
	ss := serde.String()
	orders := b.Table("orders", ss, ss)
	products := b.Table("products", ss, ss)
	joined := orders.JoinForeignKey(products, fkOf, func(o, p string) enriched { return enriched{o, p} })
	joined.Materialize(table.As("unused"))
	_, err := b.Build()
	require.Error(t, err, "a struct result needs a value serde to be materialized")
	assert.Contains(t, err.Error(), "WithValueSerde")

	b = stream.NewBuilder()
	orders = b.Table("orders", ss, ss)
	products = b.Table("products", ss, ss)
	orders.JoinForeignKey(products, fkOf, func(o, p string) enriched { return enriched{o, p} }).
		WithValueSerde(serde.JSON[enriched]()).
		Materialize(table.As("enriched"))
	d := driver(t, b, topologytest.DefaultPartitions(2))
	require.NoError(t, d.Input("products", ss, ss).Pipe("p1", "apple"))
	require.NoError(t, d.Input("orders", ss, ss).Pipe("o1", "p1:a"))
	require.NoError(t, d.Input("orders", ss, ss).Pipe("o2", "p2:b"))
	s, err := d.KeyValueStore("enriched", ss, serde.JSON[enriched]())
	require.NoError(t, err)
	all, err := s.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, enriched]{record.KV("o1", enriched{"p1:a", "apple"})}, all)
}
