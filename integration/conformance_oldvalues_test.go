// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Conformance of Kafka Streams' sendOldValues rules for table filters
// with Java Kafka Streams (java/…/OldValuesTopologies.java) on a real
// broker: a Filter that sends old values drops a change neither of whose
// rows passes (KTableFilter). Tables ov-a … ov-g get the same updates
// (out of order and tombstones included) and are filtered (keepOV):
//
//   - ov-a is named (table.As): its filter drops;
//   - ov-b is not: a filter created before a stream–table join with
//     ov-stream (which materializes ov-b) forwards every change, one
//     created after drops;
//   - three filters of ov-c, created before the joins with ov-other: the
//     inner join asks for no old values (a change with neither row joins
//     into a deletion), the left and the outer join ask (their filters
//     drop);
//   - ov-d's filter is grouped by its key into an aggregation of "+v" and
//     "-v" (GroupBy asks for old values);
//   - ov-e is versioned: its filter never drops;
//   - ov-f's filter is materialized (no old values: nothing dropped);
//   - ov-g's too, and filtered again, which asks it for old values: it
//     reads them from its store, and both drop.
//
// table-oldvalues-windowed: a filter (count divisible by 3) of a windowed,
// a session, a sliding and a plain count of ov-w, with records out of order within and
// beyond the grace period; aggregations always send old values, so the
// filters drop, and a window's or key's first update carries the
// initializer's aggregate (0) as its old value, which the filter passes.
//
// Every input is written before either application starts, on 1 and 3
// partitions; Eddy's output must be the same bytes as Java's
// (TestConformanceTimestampOrder's run, three Eddy runs).
func TestConformanceOldValues(t *testing.T) {
	needJavaReference(t)
	t.Run("table-oldvalues", func(t *testing.T) { runOrderFamily(t, oldValuesFamily()) })
	t.Run("table-oldvalues-windowed", func(t *testing.T) { runOrderFamily(t, oldValuesWindowedFamily()) })
}

// Topic names of java/…/OldValuesTopologies.java.
const (
	ovA, ovB, ovC, ovD, ovE, ovF, ovG, ovOther, ovStream = "ov-a", "ov-b", "ov-c", "ov-d", "ov-e", "ov-f", "ov-g", "ov-other", "ov-stream"
	ovNamed, ovBefore, ovSJoin, ovAfter                  = "ov-named", "ov-before", "ov-sjoin", "ov-after"
	ovInner, ovLeft, ovOuter, ovAgg, ovVersioned         = "ov-inner", "ov-left", "ov-outer", "ov-agg", "ov-versioned"
	ovMat, ovMat2, ovMat2Filter                          = "ov-mat", "ov-mat2", "ov-mat2-filter"
	ovHistory                                            = 300 * time.Millisecond
	ovW, ovWCount, ovSCount, ovSlCount, ovKVCount        = "ov-w", "ov-wcount", "ov-scount", "ov-slcount", "ov-kvcount"
)

// keepOV is OldValuesTopologies.keep: values ending in an even digit.
func keepOV(_, v string) bool { return (v[len(v)-1]-'0')%2 == 0 }

func oldValuesFamily() orderFamily {
	return orderFamily{
		name:   "table-oldvalues",
		inputs: []string{ovA, ovB, ovC, ovD, ovE, ovF, ovG, ovOther, ovStream},
		outputs: []string{ovNamed, ovBefore, ovSJoin, ovAfter, ovInner, ovLeft, ovOuter, ovAgg, ovVersioned,
			ovMat, ovMat2, ovMat2Filter},
		cases: []orderCase{{
			name: "small", java: "table-oldvalues", add: addOldValues, parts: 1, outParts: 2,
			in: oldValuesSmall(),
		}, {
			name: "random", java: "table-oldvalues", add: addOldValues, parts: 3, outParts: 4,
			in: randomOldValues(53),
		}},
	}
}

// oldValuesTables writes a table update to each of ov-a … ov-g.
func oldValuesTables(tl *timeline, key string, v *string, ts int64) {
	tl.add(ovA, key, v, ts)
	at := tl.recs[len(tl.recs)-1].Time
	for _, topic := range []string{ovB, ovC, ovD, ovE, ovF, ovG} {
		tl.recs = append(tl.recs, crec{topic, key, v, at})
	}
}

