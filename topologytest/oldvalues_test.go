// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// The cases of Kafka Streams' sendOldValues rules for table filters; each
// expectation is the output of the same topology in Kafka Streams 4.4
// (java/src/test/java/io/eddystreams/reference/OldValuesTest.java): a
// filter that sends old values drops a change neither of whose rows
// passes.

func yes(_, v string) bool { return strings.HasPrefix(v, "y") }

// pipeOldValuesIn pipes the changes of table "in": k1 n1, n2 (never pass),
// y1 (passes), n3 (stops passing), delete; k2 delete of an absent key.
func pipeOldValuesIn(t *testing.T, d *topologytest.Driver) {
	t.Helper()
	in := d.Input("in", serde.String(), serde.String())
	for _, r := range []topologytest.Record[string, string]{
		{Key: "k1", Value: "n1", Timestamp: time.UnixMilli(1)},
		{Key: "k1", Value: "n2", Timestamp: time.UnixMilli(2)},
		{Key: "k1", Value: "y1", Timestamp: time.UnixMilli(3)},
		{Key: "k1", Value: "n3", Timestamp: time.UnixMilli(4)},
		{Key: "k1", ValueNull: true, Timestamp: time.UnixMilli(5)},
		{Key: "k2", ValueNull: true, Timestamp: time.UnixMilli(6)},
	} {
		require.NoError(t, in.PipeRecord(r))
	}
}

// readOldValuesOut reads topic as "key=value@ms" lines, <null> for a null.
func readOldValuesOut(t *testing.T, d *topologytest.Driver, topic string) []string {
	t.Helper()
	rs, err := d.Output(topic, serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	out := []string{}
	for _, r := range rs {
		v := r.Value
		if r.ValueNull {
			v = "<null>"
		}
		out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, v, r.Timestamp.UnixMilli()))
	}
	return out
}

var (
	oldValuesAll     = []string{"k1=<null>@1", "k1=<null>@2", "k1=y1@3", "k1=<null>@4", "k1=<null>@5", "k2=<null>@6"}
	oldValuesDropped = []string{"k1=y1@3", "k1=<null>@4"}
)

