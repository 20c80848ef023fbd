// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

type pair = record.KeyValue[string, int64]

func kv(k string, v int64) pair { return record.KV(k, v) }

func ms(n int64) time.Time { return time.UnixMilli(n) }

func driver(t *testing.T, b *stream.Builder, opts ...topologytest.Option) *topologytest.Driver {
	t.Helper()
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := topologytest.New(topo, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

func windowedCount(w window.TimeWindows) *stream.Builder {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		WindowedBy(w).
		Count(table.As("counts")).
		ToStream().
		To("out", serde.TimeWindowed(serde.String(), w.Size()), serde.Int64())
	return b
}

type wrec struct {
	key   string
	start int64
	count int64
	ts    int64
}

func readWindowed(t *testing.T, d *topologytest.Driver, sizeMillis int64) []wrec {
	t.Helper()
	size := time.Duration(sizeMillis) * time.Millisecond
	rs, err := d.Output("out", serde.TimeWindowed(serde.String(), size), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	var out []wrec
	for _, r := range rs {
		require.Equal(t, size, r.Key.Window.Size())
		out = append(out, wrec{r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Value, r.Timestamp.UnixMilli()})
	}
	return out
}

// Windows are epoch-aligned and half-open: [start, start+size).
func TestTumblingWindowBoundaries(t *testing.T) {
	d := driver(t, windowedCount(window.Tumbling(10*time.Second).Grace(time.Hour)))
	in := d.Input("in", serde.String(), serde.String())
	for _, ts := range []int64{0, 9_999, 10_000, 19_999, 20_000} {
		require.NoError(t, in.PipeAt("k", "v", ms(ts)))
	}
	assert.Equal(t, []wrec{
		{"k", 0, 1, 0}, {"k", 0, 2, 9_999},
		{"k", 10_000, 1, 10_000}, {"k", 10_000, 2, 19_999},
		{"k", 20_000, 1, 20_000},
	}, readWindowed(t, d, 10_000))
}

// A record is dropped for a window once window end <= stream time - grace;
// out-of-order records inside the grace period still count, and the
// aggregate keeps the largest timestamp.
func TestGracePeriodDropsLateRecords(t *testing.T) {
	d := driver(t, windowedCount(window.Tumbling(10*time.Second).Grace(5*time.Second)))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "a", ms(1_000)))  // window [0,10s)
	require.NoError(t, in.PipeAt("k", "b", ms(14_999))) // stream time 14.999s: [0,10s) open until 15s
	require.NoError(t, in.PipeAt("k", "c", ms(2_000)))  // in grace: counted, ts stays 1s? no: max(2s, 1s)
	require.NoError(t, in.PipeAt("k", "d", ms(15_000))) // stream time 15s closes [0,10s)
	require.NoError(t, in.PipeAt("k", "e", ms(9_999)))  // late: dropped
	assert.Equal(t, []wrec{
		{"k", 0, 1, 1_000},
		{"k", 10_000, 1, 14_999},
		{"k", 0, 2, 2_000},
		{"k", 10_000, 2, 15_000},
	}, readWindowed(t, d, 10_000))
	assert.Equal(t, int64(1), d.Dropped()[record.DropLate])
	ws, err := d.WindowStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	n, ok, err := ws.Fetch("k", ms(0))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(2), n)
}

// A hopping window of size 10s advancing by 5s puts each record in two
// windows, each updated and emitted.
func TestHoppingWindowsAssignSeveral(t *testing.T) {
	d := driver(t, windowedCount(window.Hopping(10*time.Second, 5*time.Second)))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "v", ms(7_000)))
	require.NoError(t, in.PipeAt("k", "v", ms(12_000)))
	require.NoError(t, in.PipeAt("k", "v", ms(3_000))) // stream time 12s, grace 0: [0,10s) still open (10s > 12s? no: 10 <= 12 → closed)
	assert.Equal(t, []wrec{
		{"k", 0, 1, 7_000}, {"k", 5_000, 1, 7_000},
		{"k", 5_000, 2, 12_000}, {"k", 10_000, 1, 12_000},
	}, readWindowed(t, d, 10_000))
	assert.Equal(t, int64(1), d.Dropped()[record.DropLate], "the 3s record's only window [0,10s) closed at stream time 12s")
}

