// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
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
	"github.com/eddy-streams/eddy/window"
)

// sessionCount builds in → group by key → session count "sessions" → out.
func sessionCount(w window.SessionWindows) *stream.Builder {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SessionWindowedBy(w).
		Count(table.As("sessions")).
		ToStream().
		To("out", nil, nil)
	return b
}

// readSessions reads a session-windowed output topic as lines
// "key[start,end]=value@timestamp", "=null" for a merged-away session.
func readSessions[V any](t *testing.T, d *topologytest.Driver, topic string, vs serde.Serde[V]) []string {
	t.Helper()
	rs, err := d.Output(topic, serde.SessionWindowed(serde.String()), vs).ReadRecords()
	require.NoError(t, err)
	out := []string{}
	for _, r := range rs {
		v := fmt.Sprint(r.Value)
		if r.ValueNull {
			v = "null"
		}
		out = append(out, fmt.Sprintf("%s[%d,%d]=%s@%d", r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Key.Window.End().UnixMilli(), v, r.Timestamp.UnixMilli()))
		assert.Nil(t, r.Headers, "session results carry no headers")
	}
	return out
}

// The session window example of Kafka Streams' DSL guide (inactivity gap 5
// minutes): green@0, green@6, blue@2, then out of order green@4, which
// merges green's two sessions, blue@5, which extends blue's, and blue@11,
// a new session. Times in minutes.
//
// The guide's picture needs a retention longer than the default gap +
// grace: by default the store has expired green's session [0,0] once it
// saw green@6 (see TestSessionDefaultRetentionExpiresSessions).
func TestSessionWindowsDocsExample(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SessionWindowedBy(window.Session(5*time.Minute)).
		Count(table.As("sessions"), table.WithRetention(time.Hour)).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b)
	pipeDocsExample(t, d)
	const m = 60_000
	assert.Equal(t, []string{
		"green[0,0]=1@0",
		fmt.Sprintf("green[%d,%d]=1@%d", 6*m, 6*m, 6*m),
		fmt.Sprintf("blue[%d,%d]=1@%d", 2*m, 2*m, 2*m),
		// green@4 merges [0,0] and [6,6]: a tombstone for each, then the merged session.
		"green[0,0]=null@0",
		fmt.Sprintf("green[%d,%d]=null@%d", 6*m, 6*m, 6*m),
		fmt.Sprintf("green[0,%d]=3@%d", 6*m, 6*m),
		// blue@5 extends [2,2].
		fmt.Sprintf("blue[%d,%d]=null@%d", 2*m, 2*m, 2*m),
		fmt.Sprintf("blue[%d,%d]=2@%d", 2*m, 5*m, 5*m),
		// blue@11 is more than the gap after blue's session ended.
		fmt.Sprintf("blue[%d,%d]=1@%d", 11*m, 11*m, 11*m),
	}, readSessions(t, d, "out", serde.Int64()))

	store, err := d.SessionStore("sessions", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[window.Windowed[string], int64]{
		{Key: window.Of("blue", time.UnixMilli(2*m), time.UnixMilli(5*m)), Value: 2},
		{Key: window.Of("blue", time.UnixMilli(11*m), time.UnixMilli(11*m)), Value: 1},
		{Key: window.Of("green", time.UnixMilli(0), time.UnixMilli(6*m)), Value: 3},
	}, all)
	blue, err := store.Fetch("blue")
	require.NoError(t, err)
	assert.Len(t, blue, 2)
	found, err := store.FindSessions("blue", ms(6*m), ms(20*m))
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[window.Windowed[string], int64]{{Key: window.Of("blue", time.UnixMilli(11*m), time.UnixMilli(11*m)), Value: 1}}, found)
	n, ok, err := store.FetchSession("green", ms(0), ms(6*m))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(3), n)
	_, ok, err = store.FetchSession("green", ms(0), ms(0))
	require.NoError(t, err)
	assert.False(t, ok, "merged-away sessions are removed from the store")
	assert.Empty(t, d.Dropped())
}

