// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// An adder that returns nil, a null aggregate, deletes the key (Kafka
// Streams' KStreamAggregate puts null in the store, which deletes it): the
// store drops the key, its changelog gets a tombstone, the table forwards a
// deletion (a tombstone from ToStream), and the key's next record starts
// again from the initializer.
func TestStreamAggregateNilDeletesKey(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		Aggregate(func() []string { return []string{} }, func(_ string, v string, agg []string) []string {
			if v == "reset" {
				return nil
			}
			return append(agg, v)
		}, serde.JSON[[]string](), table.As("lists")).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b, topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.String())
	for _, v := range []string{"a", "b", "reset", "c"} {
		require.NoError(t, in.PipeAt("k", v, ms(int64(len(v)))))
	}
	require.NoError(t, in.PipeAt("other", "reset", ms(9)))

	// raw shows a record as key=value, a tombstone (nil bytes, not the
	// JSON null) as key=<tombstone>.
	raw := func(topic string) []string {
		var got []string
		for _, r := range d.ReadRaw(topic) {
			v := string(r.Value)
			if r.Value == nil {
				v = "<tombstone>"
			}
			got = append(got, string(r.Key)+"="+v)
		}
		return got
	}
	// Kafka Streams without caching forwards (and logs) the null aggregate
	// of a key it never held too.
	assert.Equal(t, []string{`k=["a"]`, `k=["a","b"]`, "k=<tombstone>", `k=["c"]`, "other=<tombstone>"}, raw("out"))
	assert.Equal(t, []string{`k=["a"]`, `k=["a","b"]`, "k=<tombstone>", `k=["c"]`, "other=<tombstone>"}, raw("app-lists-changelog"))

	store, err := d.KeyValueStore("lists", serde.String(), serde.JSON[[]string]())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, []string]{{Key: "k", Value: []string{"c"}}}, all)
}

// Reduce's reducer returning nil deletes the key likewise (Kafka Streams'
// KStreamReduce); the key's next value starts a new aggregate.
func TestStreamReduceNilDeletesKey(t *testing.T) {
	type total struct{ N int }
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.JSON[*total]()).
		GroupByKey().
		Reduce(func(agg, v *total) *total {
			if agg.N+v.N == 0 {
				return nil
			}
			return &total{agg.N + v.N}
		}, table.As("sums")).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b, topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.JSON[*total]())
	for _, n := range []int{2, -2, 5} {
		require.NoError(t, in.Pipe("k", &total{n}))
	}
	out, err := d.Output("out", serde.String(), serde.JSON[*total]()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, out, 3)
	assert.Equal(t, &total{2}, out[0].Value)
	assert.True(t, out[1].ValueNull, "the deletion is a tombstone")
	assert.Equal(t, &total{5}, out[2].Value, "a new aggregate after the deletion")
	recs := d.ReadRaw("app-sums-changelog")
	require.Len(t, recs, 3)
	assert.Nil(t, recs[1].Value, "changelog tombstone")
	store, err := d.KeyValueStore("sums", serde.String(), serde.JSON[*total]())
	require.NoError(t, err)
	v, found, err := store.Get("k")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, &total{5}, v)
}

// A windowed aggregation's nil aggregate deletes the window's entry
// likewise (Kafka Streams' KStreamWindowAggregate puts the null).
func TestWindowedAggregateNilDeletesWindow(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		WindowedBy(window.Tumbling(10*time.Millisecond).Grace(time.Second)).
		Aggregate(func() []string { return []string{} }, func(_ string, v string, agg []string) []string {
			if v == "reset" {
				return nil
			}
			return append(agg, v)
		}, serde.JSON[[]string](), table.As("wins")).
		ToStream().
		Map(func(k window.Windowed[string], v []string) (string, []string) {
			return k.Key + "@" + strconv.FormatInt(k.Window.Start().UnixMilli(), 10), v
		}).
		To("out", serde.String(), serde.JSON[[]string]())
	d := driver(t, b, topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "a", ms(1)))
	require.NoError(t, in.PipeAt("k", "b", ms(12)))
	require.NoError(t, in.PipeAt("k", "reset", ms(3)))
	require.NoError(t, in.PipeAt("k", "c", ms(4)))

	var got []string
	for _, r := range d.ReadRaw("out") {
		v := string(r.Value)
		if r.Value == nil {
			v = "<tombstone>"
		}
		got = append(got, string(r.Key)+"="+v)
	}
	assert.Equal(t, []string{`k@0=["a"]`, `k@10=["b"]`, "k@0=<tombstone>", `k@0=["c"]`}, got)
	var tombstones int
	for _, r := range d.ReadRaw("app-wins-changelog") {
		if r.Value == nil {
			tombstones++
		}
	}
	assert.Equal(t, 1, tombstones, "one changelog tombstone")

	store, err := d.WindowStore("wins", serde.String(), serde.JSON[[]string]())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, []string{"c"}, all[0].Value, "the window restarted from the initializer")
	assert.Equal(t, []string{"b"}, all[1].Value)
}

