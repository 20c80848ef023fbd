// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// Kafka Streams documents the stream–global table join with the
// stream–table join's semantics table: only stream records trigger it, a
// table tombstone deletes the row, null stream values are dropped.
var streamGlobalTableScenarios = []joinScenario{
	{name: "docs table inner", kind: "sg-inner", steps: withOutputs(docsTableSteps, map[int64][]string{
		5: {"k [B,a] 5"}, 15: {"k [D,d] 15"},
	})},
	{name: "docs table left", kind: "sg-left", steps: withOutputs(docsTableSteps, map[int64][]string{
		3: {"k [A,null] 3"}, 5: {"k [B,a] 5"}, 9: {"k [C,null] 9"}, 15: {"k [D,d] 15"},
	})},
	{
		// The result keeps the stream record's timestamp, even when the
		// row is newer (no time synchronization). A null stream key is
		// mapped like any key (here to "", which has no row).
		name: "timestamps and null keys inner", kind: "sg-inner",
		steps: []joinStep{R(20, "k", "x"), L(18, "k", "F", "k [F,x] 18"), L(19, "null", "G"), L(21, "j", "H")},
	},
	{
		name: "timestamps and null keys left", kind: "sg-left",
		steps: []joinStep{R(20, "k", "x"), L(18, "k", "F", "k [F,x] 18"), L(19, "null", "G", "null [G,null] 19"), L(21, "j", "H", "j [H,null] 21")},
	},
}

func TestStreamGlobalTableJoinSemantics(t *testing.T) {
	for _, sc := range streamGlobalTableScenarios {
		t.Run(sc.name, sc.run)
	}
}

// ordersWithCustomers joins orders ("<customer>|<item>", keyed by order
// id) with the global table of customers (keyed by customer id as bytes):
// the key mapper takes the customer from the value, nil when it has none.
func ordersWithCustomers(left bool) *stream.Builder {
	b := stream.NewBuilder()
	customers := b.GlobalTable("customers", serde.Bytes(), serde.String(), table.As("customers"))
	orders := b.Stream("orders", serde.String(), serde.String())
	customerOf := func(_ string, v string) []byte {
		c, _, ok := strings.Cut(v, "|")
		if !ok {
			return nil
		}
		return []byte(c)
	}
	if left {
		orders.LeftJoinGlobalTable(customers, customerOf, func(o, name string, found bool) string {
			return o + "+" + show(name, found)
		}, stream.As("enrich")).To("out", nil, nil)
	} else {
		orders.JoinGlobalTable(customers, customerOf, func(o, name string) string {
			return o + "+" + name
		}, stream.As("enrich")).To("out", nil, nil)
	}
	return b
}

type globalStep struct {
	global     bool // a customers record, else an orders record
	ts         int64
	key, value string // "null" pipes a null key or value
	inner      []string
	left       []string
}

// A key mapper that is not the identity, tombstones, nil mapped keys, null
// stream keys and values, table updates newer than the stream records,
// on 4 partitions: every task reads the one global store.
var ordersSteps = []globalStep{
	{global: true, ts: 1, key: "c1", value: "Alice"},
	{global: true, ts: 2, key: "c2", value: "Bob"},
	{ts: 3, key: "o1", value: "c1|book", inner: []string{"o1 c1|book+Alice 3"}, left: []string{"o1 c1|book+Alice 3"}},
	{ts: 4, key: "o2", value: "c3|pen", left: []string{"o2 c3|pen+null 4"}},
	{ts: 5, key: "o3", value: "no-customer", left: []string{"o3 no-customer+null 5"}},
	{global: true, ts: 6, key: "c1", value: "Alice2"},
	{ts: 7, key: "o4", value: "c1|cup", inner: []string{"o4 c1|cup+Alice2 7"}, left: []string{"o4 c1|cup+Alice2 7"}},
	{global: true, ts: 8, key: "c2", value: "null"},
	{ts: 9, key: "o5", value: "c2|mug", left: []string{"o5 c2|mug+null 9"}},
	{ts: 10, key: "null", value: "c1|lamp", inner: []string{"null c1|lamp+Alice2 10"}, left: []string{"null c1|lamp+Alice2 10"}},
	{ts: 11, key: "o6", value: "null"},
	{global: true, ts: 12, key: "null", value: "Nobody"},
	{global: true, ts: 1000, key: "c3", value: "Carol"},
	{ts: 13, key: "o2", value: "c3|pen", inner: []string{"o2 c3|pen+Carol 13"}, left: []string{"o2 c3|pen+Carol 13"}},
	{global: true, ts: 14, key: "c9", value: "null"}, // deleting an absent row
	{ts: 15, key: "o7", value: "c9|hat", left: []string{"o7 c9|hat+null 15"}},
}

