// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Versioned tables (KIP-889) and stream–table joins over them (KIP-914), as
// data: each step pipes one record into "stream" (S) or "table" (T) and
// lists what the join writes in response, "key value timestamp". The
// joiner renders [stream,row] with an absent row as null; "null" as an
// input value is a tombstone.

type vstep struct {
	side  string // "S" or "T"
	ts    int64
	key   string
	value string
	want  []string
}

func vS(ts int64, key, value string, want ...string) vstep { return vstep{"S", ts, key, value, want} }
func vT(ts int64, key, value string, want ...string) vstep { return vstep{"T", ts, key, value, want} }

// versionedBackends runs f against both backends.
func versionedBackends(t *testing.T, f func(t *testing.T, backend Option)) {
	t.Run("memory", func(t *testing.T) {
		f(t, Backend(func(string) (state.Backend, error) { return memory.New(), nil }))
	})
	t.Run("pebble", func(t *testing.T) {
		dir := t.TempDir()
		f(t, Backend(func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		}))
	})
}

// versionedJoinTopology joins "stream" with the versioned table "table"
// (history retention 100 ms).
func versionedJoinTopology(t *testing.T, left bool, tableOpts ...table.Option) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	ss := serde.String()
	s := b.Stream("stream", ss, ss)
	opts := append([]table.Option{table.As("rows"), table.Versioned(100 * time.Millisecond)}, tableOpts...)
	tb := b.Table("table", ss, ss, opts...)
	if left {
		s.LeftJoinTable(tb, func(v, row string, ok bool) string { return joined(v, row, ok) }).To("out", nil, nil)
	} else {
		s.JoinTable(tb, func(v, row string) string { return joined(v, row, true) }).To("out", nil, nil)
	}
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func joined(v, row string, ok bool) string {
	if !ok {
		row = "null"
	}
	return "[" + v + "," + row + "]"
}

func pipeSteps(t *testing.T, d *Driver, steps []vstep, out string) {
	t.Helper()
	ins := map[string]*InputTopic[string, string]{
		"S": d.Input("stream", serde.String(), serde.String()),
		"T": d.Input("table", serde.String(), serde.String()),
	}
	o := d.Output(out, serde.String(), serde.String())
	for i, st := range steps {
		rec := Record[string, string]{Key: st.key, Value: st.value, Timestamp: time.UnixMilli(st.ts), ValueNull: st.value == "null"}
		require.NoError(t, ins[st.side].PipeRecord(rec))
		rs, err := o.ReadRecords()
		require.NoError(t, err)
		var got []string
		for _, r := range rs {
			v := r.Value
			if r.ValueNull {
				v = "null"
			}
			got = append(got, fmt.Sprintf("%s %s %d", r.Key, v, r.Timestamp.UnixMilli()))
		}
		assert.Equal(t, st.want, got, "step %d: %s %d %s %s", i+1, st.side, st.ts, st.key, st.value)
	}
}

// versionedJoinSteps: stream records join the row valid at their own
// timestamp; out-of-order table updates land in the history and later
// stream records see them; stream records older than the history retention
// find only a latest row that was already valid then.
func versionedJoinSteps(left bool) []vstep {
	l := func(want string) []string {
		if left {
			return []string{want}
		}
		return nil
	}
	return []vstep{
		vT(10, "k", "a"),
		vS(15, "k", "A", "k [A,a] 15"),
		vT(20, "k", "b"),
		// Older than the table's latest row: the row valid at 18 is a.
		vS(18, "k", "B", "k [B,a] 18"),
		vS(25, "k", "C", "k [C,b] 25"),
		// An out-of-order table update, valid over [12, 20).
		vT(12, "k", "x"),
		vS(13, "k", "D", "k [D,x] 13"),
		vS(11, "k", "E", "k [E,a] 11"),
		vS(22, "k", "F", "k [F,b] 22"),
		// Before the key's first version there is no row.
		vS(5, "k", "G", l("k [G,null] 5")...),
		// A tombstone is a version too.
		vT(30, "k", "null"),
		vS(31, "k", "H", l("k [H,null] 31")...),
		vS(29, "k", "I", "k [I,b] 29"),
		vT(40, "m", "m1"),
		vT(45, "m", "m2"),
		// Observed time 200: the history answers from 100 on.
		vT(200, "j", "z"),
		// k's latest version (the tombstone) is older than 50, m's (m2)
		// is not newer than 60: each is what the lookup finds.
		vS(50, "k", "J", l("k [J,null] 50")...),
		vS(60, "m", "K", "m [K,m2] 60"),
		// m1 was valid at 42, but 42 is beyond the history: no row.
		vS(42, "m", "L", l("m [L,null] 42")...),
		// A table update older than the history retention is dropped.
		vT(90, "j", "late"),
		vS(95, "j", "M", l("j [M,null] 95")...),
		vS(250, "j", "N", "j [N,z] 250"),
		// Null stream values are dropped by both joins.
		vS(260, "j", "null"),
	}
}

func TestVersionedTableJoinInner(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		d, err := New(versionedJoinTopology(t, false), backend)
		require.NoError(t, err)
		defer d.Close()
		pipeSteps(t, d, versionedJoinSteps(false), "out")
	})
}

