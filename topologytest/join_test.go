// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// Join semantics, as data: each scenario pipes records into the topics
// "left" and "right" and lists, for every input, the records the join
// writes in response, formatted "key value timestamp". The joiner renders
// its arguments as [left,right] with an absent side as null; "null" as an
// input key or value pipes a null key or value (a table tombstone), and as
// an output value it is a tombstone.
//
// The expected outputs are those of Kafka Streams 4.4's TopologyTestDriver
// on the same input (record cache off, outer-join emit interval 0), which
// follow the code where it differs from the documentation's tables (e.g. a
// left/outer join result without partner appears once stream time is
// strictly greater than ts + after + grace).

type joinStep struct {
	side  string // "L" or "R"
	ts    int64
	key   string
	value string
	want  []string
}

func L(ts int64, key, value string, want ...string) joinStep {
	return joinStep{"L", ts, key, value, want}
}

func R(ts int64, key, value string, want ...string) joinStep {
	return joinStep{"R", ts, key, value, want}
}

type joinScenario struct {
	name string
	// kind is ss- (stream-stream), st- (stream-table), sg- (stream-global
	// table) or tt- (table-table) followed by inner, left or outer.
	kind                 string
	before, after, grace int64 // stream-stream join windows, in ms
	steps                []joinStep
}

func show(s string, ok bool) string {
	if !ok {
		return "null"
	}
	return s
}

func joined(l string, lok bool, r string, rok bool) string {
	return "[" + show(l, lok) + "," + show(r, rok) + "]"
}

func (sc joinScenario) build() *stream.Builder {
	b := stream.NewBuilder()
	ss := serde.String()
	inner := func(l, r string) string { return joined(l, true, r, true) }
	left := func(l, r string, ok bool) string { return joined(l, true, r, ok) }
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	switch sc.kind[:3] {
	case "ss-":
		l, r := b.Stream("left", ss, ss), b.Stream("right", ss, ss)
		w := window.JoinWindow(ms(sc.after)).Before(ms(sc.before)).Grace(ms(sc.grace))
		var out stream.Stream[string, string]
		switch sc.kind {
		case "ss-inner":
			out = l.Join(r, inner, w)
		case "ss-left":
			out = l.LeftJoin(r, left, w)
		case "ss-outer":
			out = l.OuterJoin(r, joined, w)
		}
		out.To("out", nil, nil)
	case "st-":
		l, r := b.Stream("left", ss, ss), b.Table("right", ss, ss, table.As("right-store"))
		if sc.kind == "st-inner" {
			l.JoinTable(r, inner).To("out", nil, nil)
		} else {
			l.LeftJoinTable(r, left).To("out", nil, nil)
		}
	case "sg-":
		// The global table is keyed like the stream, so the key mapper is
		// the identity and the semantics are those of stream-table joins.
		l, r := b.Stream("left", ss, ss), b.GlobalTable("right", ss, ss, table.As("right-store"))
		key := func(k, _ string) string { return k }
		if sc.kind == "sg-inner" {
			l.JoinGlobalTable(r, key, inner).To("out", nil, nil)
		} else {
			l.LeftJoinGlobalTable(r, key, left).To("out", nil, nil)
		}
	case "tt-":
		l := b.Table("left", ss, ss, table.As("left-store"))
		r := b.Table("right", ss, ss, table.As("right-store"))
		var out stream.Table[string, string]
		switch sc.kind {
		case "tt-inner":
			out = l.Join(r, inner)
		case "tt-left":
			out = l.LeftJoin(r, left)
		case "tt-outer":
			out = l.OuterJoin(r, joined)
		}
		out.ToStream().To("out", nil, nil)
	}
	return b
}

func (sc joinScenario) run(t *testing.T) {
	t.Run("memory", func(t *testing.T) { sc.runOn(t) })
	t.Run("pebble", func(t *testing.T) {
		dir := t.TempDir()
		sc.runOn(t, topologytest.Backend(func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		}))
	})
}

func (sc joinScenario) runOn(t *testing.T, opts ...topologytest.Option) {
	d := driver(t, sc.build(), opts...)
	ins := map[string]*topologytest.InputTopic[string, string]{
		"L": d.Input("left", serde.String(), serde.String()),
		"R": d.Input("right", serde.String(), serde.String()),
	}
	out := d.Output("out", serde.String(), serde.String())
	for i, st := range sc.steps {
		rec := topologytest.Record[string, string]{Key: st.key, Value: st.value, Timestamp: ms(st.ts),
			KeyNull: st.key == "null", ValueNull: st.value == "null"}
		require.NoError(t, ins[st.side].PipeRecord(rec))
		rs, err := out.ReadRecords()
		require.NoError(t, err)
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s %s %d", show(r.Key, !r.KeyNull), show(r.Value, !r.ValueNull), r.Timestamp.UnixMilli()))
		}
		assert.Equal(t, st.want, got, "step %d: %s %d %s %s", i+1, st.side, st.ts, st.key, st.value)
	}
}

