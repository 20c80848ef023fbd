// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

type order struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Amount   int64  `json:"amount"`
}

func wordCount(b *stream.Builder) {
	b.Stream("text-lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("word-counts")).
		ToStream().
		To("word-counts-output", serde.String(), serde.Int64())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

func TestDescribeWordCount(t *testing.T) {
	b := stream.NewBuilder()
	wordCount(b)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 2, topo.Subtopologies())
	golden(t, "wordcount.describe", topo.Describe())
	golden(t, "wordcount.dot", topo.DOT())
	assert.Equal(t, []string{"word-counts"}, topo.StoreNames())
}

// Adding operators elsewhere in the topology must not rename existing
// processors, stores or repartition topics (Kafka Streams' counter-based
// names shift, which silently orphans state).
func TestGeneratedNamesStable(t *testing.T) {
	unnamed := func(b *stream.Builder) {
		b.Stream("orders", serde.String(), serde.JSON[order]()).
			Filter(func(_ string, o order) bool { return o.Amount > 0 }).
			SelectKey(func(_ string, o order) string { return o.Customer }).
			GroupByKey().
			Count().
			ToStream().
			To("order-counts", nil, nil)
	}
	b1 := stream.NewBuilder()
	unnamed(b1)
	t1, err := b1.Build()
	require.NoError(t, err)

	b2 := stream.NewBuilder()
	// An unrelated pipeline added before, and a sibling branch added on a
	// shared source, must leave the original names alone.
	b2.Stream("clicks", serde.String(), serde.String()).
		Filter(func(string, string) bool { return true }).
		GroupByKey().Count().ToStream().To("click-counts", nil, nil)
	unnamed(b2)
	t2, err := b2.Build()
	require.NoError(t, err)

	for _, line := range strings.Split(t1.Describe(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Sub-topology") {
			continue // sub-topology numbers follow source order
		}
		assert.Contains(t, t2.Describe(), line)
	}
	assert.Subset(t, t2.StoreNames(), t1.StoreNames())
}

func TestRepartitionInsertion(t *testing.T) {
	cases := []struct {
		name  string
		build func(s stream.Stream[string, string]) stream.Grouped[string, string]
		subs  int
	}{
		{"GroupByKey after MapValues keeps partitioning", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.MapValues(strings.ToUpper).Filter(func(string, string) bool { return true }).GroupByKey()
		}, 1},
		{"GroupByKey after Map repartitions", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.Map(func(k, v string) (string, string) { return v, k }).MapValues(strings.ToUpper).GroupByKey()
		}, 2},
		{"GroupByKey after SelectKey repartitions", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.SelectKey(func(k, _ string) string { return k }).GroupByKey()
		}, 2},
		{"GroupByKey after FlatMap repartitions", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.FlatMap(func(k, v string) []record.KeyValue[string, string] {
				return []record.KeyValue[string, string]{record.KV(v, k)}
			}).GroupByKey()
		}, 2},
		{"GroupBy always repartitions", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.GroupBy(func(k, _ string) string { return k }, nil)
		}, 2},
		{"Repartition resets the mark", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.SelectKey(func(k, _ string) string { return k }).Repartition(stream.As("rekeyed")).GroupByKey()
		}, 2},
		{"Merge of a re-keyed stream repartitions", func(s stream.Stream[string, string]) stream.Grouped[string, string] {
			return s.Merge(s.SelectKey(func(k, _ string) string { return k + "!" })).GroupByKey()
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b.Stream("in", serde.String(), serde.String())).Count(table.As("counts"))
			topo, err := b.Build()
			require.NoError(t, err)
			assert.Equal(t, c.subs, topo.Subtopologies(), topo.Describe())
			if c.subs == 2 && !strings.Contains(c.name, "Repartition") {
				assert.Contains(t, topo.Describe(), "(topic: counts-repartition)")
			}
		})
	}
}

func TestGroupedAndStoreNaming(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupBy(func(_, v string) string { return v }, serde.String(), stream.As("by-value")).
		Count(table.As("value-counts"))
	topo, err := b.Build()
	require.NoError(t, err)
	d := topo.Describe()
	assert.Contains(t, d, "Sink: by-value-repartition-sink (topic: by-value-repartition)")
	assert.Contains(t, d, "Source: by-value-repartition-source (topics: [by-value-repartition])")
	assert.Contains(t, d, "(stores: [value-counts])")
}

func TestBuildErrors(t *testing.T) {
	type custom struct{ N int }
	cases := []struct {
		name  string
		build func(b *stream.Builder)
		want  []string
	}{
		{"missing value serde for repartition", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).
				MapValues(func(v string) custom { return custom{len(v)} }).
				GroupBy(func(k string, _ custom) string { return k }, nil).
				Count()
		}, []string{"no value serde for type stream_test.custom", "WithValueSerde", "repartition"}},
		{"missing aggregate serde", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).GroupByKey().
				Aggregate(func() custom { return custom{} }, func(_, _ string, c custom) custom { return c }, nil)
		}, []string{"KSTREAM-AGGREGATE-", "no aggregate serde for type stream_test.custom"}},
		{"duplicate store name", func(b *stream.Builder) {
			s := b.Stream("in", serde.String(), serde.String())
			s.GroupByKey().Count(table.As("counts"))
			s.Filter(func(string, string) bool { return true }).GroupByKey().Count(table.As("counts"))
		}, []string{`duplicate store name "counts"`}},
		{"duplicate processor name", func(b *stream.Builder) {
			s := b.Stream("in", serde.String(), serde.String())
			s.Filter(func(string, string) bool { return true }, stream.As("f"))
			s.MapValues(strings.ToUpper, stream.As("f"))
		}, []string{`duplicate processor name "f"`}},
		{"topic read twice", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String())
			b.Stream("in", serde.String(), serde.String())
		}, []string{`topic "in" is read by two sources`}},
		{"retention shorter than window", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).GroupByKey().
				WindowedBy(window.Tumbling(time.Minute).Grace(time.Minute)).
				Count(table.WithRetention(time.Minute))
		}, []string{"retention 1m0s is shorter than window size + grace (2m0s)"}},
		{"invalid hopping window", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).GroupByKey().
				WindowedBy(window.Hopping(time.Minute, 2*time.Minute)).Count()
		}, []string{"window advance must be in (0, size=1m0s]"}},
		{"bad store name", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).GroupByKey().Count(table.As("my counts"))
		}, []string{`store "my counts"`, "not allowed in Kafka topic names"}},
		{"WithTimestamps not on a source", func(b *stream.Builder) {
			b.Stream("in", serde.String(), serde.String()).MapValues(strings.ToUpper).
				WithTimestamps(func(string, string, time.Time) time.Time { return time.UnixMilli(0) })
		}, []string{"WithTimestamps: only a stream returned by Builder.Stream"}},
		{"empty builder", func(*stream.Builder) {}, []string{"topology has no nodes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := stream.NewBuilder()
			c.build(b)
			topo, err := b.Build()
			require.Error(t, err)
			assert.Nil(t, topo)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSplitBranchNames(t *testing.T) {
	b := stream.NewBuilder()
	branches := b.Stream("in", serde.String(), serde.Int64()).
		Split(stream.As("size-")).
		Branch("small", func(_ string, v int64) bool { return v < 10 }).
		Branch("medium", func(_ string, v int64) bool { return v < 100 }).
		DefaultBranch("large")
	require.Len(t, branches, 3)
	for name, s := range branches {
		s.To("out-"+name, nil, nil)
	}
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Contains(t, topo.Describe(), "Processor: size-small")
	assert.Contains(t, topo.Describe(), "--> size-small, size-medium, size-large")
}
