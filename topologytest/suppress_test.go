// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
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

// finalCounts builds in → count per key and window → suppress until the
// window closes → out.
func finalCounts(w window.TimeWindows, opts ...stream.SuppressOption) *stream.Builder {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		WindowedBy(w).
		Count(table.As("counts")).
		SuppressUntilWindowCloses(opts...).
		ToStream().
		To("out", nil, nil)
	return b
}

func pipeAt(t *testing.T, d *topologytest.Driver, key string, ts int64) {
	t.Helper()
	require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeAt(key, "v", ms(ts)))
}

// Each window's count is emitted once, when stream time - grace reaches the
// window's end exactly, with the timestamp of its latest update; windows
// closing together come out in key order. Updates inside the grace period
// change the final result; later records are dropped by the aggregation.
func TestSuppressFinalResultsAtExactStreamTime(t *testing.T) {
	d := driver(t, finalCounts(window.Tumbling(10*time.Millisecond).Grace(5*time.Millisecond), stream.As("final")))
	for _, ts := range []int64{1, 3} {
		pipeAt(t, d, "a", ts)
	}
	pipeAt(t, d, "b", 9)
	pipeAt(t, d, "a", 12)
	pipeAt(t, d, "a", 8) // in grace: [0,10) still open until stream time 15
	pipeAt(t, d, "x", 14)
	assert.Empty(t, readWindowed(t, d, 10))

	pipeAt(t, d, "x", 15) // 15 - 5 = 10: [0,10) closes
	assert.Equal(t, []wrec{{"a", 0, 3, 8}, {"b", 0, 1, 9}}, readWindowed(t, d, 10))

	pipeAt(t, d, "a", 9) // late: dropped by the aggregation, nothing emitted
	pipeAt(t, d, "x", 24)
	assert.Empty(t, readWindowed(t, d, 10))
	pipeAt(t, d, "x", 25)
	assert.Equal(t, []wrec{{"a", 10, 1, 12}, {"x", 10, 2, 15}}, readWindowed(t, d, 10))
	assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())

	// The buffer is a logged key-value store named <name>-store.
	assert.Contains(t, d.ProducedTopics(), "test-app-final-store-changelog")
}

// Without grace a window closes when stream time reaches its end.
func TestSuppressNoGrace(t *testing.T) {
	d := driver(t, finalCounts(window.Tumbling(10*time.Millisecond)))
	pipeAt(t, d, "a", 0)
	pipeAt(t, d, "a", 9)
	assert.Empty(t, readWindowed(t, d, 10))
	pipeAt(t, d, "b", 10)
	assert.Equal(t, []wrec{{"a", 0, 2, 9}}, readWindowed(t, d, 10))
}

// EmitOnWindowClose (KIP-825) gives the same output as suppress until the
// window closes, and keeps the aggregation's store queryable.
func TestEmitOnWindowCloseMatchesSuppress(t *testing.T) {
	w := window.Tumbling(10 * time.Millisecond).Grace(2 * time.Millisecond)
	b := stream.NewBuilder()
	tbl := b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		WindowedBy(w).
		EmitOnWindowClose().
		Count(table.As("counts"))
	tbl.ToStream().To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Contains(t, topo.StoreNames(), "counts-on-window-close-store")
	assert.Equal(t, "counts", tbl.StoreName())
	emit, err := topologytest.New(topo)
	require.NoError(t, err)
	t.Cleanup(func() { emit.Close() })
	supp := driver(t, finalCounts(w))
	for _, ts := range []int64{1, 5, 11, 3, 12, 25, 9, 21, 40} {
		for _, d := range []*topologytest.Driver{emit, supp} {
			pipeAt(t, d, fmt.Sprintf("k%d", ts%3), ts)
		}
	}
	want := readWindowed(t, supp, 10)
	require.NotEmpty(t, want)
	assert.Equal(t, want, readWindowed(t, emit, 10))

	ws, err := emit.WindowStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	n, ok, err := ws.Fetch("k1", ms(40))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(1), n)
}

// A window whose row is deleted before it closes (here by Filter) is not
// emitted: final results drop buffered tombstones.
func TestSuppressFinalResultsDropTombstones(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		WindowedBy(window.Tumbling(10*time.Millisecond)).
		Count().
		Filter(func(_ window.Windowed[string], n int64) bool { return n < 3 }).
		SuppressUntilWindowCloses().
		ToStream().
		To("out", nil, nil)
	d := driver(t, b)
	for _, k := range []string{"a", "a", "b", "a", "b"} {
		pipeAt(t, d, k, 1)
	}
	pipeAt(t, d, "c", 10)
	assert.Equal(t, []wrec{{"b", 0, 2, 1}}, readWindowed(t, d, 10))
}