func TestVersionedTableJoinLeft(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		d, err := New(versionedJoinTopology(t, true), backend)
		require.NoError(t, err)
		defer d.Close()
		pipeSteps(t, d, versionedJoinSteps(true), "out")
	})
}

// The same input joined with an unversioned table shows what versioning
// changes: there the join reads whatever row arrived last.
func TestUnversionedTableJoinReadsLastArrival(t *testing.T) {
	b := stream.NewBuilder()
	ss := serde.String()
	tb := b.Table("table", ss, ss, table.As("rows"), table.WithoutCaching())
	b.Stream("stream", ss, ss).JoinTable(tb, func(v, row string) string { return joined(v, row, true) }).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := New(topo)
	require.NoError(t, err)
	defer d.Close()
	pipeSteps(t, d, []vstep{
		vT(10, "k", "a"),
		vT(20, "k", "b"),
		vS(18, "k", "B", "k [B,b] 18"),
		vT(12, "k", "x"),
		vS(25, "k", "C", "k [C,x] 25"),
	}, "out")
}

// Out-of-order updates of a versioned table (tombstones included) trigger
// neither a table–table join nor an aggregation, which see only the latest
// rows, while ToStream emits them, as Kafka Streams' toStream does
// (VersionedTopologiesTest.toStreamForwardsOutOfOrderUpdates); an update
// older than the history retention is dropped. No record cache holds
// updates back.
func TestVersionedTableOutOfOrderUpdates(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		b := stream.NewBuilder()
		ss := serde.String()
		vt := b.Table("table", ss, ss, table.As("rows"), table.Versioned(time.Second))
		vt.ToStream().To("changes", nil, nil)
		other := b.Table("other", ss, ss, table.As("other-rows"), table.WithoutCaching())
		vt.Join(other, func(v, o string) string { return v + "+" + o }).ToStream().To("out", nil, nil)
		vt.GroupBy(func(k, v string) (string, string) { return v, k }, ss, ss).
			Count(table.As("per-value"), table.WithoutCaching()).ToStream().To("counts", nil, serde.Int64())
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend)
		require.NoError(t, err)
		defer d.Close()

		tin := d.Input("table", ss, ss)
		oin := d.Input("other", ss, ss)
		changes := d.Output("changes", ss, ss)
		out := d.Output("out", ss, ss)
		counts := d.Output("counts", ss, serde.Int64())
		pipe := func(in *InputTopic[string, string], ts int64, k, v string) {
			t.Helper()
			require.NoError(t, in.PipeRecord(Record[string, string]{Key: k, Value: v, Timestamp: time.UnixMilli(ts), ValueNull: v == "null"}))
		}
		read := func() (ch, joins, cnt []string) {
			t.Helper()
			rs, err := changes.ReadRecords()
			require.NoError(t, err)
			for _, r := range rs {
				v := r.Value
				if r.ValueNull {
					v = "null"
				}
				ch = append(ch, fmt.Sprintf("%s %s %d", r.Key, v, r.Timestamp.UnixMilli()))
			}
			js, err := out.ReadRecords()
			require.NoError(t, err)
			for _, r := range js {
				v := r.Value
				if r.ValueNull {
					v = "null"
				}
				joins = append(joins, fmt.Sprintf("%s %s %d", r.Key, v, r.Timestamp.UnixMilli()))
			}
			cs, err := counts.ReadRecords()
			require.NoError(t, err)
			for _, r := range cs {
				cnt = append(cnt, fmt.Sprintf("%s %d", r.Key, r.Value))
			}
			return
		}
		pipe(oin, 1, "k", "o")
		pipe(tin, 10, "k", "a")
		ch, js, cnt := read()
		assert.Equal(t, []string{"k a 10"}, ch)
		assert.Equal(t, []string{"k a+o 10"}, js)
		assert.Equal(t, []string{"a 1"}, cnt)

		// Out of order: in the history, emitted by ToStream only.
		pipe(tin, 5, "k", "old")
		ch, js, cnt = read()
		assert.Equal(t, []string{"k old 5"}, ch)
		assert.Empty(t, js)
		assert.Empty(t, cnt)

		// The other side's update joins the latest row (a), not the last
		// to arrive (old).
		pipe(oin, 11, "k", "p")
		_, js, _ = read()
		assert.Equal(t, []string{"k a+p 11"}, js)

		pipe(tin, 20, "k", "b")
		ch, js, cnt = read()
		assert.Equal(t, []string{"k b 20"}, ch)
		assert.Equal(t, []string{"k b+p 20"}, js)
		assert.Equal(t, []string{"a 0", "b 1"}, cnt)

		// An out-of-order tombstone is history too; an in-order one
		// deletes the row.
		pipe(tin, 15, "k", "null")
		ch, js, cnt = read()
		assert.Equal(t, []string{"k null 15"}, ch)
		assert.Empty(t, js)
		assert.Empty(t, cnt)
		pipe(tin, 30, "k", "null")
		ch, js, cnt = read()
		assert.Equal(t, []string{"k null 30"}, ch)
		assert.Equal(t, []string{"k null 30"}, js)
		assert.Equal(t, []string{"b 0"}, cnt)

		// Beyond the history retention (1 s behind 2000): dropped.
		pipe(tin, 2000, "j", "j1")
		read()
		pipe(tin, 900, "k", "too-old")
		ch, js, cnt = read()
		assert.Empty(t, ch)
		assert.Empty(t, js)
		assert.Empty(t, cnt)
	})
}