// oldValuesSmall: k1 updates that never pass, pass, stop passing, are
// deleted; k2's deletion of an absent row; stream records and other rows
// in between.
func oldValuesSmall() []crec {
	tl := newTimeline(0)
	tl.add(ovOther, "k1", str("o0"), 900)
	tl.add(ovOther, "k2", str("o2"), 910)
	oldValuesTables(tl, "k1", str("n1"), 1000)
	tl.add(ovStream, "k1", str("s1"), 1010)
	oldValuesTables(tl, "k1", str("n3"), 1020)
	oldValuesTables(tl, "k1", str("y2"), 1030)
	tl.add(ovStream, "k1", str("s2"), 1040)
	oldValuesTables(tl, "k1", str("n5"), 1050)
	oldValuesTables(tl, "k1", nil, 1060)
	oldValuesTables(tl, "k2", nil, 1070)
	tl.add(ovOther, "k1", nil, 1080)
	oldValuesTables(tl, "k1", str("y4"), 1090)
	oldValuesTables(tl, "k1", str("n7"), 1100)
	oldValuesTables(tl, "k1", str("x9"), 1110)
	oldValuesTables(tl, "k1", str("late6"), 1005) // out of order: not the versioned table's latest
	tl.add(ovStream, "k1", str("s3"), 1120)
	return tl.recs
}

// randomOldValues: 500 records on 10 keys: 60% table updates (15%
// tombstones, 8% out of order), 20% ov-other rows, 20% ov-stream records.
func randomOldValues(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 500 {
		ts := orderRandomBase + int64(i)*10
		key := fmt.Sprintf("k%02d", tl.rng.IntN(10))
		var v *string
		if tl.rng.IntN(100) >= 15 {
			v = str(fmt.Sprintf("t%03d", tl.rng.IntN(1000)))
		}
		switch p := tl.rng.IntN(100); {
		case p < 60:
			if tl.rng.IntN(100) < 8 {
				ts -= 15 + tl.rng.Int64N(400)
			}
			oldValuesTables(tl, key, v, ts)
		case p < 80:
			tl.add(ovOther, key, v, ts)
		default:
			tl.add(ovStream, key, str(fmt.Sprintf("s%03d", i)), ts)
		}
	}
	return tl.recs
}

// addOldValues is OldValuesTopologies.oldValues on topics in+…, writing
// out+….
func addOldValues(b *stream.Builder, in, out string) {
	ss := serde.String()
	to := func(t stream.Table[string, string], topic string) { t.ToStream().To(out+topic, ss, ss) }

	to(b.Table(in+ovA, ss, ss, table.As(in+"ov-src")).Filter(keepOV), ovNamed)

	tb := b.Table(in+ovB, ss, ss)
	to(tb.Filter(keepOV), ovBefore)
	b.Stream(in+ovStream, ss, ss).JoinTable(tb, joined).To(out+ovSJoin, ss, ss)
	to(tb.Filter(keepOV), ovAfter)

	tc := b.Table(in+ovC, ss, ss)
	other := b.Table(in+ovOther, ss, ss)
	fi, fl, fo := tc.Filter(keepOV), tc.Filter(keepOV), tc.Filter(keepOV)
	to(fi.Join(other, joined), ovInner)
	to(fl.LeftJoin(other, func(v, w string, ok bool) string { return joined(v, orNull(w, ok)) }), ovLeft)
	to(fo.OuterJoin(other, func(v string, hasV bool, w string, hasW bool) string {
		return joined(orNull(v, hasV), orNull(w, hasW))
	}), ovOuter)

	b.Table(in+ovD, ss, ss).Filter(keepOV).
		GroupBy(func(k, v string) (string, string) { return k, v }, ss, ss).
		Aggregate(func() string { return "" },
			func(_, v, agg string) string { return agg + "+" + v },
			func(_, v, agg string) string { return agg + "-" + v }, ss).
		ToStream().To(out+ovAgg, ss, ss)

	to(b.Table(in+ovE, ss, ss, table.As(in+"ov-v"), table.Versioned(ovHistory)).Filter(keepOV), ovVersioned)

	to(b.Table(in+ovF, ss, ss).Filter(keepOV).Materialize(table.As(in+"ov-f")), ovMat)
	g := b.Table(in+ovG, ss, ss).Filter(keepOV).Materialize(table.As(in + "ov-g"))
	to(g, ovMat2)
	to(g.Filter(func(_, v string) bool { return v != "" }), ovMat2Filter)
}