func pipeDocsExample(t *testing.T, d *topologytest.Driver) {
	in := d.Input("in", serde.String(), serde.String())
	for _, r := range []struct {
		key string
		at  int64
	}{{"green", 0}, {"green", 6}, {"blue", 2}, {"green", 4}, {"blue", 5}, {"blue", 11}} {
		require.NoError(t, in.PipeAt(r.key, "v", ms(r.at*60_000)))
	}
}

// With the default retention, gap + grace, the session store expires a
// session once its end is the retention or more behind the latest session
// end it saw, and expired sessions no longer merge, as in Kafka Streams'
// code (without a record cache). In the guide's example green@6 expires
// green's session [0,0], so green@4 only extends [6,6].
func TestSessionDefaultRetentionExpiresSessions(t *testing.T) {
	d := driver(t, sessionCount(window.Session(5*time.Minute)))
	pipeDocsExample(t, d)
	const m = 60_000
	assert.Equal(t, []string{
		"green[0,0]=1@0",
		fmt.Sprintf("green[%d,%d]=1@%d", 6*m, 6*m, 6*m),
		fmt.Sprintf("blue[%d,%d]=1@%d", 2*m, 2*m, 2*m),
		fmt.Sprintf("green[%d,%d]=null@%d", 6*m, 6*m, 6*m),
		fmt.Sprintf("green[%d,%d]=2@%d", 4*m, 6*m, 6*m),
		fmt.Sprintf("blue[%d,%d]=null@%d", 2*m, 2*m, 2*m),
		fmt.Sprintf("blue[%d,%d]=2@%d", 2*m, 5*m, 5*m),
		fmt.Sprintf("blue[%d,%d]=1@%d", 11*m, 11*m, 11*m),
	}, readSessions(t, d, "out", serde.Int64()))
	store, err := d.SessionStore("sessions", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[window.Windowed[string], int64]{
		{Key: window.Of("blue", time.UnixMilli(11*m), time.UnixMilli(11*m)), Value: 1},
	}, all, "blue [2,5] and green [4,6], which ends exactly 5 minutes before 11, have expired too")
	assert.Empty(t, d.Dropped())
}

// Kafka Streams' KStreamSessionWindowAggregateProcessorTest, without a
// cache: every update and every merged-away session is forwarded.
func TestSessionMergeSequences(t *testing.T) {
	const gap = 5 * 60 * 1000
	d := driver(t, sessionCount(window.Session(gap*time.Millisecond)))
	in := d.Input("in", serde.String(), serde.String())
	pipe := func(k string, at int64) { require.NoError(t, in.PipeAt(k, "1", ms(at))) }

	// shouldImmediatelyForwardRemovedSessionsWhenMerging
	pipe("a", 0)
	pipe("a", 5)
	assert.Equal(t, []string{"a[0,0]=1@0", "a[0,0]=null@0", "a[0,5]=2@5"}, readSessions(t, d, "out", serde.Int64()))

	// shouldHandleMultipleSessionsAndMerging
	pipe("b", 0)
	pipe("c", 0)
	pipe("d", 0)
	pipe("d", gap/2)
	pipe("a", gap+6) // more than gap after a's session [0,5]
	pipe("b", gap+1)
	pipe("a", gap+6+gap/2)
	pipe("c", gap+1+gap/2)
	assert.Equal(t, []string{
		"b[0,0]=1@0",
		"c[0,0]=1@0",
		"d[0,0]=1@0",
		"d[0,0]=null@0", fmt.Sprintf("d[0,%d]=2@%d", gap/2, gap/2),
		fmt.Sprintf("a[%d,%d]=1@%d", gap+6, gap+6, gap+6),
		fmt.Sprintf("b[%d,%d]=1@%d", gap+1, gap+1, gap+1),
		fmt.Sprintf("a[%d,%d]=null@%d", gap+6, gap+6, gap+6), fmt.Sprintf("a[%d,%d]=2@%d", gap+6, gap+6+gap/2, gap+6+gap/2),
		fmt.Sprintf("c[%d,%d]=1@%d", gap+1+gap/2, gap+1+gap/2, gap+1+gap/2),
	}, readSessions(t, d, "out", serde.Int64()))

	// shouldUpdateSessionIfTheSameTime: a record at the time of a
	// single-point session updates it in place, without a tombstone; a
	// record inside a longer session replaces it (tombstone, then the
	// session with the same bounds).
	pipe("e", 2*gap)
	pipe("e", 2*gap)
	pipe("e", 2*gap+10)
	pipe("e", 2*gap+5)
	assert.Equal(t, []string{
		fmt.Sprintf("e[%d,%d]=1@%d", 2*gap, 2*gap, 2*gap),
		fmt.Sprintf("e[%d,%d]=2@%d", 2*gap, 2*gap, 2*gap),
		fmt.Sprintf("e[%d,%d]=null@%d", 2*gap, 2*gap, 2*gap), fmt.Sprintf("e[%d,%d]=3@%d", 2*gap, 2*gap+10, 2*gap+10),
		fmt.Sprintf("e[%d,%d]=null@%d", 2*gap, 2*gap+10, 2*gap+10), fmt.Sprintf("e[%d,%d]=4@%d", 2*gap, 2*gap+10, 2*gap+10),
	}, readSessions(t, d, "out", serde.Int64()))
}

