// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// tagger upper-cases values and tags each with the record context it was
// transformed in; a deletion becomes the value "gone" when keepDeleted is
// set (Kafka Streams lets the transformer turn a null into a value), and
// stays a deletion otherwise. It counts its calls per key in the store
// behind calls.
type tagger struct {
	calls       stream.KeyValueStore[string, int64]
	keepDeleted bool
	ctx         processor.ValueTransformerContext
	view        state.KeyValueView[string, int64]
	log         *[]string
}

func (p *tagger) Init(ctx processor.ValueTransformerContext) (err error) {
	p.ctx = ctx
	p.view, err = p.calls.Open(ctx)
	return err
}

func (p *tagger) Transform(key, value string, found bool) (string, bool, error) {
	n, _, err := p.view.Get(key)
	if err != nil {
		return "", false, err
	}
	if err := p.view.Put(key, n+1); err != nil {
		return "", false, err
	}
	md, _ := p.ctx.RecordMetadata()
	var hs []string
	for _, h := range p.ctx.Headers() {
		hs = append(hs, h.Key+"="+string(h.Value))
	}
	if p.log != nil {
		*p.log = append(*p.log, fmt.Sprintf("%s:%s/%v@%s-%d-%d t=%d h=%s", key, value, found,
			md.Topic, md.Partition, md.Offset, p.ctx.Timestamp().UnixMilli(), strings.Join(hs, ",")))
	}
	if value == "fail" {
		return "", false, errors.New("cannot transform fail")
	}
	if !found {
		return "gone", p.keepDeleted, nil
	}
	return strings.ToUpper(value), true, nil
}

func (p *tagger) Close() error { return nil }

// An unmaterialized TransformValues sees every update with its record
// context, deletions as found false (and decides what the row becomes),
// and uses connected stores.
func TestTableTransformValues(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keepDeleted=%v", keep), func(t *testing.T) {
			var log []string
			calls := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "calls"}, serde.String(), serde.Int64())
			b := stream.NewBuilder()
			b.Table("words", serde.String(), serde.String()).
				TransformValues(func() processor.ValueTransformer[string, string, string] {
					return &tagger{calls: calls, keepDeleted: keep, log: &log}
				}, calls, stream.As("tag")).
				ToStream().
				To("out", nil, nil)
			d := driver(t, b)
			in := d.Input("words", serde.String(), serde.String())
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", Value: "x", Timestamp: ms(10),
				Headers: []record.Header{{Key: "h", Value: []byte("1")}}}))
			require.NoError(t, in.PipeAt("a", "y", ms(20)))
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", ValueNull: true, Timestamp: ms(30)}))
			// Deleting an absent key: the transformer still sees it.
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "b", ValueNull: true, Timestamp: ms(40)}))

			gone := "<null>"
			if keep {
				gone = "gone"
			}
			assert.Equal(t, []trec{{"a", "X", 10}, {"a", "Y", 20}, {"a", gone, 30}, {"b", gone, 40}}, readTable(t, d, serde.String()))
			// Only ToStream follows: no old values are needed, so the
			// transformer sees each update once, as in Kafka Streams.
			assert.Equal(t, []string{
				"a:x/true@words-0-0 t=10 h=h=1",
				"a:y/true@words-0-1 t=20 h=",
				"a:/false@words-0-2 t=30 h=",
				"b:/false@words-0-3 t=40 h=",
			}, log)
			cs, err := d.KeyValueStore("calls", serde.String(), serde.Int64())
			require.NoError(t, err)
			all, err := cs.All()
			require.NoError(t, err)
			assert.Equal(t, []record.KeyValue[string, int64]{record.KV("a", int64(3)), record.KV("b", int64(1))}, all)
			assert.Contains(t, d.ProducedTopics(), "test-app-calls-changelog")

			err = in.PipeAt("c", "fail", ms(50))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "tag: cannot transform fail")
		})
	}
}

// counter numbers the updates it sees per key: "value#n". It is stateful,
// so re-transforming an old value gives a different result.
type counter struct {
	n map[string]int
}

func (p *counter) Init(processor.ValueTransformerContext) error { p.n = map[string]int{}; return nil }
func (p *counter) Transform(key, value string, found bool) (string, bool, error) {
	p.n[key]++
	if !found {
		return "", false, nil
	}
	return fmt.Sprintf("%s#%d", value, p.n[key]), true, nil
}
func (p *counter) Close() error { return nil }