// The input of Kafka Streams' documented stream-stream join semantics table
// (window 15, grace 5, one key), extended so that every record either joins
// or is flushed.
func docsStreamStream(inner, left, outer bool) []joinStep {
	pick := func(want []string, on bool) []string {
		if on {
			return want
		}
		return nil
	}
	return []joinStep{
		L(1, "k", "null"),
		R(2, "k", "null"),
		L(3, "k", "A"),
		R(4, "k", "a", "k [A,a] 4"),
		L(5, "k", "B", "k [B,a] 5"),
		R(6, "k", "b", "k [A,b] 6", "k [B,b] 6"),
		L(7, "k", "null"),
		R(8, "k", "null"),
		L(9, "k", "C", "k [C,a] 9", "k [C,b] 9"),
		R(10, "k", "c", "k [A,c] 10", "k [B,c] 10", "k [C,c] 10"),
		R(11, "k", "null"),
		L(12, "k", "null"),
		R(13, "k", "null"),
		R(14, "k", "d", "k [A,d] 14", "k [B,d] 14", "k [C,d] 14"),
		L(15, "k", "D", "k [D,a] 15", "k [D,b] 15", "k [D,c] 15", "k [D,d] 15"),
		L(40, "k", "E"),
		// E's window closes when stream time passes 40+15+5 = 60.
		L(60, "k", "F"),
		R(80, "k", "f", pick([]string{"k [E,null] 40"}, left || outer)...),
		L(100, "k", "G", pick([]string{"k [F,null] 60"}, left || outer)...),
		R(200, "k", "z", append(pick([]string{"k [null,f] 80"}, outer), pick([]string{"k [G,null] 100"}, left || outer)...)...),
	}
}