// An out-of-order record that falls within the gap of two sessions bridges
// them: both are merged (their aggregates combined with the merger, in
// order of session end, starting from the initializer) and the record is
// added last.
func TestSessionBridgingRecordMergesTwoSessions(t *testing.T) {
	b := stream.NewBuilder()
	g := b.Stream("in", serde.String(), serde.String()).GroupByKey().SessionWindowedBy(window.Session(10 * time.Millisecond).Grace(time.Hour))
	g.Aggregate(
		func() string { return "" },
		func(_ string, v string, agg string) string { return agg + v },
		func(_ string, a, b string) string { return a + "|" + b },
		serde.String(), table.As("agg"),
	).ToStream().To("agg-out", nil, nil)
	g.Reduce(func(a, v string) string { return a + "+" + v }, table.As("reduce")).ToStream().To("reduce-out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "a", ms(100)))
	require.NoError(t, in.PipeAt("k", "b", ms(120))) // 20 > gap: a second session
	require.NoError(t, in.PipeAt("k", "x", ms(200))) // far away: a third one
	require.NoError(t, in.PipeAt("k", "c", ms(110))) // within the gap of both: bridges them
	assert.Equal(t, []string{
		"k[100,100]=a@100",
		"k[120,120]=b@120",
		"k[200,200]=x@200",
		"k[100,100]=null@100",
		"k[120,120]=null@120",
		"k[100,120]=|a|bc@120",
	}, readSessions(t, d, "agg-out", serde.String()))
	assert.Equal(t, []string{
		"k[100,100]=a@100",
		"k[120,120]=b@120",
		"k[200,200]=x@200",
		"k[100,100]=null@100",
		"k[120,120]=null@120",
		"k[100,120]=a+b+c@120",
	}, readSessions(t, d, "reduce-out", serde.String()))
	store, err := d.SessionStore("agg", serde.String(), serde.String())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[window.Windowed[string], string]{
		{Key: window.Of("k", time.UnixMilli(100), time.UnixMilli(120)), Value: "|a|bc"},
		{Key: window.Of("k", time.UnixMilli(200), time.UnixMilli(200)), Value: "x"},
	}, all)
}