// Sessions are emitted once they cannot grow any more: with the default
// retention (gap + grace) when stream time reaches end + gap + grace, as in
// Kafka Streams, for the store has then expired the session. A record
// extending the session before then changes the final result; merged-away
// sessions never appear.
func TestSuppressSessionsFinalResults(t *testing.T) {
	build := func(opts ...table.Option) *topologytest.Driver {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).
			GroupByKey().
			SessionWindowedBy(window.Session(10*time.Millisecond)).
			Count(opts...).
			SuppressUntilWindowCloses().
			ToStream().
			To("out", nil, nil)
		return driver(t, b)
	}
	d := build()
	pipeAt(t, d, "a", 0)
	pipeAt(t, d, "a", 5) // [0,5]; [0,0] merged away
	pipeAt(t, d, "x", 14)
	pipeAt(t, d, "a", 15) // [0,5] is still in the store (5 > 14 - 10): [0,15]
	pipeAt(t, d, "x", 24)
	assert.Empty(t, readSessions(t, d, "out", serde.Int64()))
	pipeAt(t, d, "x", 25) // 25 = 15 + 10: [0,15] has expired from the store
	assert.Equal(t, []string{"a[0,15]=3@15"}, readSessions(t, d, "out", serde.Int64()))
	pipeAt(t, d, "a", 5) // late
	assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())
	pipeAt(t, d, "y", 1000)
	assert.Equal(t, []string{"x[14,25]=3@25"}, readSessions(t, d, "out", serde.Int64()))

	// With a longer retention a session ending at 5 can still be extended
	// by a record at 15 until stream time 25 (= 5 + 2·gap): it is emitted
	// at 26.
	d = build(table.WithRetention(time.Second))
	pipeAt(t, d, "a", 5)
	pipeAt(t, d, "x", 25)
	assert.Empty(t, readSessions(t, d, "out", serde.Int64()))
	pipeAt(t, d, "x", 26)
	assert.Equal(t, []string{"a[5,5]=1@5"}, readSessions(t, d, "out", serde.Int64()))
}

// timeLimited builds a table from "in", rate-limited per key, to "out".
func timeLimited(limit time.Duration, opts ...stream.SuppressOption) *stream.Builder {
	b := stream.NewBuilder()
	b.Table("in", serde.String(), serde.String()).
		SuppressUntilTimeLimit(limit, opts...).
		ToStream().
		To("out", nil, nil)
	return b
}

func readStrings(t *testing.T, d *topologytest.Driver) []string {
	t.Helper()
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	out := []string{}
	for _, r := range rs {
		v := r.Value
		if r.ValueNull {
			v = "null"
		}
		out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, v, r.Timestamp.UnixMilli()))
	}
	return out
}

// Until a time limit: a key's first update fixes its place in the buffer,
// later updates replace the value (and timestamp) but not the place; keys
// are released when stream time - limit reaches their first update, in
// order of that time. Tombstones are buffered and released like values.
func TestSuppressUntilTimeLimitEvictionOrder(t *testing.T) {
	d := driver(t, timeLimited(10*time.Millisecond))
	in := d.Input("in", serde.String(), serde.String())
	pipe := func(k, v string, ts int64) { t.Helper(); require.NoError(t, in.PipeAt(k, v, ms(ts))) }
	pipe("a", "1", 0)
	pipe("b", "1", 2)
	pipe("a", "2", 5) // keeps a's place at 0
	pipe("c", "1", 1) // out of order: placed at 1
	assert.Empty(t, readStrings(t, d))
	pipe("d", "1", 10) // 10 - 10 = 0
	assert.Equal(t, []string{"a=2@5"}, readStrings(t, d))
	pipe("e", "1", 12)
	assert.Equal(t, []string{"c=1@1", "b=1@2"}, readStrings(t, d))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", ValueNull: true, Timestamp: ms(13)}))
	pipe("f", "1", 21)
	assert.Equal(t, []string{"d=1@10"}, readStrings(t, d))
	pipe("f", "2", 23) // f keeps its place at 21
	assert.Equal(t, []string{"e=1@12", "a=null@13"}, readStrings(t, d))
	pipe("g", "1", 31)
	assert.Equal(t, []string{"f=2@23"}, readStrings(t, d))
}

// A zero time limit forwards every update at once.
func TestSuppressZeroTimeLimit(t *testing.T) {
	d := driver(t, timeLimited(0))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("a", "1", ms(5)))
	require.NoError(t, in.PipeAt("a", "2", ms(3)))
	assert.Equal(t, []string{"a=1@5", "a=2@3"}, readStrings(t, d))
}