// The versioned store's changelog has one record per table update, out of
// order ones included, stamped with the version's timestamp; restoring it
// into a fresh store rebuilds the history, so the restored join answers as
// the original.
func TestVersionedTableRestoresHistory(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		src, err := New(versionedJoinTopology(t, true), AppID("app"), DefaultPartitions(2))
		require.NoError(t, err)
		defer src.Close()
		history := []vstep{
			vT(10, "k", "a"), vT(20, "k", "b"), vT(12, "k", "x"), vT(30, "k", "null"),
			vT(15, "j", "j1"), vT(5, "j", "j0"), vT(25, "m", "m1"),
		}
		pipeSteps(t, src, history, "out")
		cl := src.ReadRaw("app-rows-changelog")
		var got []string
		for _, r := range cl {
			v := "null"
			if r.Value != nil {
				v = string(r.Value)
			}
			got = append(got, fmt.Sprintf("%s %s %d", r.Key, v, r.Timestamp.UnixMilli()))
		}
		want := []string{"k a 10", "k b 20", "k x 12", "k null 30", "j j1 15", "j j0 5", "m m1 25"}
		assert.ElementsMatch(t, want, got, "one changelog record per update, stamped with its version")

		d, err := New(versionedJoinTopology(t, true), AppID("app"), DefaultPartitions(2), backend)
		require.NoError(t, err)
		defer d.Close()
		restore(t, d, "app-rows-changelog", cl)
		probe := []vstep{
			vS(11, "k", "A", "k [A,a] 11"),
			vS(12, "k", "B", "k [B,x] 12"),
			vS(21, "k", "C", "k [C,b] 21"),
			vS(31, "k", "D", "k [D,null] 31"),
			vS(6, "j", "E", "j [E,j0] 6"),
			vS(16, "j", "F", "j [F,j1] 16"),
			vS(4, "j", "G", "j [G,null] 4"),
			vS(26, "m", "H", "m [H,m1] 26"),
		}
		pipeSteps(t, d, probe, "out")
		pipeSteps(t, src, probe, "out")
		// Restoring does not produce output of its own, and the restored
		// store's observed time (30) applies its retention as the
		// original's does.
		pipeSteps(t, d, []vstep{vT(200, "m", "m2"), vS(99, "k", "I", "k [I,null] 99"), vS(100, "m", "J", "m [J,m1] 100")}, "out")
	})
}

// Build rejects versioned tables where Kafka Streams does not support
// them, naming the operator.
func TestVersionedTableBuildErrors(t *testing.T) {
	ss := serde.String()
	b := stream.NewBuilder()
	vt := b.Table("table", ss, ss, table.Versioned(time.Minute))
	vt.SuppressUntilTimeLimit(time.Second).ToStream().To("a", nil, nil)
	vt.Filter(func(string, string) bool { return true }).SuppressUntilTimeLimit(time.Second).ToStream().To("b", nil, nil)
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "suppress is not supported on a versioned table")

	// Windowed aggregations and global tables cannot be versioned in Kafka
	// Streams either (a window store; "GlobalTables cannot be versioned").
	b = stream.NewBuilder()
	b.Stream("s", ss, ss).GroupByKey().WindowedBy(window.Tumbling(time.Second)).Count(table.Versioned(time.Minute)).ToStream().To("c", nil, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "table.Versioned applies to key-value tables only")
	b = stream.NewBuilder()
	b.GlobalTable("g", ss, ss, table.Versioned(time.Minute))
	b.Stream("s", ss, ss).To("c2", nil, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not to windowed or session aggregations or global tables")

	// A versioned aggregation or TransformValues result cannot be
	// suppressed either, and TransformValues needs a store name.
	b = stream.NewBuilder()
	b.Stream("s", ss, ss).GroupByKey().Count(table.Versioned(time.Minute)).SuppressUntilTimeLimit(time.Second).ToStream().To("c3", nil, serde.Int64())
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "suppress is not supported on a versioned table")
	b = stream.NewBuilder()
	b.Table("t", ss, ss).TransformValues(func() processor.ValueTransformer[string, string, string] { return upperTransformer{} },
		table.Versioned(time.Minute)).ToStream().To("c4", nil, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "table.Versioned materializes the result in a versioned store: pass table.As(name) too")

	b = stream.NewBuilder()
	b.Table("table", ss, ss, table.Versioned(-time.Second)).ToStream().To("d", nil, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "history retention must not be negative")

	b = stream.NewBuilder()
	b.Stream("s", ss, ss).ToTable(table.Versioned(time.Minute)).Materialize(table.As("x")).ToStream().To("e", nil, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already materialized")
}