func TestStreamGlobalTableJoinKeyMapper(t *testing.T) {
	for _, left := range []bool{false, true} {
		t.Run(fmt.Sprintf("left=%v", left), func(t *testing.T) {
			d := driver(t, ordersWithCustomers(left), topologytest.DefaultPartitions(4))
			customers := d.Input("customers", serde.String(), serde.String())
			orders := d.Input("orders", serde.String(), serde.String())
			out := d.Output("out", serde.String(), serde.String())
			for i, st := range ordersSteps {
				in := orders
				if st.global {
					in = customers
				}
				require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: st.key, Value: st.value, Timestamp: ms(st.ts),
					KeyNull: st.key == "null", ValueNull: st.value == "null"}))
				rs, err := out.ReadRecords()
				require.NoError(t, err)
				var got []string
				for _, r := range rs {
					got = append(got, fmt.Sprintf("%s %s %d", show(r.Key, !r.KeyNull), show(r.Value, !r.ValueNull), r.Timestamp.UnixMilli()))
				}
				want := st.inner
				if left {
					want = st.left
				}
				assert.Equal(t, want, got, "step %d: %+v", i+1, st)
			}
			// The global store holds the table; the tombstones deleted c2.
			store, err := d.KeyValueStore("customers", serde.Bytes(), serde.String())
			require.NoError(t, err)
			all, err := store.All()
			require.NoError(t, err)
			assert.Equal(t, []record.KeyValue[[]byte, string]{
				record.KV([]byte("c1"), "Alice2"), record.KV([]byte("c3"), "Carol"),
			}, all)
			v, ts, ok, err := store.GetWithTimestamp([]byte("c3"))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "Carol", v)
			assert.Equal(t, int64(1000), ts.UnixMilli())
			// No repartition or changelog topic: the global topic is the
			// store's changelog.
			assert.Equal(t, []string{"customers", "orders", "out"}, d.ProducedTopics())
			assert.Len(t, d.Tasks(), 4)
			dropped := d.Dropped()
			assert.Equal(t, int64(1), dropped[record.DropNullValue], "the null order value")
			if left {
				assert.Equal(t, int64(1), dropped[record.DropNullKey], "the customer without a key")
			} else {
				assert.Equal(t, int64(2), dropped[record.DropNullKey], "the customer without a key and the nil mapped key")
			}
		})
	}
}

// A stream whose key was changed is not repartitioned before a global
// table join, and the result keeps the changed key and the mark: a later
// grouping repartitions.
func TestStreamGlobalTableJoinNoRepartition(t *testing.T) {
	b := stream.NewBuilder()
	rates := b.GlobalTable("rates", serde.String(), serde.Float64())
	b.Stream("payments", serde.String(), serde.Float64()).
		SelectKey(func(k string, _ float64) string { return strings.ToUpper(k) }).
		JoinGlobalTable(rates, func(k string, _ float64) string { return k[:3] }, func(amount, rate float64) float64 { return amount * rate }).
		To("converted", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 1, topo.Subtopologies())
	d, err := topologytest.New(topo, topologytest.TopicPartitions("payments", 3), topologytest.TopicPartitions("rates", 2))
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("rates", serde.String(), serde.Float64()).PipeKeyValues(
		record.KV("EUR", 2.0), record.KV("USD", 1.0)))
	require.NoError(t, d.Input("payments", serde.String(), serde.Float64()).PipeKeyValues(
		record.KV("eur-1", 10.0), record.KV("usd-1", 5.0), record.KV("gbp-1", 1.0), record.KV("eur-2", 3.0)))
	kvs, err := d.Output("converted", serde.String(), serde.Float64()).ReadKeyValues()
	require.NoError(t, err)
	assert.ElementsMatch(t, []record.KeyValue[string, float64]{
		record.KV("EUR-1", 20.0), record.KV("USD-1", 5.0), record.KV("EUR-2", 6.0),
	}, kvs)
	assert.Equal(t, []string{"converted", "payments", "rates"}, d.ProducedTopics())
	name := topo.StoreNames()[0]
	assert.Regexp(t, `^KSTREAM-GLOBALTABLE-SOURCE-STATE-STORE-[0-9a-f]{8}$`, name)
	store, err := d.KeyValueStore(name, serde.String(), serde.Float64())
	require.NoError(t, err)
	v, ok, err := store.Get("EUR")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 2.0, v)
}

func int64Bytes(n int64) []byte {
	b, _ := serde.Int64().Serialize("", n)
	return b
}