// A full buffer behaves as Kafka Streams' BufferConfig: a time-limit
// suppression with BufferMaxRecords or BufferMaxBytes emits its oldest
// entries early (BufferConfig.maxRecords/maxBytes is an EagerBufferConfig)
// unless ShutDownWhenFull makes it strict; final results need a strict
// buffer, so a full one always stops processing with an error naming the
// operator.
func TestSuppressBufferFull(t *testing.T) {
	t.Run("final results shut down", func(t *testing.T) {
		for _, opts := range [][]stream.SuppressOption{
			{stream.As("final"), stream.BufferMaxRecords(2)},
			{stream.As("final"), stream.BufferMaxRecords(2), stream.ShutDownWhenFull()},
		} {
			d := driver(t, finalCounts(window.Tumbling(time.Hour), opts...))
			pipeAt(t, d, "a", 0)
			pipeAt(t, d, "b", 1)
			pipeAt(t, d, "a", 2) // same key: still two records
			err := d.Input("in", serde.String(), serde.String()).PipeAt("c", "v", ms(3))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "final: suppression buffer exceeded its max capacity: currently 3/2 records")
			assert.Empty(t, readWindowed(t, d, time.Hour.Milliseconds()), "nothing is emitted early")
		}
	})
	emitsEarly := func(t *testing.T, opts ...stream.SuppressOption) {
		t.Helper()
		d := driver(t, timeLimited(time.Hour, opts...))
		in := d.Input("in", serde.String(), serde.String())
		pipe := func(k, v string, ts int64) { t.Helper(); require.NoError(t, in.PipeAt(k, v, ms(ts))) }
		pipe("a", "1", 0)
		pipe("b", "1", 1)
		assert.Empty(t, readStrings(t, d))
		pipe("c", "1", 2)
		assert.Equal(t, []string{"a=1@0"}, readStrings(t, d))
		pipe("b", "2", 3)
		assert.Empty(t, readStrings(t, d))
		pipe("d", "1", 4)
		assert.Equal(t, []string{"b=2@3"}, readStrings(t, d))
	}
	t.Run("time limit emits early by default", func(t *testing.T) {
		emitsEarly(t, stream.BufferMaxRecords(2))
	})
	t.Run("time limit with EmitEarlyWhenFull", func(t *testing.T) {
		emitsEarly(t, stream.BufferMaxRecords(2), stream.EmitEarlyWhenFull())
	})
	t.Run("time limit with ShutDownWhenFull", func(t *testing.T) {
		d := driver(t, timeLimited(time.Hour, stream.As("limited"), stream.BufferMaxRecords(2), stream.ShutDownWhenFull()))
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("a", "1", ms(0)))
		require.NoError(t, in.PipeAt("b", "1", ms(1)))
		err := in.PipeAt("c", "1", ms(2))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "limited: suppression buffer exceeded its max capacity: currently 3/2 records")
		assert.Empty(t, readStrings(t, d))
	})
	t.Run("max bytes", func(t *testing.T) {
		long := "1234567890123456789012345678901234567890"
		d := driver(t, timeLimited(time.Hour, stream.As("limited"), stream.BufferMaxBytes(80)))
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("a", "1", ms(0)))
		require.NoError(t, in.PipeAt("b", long, ms(1)))
		assert.Equal(t, []string{"a=1@0"}, readStrings(t, d), "the oldest entry goes out early")

		d = driver(t, timeLimited(time.Hour, stream.As("limited"), stream.BufferMaxBytes(80), stream.ShutDownWhenFull()))
		in = d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("a", "1", ms(0)))
		err := in.PipeAt("b", long, ms(1))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "limited: suppression buffer exceeded its max capacity")
	})
}

// Misuse is reported by Build.
func TestSuppressBuildErrors(t *testing.T) {
	_, err := finalCounts(window.Tumbling(time.Second), stream.EmitEarlyWhenFull()).Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EmitEarlyWhenFull applies to SuppressUntilTimeLimit only")

	_, err = timeLimited(time.Second, stream.BufferMaxRecords(1), stream.EmitEarlyWhenFull(), stream.ShutDownWhenFull()).Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EmitEarlyWhenFull and ShutDownWhenFull contradict each other")

	_, err = timeLimited(-time.Second).Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "time limit must not be negative")

	_, err = timeLimited(time.Second, stream.BufferMaxRecords(0), stream.IdleAdvance(0)).Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BufferMaxRecords: must be positive")
	assert.Contains(t, err.Error(), "IdleAdvance: timeout must be positive")
}

