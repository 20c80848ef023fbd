// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// trec is a table-output record: key, value (or null) and timestamp.
type trec struct {
	key   string
	value string
	ts    int64
}

func readTable[V any](t *testing.T, d *topologytest.Driver, vs serde.Serde[V]) []trec {
	t.Helper()
	rs, err := d.Output("out", serde.String(), vs).ReadRecords()
	require.NoError(t, err)
	var out []trec
	for _, r := range rs {
		v := fmt.Sprint(r.Value)
		if r.ValueNull {
			v = "<null>"
		}
		out = append(out, trec{r.Key, v, r.Timestamp.UnixMilli()})
	}
	return out
}

func byRegion(user, region string) (string, string) { return region, user }

// Re-keying a table: an update that moves a row to another grouping key is
// subtracted from the old key and added to the new one, via two
// repartition records to the partitions of each key; an update within the
// same key is one record (subtract, then add); a deletion only subtracts.
func TestTableGroupByCountRekeys(t *testing.T) {
	const eu, asia = "eu", "asia"
	require.NotEqual(t, partition.ForKey([]byte(eu), 3), partition.ForKey([]byte(asia), 3), "the test needs the regions on different partitions")
	b := stream.NewBuilder()
	b.Table("users", serde.String(), serde.String()).
		GroupBy(byRegion, nil, nil).
		Count(table.As("per-region")).
		ToStream().
		To("out", nil, serde.Int64())
	d := driver(t, b, topologytest.DefaultPartitions(3))
	in := d.Input("users", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("alice", eu, ms(1)))
	require.NoError(t, in.PipeAt("bob", eu, ms(2)))
	require.NoError(t, in.PipeAt("alice", asia, ms(3)))
	require.NoError(t, in.PipeAt("bob", eu, ms(4)))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "alice", ValueNull: true, Timestamp: ms(5)}))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "carol", ValueNull: true, Timestamp: ms(6)}))
	assert.Equal(t, []trec{
		{eu, "1", 1},
		{eu, "2", 2},
		{eu, "1", 3}, {asia, "1", 3},
		{eu, "1", 4},
		{asia, "0", 5},
	}, readTable(t, d, serde.Int64()))

	type rep struct {
		key       string
		partition int32
		flag      byte
		value     string
	}
	var reps []rep
	for _, r := range d.ReadRaw("test-app-per-region-repartition") {
		flag := r.Value[len(r.Value)-1]
		v := string(r.Value[:len(r.Value)-1])
		if flag == 2 {
			v = v[4:]
		}
		reps = append(reps, rep{string(r.Key), r.Partition, flag, v})
	}
	pe, pa := partition.ForKey([]byte(eu), 3), partition.ForKey([]byte(asia), 3)
	assert.Equal(t, []rep{
		{eu, pe, 1, "alice"},
		{eu, pe, 1, "bob"},
		{eu, pe, 0, "alice"}, {asia, pa, 1, "alice"},
		{eu, pe, 2, "bobbob"},
		{asia, pa, 0, "alice"},
	}, reps)

	counts, err := d.KeyValueStore("per-region", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := counts.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: asia, Value: 0}, {Key: eu, Value: 1}}, all)
}

// Reduce: the first value of a key is its aggregate (no adder call); an
// update within a key calls the subtractor, then the adder; the subtractor
// only runs on keys that have an aggregate.
func TestTableGroupByReduceOrder(t *testing.T) {
	var calls []string
	b := stream.NewBuilder()
	b.Table("scores", serde.String(), serde.String()).
		GroupBy(func(player, v string) (string, int64) {
			team, points, _ := strings.Cut(v, ":")
			n, _ := strconv.ParseInt(points, 10, 64)
			return team, n
		}, nil, nil).
		Reduce(
			func(agg, v int64) int64 { calls = append(calls, fmt.Sprintf("add(%d,%d)", agg, v)); return agg + v },
			func(agg, v int64) int64 { calls = append(calls, fmt.Sprintf("sub(%d,%d)", agg, v)); return agg - v },
			table.As("team-points")).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(3))
	in := d.Input("scores", serde.String(), serde.String())
	step := func(key, value string, ts int64) []string {
		calls = nil
		if value == "" {
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: key, ValueNull: true, Timestamp: ms(ts)}))
		} else {
			require.NoError(t, in.PipeAt(key, value, ms(ts)))
		}
		return calls
	}
	assert.Empty(t, step("p1", "red:5", 10))
	assert.Equal(t, []string{"add(5,3)"}, step("p2", "red:3", 20))
	assert.Equal(t, []string{"sub(8,5)", "add(3,7)"}, step("p1", "red:7", 15))
	assert.Equal(t, []string{"sub(10,7)"}, step("p1", "blue:7", 30))
	assert.Equal(t, []string{"sub(3,3)"}, step("p2", "", 40))
	assert.Empty(t, step("p2", "", 50), "deleting an absent row changes nothing")
	assert.Equal(t, []trec{
		{"red", "5", 10},
		{"red", "8", 20},
		{"red", "10", 20}, // timestamp: max of the record's and the aggregate's
		{"red", "3", 30}, {"blue", "7", 30},
		{"red", "0", 40},
	}, readTable(t, d, serde.Int64()))
}