// Old values reach downstream operators: a re-grouping after
// TransformValues subtracts the transformed old value. Unmaterialized, the
// old value is the transform of the upstream old value (a second call);
// materialized, it is the row the store held, and the transformer is
// called once per update.
func TestTableTransformValuesOldValues(t *testing.T) {
	build := func(opts ...table.Option) *stream.Builder {
		b := stream.NewBuilder()
		b.Table("users", serde.String(), serde.String()).
			TransformValues(func() processor.ValueTransformer[string, string, string] { return &counter{} }, opts...).
			GroupBy(func(user, v string) (string, string) { return v, user }, nil, nil).
			Count(table.As("per-value")).
			ToStream().
			To("out", nil, serde.Int64())
		return b
	}
	pipe := func(d *topologytest.Driver) {
		in := d.Input("users", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("alice", "eu", ms(1)))
		require.NoError(t, in.PipeAt("alice", "asia", ms(2)))
		require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "alice", ValueNull: true, Timestamp: ms(3)}))
	}

	// Unmaterialized, GroupBy needs old values: each update transforms the
	// new value, then the old one (found false for the insert: call 2 is
	// for no value); update 2 transforms "asia" (call 3) and the old "eu"
	// (call 4: eu#4, which was never counted, so the subtraction finds no
	// count and eu#1 stays at 1); the deletion transforms the tombstone
	// (call 5) and the old "asia" (call 6: asia#6, never counted either).
	// A subtraction from a word without a count puts and forwards the
	// null count, as Kafka Streams' KTableAggregate does: a tombstone for
	// eu#4 and asia#6 (java/…/NullAggregateAndFkWithKeyTest
	// .subtractFromAbsentAggregateForwardsTombstone).
	d := driver(t, build())
	pipe(d)
	assert.Equal(t, []trec{
		{"eu#1", "1", 1},
		{"eu#4", "<null>", 2}, {"asia#3", "1", 2},
		{"asia#6", "<null>", 3},
	}, readTable(t, d, serde.Int64()))

	// Materialized: old values come from the store, so the subtractions
	// hit the rows that were added.
	d = driver(t, build(table.As("numbered")))
	pipe(d)
	assert.Equal(t, []trec{
		{"eu#1", "1", 1},
		{"eu#1", "0", 2}, {"asia#2", "1", 2},
		{"asia#2", "0", 3},
	}, readTable(t, d, serde.Int64()))
}

// A materialized TransformValues is queryable, deletions remove rows, it
// is logged to its changelog, and a later join reads it without another
// store.
func TestTableTransformValuesMaterialized(t *testing.T) {
	b := stream.NewBuilder()
	calls := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "calls", DisableLogging: true}, serde.String(), serde.Int64())
	upper := b.Table("words", serde.String(), serde.String()).
		TransformValues(func() processor.ValueTransformer[string, string, string] { return &tagger{calls: calls} },
			calls, table.As("upper"))
	upper.ToStream().To("out", nil, nil)
	b.Stream("lookups", serde.String(), serde.String()).
		LeftJoinTable(upper, func(v, row string, found bool) string { return v + "=" + show(row, found) }).
		To("joined", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, "upper", upper.StoreName())
	assert.NotContains(t, topo.Describe(), "KTABLE-MATERIALIZE", "the join reads the transform's own store")
	d := driver(t, b, topologytest.DefaultPartitions(2))
	in := d.Input("words", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("a", "x", ms(1)))
	require.NoError(t, in.PipeAt("b", "y", ms(2)))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", ValueNull: true, Timestamp: ms(3)}))
	assert.Equal(t, []trec{{"a", "X", 1}, {"b", "Y", 2}, {"a", "<null>", 3}}, readTable(t, d, serde.String()))

	s, err := d.KeyValueStore("upper", serde.String(), serde.String())
	require.NoError(t, err)
	all, err := s.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{record.KV("b", "Y")}, all)
	_, ts, ok, err := s.GetWithTimestamp("b")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(2), ts.UnixMilli())

	cl, err := d.Output("test-app-upper-changelog", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, cl, 3)
	assert.Equal(t, "X", cl[0].Value)
	assert.True(t, cl[2].ValueNull)
	assert.NotContains(t, d.ProducedTopics(), "test-app-calls-changelog")

	lk := d.Input("lookups", serde.String(), serde.String())
	require.NoError(t, lk.PipeAt("a", "q", ms(4)))
	require.NoError(t, lk.PipeAt("b", "q", ms(5)))
	got, err := d.Output("joined", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.ElementsMatch(t, []record.KeyValue[string, string]{record.KV("a", "q=null"), record.KV("b", "q=Y")}, got)
}