// versionedGraceTopology joins "stream" with the versioned table "table"
// (history 100 ms) with a 20 ms grace period.
func versionedGraceTopology(t *testing.T, left bool) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	ss := serde.String()
	s := b.Stream("stream", ss, ss)
	tb := b.Table("table", ss, ss, table.As("rows"), table.Versioned(100*time.Millisecond))
	opts := []stream.Option{stream.As("j"), stream.WithGracePeriod(20 * time.Millisecond)}
	if left {
		s.LeftJoinTable(tb, func(v, row string, ok bool) string { return joined(v, row, ok) }, opts...).To("out", nil, nil)
	} else {
		s.JoinTable(tb, func(v, row string) string { return joined(v, row, true) }, opts...).To("out", nil, nil)
	}
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// With a grace period (KIP-923) stream records wait until stream time has
// passed them by the grace, then join the row valid at their timestamp,
// seeing table updates that arrived late; records already older than
// stream time - grace join at once. Buffered records leave in order of
// timestamp, then key bytes.
func versionedGraceSteps(left bool) []vstep {
	l := func(want ...string) []string {
		if left {
			return want
		}
		return nil
	}
	return []vstep{
		vT(10, "k", "a"),
		vS(15, "k", "A"),
		vT(12, "k", "x"), // late, within the grace: A will see it
		vS(30, "k", "B"),
		vS(36, "k", "C", "k [A,x] 15"),
		vS(5, "k", "D", l("k [D,null] 5")...), // older than stream time - grace: at once
		vT(28, "k", "y"),
		vS(61, "m", "G", "k [B,y] 30", "k [C,y] 36"),
		vS(60, "k", "E"),
		vS(59, "b", "H"),
		vS(100, "k", "I", append(l("b [H,null] 59"), append([]string{"k [E,y] 60"}, l("m [G,null] 61")...)...)...),
		// Null values are dropped, neither buffered nor advancing the
		// buffer's stream time.
		vS(200, "k", "null"),
		vS(201, "k", "J", "k [I,y] 100"),
	}
}

func TestVersionedTableJoinGracePeriod(t *testing.T) {
	for _, left := range []bool{false, true} {
		t.Run(map[bool]string{false: "inner", true: "left"}[left], func(t *testing.T) {
			versionedBackends(t, func(t *testing.T, backend Option) {
				d, err := New(versionedGraceTopology(t, left), backend)
				require.NoError(t, err)
				defer d.Close()
				pipeSteps(t, d, versionedGraceSteps(left), "out")
			})
		})
	}
}

// The grace period's buffer is a logged store: restoring the changelogs of
// the table and the buffer into a fresh driver carries on where the
// original left off.
func TestVersionedTableJoinGraceRestores(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		steps := versionedGraceSteps(true)
		src, err := New(versionedGraceTopology(t, true), AppID("app"))
		require.NoError(t, err)
		defer src.Close()
		pipeSteps(t, src, steps[:9], "out")
		var topics []string
		for _, topic := range src.ProducedTopics() {
			if len(topic) > len("-changelog") && topic[len(topic)-len("-changelog"):] == "-changelog" {
				topics = append(topics, topic)
			}
		}
		assert.ElementsMatch(t, []string{"app-rows-changelog", "app-j-Buffer-changelog"}, topics)

		d, err := New(versionedGraceTopology(t, true), AppID("app"), backend)
		require.NoError(t, err)
		defer d.Close()
		for _, topic := range topics {
			restore(t, d, topic, src.ReadRaw(topic))
		}
		pipeSteps(t, d, steps[9:], "out")
	})
}

// A grace period needs a versioned table.
func TestGracePeriodNeedsVersionedTable(t *testing.T) {
	ss := serde.String()
	b := stream.NewBuilder()
	tb := b.Table("table", ss, ss)
	b.Stream("stream", ss, ss).JoinTable(tb, func(v, r string) string { return v + r }, stream.WithGracePeriod(time.Second)).To("out", nil, nil)
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stream.WithGracePeriod needs a versioned table")
}

// derivedSteps: "table" filtered (rows containing x dropped) and mapped
// (upper-cased), joined as of each stream record's timestamp; history
// retention 100 ms.
func derivedSteps(left bool) []vstep {
	l := func(want ...string) []string {
		if left {
			return want
		}
		return nil
	}
	return []vstep{
		vT(10, "k", "a"),
		vS(15, "k", "A", "k [A,A] 15"),
		vT(20, "k", "x1"),
		// The version valid at 25 is x1, which the filter drops: no row,
		// even though an older version passes.
		vS(25, "k", "B", l("k [B,null] 25")...),
		vS(18, "k", "C", "k [C,A] 18"),
		// Out of order: lands in the history between a and x1.
		vT(12, "k", "y"),
		vS(14, "k", "D", "k [D,Y] 14"),
		vS(11, "k", "E", "k [E,A] 11"),
		vS(5, "k", "F", l("k [F,null] 5")...),
		// Out of order and dropped by the filter: hides y from 16 on.
		vT(16, "k", "x2"),
		vS(17, "k", "G", l("k [G,null] 17")...),
		vS(13, "k", "H", "k [H,Y] 13"),
		vT(30, "k", "null"),
		vS(35, "k", "I", l("k [I,null] 35")...),
		vT(40, "k", "b"),
		vS(41, "k", "J", "k [J,B] 41"),
		// 200 moves the table's observed time: the history now starts at
		// 100, so a record at 50 finds no row (the latest, c@200, is newer).
		vT(200, "k", "c"),
		vS(50, "k", "K", l("k [K,null] 50")...),
		vS(201, "k", "L", "k [L,C] 201"),
	}
}

func keepNoX(_, v string) bool { return !strings.Contains(v, "x") }