var streamStreamScenarios = []joinScenario{
	{name: "docs table inner", kind: "ss-inner", before: 15, after: 15, grace: 5, steps: docsStreamStream(true, false, false)},
	{name: "docs table left", kind: "ss-left", before: 15, after: 15, grace: 5, steps: docsStreamStream(false, true, false)},
	{name: "docs table outer", kind: "ss-outer", before: 15, after: 15, grace: 5, steps: docsStreamStream(false, false, true)},
	{
		// Both bounds are inclusive, and mirrored for the right stream:
		// left ts 100 joins right ts in [90, 120].
		name: "window boundaries", kind: "ss-inner", before: 10, after: 20, grace: 0,
		steps: []joinStep{
			L(100, "k", "A"),
			R(89, "k", "r89"),
			R(90, "k", "r90", "k [A,r90] 100"),
			R(120, "k", "r120", "k [A,r120] 120"),
			R(121, "k", "r121"),
			L(111, "k", "B", "k [B,r120] 120", "k [B,r121] 121"),
		},
	},
	{
		// An out-of-order record within the grace period still joins, and
		// then no null result is emitted; an unmatched record is emitted
		// once stream time > ts + after + grace; a record whose window has
		// already closed is emitted at once (and not stored: it is past
		// retention), while a late record of the other stream still joins.
		name: "grace and late records", kind: "ss-left", before: 10, after: 10, grace: 5,
		steps: []joinStep{
			L(100, "k", "A"),
			R(115, "j", "x"),
			R(108, "k", "a", "k [A,a] 108"),
			L(200, "k", "B"),
			R(215, "j", "y"),
			R(216, "j", "z", "k [B,null] 200"),
			L(150, "k", "C", "k [C,null] 150"),
			R(199, "k", "b", "k [B,b] 200"),
		},
	},
	{
		// Null keys: inner joins drop them, left and outer joins emit them at
		// once without partner (KIP-962). Null values are always dropped.
		name: "nulls inner", kind: "ss-inner", before: 10, after: 10,
		steps: []joinStep{L(1, "null", "A"), R(2, "null", "a"), L(3, "k", "null"), R(4, "k", "null"), R(5, "k", "b"), L(6, "k", "B", "k [B,b] 6")},
	},
	{
		name: "nulls left", kind: "ss-left", before: 10, after: 10,
		steps: []joinStep{L(1, "null", "A", "null [A,null] 1"), R(2, "null", "a"), L(3, "k", "null"), R(4, "k", "null"), R(5, "k", "b"), L(6, "k", "B", "k [B,b] 6")},
	},
	{
		name: "nulls outer", kind: "ss-outer", before: 10, after: 10,
		steps: []joinStep{L(1, "null", "A", "null [A,null] 1"), R(2, "null", "a", "null [null,a] 2"), L(3, "k", "null"), R(4, "k", "null"), R(5, "k", "b"), L(6, "k", "B", "k [B,b] 6")},
	},
	{
		// Asymmetric windows (before 0, after 10): a left record waits until
		// stream time > ts+10, a right one until > ts+0. As in Kafka
		// Streams, the scan for expired records is skipped while the
		// smallest buffered timestamp + the triggering side's "after" + grace
		// >= stream time, and records with the same timestamp come right
		// before left, then by key.
		name: "outer asymmetric", kind: "ss-outer", before: 0, after: 10,
		steps: []joinStep{
			L(50, "k", "A"),
			R(50, "j", "b"),
			L(51, "x", "C"),
			R(51, "y", "d", "j [null,b] 50"),
			L(61, "k", "E"),
			R(62, "z", "e", "k [A,null] 50", "y [null,d] 51", "x [C,null] 51"),
		},
	},
	{
		// Each stream is kept for before + after + grace (10) of its own
		// observed time: once the left stream has seen 110, its record at
		// 100 can no longer be joined, even by a right record whose window
		// reaches it.
		name: "retention boundary", kind: "ss-inner", before: 5, after: 5,
		steps: []joinStep{
			L(100, "k", "A"),
			L(110, "k", "B"),
			R(105, "k", "a", "k [B,a] 110"),
			R(104, "k", "b"),
		},
	},
	{
		// A negative bound: right records must come 5 to 10 after left ones.
		// A record whose window lies wholly before stream time is emitted at
		// once.
		name: "negative before", kind: "ss-outer", before: -5, after: 10, grace: 2,
		steps: []joinStep{
			L(100, "k", "A"),
			R(104, "k", "a", "k [null,a] 104"),
			R(105, "k", "b", "k [A,b] 105"),
			R(110, "k", "c", "k [A,c] 110"),
			R(111, "k", "d", "k [null,d] 111"),
			L(200, "j", "x"),
		},
	},
	{
		// A zero difference joins equal timestamps only. (Deliberately
		// unlike Kafka Streams, whose zero-retention stores never match
		// here: it emits [A,null] at 6.)
		name: "zero difference", kind: "ss-left",
		steps: []joinStep{
			L(5, "k", "A"),
			R(5, "k", "a", "k [A,a] 5"),
			R(6, "k", "b"),
			L(6, "k", "B", "k [B,b] 6"),
			L(7, "k", "C"),
			R(9, "j", "x", "k [C,null] 7"),
		},
	},
	{
		// Several records with the same key and timestamp are all kept and
		// all joined, matched or not.
		name: "duplicates", kind: "ss-left", before: 10, after: 10,
		steps: []joinStep{
			L(0, "k", "A1"),
			L(0, "k", "A2"),
			R(5, "k", "a", "k [A1,a] 5", "k [A2,a] 5"),
			L(100, "k", "B1"),
			L(100, "k", "B2"),
			R(200, "j", "x", "k [B1,null] 100", "k [B2,null] 100"),
		},
	},
}

func TestStreamStreamJoinSemantics(t *testing.T) {
	for _, sc := range streamStreamScenarios {
		t.Run(sc.name, sc.run)
	}
}

// The input of Kafka Streams' documented stream-table and table-table join
// semantics tables (one key, timestamp order).
var docsTableSteps = []joinStep{
	L(1, "k", "null"), R(2, "k", "null"), L(3, "k", "A"), R(4, "k", "a"), L(5, "k", "B"),
	R(6, "k", "b"), L(7, "k", "null"), R(8, "k", "null"), L(9, "k", "C"), R(10, "k", "c"),
	R(11, "k", "null"), L(12, "k", "null"), R(13, "k", "null"), R(14, "k", "d"), L(15, "k", "D"),
}

// withOutputs copies steps, setting the outputs of the steps at the given
// timestamps.
func withOutputs(steps []joinStep, want map[int64][]string) []joinStep {
	out := make([]joinStep, len(steps))
	for i, s := range steps {
		s.want = want[s.ts]
		out[i] = s
	}
	return out
}