// Stream time of the suppression follows the wall clock after an idle
// timeout (off by default): the final result of a quiet partition comes
// out once the last record's stream time plus the idle wall-clock time
// reaches the window's end. An update arriving afterwards for the released
// window is dropped as late, so the window is not emitted twice.
func TestSuppressIdleAdvance(t *testing.T) {
	w := window.Tumbling(time.Minute)
	build := func(opts ...stream.SuppressOption) *topologytest.Driver {
		return driver(t, finalCounts(w, opts...))
	}
	off, on := build(), build(stream.IdleAdvance(30*time.Second))
	for _, d := range []*topologytest.Driver{off, on} {
		pipeAt(t, d, "a", 10_000) // arrives at wall clock 0
		require.NoError(t, d.AdvanceWallClock(20*time.Second))
		require.NoError(t, d.AdvanceWallClock(10*time.Second)) // idle 30 s: stream time 40 s
		assert.Empty(t, readWindowed(t, d, 60_000))
		require.NoError(t, d.AdvanceWallClock(19*time.Second)) // stream time 59 s
		assert.Empty(t, readWindowed(t, d, 60_000))
	}
	require.NoError(t, off.AdvanceWallClock(time.Hour))
	assert.Empty(t, readWindowed(t, off, 60_000), "stream time only moves with data by default")

	require.NoError(t, on.AdvanceWallClock(time.Second)) // stream time 60 s
	assert.Equal(t, []wrec{{"a", 0, 1, 10_000}}, readWindowed(t, on, 60_000))

	pipeAt(t, on, "a", 55_000) // accepted by the aggregation, too late for the suppression
	pipeAt(t, on, "b", 65_000)
	assert.Equal(t, map[string]int64{record.DropLate: 1}, on.Dropped())
	require.NoError(t, on.AdvanceWallClock(10*time.Second)) // not idle long enough
	assert.Empty(t, readWindowed(t, on, 60_000))
	require.NoError(t, on.AdvanceWallClock(50*time.Second)) // idle 60 s: stream time 125 s
	assert.Equal(t, []wrec{{"b", 60_000, 1, 65_000}}, readWindowed(t, on, 60_000))
}

// For sliding windows too, the suppressed output is exactly the last
// update of every window that has closed (end < stream time - grace), each
// window once.
func TestSuppressSlidingWindowsFinalResults(t *testing.T) {
	w := window.Sliding(10 * time.Millisecond).Grace(3 * time.Millisecond)
	b := stream.NewBuilder()
	counts := b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(w).
		Count()
	counts.ToStream().To("updates", nil, nil)
	counts.SuppressUntilWindowCloses().ToStream().To("final", nil, nil)
	d := driver(t, b)
	var streamTime int64
	for i, ts := range []int64{12, 15, 3, 20, 14, 31, 26, 40, 33, 55, 52, 70} {
		pipeAt(t, d, fmt.Sprintf("k%d", i%2), ts)
		streamTime = max(streamTime, ts)
	}
	read := func(topic string) []topologytest.Record[string, int64] {
		rs, err := d.Output(topic, serde.TimeWindowed(serde.String(), 10*time.Millisecond), serde.Int64()).ReadRecords()
		require.NoError(t, err)
		out := make([]topologytest.Record[string, int64], 0, len(rs))
		for _, r := range rs {
			out = append(out, topologytest.Record[string, int64]{Key: fmt.Sprintf("%s[%d]", r.Key.Key, r.Key.Window.Start().UnixMilli()), Value: r.Value, ValueNull: r.ValueNull, Timestamp: r.Timestamp})
		}
		return out
	}
	last := map[string]topologytest.Record[string, int64]{}
	for _, r := range read("updates") {
		last[r.Key] = r
	}
	final := read("final")
	seen := map[string]bool{}
	for _, r := range final {
		assert.False(t, seen[r.Key], "%s emitted twice", r.Key)
		seen[r.Key] = true
		assert.Equal(t, last[r.Key], r)
	}
	for k, r := range last {
		var start int64
		_, err := fmt.Sscanf(k[3:], "%d]", &start)
		require.NoError(t, err)
		closed := start+10 < streamTime-3
		assert.Equal(t, closed, seen[k], "window %s (last update %d@%d)", k, r.Value, r.Timestamp.UnixMilli())
	}
	assert.NotEmpty(t, final)
}

// Buffered updates keep the latest record's headers.
func TestSuppressKeepsHeaders(t *testing.T) {
	d := driver(t, timeLimited(5*time.Millisecond))
	in := d.Input("in", serde.String(), serde.String())
	hs := []record.Header{{Key: "trace", Value: []byte("t2")}, {Key: "empty", Value: nil}}
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", Value: "1", Timestamp: ms(1)}))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", Value: "2", Timestamp: ms(2), Headers: hs}))
	require.NoError(t, in.PipeAt("b", "1", ms(6)))
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, "2", rs[0].Value)
	assert.Equal(t, hs, rs[0].Headers)
}
