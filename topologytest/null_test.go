// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
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

// Null values in the typed API (see package stream's doc): a value type
// with nil (here *string) gets nil for a null value and a non-nil pointer
// for an empty one, and a nil it returns is written as a tombstone; a type
// without nil (string) cannot tell them apart, but a null stays null.

func ptr(s string) *string { return &s }

var ps = serde.JSON[*string]()

// show renders a nullable value for assertions.
func showPtr(v *string) string {
	if v == nil {
		return "<nil>"
	}
	return "'" + *v + "'"
}

// outs reads out's records as key=value, "null" for a tombstone (nil value
// bytes).
func outs(t *testing.T, d *topologytest.Driver, topic string) []string {
	t.Helper()
	rs, err := d.Output(topic, serde.String(), ps).ReadRecords()
	require.NoError(t, err)
	out := []string{}
	for _, r := range rs {
		v := showPtr(r.Value)
		if r.ValueNull {
			v = "null"
		}
		out = append(out, r.Key+"="+v)
	}
	return out
}

// Filter's predicate sees nil for a null value and a pointer to "" for an
// empty one, as Kafka Streams' predicate sees null and "".
func TestNullFilterPointerValues(t *testing.T) {
	var seen []string
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), ps).
		Filter(func(_ string, v *string) bool { seen = append(seen, showPtr(v)); return v != nil }).
		To("out", nil, ps)
	d := driver(t, b)
	in := d.Input("in", serde.String(), ps)
	require.NoError(t, in.PipeTombstone("a"))
	require.NoError(t, in.Pipe("b", ptr("")))
	require.NoError(t, in.Pipe("c", ptr("x")))
	require.NoError(t, in.Pipe("d", nil)) // nil: piped as a tombstone
	assert.Equal(t, []string{"<nil>", "''", "'x'", "<nil>"}, seen)
	assert.Equal(t, []string{"b=''", "c='x'"}, outs(t, d, "out"))
}

// A value type without nil cannot represent null: the predicate sees the
// zero value for both, but a null record passing the filter stays a
// tombstone.
func TestNullFilterNonPointerValues(t *testing.T) {
	var seen []string
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Filter(func(_ string, v string) bool { seen = append(seen, "'"+v+"'"); return true }).
		To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeTombstone("a"))
	require.NoError(t, in.Pipe("b", ""))
	assert.Equal(t, []string{"''", "''"}, seen)
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.True(t, rs[0].ValueNull, "the tombstone is forwarded as a tombstone")
	assert.False(t, rs[1].ValueNull, "the empty string is a value")
}

// A nil returned by a mapper is a null: written as a tombstone, dropped by
// aggregations (counted as null-value), deleting a key of ToTable's table.
func TestNullFromMappers(t *testing.T) {
	b := stream.NewBuilder()
	mapped := b.Stream("in", serde.String(), serde.String()).
		MapValues(func(v string) *string {
			if v == "drop" {
				return nil
			}
			return ptr(v)
		}).WithValueSerde(ps)
	mapped.To("out", nil, ps)
	mapped.GroupByKey().Count(table.As("counts"))
	mapped.ToTable(table.As("latest"))
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.Pipe("a", "x"))
	require.NoError(t, in.Pipe("a", ""))
	require.NoError(t, in.Pipe("a", "drop"))
	require.NoError(t, in.Pipe("b", "y"))

	assert.Equal(t, []string{"a='x'", "a=''", "a=null", "b='y'"}, outs(t, d, "out"))
	counts, err := d.KeyValueStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	n, ok, err := counts.Get("a")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, int64(2), n, "the null value is not counted")
	assert.Equal(t, int64(1), d.Dropped()[record.DropNullValue])

	latest, err := d.KeyValueStore("latest", serde.String(), ps)
	require.NoError(t, err)
	_, ok, err = latest.Get("a")
	require.NoError(t, err)
	assert.False(t, ok, "the null value deleted the key")
	v, ok, err := latest.Get("b")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "y", *v)
}

// Table.MapValues returning nil deletes the row, as a null from Kafka
// Streams' mapper does: ToStream emits a tombstone.
func TestNullTableMapValues(t *testing.T) {
	b := stream.NewBuilder()
	b.Table("in", serde.String(), serde.String(), table.As("in-store")).
		MapValues(func(v string) *string {
			if v == "" {
				return nil
			}
			return ptr(v)
		}).
		ToStream().
		To("out", nil, ps)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.Pipe("a", "x"))
	require.NoError(t, in.Pipe("a", ""))
	assert.Equal(t, []string{"a='x'", "a=null"}, outs(t, d, "out"))
}