// derivedJoinTopology joins "stream" with the versioned table "table"
// (history 100 ms) filtered and mapped, unmaterialized, or with versioned
// true materialized in a versioned store after the filter.
func derivedJoinTopology(t *testing.T, left, versioned bool, opts ...stream.Option) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	ss := serde.String()
	s := b.Stream("stream", ss, ss)
	tb := b.Table("table", ss, ss, table.As("rows"), table.Versioned(100*time.Millisecond))
	filtered := tb.Filter(keepNoX)
	if versioned {
		filtered = filtered.Materialize(table.As("filtered"), table.Versioned(100*time.Millisecond))
	}
	derived := filtered.MapValues(strings.ToUpper)
	if left {
		s.LeftJoinTable(derived, func(v, row string, ok bool) string { return joined(v, row, ok) }, opts...).To("out", nil, nil)
	} else {
		s.JoinTable(derived, func(v, row string) string { return joined(v, row, true) }, opts...).To("out", nil, nil)
	}
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// A stream–table join with a Filter and MapValues of a versioned table
// joins each stream record with the filter and mapping of the version
// valid at its timestamp (Kafka Streams joins through the derived table's
// value getter, KTableFilterValueGetter.get(key, asOfTimestamp)), without
// a store of its own; materialized in a versioned store, the filtered
// table gives the same results.
func TestJoinWithDerivedVersionedTable(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		for _, left := range []bool{false, true} {
			name := map[bool]string{false: "getter", true: "materialized"}[versioned] + "/" + map[bool]string{false: "inner", true: "left"}[left]
			t.Run(name, func(t *testing.T) {
				versionedBackends(t, func(t *testing.T, backend Option) {
					topo := derivedJoinTopology(t, left, versioned)
					d, err := New(topo, backend, AppID("app"))
					require.NoError(t, err)
					defer d.Close()
					pipeSteps(t, d, derivedSteps(left), "out")
					var changelogs []string
					for _, topic := range d.ProducedTopics() {
						if strings.HasSuffix(topic, "-changelog") {
							changelogs = append(changelogs, topic)
						}
					}
					want := []string{"app-rows-changelog"}
					if versioned {
						want = append(want, "app-filtered-changelog")
					}
					assert.ElementsMatch(t, want, changelogs, "the join adds no store of its own")
				})
			})
		}
	}
}

// With a grace period, buffered stream records join the derived table's
// row valid at their timestamp once stream time has passed them, seeing
// late table updates, including one the filter drops.
func TestJoinWithDerivedVersionedTableGrace(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		t.Run(map[bool]string{false: "getter", true: "materialized"}[versioned], func(t *testing.T) {
			d, err := New(derivedJoinTopology(t, true, versioned, stream.As("j"), stream.WithGracePeriod(20*time.Millisecond)))
			require.NoError(t, err)
			defer d.Close()
			pipeSteps(t, d, []vstep{
				vT(10, "k", "a"),
				vS(15, "k", "A"),
				vS(16, "k", "B"),
				vT(14, "k", "x"), // late, within the grace, dropped by the filter
				vT(12, "k", "b"), // late, within the grace
				vS(36, "k", "C", "k [A,null] 15", "k [B,null] 16"),
				vT(30, "k", "c"),
				vS(56, "k", "D", "k [C,C] 36"),
				vS(13, "k", "E", "k [E,B] 13"), // older than stream time - grace: at once
			}, "out")
		})
	}
}

// Materialized in a versioned store, a derived table's out-of-order
// updates go to its history and are forwarded marked as not the latest:
// ToStream emits them, a table–table join ignores them.
func TestMaterializeVersionedDerivedTable(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		ss := serde.String()
		b := stream.NewBuilder()
		tb := b.Table("table", ss, ss, table.Versioned(time.Minute))
		other := b.Table("other", ss, ss)
		up := tb.MapValues(strings.ToUpper).Materialize(table.As("upper"), table.Versioned(100*time.Millisecond))
		up.ToStream().To("changes", nil, nil)
		up.Join(other, func(v, o string) string { return v + "+" + o }).ToStream().To("joined", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend)
		require.NoError(t, err)
		defer d.Close()
		in := d.Input("table", ss, ss)
		require.NoError(t, d.Input("other", ss, ss).PipeRecord(Record[string, string]{Key: "k", Value: "o", Timestamp: time.UnixMilli(1)}))
		for _, r := range []struct {
			v  string
			ts int64
		}{{"a", 10}, {"b", 20}, {"c", 15}, {"null", 30}, {"d", 25}} {
			require.NoError(t, in.PipeRecord(Record[string, string]{Key: "k", Value: r.v, ValueNull: r.v == "null", Timestamp: time.UnixMilli(r.ts)}))
		}
		read := func(topic string) []string {
			rs, err := d.Output(topic, ss, ss).ReadRecords()
			require.NoError(t, err)
			var got []string
			for _, r := range rs {
				v := r.Value
				if r.ValueNull {
					v = "null"
				}
				got = append(got, fmt.Sprintf("%s@%d", v, r.Timestamp.UnixMilli()))
			}
			return got
		}
		assert.Equal(t, []string{"A@10", "B@20", "C@15", "null@30", "D@25"}, read("changes"))
		assert.Equal(t, []string{"A+o@10", "B+o@20", "null@30"}, read("joined"))
	})
}

// asOfTransformer renders what it sees: "none" for no row, no row for a
// value with an x, else the upper-cased value with the context's
// timestamp, record metadata and headers. Its supplier counts the
// instances made, initialized and closed.
type asOfTransformer struct {
	ctx      processor.ValueTransformerContext
	counts   *transformerCounts
	openFrom string // a store to open in Init, if set
}