// A session aggregation's nil aggregate removes the merged session
// (Kafka Streams' KStreamSessionWindowAggregate puts the null): the
// sessions it merged are removed as always, the new one is not stored, and
// the key's next record starts a new session from the initializer.
func TestSessionAggregateNilRemovesSession(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SessionWindowedBy(window.Session(10*time.Millisecond).Grace(time.Second)).
		Aggregate(func() []string { return []string{} }, func(_ string, v string, agg []string) []string {
			if v == "reset" {
				return nil
			}
			return append(agg, v)
		}, func(_ string, a, b []string) []string { return append(a, b...) }, serde.JSON[[]string](), table.As("sessions")).
		ToStream().
		Map(func(k window.Windowed[string], v []string) (string, []string) {
			return k.Key + "@" + strconv.FormatInt(k.Window.Start().UnixMilli(), 10) + "-" +
				strconv.FormatInt(k.Window.End().UnixMilli(), 10), v
		}).
		To("out", serde.String(), serde.JSON[[]string]())
	d := driver(t, b, topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "a", ms(1)))
	require.NoError(t, in.PipeAt("k", "reset", ms(3)))
	require.NoError(t, in.PipeAt("k", "c", ms(5)))

	var got []string
	for _, r := range d.ReadRaw("out") {
		v := string(r.Value)
		if r.Value == nil {
			v = "<tombstone>"
		}
		got = append(got, string(r.Key)+"="+v)
	}
	assert.Equal(t, []string{`k@1-1=["a"]`, "k@1-1=<tombstone>", "k@1-3=<tombstone>", `k@5-5=["c"]`}, got)

	store, err := d.SessionStore("sessions", serde.String(), serde.JSON[[]string]())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, []string{"c"}, all[0].Value)
	assert.Equal(t, int64(5), all[0].Key.Window.Start().UnixMilli())
}

// A sliding-window aggregation's nil aggregate deletes that window's entry
// (or does not create it) and forwards a tombstone, as Kafka Streams'
// KStreamSlidingWindowAggregate puts the null; later records find the
// window missing and start it again from the initializer, or seed a left
// window from the previous window that still exists. The expected output
// and store are Kafka Streams 4.4's on the same input
// (java/…/NullAggregateAndFkWithKeyTest.nullSlidingAggregateDeletesWindow).
func TestSlidingAggregateNilDeletesWindow(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(window.Sliding(10*time.Millisecond).Grace(time.Second)).
		Aggregate(func() []string { return []string{} }, func(_ string, v string, agg []string) []string {
			if v == "reset" {
				return nil
			}
			return append(agg, v)
		}, serde.JSON[[]string](), table.As("slides")).
		ToStream().
		Map(func(k window.Windowed[string], v []string) (string, []string) {
			return k.Key + "@" + strconv.FormatInt(k.Window.Start().UnixMilli(), 10) + "-" +
				strconv.FormatInt(k.Window.End().UnixMilli(), 10), v
		}).
		To("out", serde.String(), serde.JSON[[]string]())
	d := driver(t, b, topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.String())
	for _, r := range []struct {
		v  string
		ts int64
	}{{"a", 20}, {"b", 25}, {"reset", 27}, {"c", 30}, {"d", 26}, {"e", 45}, {"reset", 3}, {"f", 5}} {
		require.NoError(t, in.PipeAt("k", r.v, ms(r.ts)))
	}

	// Java's aggregate is the concatenated string; Eddy's the list of
	// values, shown concatenated.
	var got []string
	for _, r := range d.ReadRaw("out") {
		v := "<tombstone>"
		if r.Value != nil {
			var vs []string
			require.NoError(t, json.Unmarshal(r.Value, &vs))
			v = strings.Join(vs, "")
		}
		got = append(got, string(r.Key)+"="+v)
	}
	assert.Equal(t, []string{"k@10-20=a", "k@21-31=b", "k@15-25=ab", "k@21-31=<tombstone>", "k@26-36=<tombstone>",
		"k@17-27=<tombstone>", "k@26-36=c", "k@20-30=abc", "k@26-36=cd", "k@20-30=abcd", "k@16-26=abd", "k@27-37=c",
		"k@35-45=e", "k@0-10=<tombstone>", "k@0-10=f"}, got)
	var tombstones int
	for _, r := range d.ReadRaw("app-slides-changelog") {
		if r.Value == nil {
			tombstones++
		}
	}
	assert.Equal(t, 4, tombstones, "a changelog tombstone per null aggregate")

	store, err := d.WindowStore("slides", serde.String(), serde.JSON[[]string]())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	var rows []string
	for _, kv := range all {
		rows = append(rows, kv.Key.Key+"@"+strconv.FormatInt(kv.Key.Window.Start().UnixMilli(), 10)+"="+strings.Join(kv.Value, ""))
	}
	assert.Equal(t, []string{"k@0=f", "k@10=a", "k@15=ab", "k@16=abd", "k@20=abcd", "k@26=cd", "k@27=c", "k@35=e"}, rows)
}