// Stream aggregations drop records with a null key or a null value;
// windowed aggregations drop only null keys (Kafka Streams' code, not docs).
func TestNullKeyAndValueRules(t *testing.T) {
	b := stream.NewBuilder()
	s := b.Stream("in", serde.String(), serde.String())
	s.GroupByKey().Count(table.As("plain")).ToStream().To("plain-out", nil, nil)
	s.GroupByKey().WindowedBy(window.Tumbling(time.Minute)).Count(table.As("windowed")).
		ToStream().To("windowed-out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "v", ms(1)))
	require.NoError(t, in.PipeValue("no key"))
	require.NoError(t, in.PipeTombstone("k"))

	plain, err := d.Output("plain-out", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []pair{kv("k", 1)}, plain)
	win, err := d.Output("windowed-out", serde.TimeWindowed(serde.String(), 60_000*time.Millisecond), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 2}, win, "the windowed count counts the null value")
	assert.Equal(t, map[string]int64{record.DropNullKey: 2, record.DropNullValue: 1}, d.Dropped())
}

// Aggregates carry the largest timestamp of their inputs; stateless
// operators keep the input's timestamp and headers.
func TestOutputTimestampsAndHeaders(t *testing.T) {
	b := stream.NewBuilder()
	s := b.Stream("in", serde.String(), serde.Int64())
	s.MapValues(func(v int64) int64 { return v * 10 }).To("mapped", nil, nil)
	s.GroupByKey().Reduce(func(a, v int64) int64 { return a + v }).ToStream().To("sums", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.Int64())
	h := []record.Header{{Key: "trace", Value: []byte("t1")}}
	require.NoError(t, in.PipeRecord(topologytest.Record[string, int64]{Key: "a", Value: 1, Timestamp: ms(500), Headers: h}))
	require.NoError(t, in.PipeAt("a", 2, ms(100)))
	require.NoError(t, in.PipeAt("a", 3, ms(700)))

	mapped, err := d.Output("mapped", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, mapped, 3)
	assert.Equal(t, int64(10), mapped[0].Value)
	assert.Equal(t, h, mapped[0].Headers)
	assert.Equal(t, []int64{500, 100, 700}, []int64{mapped[0].Timestamp.UnixMilli(), mapped[1].Timestamp.UnixMilli(), mapped[2].Timestamp.UnixMilli()})

	sums, err := d.Output("sums", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, sums, 3)
	assert.Equal(t, []int64{1, 3, 6}, []int64{sums[0].Value, sums[1].Value, sums[2].Value})
	assert.Equal(t, []int64{500, 500, 700}, []int64{sums[0].Timestamp.UnixMilli(), sums[1].Timestamp.UnixMilli(), sums[2].Timestamp.UnixMilli()})
}

// With several partitions, GroupBy routes each new key through the
// repartition topic to the partition murmur2 picks, so counts stay exact
// and each key lives in exactly one task's store.
func TestRepartitionAcrossPartitions(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().To("counts-out", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(4), topologytest.AppID("wc"))
	assert.Equal(t, []string{"0_0", "0_1", "0_2", "0_3", "1_0", "1_1", "1_2", "1_3"}, d.Tasks())
	in := d.Input("lines", serde.String(), serde.String())
	require.NoError(t, in.PipeKeyValues(
		record.KV("l1", "a b c a"), record.KV("l2", "b a"), record.KV("l3", "c c d"),
	))
	out := d.Output("counts-out", serde.String(), serde.Int64())
	rs, err := out.ReadRecords()
	require.NoError(t, err)
	final := map[string]int64{}
	parts := map[string]int32{}
	for _, r := range rs {
		final[r.Key] = r.Value
		if p, ok := parts[r.Key]; ok {
			assert.Equal(t, p, r.Partition, "key %s moved partitions", r.Key)
		}
		parts[r.Key] = r.Partition
	}
	assert.Equal(t, map[string]int64{"a": 3, "b": 2, "c": 3, "d": 1}, final)
	assert.Contains(t, d.ProducedTopics(), "wc-counts-repartition")
	assert.Contains(t, d.ProducedTopics(), "wc-counts-changelog")
	store, err := d.KeyValueStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []pair{kv("a", 3), kv("b", 2), kv("c", 3), kv("d", 1)}, all)
}