// A record is dropped (and counted) when its session, after merging, ends
// before stream time - grace - gap (Kafka Streams' windowEnd < closeTime).
// A late record that merges into a session that is still open is
// accepted, though its own timestamp is past the close time.
func TestSessionGraceDropsLateRecords(t *testing.T) {
	t.Run("ZeroGrace", func(t *testing.T) {
		d := driver(t, sessionCount(window.Session(10*time.Millisecond)))
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("dummy", "v", ms(0)))
		require.NoError(t, in.PipeAt("OnTime1", "v", ms(0)))
		require.NoError(t, in.PipeAt("dummy", "v", ms(11))) // close time 11-0-10 = 1
		require.NoError(t, in.PipeAt("Late1", "v", ms(0)))  // session [0,0] ends before 1
		assert.Equal(t, []string{"dummy[0,0]=1@0", "OnTime1[0,0]=1@0", "dummy[11,11]=1@11"}, readSessions(t, d, "out", serde.Int64()))
		assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())
	})
	t.Run("NonzeroGrace", func(t *testing.T) {
		d := driver(t, sessionCount(window.Session(10*time.Millisecond).Grace(time.Millisecond)))
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("dummy", "v", ms(0)))
		require.NoError(t, in.PipeAt("OnTime1", "v", ms(0)))
		require.NoError(t, in.PipeAt("dummy", "v", ms(11)))
		require.NoError(t, in.PipeAt("OnTime2", "v", ms(0))) // close time 11-1-10 = 0: [0,0] still open
		require.NoError(t, in.PipeAt("dummy", "v", ms(12)))
		require.NoError(t, in.PipeAt("Late1", "v", ms(0))) // close time 1
		assert.Equal(t, []string{
			"dummy[0,0]=1@0", "OnTime1[0,0]=1@0", "dummy[11,11]=1@11", "OnTime2[0,0]=1@0",
			"dummy[11,11]=null@11", "dummy[11,12]=2@12",
		}, readSessions(t, d, "out", serde.Int64()))
		assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())
	})
	t.Run("LateRecordJoiningOpenSession", func(t *testing.T) {
		d := driver(t, sessionCount(window.Session(10*time.Millisecond)))
		in := d.Input("in", serde.String(), serde.String())
		require.NoError(t, in.PipeAt("k", "v", ms(91)))
		require.NoError(t, in.PipeAt("other", "v", ms(100))) // stream time 100, close time 90
		require.NoError(t, in.PipeAt("k", "v", ms(85)))      // merges into [91,91] (still in the store): [85,91] ends after 90
		require.NoError(t, in.PipeAt("k", "v", ms(70)))      // its own session [70,70] ends before 90
		assert.Equal(t, []string{"k[91,91]=1@91", "other[100,100]=1@100", "k[91,91]=null@91", "k[85,91]=2@91"}, readSessions(t, d, "out", serde.Int64()))
		assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())
	})
}