type transformerCounts struct{ made, inited, closed int }

func (a *asOfTransformer) Init(ctx processor.ValueTransformerContext) error {
	a.ctx = ctx
	a.counts.inited++
	if a.openFrom != "" {
		_, err := ctx.StateStore(a.openFrom)
		return err
	}
	return nil
}

func (a *asOfTransformer) Transform(_, v string, found bool) (string, bool, error) {
	switch {
	case !found:
		return "none", true, nil
	case strings.Contains(v, "x"):
		return "", false, nil
	}
	out := fmt.Sprintf("%s/%d", strings.ToUpper(v), a.ctx.Timestamp().UnixMilli())
	if md, ok := a.ctx.RecordMetadata(); ok {
		out += "/" + md.Topic
	}
	return out + fmt.Sprintf("/h%d", len(a.ctx.Headers())), true, nil
}

func (a *asOfTransformer) Close() error { a.counts.closed++; return nil }

// A stream–table join with a TransformValues of a versioned table that is
// not materialized joins each record with the transform of the version
// valid at its timestamp, as Kafka Streams' KTableTransformValuesGetter
// (get(key, asOfTimestamp)): the join has a transformer instance of its
// own, initialized and closed with it, which is also called for no row
// (a result then is a row), and whose context has the version's
// timestamp, no record metadata and no headers during the lookup.
func TestJoinWithTransformedVersionedTable(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		ss := serde.String()
		counts := &transformerCounts{}
		b := stream.NewBuilder()
		vt := b.Table("table", ss, ss, table.As("rows"), table.Versioned(100*time.Millisecond))
		tr := vt.TransformValues(func() processor.ValueTransformer[string, string, string] {
			counts.made++
			return &asOfTransformer{counts: counts}
		})
		b.Stream("stream", ss, ss).JoinTable(tr, func(v, row string) string { return joined(v, row, true) }).To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend, AppID("app"))
		require.NoError(t, err)
		assert.Equal(t, transformerCounts{2, 2, 0}, *counts, "the TransformValues processor's and the join's instances")
		require.NoError(t, d.Input("table", ss, ss).PipeRecord(Record[string, string]{Key: "k", Value: "a", Timestamp: time.UnixMilli(10),
			Headers: []record.Header{{Key: "h", Value: []byte("v")}}}))
		pipeSteps(t, d, []vstep{
			vS(5, "k", "A", "k [A,none] 5"),
			vS(15, "k", "B", "k [B,A/10/h0] 15"),
			vT(20, "k", "bx"),
			vS(25, "k", "C"), // the version valid at 25 is dropped by the transformer
			vT(12, "k", "c"), // out of order: in the history
			vS(13, "k", "D", "k [D,C/12/h0] 13"),
			vS(11, "k", "E", "k [E,A/10/h0] 11"),
			vT(30, "k", "null"),
			vS(35, "k", "F", "k [F,none] 35"),
		}, "out")
		var changelogs []string
		for _, topic := range d.ProducedTopics() {
			if strings.HasSuffix(topic, "-changelog") {
				changelogs = append(changelogs, topic)
			}
		}
		assert.Equal(t, []string{"app-rows-changelog"}, changelogs, "the join adds no store of its own")
		require.NoError(t, d.Close())
		assert.Equal(t, transformerCounts{2, 2, 2}, *counts)
	})
}

// The join's transformer instance has no stores connected, as in Kafka
// Streams, where the getter's transformer runs in the join processor,
// which is connected to the versioned table's store only.
func TestJoinWithTransformedVersionedTableStores(t *testing.T) {
	ss := serde.String()
	b := stream.NewBuilder()
	counter := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "counter"}, ss, serde.Int64())
	vt := b.Table("table", ss, ss, table.Versioned(time.Minute))
	tr := vt.TransformValues(func() processor.ValueTransformer[string, string, string] {
		return &asOfTransformer{counts: &transformerCounts{}, openFrom: "counter"}
	}, counter)
	b.Stream("stream", ss, ss).JoinTable(tr, func(v, row string) string { return v + row }).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	_, err = New(topo)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `store "counter" is not connected to this processor`)
}