func TestTableFilterMapValuesToStream(t *testing.T) {
	b := stream.NewBuilder()
	b.Table("prices", serde.String(), serde.Int64(), table.As("prices")).
		Filter(func(_ string, p int64) bool { return p >= 100 }).
		MapValues(func(p int64) int64 { return p / 100 }).
		ToStream().
		To("dollars", nil, nil)
	d := driver(t, b)
	in := d.Input("prices", serde.String(), serde.Int64())
	require.NoError(t, in.Pipe("a", 250))
	// prices is materialized (table.As), so the filter sends old values and,
	// as Kafka Streams' (java OldValuesTest.pricesFilterMapValues), drops
	// the changes of b, which never matched.
	require.NoError(t, in.Pipe("b", 50))
	require.NoError(t, in.Pipe("a", 30)) // stops matching: tombstone
	require.NoError(t, in.PipeTombstone("b"))
	require.NoError(t, in.Pipe("c", 1000))

	rs, err := d.Output("dollars", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	type row struct {
		k    string
		v    int64
		tomb bool
	}
	var got []row
	for _, r := range rs {
		got = append(got, row{r.Key, r.Value, r.ValueNull})
	}
	assert.Equal(t, []row{{"a", 2, false}, {"a", 0, true}, {"c", 10, false}}, got)
	store, err := d.KeyValueStore("prices", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []pair{kv("a", 30), kv("c", 1000)}, all)
}

func TestSplitMergeToFunc(t *testing.T) {
	b := stream.NewBuilder()
	br := b.Stream("nums", serde.String(), serde.Int64()).
		Split().
		Branch("neg", func(_ string, v int64) bool { return v < 0 }).
		Branch("small", func(_ string, v int64) bool { return v < 10 }).
		Branches()
	br["neg"].MapValues(func(v int64) int64 { return -v }).
		Merge(br["small"]).
		ToFunc(func(k string, v int64, _ record.Context) string {
			if v%2 == 0 {
				return "even"
			}
			return "odd"
		}, nil, nil)
	d := driver(t, b)
	in := d.Input("nums", serde.String(), serde.Int64())
	require.NoError(t, in.PipeKeyValues(kv("a", -3), kv("b", 4), kv("c", 50), kv("d", 7), kv("e", -8)))
	even, err := d.Output("even", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	odd, err := d.Output("odd", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []pair{kv("b", 4), kv("e", 8)}, even)
	assert.Equal(t, []pair{kv("a", 3), kv("d", 7)}, odd, "50 matches no branch and is dropped")
}

func TestToTableTombstones(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).ToTable(table.As("latest")).ToStream().To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.Pipe("k", "v1"))
	require.NoError(t, in.Pipe("k", "v2"))
	require.NoError(t, in.PipeTombstone("k"))
	m, err := topologytest.ReadToMap(d.Output("out", serde.String(), serde.String()))
	require.NoError(t, err)
	assert.Empty(t, m)
	store, err := d.KeyValueStore("latest", serde.String(), serde.String())
	require.NoError(t, err)
	_, ok, err := store.Get("k")
	require.NoError(t, err)
	assert.False(t, ok)
}

// Undecodable input fails with an error naming topic, partition, offset and
// key, or is skipped and counted under SkipBadRecords.
func TestBadRecords(t *testing.T) {
	build := func() *stream.Builder {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.Int64()).To("out", nil, nil)
		return b
	}
	d := driver(t, build(), topologytest.DefaultPartitions(3))
	require.NoError(t, d.PipeRaw("in", []byte("k"), []byte{0, 0, 0, 0, 0, 0, 0, 1}, ms(1)))
	err := d.PipeRaw("in", []byte("bad-key"), []byte{1, 2, 3}, ms(2))
	require.Error(t, err)
	var re *engine.RecordError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, "in", re.Topic)
	assert.Contains(t, err.Error(), `topic "in" partition`)
	assert.Contains(t, err.Error(), `offset 0`)
	assert.Contains(t, err.Error(), `(key "bad-key")`)
	assert.Contains(t, err.Error(), "deserialize value")

	d2 := driver(t, build(), topologytest.SkipBadRecords())
	require.NoError(t, d2.PipeRaw("in", []byte("k"), []byte{1, 2, 3}, ms(1)))
	require.NoError(t, d2.PipeRaw("in", []byte("k"), []byte{0, 0, 0, 0, 0, 0, 0, 9}, ms(2)))
	vals, err := d2.Output("out", serde.String(), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []int64{9}, vals)
	assert.Equal(t, int64(1), d2.Dropped()[record.DropDeserialization])
}

func TestInputClockAutoAdvance(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String()).StartAt(ms(1000)).AutoAdvance(time.Second)
	require.NoError(t, in.PipeValues("a", "b"))
	in.AdvanceTime(time.Minute)
	require.NoError(t, in.PipeValue("c"))
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, []int64{1000, 2000, 63000}, []int64{rs[0].Timestamp.UnixMilli(), rs[1].Timestamp.UnixMilli(), rs[2].Timestamp.UnixMilli()})
	_, err = d.Output("out", serde.String(), serde.String()).ReadValue()
	assert.ErrorIs(t, err, topologytest.ErrEmpty)
}