func TestOldValuesFilter(t *testing.T) {
	ss := serde.String()
	pipeOther := func(t *testing.T, d *topologytest.Driver) {
		o := d.Input("other", ss, ss)
		require.NoError(t, o.PipeAt("k1", "o1", time.UnixMilli(0)))
		require.NoError(t, o.PipeAt("k2", "o2", time.UnixMilli(0)))
	}
	joined := func(v, w string) string { return v + "|" + w }
	cases := []struct {
		name   string
		build  func(b *stream.Builder)
		before func(t *testing.T, d *topologytest.Driver)
		after  func(t *testing.T, d *topologytest.Driver)
		want   map[string][]string
	}{{
		// A filter of a table materialized with a name sends old values.
		name: "materialized source",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss, table.As("src")).Filter(yes).ToStream().To("out", nil, nil)
		},
		want: map[string][]string{"out": oldValuesDropped},
	}, {
		name: "unmaterialized source",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss).Filter(yes).ToStream().To("out", nil, nil)
		},
		want: map[string][]string{"out": oldValuesAll},
	}, {
		// A stream–table join materializes the table: a filter created
		// before it keeps forwarding, one created after drops.
		name: "construction order",
		build: func(b *stream.Builder) {
			tb := b.Table("in", ss, ss)
			tb.Filter(yes).ToStream().To("out1", nil, nil)
			b.Stream("s", ss, ss).JoinTable(tb, joined).To("sj", nil, nil)
			tb.Filter(yes).ToStream().To("out2", nil, nil)
		},
		want: map[string][]string{"out1": oldValuesAll, "out2": oldValuesDropped},
	}, {
		// An inner join asks for no old values: the filter forwards the
		// change with neither row, the join a deletion.
		name: "inner join",
		build: func(b *stream.Builder) {
			o := b.Table("other", ss, ss)
			b.Table("in", ss, ss).Filter(yes).Join(o, joined).ToStream().To("out", nil, nil)
		},
		before: pipeOther,
		want:   map[string][]string{"out": {"k1=<null>@1", "k1=<null>@2", "k1=y1|o1@3", "k1=<null>@4", "k1=<null>@5", "k2=<null>@6"}},
	}, {
		// A left join asks its left table for old values.
		name: "left join",
		build: func(b *stream.Builder) {
			o := b.Table("other", ss, ss)
			b.Table("in", ss, ss).Filter(yes).
				LeftJoin(o, func(v, w string, _ bool) string { return joined(v, w) }).ToStream().To("out", nil, nil)
		},
		before: pipeOther,
		want:   map[string][]string{"out": {"k1=y1|o1@3", "k1=<null>@4"}},
	}, {
		name: "groupBy count",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss).Filter(yes).
				GroupBy(func(_, v string) (string, string) { return "all", v }, ss, ss).
				Count().ToStream().MapValues(func(n int64) string { return fmt.Sprint(n) }).To("out", nil, nil)
		},
		want: map[string][]string{"out": {"all=1@3", "all=0@4"}},
	}, {
		// A filter of a versioned table never drops (versioned semantics).
		name: "versioned source",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss, table.As("v"), table.Versioned(5*time.Minute)).Filter(yes).ToStream().To("out", nil, nil)
		},
		want: map[string][]string{"out": oldValuesAll},
	}, {
		// A materialized filter of an unmaterialized table sends no old
		// values.
		name: "materialized filter",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss).Filter(yes).Materialize(table.As("f")).ToStream().To("out", nil, nil)
		},
		want: map[string][]string{"out": oldValuesAll},
	}, {
		// A filter of it asks it for old values, which it reads from its
		// store: both drop, the earlier ToStream too.
		name: "materialized filter then filter",
		build: func(b *stream.Builder) {
			f := b.Table("in", ss, ss).Filter(yes).Materialize(table.As("f"))
			f.ToStream().To("out1", nil, nil)
			f.Filter(func(string, string) bool { return true }).ToStream().To("out2", nil, nil)
		},
		want: map[string][]string{"out1": oldValuesDropped, "out2": oldValuesDropped},
	}, {
		// A TransformValues of a versioned table materialized in a
		// key-value store is not versioned: its filter drops.
		name: "versioned through key-value TransformValues",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss, table.As("v"), table.Versioned(5*time.Minute)).
				TransformValues(func() processor.ValueTransformer[string, string, string] { return identityTransformer{} }, table.As("tv")).
				Filter(yes).ToStream().To("out", nil, nil)
		},
		want: map[string][]string{"out": oldValuesDropped},
	}, {
		// An inner join asks for no old values: the transformer is called
		// once per update (not a second time for the old value).
		name: "transformValues inner join",
		build: func(b *stream.Builder) {
			o := b.Table("other", ss, ss)
			b.Table("in", ss, ss).TransformValues(func() processor.ValueTransformer[string, string, string] { return &oldValuesCounter{} }).
				Join(o, joined).ToStream().To("out", nil, nil)
		},
		before: pipeOther,
		want:   map[string][]string{"out": {"k1=n1#1|o1@1", "k1=n2#2|o1@2", "k1=y1#3|o1@3", "k1=n3#4|o1@4", "k1=<null>@5", "k2=<null>@6"}},
	}, {
		// Suppression asks for old values: the filter drops before the
		// buffer (k9 only moves stream time on).
		name: "suppress",
		build: func(b *stream.Builder) {
			b.Table("in", ss, ss).Filter(yes).SuppressUntilTimeLimit(10*time.Millisecond).ToStream().To("out", nil, nil)
		},
		after: func(t *testing.T, d *topologytest.Driver) {
			require.NoError(t, d.Input("in", ss, ss).PipeAt("k9", "y9", time.UnixMilli(100)))
		},
		want: map[string][]string{"out": {"k1=<null>@4"}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b)
			d := driver(t, b)
			if c.before != nil {
				c.before(t, d)
			}
			pipeOldValuesIn(t, d)
			if c.after != nil {
				c.after(t, d)
			}
			for topic, want := range c.want {
				require.Equal(t, want, readOldValuesOut(t, d, topic), topic)
			}
		})
	}
}

// oldValuesCounter numbers the values it transforms (OldValuesTest's
// Counter): every call counts, a deletion stays one.
type oldValuesCounter struct{ n int }

func (c *oldValuesCounter) Init(processor.ValueTransformerContext) error { return nil }

func (c *oldValuesCounter) Transform(_ string, v string, found bool) (string, bool, error) {
	c.n++
	if !found {
		return "", false, nil
	}
	return fmt.Sprintf("%s#%d", v, c.n), true, nil
}

func (c *oldValuesCounter) Close() error { return nil }