// An aggregation into a versioned store (Kafka Streams accepts one for
// count, reduce and aggregate) puts each aggregate as a version at the
// largest timestamp that contributed to it: an aggregate older than the
// history retention behind the store's largest timestamp is neither
// stored nor forwarded (counted as expired), and a stream–table join reads
// the count valid at each stream record's timestamp.
func TestVersionedAggregation(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		ss := serde.String()
		b := stream.NewBuilder()
		counts := b.Stream("table", ss, ss).GroupByKey().Count(table.As("counts"), table.Versioned(300*time.Millisecond))
		counts.ToStream().To("counts-out", nil, serde.Int64())
		b.Stream("stream", ss, ss).LeftJoinTable(counts.MapValues(func(n int64) string { return fmt.Sprint(n) }),
			func(v, row string, ok bool) string { return joined(v, row, ok) }).To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend)
		require.NoError(t, err)
		defer d.Close()
		pipeSteps(t, d, []vstep{
			vT(100, "k1", "a"),
			vT(50, "k1", "b"), // out of order: the count's timestamp stays 100
			vS(99, "k1", "A", "k1 [A,null] 99"),
			vS(100, "k1", "B", "k1 [B,2] 100"),
			vT(1000, "k2", "c"),
			vT(200, "k3", "d"), // a new key's count at 200 < 1000 - 300: not put
			vT(600, "k1", "e"), // k1's count at 600 < 700: not put either
			vS(650, "k1", "C", "k1 [C,2] 650"),
			vS(650, "k3", "D", "k3 [D,null] 650"),
			vT(800, "k1", "f"), // 3 at 800
			vS(750, "k1", "E", "k1 [E,2] 750"),
			vS(800, "k1", "F", "k1 [F,3] 800"),
		}, "out")
		rs, err := d.Output("counts-out", ss, serde.Int64()).ReadRecords()
		require.NoError(t, err)
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s=%d@%d", r.Key, r.Value, r.Timestamp.UnixMilli()))
		}
		assert.Equal(t, []string{"k1=1@100", "k1=2@100", "k2=1@1000", "k1=3@800"}, got)
		assert.Equal(t, int64(2), d.Dropped()["expired"], "the two aggregates not put")
	})
}

// A grouped table's aggregation, a materialized TransformValues and a
// Materialize after a table–table join each accept a versioned store, and
// stream–table joins read them as of each record's timestamp.
func TestVersionedDerivedStores(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		ss := serde.String()
		b := stream.NewBuilder()
		tb := b.Table("table", ss, ss)
		other := b.Table("other", ss, ss)
		s := b.Stream("stream", ss, ss)
		hist := table.Versioned(time.Second)
		join := func(name string, tt stream.Table[string, string]) {
			s.LeftJoinTable(tt, func(v, row string, ok bool) string { return joined(v, row, ok) }).To(name, nil, nil)
		}
		join("tv", tb.TransformValues(func() processor.ValueTransformer[string, string, string] { return upperTransformer{} },
			table.As("tv"), hist))
		join("tj", tb.Join(other, func(a, b string) string { return a + "+" + b }).Materialize(table.As("tj"), hist))
		join("ta", tb.GroupBy(func(_, v string) (string, string) { return v[:1], v }, ss, ss).
			Reduce(func(agg, v string) string { return agg + v }, func(agg, v string) string { return strings.Replace(agg, v, "", 1) },
				table.As("ta"), hist))
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend)
		require.NoError(t, err)
		defer d.Close()
		in := map[string]*InputTopic[string, string]{"table": d.Input("table", ss, ss), "other": d.Input("other", ss, ss), "stream": d.Input("stream", ss, ss)}
		pipe := func(topic, k, v string, ts int64) {
			require.NoError(t, in[topic].PipeRecord(Record[string, string]{Key: k, Value: v, Timestamp: time.UnixMilli(ts)}))
		}
		pipe("other", "k", "o", 5)
		pipe("table", "k", "a1", 10)
		pipe("table", "k", "a2", 20)
		pipe("table", "k", "b1", 30) // moves k from group a to group b
		for _, ts := range []int64{9, 10, 15, 25, 35} {
			pipe("stream", "k", fmt.Sprint("s", ts), ts)
			pipe("stream", "a", fmt.Sprint("g", ts), ts)
		}
		read := func(topic string) []string {
			rs, err := d.Output(topic, ss, ss).ReadRecords()
			require.NoError(t, err)
			var got []string
			for _, r := range rs {
				got = append(got, r.Key+"="+r.Value)
			}
			return got
		}
		assert.Equal(t, []string{"k=[s9,null]", "a=[g9,null]", "k=[s10,A1]", "a=[g10,null]", "k=[s15,A1]", "a=[g15,null]",
			"k=[s25,A2]", "a=[g25,null]", "k=[s35,B1]", "a=[g35,null]"}, read("tv"))
		assert.Equal(t, []string{"k=[s9,null]", "a=[g9,null]", "k=[s10,a1+o]", "a=[g10,null]", "k=[s15,a1+o]", "a=[g15,null]",
			"k=[s25,a2+o]", "a=[g25,null]", "k=[s35,b1+o]", "a=[g35,null]"}, read("tj"))
		// Group a: a1 at 10, a2 (a1 subtracted, a2 added) at 20, empty at 30.
		assert.Equal(t, []string{"k=[s9,null]", "a=[g9,null]", "k=[s10,null]", "a=[g10,a1]", "k=[s15,null]", "a=[g15,a1]",
			"k=[s25,null]", "a=[g25,a2]", "k=[s35,null]", "a=[g35,]"}, read("ta"))
	})
}