// Windowed keys are partitioned by their base key, as Kafka Streams'
// WindowedStreamPartitioner does: all windows of a key share a partition,
// the one a plain key would get.
func TestWindowedOutputPartitionedByBaseKey(t *testing.T) {
	d := driver(t, windowedCount(window.Tumbling(10*time.Second)), topologytest.DefaultPartitions(5))
	in := d.Input("in", serde.String(), serde.String())
	keys := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
	for i, k := range keys {
		require.NoError(t, in.PipeAt(k, "v", ms(int64(i)*7_000)))
		require.NoError(t, in.PipeAt(k, "v", ms(int64(i)*7_000+5_000)))
	}
	rs, err := d.Output("out", serde.TimeWindowed(serde.String(), 10_000*time.Millisecond), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	for _, r := range rs {
		assert.Equal(t, partition.ForKey([]byte(r.Key.Key), 5), r.Partition, "key %v", r.Key)
	}
}

// Repartition with an explicit partition count creates that many tasks
// downstream, and routes each key by murmur2 of its serialized bytes.
func TestRepartitionPartitionCount(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		SelectKey(func(_, v string) string { return v }).
		Repartition(stream.As("by-value"), stream.Partitions(3)).
		To("out", nil, nil)
	d := driver(t, b, topologytest.AppID("rp"))
	assert.Equal(t, []string{"0_0", "1_0", "1_1", "1_2"}, d.Tasks())
	in := d.Input("in", serde.String(), serde.String())
	for _, v := range []string{"x", "y", "z", "x"} {
		require.NoError(t, in.Pipe("k", v))
	}
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, rs, 4)
	for _, r := range rs {
		assert.Equal(t, r.Value, r.Key)
	}
	reparted := d.ReadRaw("rp-by-value-repartition")
	require.Len(t, reparted, 4)
	for _, r := range reparted {
		assert.Equal(t, partition.ForKey(r.Key, 3), r.Partition)
	}
}

// A panic in user code is a processing error: by default it stops
// processing with an error naming the record; with SkipBadRecords the
// record is skipped and counted, and processing continues.
func TestPanicInUserCodeGoesToErrorHandler(t *testing.T) {
	build := func() *stream.Builder {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.Int64()).
			MapValues(func(v int64) int64 {
				if v == 0 {
					panic("division by zero")
				}
				return 100 / v
			}).
			To("out", nil, nil)
		return b
	}
	d := driver(t, build())
	in := d.Input("in", serde.String(), serde.Int64())
	require.NoError(t, in.Pipe("a", 4))
	err := in.Pipe("b", 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "panic: division by zero")
	assert.Contains(t, err.Error(), `offset 1 (key "b")`)

	d2 := driver(t, build(), topologytest.SkipBadRecords())
	in2 := d2.Input("in", serde.String(), serde.Int64())
	require.NoError(t, in2.Pipe("a", 4))
	require.NoError(t, in2.Pipe("b", 0))
	require.NoError(t, in2.Pipe("c", 5))
	vals, err := d2.Output("out", serde.String(), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []int64{25, 20}, vals)
	assert.Equal(t, int64(1), d2.Dropped()[record.DropProcessing])
}

// A missing output topic is never skipped, whatever the error policy.
func TestMissingOutputTopicIsFatal(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).To("out", nil, nil)
	d := driver(t, b, topologytest.SkipBadRecords(), topologytest.TopicPartitions("out", -1))
	err := d.Input("in", serde.String(), serde.String()).Pipe("k", "v")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "partition count must be positive")
	assert.Zero(t, d.Dropped()[record.DropProcessing])
}

// Reading a topic the topology cannot write fails, naming what it writes,
// so a misspelt topic does not pass for an empty output.
func TestOutputRejectsUnknownTopic(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).GroupByKey().Count(table.As("counts")).ToStream().To("out", nil, nil)
	d := driver(t, b)
	require.NoError(t, d.Input("in", serde.String(), serde.String()).Pipe("k", "v"))

	_, err := d.Output("outt", serde.String(), serde.Int64()).ReadRecords()
	require.ErrorContains(t, err, `the topology writes no topic "outt"`)
	assert.ErrorContains(t, err, "test-app-counts-changelog")
	_, err = topologytest.ReadToMap(d.Output("outt", serde.String(), serde.Int64()))
	assert.ErrorContains(t, err, `no topic "outt"`)

	got, err := d.Output("out", serde.String(), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []int64{1}, got)
	changelog, err := d.Output("test-app-counts-changelog", serde.String(), serde.Int64()).ReadValues()
	require.NoError(t, err)
	assert.Len(t, changelog, 1, "internal topics are readable")
}