func oldValuesWindowedFamily() orderFamily {
	return orderFamily{
		name: "table-oldvalues-windowed", inputs: []string{ovW}, outputs: []string{ovWCount, ovSCount, ovSlCount, ovKVCount},
		cases: []orderCase{{
			name: "small", java: "table-oldvalues-windowed", add: addOldValuesWindowed, parts: 1, outParts: 2,
			in: []crec{
				{ovW, "k1", str("a"), 1000}, {ovW, "k1", str("b"), 1010}, {ovW, "k1", str("c"), 1020},
				{ovW, "k1", str("d"), 1030}, {ovW, "k1", str("e"), 1040}, {ovW, "k1", str("f"), 1050},
				{ovW, "k2", str("g"), 1060}, {ovW, "k1", str("h"), 1120}, {ovW, "k1", str("i"), 1090},
			},
		}, {
			name: "random", java: "table-oldvalues-windowed", add: addOldValuesWindowed, parts: 3, outParts: 4,
			in: randomOldValuesWindowed(59),
		}},
	}
}

// randomOldValuesWindowed: 400 records on 6 keys, 10% 15–135 ms out of
// order (some beyond the 50 ms grace).
func randomOldValuesWindowed(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 400 {
		ts := orderRandomBase + int64(i)*7
		if tl.rng.IntN(100) < 10 {
			ts -= 15 + tl.rng.Int64N(120)
		}
		tl.add(ovW, fmt.Sprintf("w%d", tl.rng.IntN(6)), str(fmt.Sprintf("v%03d", i)), ts)
	}
	return tl.recs
}

// addOldValuesWindowed is OldValuesTopologies.windowed.
func addOldValuesWindowed(b *stream.Builder, in, out string) {
	ss := serde.String()
	div3 := func(_ window.Windowed[string], c int64) bool { return c%3 == 0 }
	// A count is never 0: a zero is the deletion ToStream turned into a
	// null, which stays one.
	count := func(c int64) *string {
		if c == 0 {
			return nil
		}
		s := fmt.Sprint(c)
		return &s
	}
	g := b.Stream(in+ovW, ss, ss).GroupByKey()
	g.WindowedBy(window.Tumbling(100*time.Millisecond).Grace(50*time.Millisecond)).Count().Filter(div3).ToStream().
		Map(func(wk window.Windowed[string], c int64) (string, *string) {
			return fmt.Sprintf("%s@%d", wk.Key, wk.Window.Start().UnixMilli()), count(c)
		}).To(out+ovWCount, ss, nullableString{})
	g.SessionWindowedBy(window.Session(30*time.Millisecond).Grace(50*time.Millisecond)).Count().Filter(div3).ToStream().
		Map(func(wk window.Windowed[string], c int64) (string, *string) {
			return fmt.Sprintf("%s@%d-%d", wk.Key, wk.Window.Start().UnixMilli(), wk.Window.End().UnixMilli()), count(c)
		}).To(out+ovSCount, ss, nullableString{})
	g.SlidingWindowedBy(window.Sliding(40*time.Millisecond).Grace(50*time.Millisecond)).Count().Filter(div3).ToStream().
		Map(func(wk window.Windowed[string], c int64) (string, *string) {
			return fmt.Sprintf("%s@%d-%d", wk.Key, wk.Window.Start().UnixMilli(), wk.Window.End().UnixMilli()), count(c)
		}).To(out+ovSlCount, ss, nullableString{})
	g.Count().Filter(func(_ string, c int64) bool { return c%3 == 0 }).ToStream().MapValues(count).To(out+ovKVCount, ss, nullableString{})
}

// nullableString is the UTF-8 serde of *string, nil a null.
type nullableString struct{}

func (nullableString) Serialize(_ string, v *string) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return []byte(*v), nil
}

func (nullableString) Deserialize(_ string, b []byte) (*string, error) {
	if b == nil {
		return nil, nil
	}
	s := string(b)
	return &s, nil
}