// The session store's retention boundary is Kafka Streams': with
// retention gap + grace, a session whose end is exactly observed time -
// gap - grace has expired (Kafka Streams' stores return only sessions that
// end after observed time - retention), so a record no longer merges into
// it. The record's own session is still accepted when it ends exactly at
// the close time (dropped only if its end < stream time - gap - grace),
// and forwarded, but it is not kept, so a later record cannot merge with
// it. Expected outputs are Kafka Streams 4.x's (TopologyTestDriver), on
// both backends.
func TestSessionRetentionBoundary(t *testing.T) {
	const gap = 30_000
	type rec struct {
		key string
		at  int64
	}
	for name, c := range map[string]struct {
		grace   int64
		in      []rec
		out     []string
		store   []string
		dropped map[string]int64
	}{
		// A session that ends at the close time is forwarded but not kept:
		// u-A@20000 finds nothing to merge with and is late.
		"EndAtCloseTimeNotKept": {
			in:      []rec{{"u-B", 60_000}, {"u-A", 30_000}, {"u-A", 20_000}},
			out:     []string{"u-B[60000,60000]=1@60000", "u-A[30000,30000]=1@30000"},
			store:   []string{"u-B[60000,60000]=1"},
			dropped: map[string]int64{record.DropLate: 1},
		},
		// u-A[0,0] ends at observed time - gap when u-A@30000 arrives: expired.
		"ExpiredSessionNotMerged": {
			in:    []rec{{"u-A", 0}, {"u-B", 30_000}, {"u-A", 30_000}},
			out:   []string{"u-A[0,0]=1@0", "u-B[30000,30000]=1@30000", "u-A[30000,30000]=1@30000"},
			store: []string{"u-A[30000,30000]=1", "u-B[30000,30000]=1"},
		},
		// One millisecond later the session is live and merges.
		"LiveSessionMerged": {
			in:    []rec{{"u-A", 1}, {"u-B", 30_000}, {"u-A", 30_000}},
			out:   []string{"u-A[1,1]=1@1", "u-B[30000,30000]=1@30000", "u-A[1,1]=null@1", "u-A[1,30000]=2@30000"},
			store: []string{"u-A[1,30000]=2", "u-B[30000,30000]=1"},
		},
		"GraceEndAtCloseTimeNotKept": {
			grace:   10_000,
			in:      []rec{{"u-B", 70_000}, {"u-A", 30_000}, {"u-A", 20_000}},
			out:     []string{"u-B[70000,70000]=1@70000", "u-A[30000,30000]=1@30000"},
			store:   []string{"u-B[70000,70000]=1"},
			dropped: map[string]int64{record.DropLate: 1},
		},
		"GraceExpiredSessionNotMerged": {
			grace: 10_000,
			in:    []rec{{"u-A", 0}, {"u-B", 40_000}, {"u-A", 30_000}},
			out:   []string{"u-A[0,0]=1@0", "u-B[40000,40000]=1@40000", "u-A[30000,30000]=1@30000"},
			store: []string{"u-A[30000,30000]=1", "u-B[40000,40000]=1"},
		},
		"GraceLiveSessionMerged": {
			grace: 10_000,
			in:    []rec{{"u-A", 1}, {"u-B", 40_000}, {"u-A", 30_000}},
			out:   []string{"u-A[1,1]=1@1", "u-B[40000,40000]=1@40000", "u-A[1,1]=null@1", "u-A[1,30000]=2@30000"},
			store: []string{"u-A[1,30000]=2", "u-B[40000,40000]=1"},
		},
	} {
		for _, backend := range []string{"memory", "pebble"} {
			t.Run(name+"/"+backend, func(t *testing.T) {
				var opts []topologytest.Option
				if backend == "pebble" {
					dir := t.TempDir()
					opts = append(opts, topologytest.Backend(func(task string) (state.Backend, error) {
						return pebble.Open(filepath.Join(dir, task), pebble.Options{})
					}))
				}
				w := window.Session(gap * time.Millisecond).Grace(time.Duration(c.grace) * time.Millisecond)
				d := driver(t, sessionCount(w), opts...)
				in := d.Input("in", serde.String(), serde.String())
				for _, r := range c.in {
					require.NoError(t, in.PipeAt(r.key, "v", ms(r.at)))
				}
				assert.Equal(t, c.out, readSessions(t, d, "out", serde.Int64()))
				store, err := d.SessionStore("sessions", serde.String(), serde.Int64())
				require.NoError(t, err)
				all, err := store.All()
				require.NoError(t, err)
				kept := []string{}
				for _, kv := range all {
					kept = append(kept, fmt.Sprintf("%s[%d,%d]=%d", kv.Key.Key, kv.Key.Window.Start().UnixMilli(), kv.Key.Window.End().UnixMilli(), kv.Value))
				}
				assert.Equal(t, c.store, kept)
				want := c.dropped
				if want == nil {
					want = map[string]int64{}
				}
				assert.Equal(t, want, d.Dropped())
			})
		}
	}
}

// Session aggregations drop only records with a null key; null values reach
// the aggregator (Kafka Streams' code), so Count counts them.
func TestSessionNullRules(t *testing.T) {
	d := driver(t, sessionCount(window.Session(time.Second)))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "v", ms(1)))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{KeyNull: true, Value: "v", Timestamp: ms(2)}))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "k", ValueNull: true, Timestamp: ms(3)}))
	assert.Equal(t, []string{"k[1,1]=1@1", "k[1,1]=null@1", "k[1,3]=2@3"}, readSessions(t, d, "out", serde.Int64()))
	assert.Equal(t, map[string]int64{record.DropNullKey: 1}, d.Dropped())
}