// A global table join needs no co-partitioning, even in a sub-topology
// reading topics with different partition counts.
func TestStreamGlobalTableJoinNoCopartitioning(t *testing.T) {
	b := stream.NewBuilder()
	names := b.GlobalTable("names", serde.String(), serde.String())
	a := b.Stream("a", serde.String(), serde.String())
	a.Merge(b.Stream("b", serde.String(), serde.String())).
		JoinGlobalTable(names, func(k, _ string) string { return k }, func(v, name string) string { return v + ":" + name }).
		To("out", nil, nil)
	d := driver(t, b, topologytest.TopicPartitions("a", 2), topologytest.TopicPartitions("b", 3), topologytest.TopicPartitions("names", 5))
	require.NoError(t, d.Input("names", serde.String(), serde.String()).PipeKeyValues(record.KV("x", "X"), record.KV("y", "Y")))
	require.NoError(t, d.Input("a", serde.String(), serde.String()).Pipe("x", "1"))
	require.NoError(t, d.Input("b", serde.String(), serde.String()).Pipe("y", "2"))
	kvs, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{record.KV("x", "1:X"), record.KV("y", "2:Y")}, kvs)
	assert.Len(t, d.Tasks(), 3)
}

// Undecodable global records go to the error policy, naming the record.
func TestGlobalTableBadRecords(t *testing.T) {
	build := func() *stream.Builder {
		b := stream.NewBuilder()
		rates := b.GlobalTable("rates", serde.String(), serde.Int64(), table.As("rates"))
		b.Stream("in", serde.String(), serde.String()).
			LeftJoinGlobalTable(rates, func(_, v string) string { return v }, func(v string, r int64, ok bool) int64 { return r }).
			To("out", serde.String(), serde.Int64())
		return b
	}
	t.Run("fail", func(t *testing.T) {
		d := driver(t, build())
		require.NoError(t, d.PipeRaw("rates", []byte("a"), int64Bytes(7), ms(1)))
		err := d.PipeRaw("rates", []byte("b"), []byte{1, 2, 3}, ms(2))
		require.Error(t, err)
		var re *engine.RecordError
		require.True(t, errors.As(err, &re), "%v", err)
		assert.Contains(t, err.Error(), `record at topic "rates" partition 0 offset 1`)
		assert.Contains(t, err.Error(), "deserialize value")
	})
	t.Run("skip", func(t *testing.T) {
		d := driver(t, build(), topologytest.SkipBadRecords())
		require.NoError(t, d.PipeRaw("rates", []byte("a"), int64Bytes(7), ms(1)))
		require.NoError(t, d.PipeRaw("rates", []byte("b"), []byte{1, 2, 3}, ms(2)))
		assert.Equal(t, int64(1), d.Dropped()[record.DropDeserialization])
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeKeyValues(record.KV("x", "a"), record.KV("y", "b")))
		kvs, err := d.Output("out", serde.String(), serde.Int64()).ReadKeyValues()
		require.NoError(t, err)
		assert.Equal(t, []record.KeyValue[string, int64]{record.KV("x", int64(7)), record.KV("y", int64(0))}, kvs)
	})
}

// lookupProc reads the global store "names" through the Processor API.
type lookupProc struct {
	store stream.KeyValueStore[string, string]
	ctx   processor.Context[string, string]
	names state.KeyValueView[string, string]
}

func (p *lookupProc) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.names, err = p.store.Open(ctx)
	return err
}

func (p *lookupProc) Process(r processor.Record[string, string]) error {
	if r.Value == "write" {
		return p.names.Put(r.Key, "x")
	}
	name, ok, err := p.names.Get(r.Key)
	if err != nil {
		return err
	}
	r.Value = show(name, ok)
	return p.ctx.Forward(r)
}

func (p *lookupProc) Close() error { return nil }

// Processors read global stores without connecting them, and cannot write
// them.
func TestGlobalStoreFromProcessor(t *testing.T) {
	b := stream.NewBuilder()
	names := b.GlobalTable("names", serde.String(), serde.String(), table.As("names"))
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &lookupProc{store: names.Store()} }).
		To("out", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(2))
	require.NoError(t, d.Input("names", serde.String(), serde.String()).PipeKeyValues(record.KV("a", "Ann"), record.KV("b", "Ben")))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeKeyValues(record.KV("a", "?"), record.KV("b", "?"), record.KV("c", "?")))
	kvs, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.ElementsMatch(t, []record.KeyValue[string, string]{
		record.KV("a", "Ann"), record.KV("b", "Ben"), record.KV("c", "null"),
	}, kvs)
	err = in.Pipe("a", "write")
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrReadOnly)
}