// Joiners tell an absent partner (found false) from an empty one, and a
// nil they return is a null result. A stream record with a null value
// never joins (Kafka Streams drops it).
func TestNullJoiners(t *testing.T) {
	t.Run("stream-table", func(t *testing.T) {
		var seen []string
		b := stream.NewBuilder()
		rows := b.Table("rows", serde.String(), serde.String(), table.As("rows"))
		b.Stream("in", serde.String(), ps).
			LeftJoinTable(rows, func(v *string, row string, found bool) *string {
				seen = append(seen, showPtr(v)+"/'"+row+"'/"+map[bool]string{true: "found", false: "absent"}[found])
				if *v == "nil" {
					return nil
				}
				return ptr(*v + "+" + row)
			}).
			To("out", nil, ps)
		d := driver(t, b)
		require.NoError(t, d.Input("rows", serde.String(), serde.String()).Pipe("empty", ""))
		in := d.Input("in", serde.String(), ps)
		require.NoError(t, in.Pipe("empty", ptr("v")))
		require.NoError(t, in.Pipe("missing", ptr("")))
		require.NoError(t, in.PipeTombstone("empty"))
		require.NoError(t, in.Pipe("missing", ptr("nil")))
		assert.Equal(t, []string{"'v'/''/found", "''/''/absent", "'nil'/''/absent"}, seen)
		assert.Equal(t, []string{"empty='v+'", "missing='+'", "missing=null"}, outs(t, d, "out"))
		assert.Equal(t, int64(1), d.Dropped()[record.DropNullValue])
	})
	t.Run("stream-stream", func(t *testing.T) {
		b := stream.NewBuilder()
		right := b.Stream("right", serde.String(), ps)
		b.Stream("left", serde.String(), ps).
			LeftJoin(right, func(l, r *string, found bool) *string {
				switch {
				case !found:
					return ptr(*l + "+absent")
				case *r == "":
					return nil
				}
				return ptr(*l + "+" + *r)
			}, window.JoinWindow(10*time.Millisecond), stream.As("j")).
			To("out", nil, ps)
		d := driver(t, b)
		l, r := d.Input("left", serde.String(), ps), d.Input("right", serde.String(), ps)
		require.NoError(t, r.PipeAt("k", ptr(""), ms(0)))
		require.NoError(t, r.PipeAt("k", ptr("r"), ms(1)))
		require.NoError(t, r.PipeAt("k", nil, ms(1))) // null: dropped
		require.NoError(t, l.PipeAt("k", ptr("l"), ms(2)))
		require.NoError(t, l.PipeAt("lonely", ptr("l"), ms(3)))
		require.NoError(t, l.PipeAt("k", nil, ms(3))) // null: dropped
		require.NoError(t, r.PipeAt("other", ptr("x"), ms(100)))
		assert.Equal(t, []string{"k=null", "k='l+r'", "lonely='l+absent'"}, outs(t, d, "out"))
		assert.Equal(t, int64(2), d.Dropped()[record.DropNullValue])
	})
	t.Run("table-table", func(t *testing.T) {
		b := stream.NewBuilder()
		lt := b.Table("l", serde.String(), serde.String(), table.As("l"))
		rt := b.Table("r", serde.String(), serde.String(), table.As("r"))
		lt.LeftJoin(rt, func(l, r string, found bool) *string {
			if found && r == "" {
				return nil // no row
			}
			return ptr(l + "+" + r)
		}).ToStream().To("out", nil, ps)
		d := driver(t, b)
		li, ri := d.Input("l", serde.String(), serde.String()), d.Input("r", serde.String(), serde.String())
		require.NoError(t, li.Pipe("k", "l"))
		require.NoError(t, ri.Pipe("k", "r"))
		require.NoError(t, ri.Pipe("k", ""))
		require.NoError(t, ri.PipeTombstone("k"))
		assert.Equal(t, []string{"k='l+'", "k='l+r'", "k=null", "k='l+'"}, outs(t, d, "out"))
	})
}