// The changelog has Kafka Streams' session layout: key ‖ 8-byte end ‖
// 8-byte start, the plain aggregate as value and a tombstone for each
// merged-away session; records carry the input record's timestamp.
func TestSessionChangelogLayout(t *testing.T) {
	d := driver(t, sessionCount(window.Session(10*time.Millisecond)), topologytest.AppID("app"))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "v", ms(5)))
	require.NoError(t, in.PipeAt("k", "v", ms(12)))
	key := func(start, end int64) []byte {
		b := binary.BigEndian.AppendUint64([]byte("k"), uint64(end))
		return binary.BigEndian.AppendUint64(b, uint64(start))
	}
	count := func(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }
	got := d.ReadRaw("app-sessions-changelog")
	require.Len(t, got, 3)
	want := []topologytest.RawRecord{
		{Key: key(5, 5), Value: count(1), Timestamp: ms(5)},
		{Key: key(5, 5), Value: nil, Timestamp: ms(12)},
		{Key: key(5, 12), Value: count(2), Timestamp: ms(12)},
	}
	for i := range want {
		assert.Equal(t, want[i].Key, got[i].Key, "record %d", i)
		assert.Equal(t, want[i].Value, got[i].Value, "record %d", i)
		assert.Equal(t, want[i].Timestamp.UnixMilli(), got[i].Timestamp.UnixMilli(), "record %d", i)
	}
}

// With the Pebble backend and several partitions, after a GroupBy: the
// repartition topic is named after the store, each key's sessions live in
// one partition, and session-windowed output is partitioned by base key.
func TestSessionRepartitionedOnPebble(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupBy(func(_, v string) string { return v }, serde.String()).
		SessionWindowedBy(window.Session(10*time.Millisecond).Grace(time.Second)).
		Count(table.As("user-sessions")).
		ToStream().
		To("out", nil, nil)
	dir := t.TempDir()
	d := driver(t, b, topologytest.DefaultPartitions(3), topologytest.AppID("app"),
		topologytest.Backend(func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		}))
	in := d.Input("in", serde.String(), serde.String())
	users := []string{"ann", "bob", "cid", "dan", "eve"}
	for i := range 40 {
		require.NoError(t, in.PipeAt(fmt.Sprint("click", i), users[i%len(users)], ms(int64(i*4))))
	}
	assert.Contains(t, d.ProducedTopics(), "app-user-sessions-repartition")
	rs, err := d.Output("out", serde.SessionWindowed(serde.String()), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, partition.ForKey([]byte(r.Key.Key), 3), r.Partition, "key %v", r.Key)
	}
	store, err := d.SessionStore("user-sessions", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := store.All()
	require.NoError(t, err)
	// Each user clicks every 20ms: more than the gap, so every click is a
	// session of its own.
	assert.Len(t, all, 40)
	for _, kv := range all {
		assert.Equal(t, int64(1), kv.Value)
		assert.Equal(t, kv.Key.Window.Start().UnixMilli(), kv.Key.Window.End().UnixMilli())
	}
}

// Retention defaults to gap + grace; a shorter explicit retention, invalid
// specs and missing serdes are Build errors naming the operator.
func TestSessionBuildErrors(t *testing.T) {
	build := func(w window.SessionWindows, opts ...table.Option) error {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).GroupByKey().SessionWindowedBy(w).Count(opts...)
		_, err := b.Build()
		return err
	}
	require.NoError(t, build(window.Session(time.Minute).Grace(time.Minute), table.WithRetention(2*time.Minute)))
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"zero gap":        {build(window.Session(0)), "session inactivity gap must be at least 1ms"},
		"sub-ms gap":      {build(window.Session(time.Microsecond)), "session inactivity gap must be at least 1ms"},
		"negative grace":  {build(window.Session(time.Second).Grace(-time.Second)), "grace must not be negative"},
		"zero spec":       {build(window.SessionWindows{}), "session window specification is empty"},
		"short retention": {build(window.Session(time.Minute).Grace(time.Minute), table.WithRetention(time.Minute)), "shorter than session inactivity gap + grace"},
	} {
		require.Error(t, c.err, name)
		assert.Contains(t, c.err.Error(), c.want, name)
		assert.Contains(t, c.err.Error(), "KSTREAM-SESSION-WINDOWED-AGGREGATE-", name)
	}
	type agg struct{ N int }
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).GroupByKey().SessionWindowedBy(window.Session(time.Second)).
		Aggregate(func() agg { return agg{} }, func(_ string, _ string, a agg) agg { a.N++; return a },
			func(_ string, a, b agg) agg { return agg{a.N + b.N} }, nil)
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no aggregate serde for type topologytest_test.agg")
}