// A table–table join ignores the out-of-order updates of a Filter or
// MapValues of a versioned table, as of the versioned table itself (Kafka
// Streams' KTableKTableJoin skips changes that are not the latest when
// the table is versioned upstream), and reads the derived table's latest
// rows.
func TestTableJoinWithDerivedVersionedTable(t *testing.T) {
	ss := serde.String()
	b := stream.NewBuilder()
	vt := b.Table("table", ss, ss, table.Versioned(time.Minute))
	other := b.Table("other", ss, ss)
	vt.Filter(keepNoX).MapValues(strings.ToUpper).WithValueSerde(ss).
		Join(other, func(v, o string) string { return v + "+" + o }).ToStream().To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := New(topo)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("other", ss, ss).PipeRecord(Record[string, string]{Key: "k", Value: "o", Timestamp: time.UnixMilli(1)}))
	pipeSteps(t, d, []vstep{
		vT(10, "k", "a", "k A+o 10"),
		vT(5, "k", "b"), // out of order: ignored
		vT(20, "k", "c", "k C+o 20"),
		vT(15, "k", "x"), // out of order, and filtered: ignored
		vT(30, "k", "x", "k null 30"),
	}, "out")
	require.NoError(t, d.Input("other", ss, ss).PipeRecord(Record[string, string]{Key: "k", Value: "p", Timestamp: time.UnixMilli(40)}))
	rs, err := d.Output("out", ss, ss).ReadRecords()
	require.NoError(t, err)
	assert.Empty(t, rs, "the derived table's latest row is filtered out")
}

// A table–table join of a versioned table with a Filter of itself reads
// both sides' latest rows through the versioned store, as Kafka Streams'
// value getters do (get(key) on the versioned store), so both join
// processors see the update being processed: each update is joined once
// from each side, with the new row on both. Out-of-order updates are
// ignored by both sides, and the join keeps no store of its own.
func TestTableSelfJoinVersioned(t *testing.T) {
	versionedBackends(t, func(t *testing.T, backend Option) {
		ss := serde.String()
		b := stream.NewBuilder()
		vt := b.Table("table", ss, ss, table.As("rows"), table.Versioned(time.Minute))
		vt.Filter(keepNoX).Join(vt, func(f, v string) string { return f + "+" + v }).ToStream().To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		d, err := New(topo, backend, AppID("app"))
		require.NoError(t, err)
		defer d.Close()
		pipeSteps(t, d, []vstep{
			vT(10, "k", "a", "k a+a 10", "k a+a 10"),
			vT(20, "k", "b", "k b+b 20", "k b+b 20"),
			// The filter drops x: the join row is deleted; the other side
			// finds no filtered row.
			vT(30, "k", "x", "k null 30"),
			vT(25, "k", "c"), // out of order: ignored
			vT(40, "k", "d", "k d+d 40", "k d+d 40"),
			// A deletion: each side finds no row on the other (both read the
			// store after the update), so neither forwards anything, as
			// Kafka Streams' inner join returns when the other row is null.
			vT(50, "k", "null"),
		}, "out")
		var changelogs []string
		for _, topic := range d.ProducedTopics() {
			if strings.HasSuffix(topic, "-changelog") {
				changelogs = append(changelogs, topic)
			}
		}
		assert.Equal(t, []string{"app-rows-changelog"}, changelogs, "the join adds no store of its own")
	})
}

// A Filter or MapValues materialized in a versioned store forwards as old
// value its store's latest row before the change, as Kafka Streams'
// materialized KTableFilter and KTableMapValues do with old values enabled
// (store.get(key)), not the incoming change's: after an update of a plain
// table with an older timestamp (not the latest version in the versioned
// store, so the aggregation ignores it), the next update's old value is
// the store's latest row, which the aggregation subtracts.
// (versioned-oldvalue in the conformance suite checks these on real Kafka.)
func TestMaterializeVersionedOldValueFromStore(t *testing.T) {
	for _, op := range []string{"filter", "mapValues"} {
		t.Run(op, func(t *testing.T) {
			versionedBackends(t, func(t *testing.T, backend Option) {
				ss := serde.String()
				b := stream.NewBuilder()
				tb := b.Table("table", ss, ss)
				derived := tb.MapValues(strings.ToUpper)
				if op == "filter" {
					derived = tb.Filter(keepNoX)
				}
				derived.Materialize(table.As("derived"), table.Versioned(time.Minute)).
					GroupBy(func(_, v string) (string, string) { return "all", v }, nil, nil).
					Aggregate(func() string { return "" },
						func(_, v, agg string) string { return agg + "+" + v },
						func(_, v, agg string) string { return agg + "-" + v }, ss).
					ToStream().To("out", nil, nil)
				topo, err := b.Build()
				require.NoError(t, err)
				d, err := New(topo, backend)
				require.NoError(t, err)
				defer d.Close()
				a, c := "a", "c"
				if op == "mapValues" {
					a, c = "A", "C"
				}
				pipeSteps(t, d, []vstep{
					vT(10, "k", "a", "all +"+a+" 10"),
					vT(5, "k", "b"), // older than a: not the latest version, ignored
					// The old value is a, the store's latest row, not b.
					vT(20, "k", "c", "all +"+a+"-"+a+"+"+c+" 20"),
				}, "out")
				// The filter of a plain table drops a change whose new row it
				// drops when its store has no row either (Kafka Streams'
				// KTableFilter without versioned semantics): x2 is not put,
				// so d, older, is the filter's latest version; the mapping
				// puts X2, so D is not its latest.
				want := [][]string{{"all +a-a+c-c 30"}, nil, {"all +a-a+c-c+d 35"}}
				if op == "mapValues" {
					want = [][]string{{"all +A-A+C-C+X1 30"}, {"all +A-A+C-C+X1-X1+X2 40"}, nil}
				}
				pipeSteps(t, d, []vstep{
					vT(30, "k", "x1", want[0]...),
					vT(40, "k", "x2", want[1]...),
					vT(35, "k", "d", want[2]...),
				}, "out")
			})
		})
	}
}