type point struct{ X, Y int }

type toPoint struct{}

func (toPoint) Init(processor.ValueTransformerContext) error { return nil }
func (toPoint) Transform(_ string, v int64, found bool) (point, bool, error) {
	return point{int(v), int(v) * 2}, found, nil
}
func (toPoint) Close() error { return nil }

func TestTableTransformValuesValidation(t *testing.T) {
	sup := func() processor.ValueTransformer[string, int64, point] { return toPoint{} }
	build := func(opts ...table.Option) error {
		b := stream.NewBuilder()
		b.Table("in", serde.String(), serde.Int64()).TransformValues(sup, opts...).ToStream().
			To("out", nil, serde.JSON[point]())
		_, err := b.Build()
		return err
	}
	// Unmaterialized, the value type needs no serde.
	require.NoError(t, build())
	err := build(table.As("points"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "value serde")
	require.NoError(t, build(table.As("points"), stream.StoreValueSerde(serde.JSON[point]())))
	err = build(stream.StoreValueSerde(serde.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "StoreValueSerde's type is not the result's value type")
	err = build(table.WithoutLogging())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pass table.As(name) too")

	// Handles and StoreValueSerde are not options of other table operators.
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).ToTable(stream.StoreValueSerde(serde.String()))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "StoreValueSerde applies to TransformValues only")

	// A stateful transformer supplier must return new instances.
	shared := &counter{}
	b = stream.NewBuilder()
	b.Table("in", serde.String(), serde.String()).
		TransformValues(func() processor.ValueTransformer[string, string, string] { return shared })
	topo, err := b.Build()
	require.NoError(t, err)
	_, err = topologytest.New(topo, topologytest.DefaultPartitions(2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "same instance")

	// A table store handle of an unmaterialized table.
	b = stream.NewBuilder()
	tb := b.Table("in", serde.String(), serde.String()).Filter(func(string, string) bool { return true })
	b.Stream("s", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &dedup{} }, tb.Store())
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the table is not materialized")
}

// upperValues upper-cases a table's values.
type upperValues struct{}

func (upperValues) Init(processor.ValueTransformerContext) error { return nil }
func (upperValues) Transform(_, value string, found bool) (string, bool, error) {
	return strings.ToUpper(value), found, nil
}
func (upperValues) Close() error { return nil }

// An out-of-order update of a versioned table passes an unmaterialized
// TransformValues still marked as one, as Kafka Streams passes isLatest on:
// ToStream emits it, an aggregation downstream ignores it. (A materialized
// TransformValues writes it into its own store, as Kafka Streams' does, so
// the next update's old value is the out-of-order one.)
func TestTableTransformValuesOfVersionedTable(t *testing.T) {
	ss := serde.String()
	b := stream.NewBuilder()
	up := b.Table("rows", ss, ss, table.As("rows"), table.Versioned(time.Minute)).
		TransformValues(func() processor.ValueTransformer[string, string, string] { return upperValues{} })
	up.ToStream().To("changes", nil, nil)
	up.GroupBy(func(k, v string) (string, string) { return v, k }, ss, ss).
		Count(table.As("per-value"), table.WithoutCaching()).ToStream().To("counts", nil, serde.Int64())
	d := driver(t, b)
	in := d.Input("rows", ss, ss)
	require.NoError(t, in.PipeAt("k", "a", ms(10)))
	require.NoError(t, in.PipeAt("k", "old", ms(5))) // out of order
	require.NoError(t, in.PipeAt("k", "b", ms(20)))
	changes, err := d.Output("changes", ss, ss).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{{Key: "k", Value: "A"}, {Key: "k", Value: "OLD"}, {Key: "k", Value: "B"}}, changes)
	counts, err := d.Output("counts", ss, serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: "A", Value: 1}, {Key: "A", Value: 0}, {Key: "B", Value: 1}}, counts)
}