// TestOldValuesWindowedFilter: an aggregation always sends old values, so
// a Filter of a windowed or session count drops a change neither of whose
// rows passes (OldValuesTest.windowedFilter, sessionFilter).
func TestOldValuesWindowedFilter(t *testing.T) {
	ss := serde.String()
	less2 := func(_ window.Windowed[string], c int64) bool { return c < 2 }
	for _, c := range []struct {
		name  string
		build func(g stream.Grouped[string, string])
		ks    serde.Serde[window.Windowed[string]]
		want  []string
	}{{
		name: "time windows",
		build: func(g stream.Grouped[string, string]) {
			g.WindowedBy(window.Tumbling(100*time.Millisecond)).Count().Filter(less2).ToStream().
				To("out", serde.TimeWindowed(ss, 100*time.Millisecond), serde.Int64())
		},
		ks:   serde.TimeWindowed(ss, 100*time.Millisecond),
		want: []string{"k1@0-100=1@1", "k1@0-100=<null>@2", "k2@0-100=1@4"},
	}, {
		name: "session windows",
		build: func(g stream.Grouped[string, string]) {
			g.SessionWindowedBy(window.Session(10*time.Millisecond)).Count().Filter(less2).ToStream().
				To("out", serde.SessionWindowed(ss), serde.Int64())
		},
		ks:   serde.SessionWindowed(ss),
		want: []string{"k1@1-1=1@1", "k1@1-1=<null>@1", "k2@4-4=1@4"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b.Stream("w", ss, ss).GroupByKey())
			d := driver(t, b)
			w := d.Input("w", ss, ss)
			for i, kv := range [][2]string{{"k1", "a"}, {"k1", "b"}, {"k1", "c"}, {"k2", "d"}} {
				require.NoError(t, w.PipeAt(kv[0], kv[1], time.UnixMilli(int64(i+1))))
			}
			rs, err := d.Output("out", c.ks, serde.Int64()).ReadRecords()
			require.NoError(t, err)
			got := []string{}
			for _, r := range rs {
				v := fmt.Sprint(r.Value)
				if r.ValueNull {
					v = "<null>"
				}
				got = append(got, fmt.Sprintf("%s@%d-%d=%s@%d", r.Key.Key, r.Key.Window.Start().UnixMilli(),
					r.Key.Window.End().UnixMilli(), v, r.Timestamp.UnixMilli()))
			}
			require.Equal(t, c.want, got)
		})
	}
}

// identityTransformer returns its input.
type identityTransformer struct{}

func (identityTransformer) Init(processor.ValueTransformerContext) error { return nil }

func (identityTransformer) Transform(_ string, v string, found bool) (string, bool, error) {
	return v, found, nil
}

func (identityTransformer) Close() error { return nil }

// TestOldValuesForeignKeyJoinResult: a foreign-key join's result is a
// source table in Kafka Streams, materialized only when named (Materialize
// here): its Filter drops only then (OldValuesTest.foreignKeyJoinResult).
func TestOldValuesForeignKeyJoinResult(t *testing.T) {
	ss := serde.String()
	for _, c := range []struct {
		name        string
		materialize bool
		want        []string
	}{
		{"unmaterialized", false, []string{"o1=<null>@2", "o1=y1@3", "o1=<null>@4", "o1=<null>@5"}},
		{"materialized", true, []string{"o1=y1@3", "o1=<null>@4"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			orders, products := b.Table("orders", ss, ss), b.Table("products", ss, ss)
			fk := orders.JoinForeignKey(products, func(v string) (string, bool) { return v, true }, func(_, p string) string { return p })
			if c.materialize {
				fk = fk.Materialize(table.As("fk"))
			}
			fk.Filter(yes).ToStream().To("out", nil, nil)
			d := driver(t, b)
			o, p := d.Input("orders", ss, ss), d.Input("products", ss, ss)
			require.NoError(t, p.PipeAt("p1", "n1", time.UnixMilli(1)))
			require.NoError(t, o.PipeAt("o1", "p1", time.UnixMilli(2)))
			require.NoError(t, p.PipeAt("p1", "y1", time.UnixMilli(3)))
			require.NoError(t, p.PipeAt("p1", "n2", time.UnixMilli(4)))
			require.NoError(t, p.PipeAt("p1", "n3", time.UnixMilli(5)))
			require.Equal(t, c.want, readOldValuesOut(t, d, "out"))
		})
	}
}