// Aggregate with a slice aggregate: a subtractor returning nil deletes the
// key (a tombstone downstream) and the next addition re-initializes it.
func TestTableGroupByAggregateDeletesOnNil(t *testing.T) {
	inits := 0
	b := stream.NewBuilder()
	b.Table("users", serde.String(), serde.String()).
		GroupBy(byRegion, nil, nil).
		Aggregate(
			func() []string { inits++; return []string{} },
			func(_ string, user string, agg []string) []string { return append(slices.Clone(agg), user) },
			func(_ string, user string, agg []string) []string {
				agg = slices.DeleteFunc(slices.Clone(agg), func(u string) bool { return u == user })
				if len(agg) == 0 {
					return nil
				}
				return agg
			},
			serde.JSON[[]string](), table.As("members")).
		ToStream().
		To("out", nil, serde.JSON[[]string]())
	d := driver(t, b, topologytest.DefaultPartitions(3))
	in := d.Input("users", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("alice", "eu", ms(1)))
	require.NoError(t, in.PipeAt("bob", "eu", ms(2)))
	require.NoError(t, in.PipeAt("alice", "us", ms(3)))
	require.NoError(t, in.PipeAt("bob", "us", ms(4)))
	members, err := d.KeyValueStore("members", serde.String(), serde.JSON[[]string]())
	require.NoError(t, err)
	_, ok, err := members.Get("eu")
	require.NoError(t, err)
	assert.False(t, ok, "eu was deleted when its last member left")
	require.NoError(t, in.PipeAt("carol", "eu", ms(5)))
	assert.Equal(t, []trec{
		{"eu", "[alice]", 1},
		{"eu", "[alice bob]", 2},
		{"eu", "[bob]", 3}, {"us", "[alice]", 3},
		{"eu", "<null>", 4}, {"us", "[alice bob]", 4},
		{"eu", "[carol]", 5},
	}, readTable(t, d, serde.JSON[[]string]()))
	assert.Equal(t, 3, inits, "eu, us, then eu again")
}

// The grouped table may come from Filter and MapValues: both forward old
// values, so a row filtered out is subtracted and a row coming back in is
// only added.
func TestTableGroupByAfterFilterAndMapValues(t *testing.T) {
	b := stream.NewBuilder()
	b.Table("users", serde.String(), serde.String()).
		Filter(func(_, region string) bool { return region != "banned" }).
		MapValues(strings.ToUpper).
		GroupBy(byRegion, nil, nil, stream.As("by-region")).
		Count().
		ToStream().
		To("out", nil, serde.Int64())
	d := driver(t, b, topologytest.DefaultPartitions(3))
	in := d.Input("users", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("alice", "eu", ms(1)))
	require.NoError(t, in.PipeAt("alice", "banned", ms(2)))
	require.NoError(t, in.PipeAt("alice", "us", ms(3)))
	assert.Equal(t, []trec{{"EU", "1", 1}, {"EU", "0", 2}, {"US", "1", 3}}, readTable(t, d, serde.Int64()))
	assert.Contains(t, d.ProducedTopics(), "test-app-by-region-repartition")
}

// Build reports missing serdes and functions of a table grouping.
func TestTableGroupByValidation(t *testing.T) {
	type point struct{ X int }
	b := stream.NewBuilder()
	b.Table("t", serde.String(), serde.String()).
		GroupBy(func(k, v string) (point, string) { return point{}, v }, nil, nil).
		Count()
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no key serde for type topologytest_test.point")

	b = stream.NewBuilder()
	b.Table("t", serde.String(), serde.String()).
		GroupBy(byRegion, nil, nil).
		Reduce(func(a, v string) string { return a + v }, nil)
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "REDUCE: nil subtractor")
}