var streamTableScenarios = []joinScenario{
	{name: "docs table inner", kind: "st-inner", steps: withOutputs(docsTableSteps, map[int64][]string{
		5: {"k [B,a] 5"}, 15: {"k [D,d] 15"},
	})},
	{name: "docs table left", kind: "st-left", steps: withOutputs(docsTableSteps, map[int64][]string{
		3: {"k [A,null] 3"}, 5: {"k [B,a] 5"}, 9: {"k [C,null] 9"}, 15: {"k [D,d] 15"},
	})},
	{
		// The result keeps the stream record's timestamp, even when the row
		// is newer; left joins emit null-key records at once.
		name: "timestamps and null keys inner", kind: "st-inner",
		steps: []joinStep{R(20, "k", "x"), L(18, "k", "F", "k [F,x] 18"), L(19, "null", "G"), L(21, "j", "H")},
	},
	{
		name: "timestamps and null keys left", kind: "st-left",
		steps: []joinStep{R(20, "k", "x"), L(18, "k", "F", "k [F,x] 18"), L(19, "null", "G", "null [G,null] 19"), L(21, "j", "H", "j [H,null] 21")},
	},
}

func TestStreamTableJoinSemantics(t *testing.T) {
	for _, sc := range streamTableScenarios {
		t.Run(sc.name, sc.run)
	}
}

// Table-table results carry the larger of the two rows' timestamps.
var ttTimestamps = []joinStep{R(30, "k", "e"), L(25, "k", "G"), R(26, "k", "f"), L(40, "null", "H")}

var tableTableScenarios = []joinScenario{
	{name: "docs table inner", kind: "tt-inner", steps: withOutputs(docsTableSteps, map[int64][]string{
		4: {"k [A,a] 4"}, 5: {"k [B,a] 5"}, 6: {"k [B,b] 6"}, 7: {"k null 7"},
		10: {"k [C,c] 10"}, 11: {"k null 11"}, 15: {"k [D,d] 15"},
	})},
	{name: "docs table left", kind: "tt-left", steps: withOutputs(docsTableSteps, map[int64][]string{
		3: {"k [A,null] 3"}, 4: {"k [A,a] 4"}, 5: {"k [B,a] 5"}, 6: {"k [B,b] 6"}, 7: {"k null 7"},
		9: {"k [C,null] 9"}, 10: {"k [C,c] 10"}, 11: {"k [C,null] 11"}, 12: {"k null 12"}, 15: {"k [D,d] 15"},
	})},
	{name: "docs table outer", kind: "tt-outer", steps: withOutputs(docsTableSteps, map[int64][]string{
		3: {"k [A,null] 3"}, 4: {"k [A,a] 4"}, 5: {"k [B,a] 5"}, 6: {"k [B,b] 6"}, 7: {"k [null,b] 7"}, 8: {"k null 8"},
		9: {"k [C,null] 9"}, 10: {"k [C,c] 10"}, 11: {"k [C,null] 11"}, 12: {"k null 12"}, 14: {"k [null,d] 14"}, 15: {"k [D,d] 15"},
	})},
	{name: "timestamps inner", kind: "tt-inner", steps: withOutputs(ttTimestamps, map[int64][]string{
		25: {"k [G,e] 30"}, 26: {"k [G,f] 26"},
	})},
	{name: "timestamps left", kind: "tt-left", steps: withOutputs(ttTimestamps, map[int64][]string{
		25: {"k [G,e] 30"}, 26: {"k [G,f] 26"},
	})},
	{name: "timestamps outer", kind: "tt-outer", steps: withOutputs(ttTimestamps, map[int64][]string{
		30: {"k [null,e] 30"}, 25: {"k [G,e] 30"}, 26: {"k [G,f] 26"},
	})},
}

func TestTableTableJoinSemantics(t *testing.T) {
	for _, sc := range tableTableScenarios {
		t.Run(sc.name, sc.run)
	}
}

// TestExportJoinScenarios writes the scenarios' inputs to the file named
// by EDDY_EXPORT_JOIN_SCENARIOS, one "scenario/kind/window/in…/end" block
// each, so that a Kafka Streams TopologyTestDriver harness can replay them
// and the expectations above can be checked against the Java code.
func TestExportJoinScenarios(t *testing.T) {
	path := os.Getenv("EDDY_EXPORT_JOIN_SCENARIOS")
	if path == "" {
		t.Skip("set EDDY_EXPORT_JOIN_SCENARIOS=<file> to export the join scenarios")
	}
	require.NoError(t, os.WriteFile(path, []byte(dumpJoinScenarios()), 0o644))
}

func dumpJoinScenarios() string {
	var b strings.Builder
	for _, group := range [][]joinScenario{streamStreamScenarios, streamTableScenarios, tableTableScenarios} {
		for _, sc := range group {
			fmt.Fprintf(&b, "scenario %s\nkind %s\nwindow %d %d %d\n", strings.ReplaceAll(sc.name, " ", "_"), sc.kind, sc.before, sc.after, sc.grace)
			for _, st := range sc.steps {
				fmt.Fprintf(&b, "in %s %d %s %s\n", st.side, st.ts, st.key, st.value)
			}
			b.WriteString("end\n")
		}
	}
	return b.String()
}
