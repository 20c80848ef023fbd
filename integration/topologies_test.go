// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/eddy-streams/eddy/internal/fixture"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// The example topologies of examples/wordcount and examples/pageviews,
// declared again with a prefix on their user topics (examples are package
// main and cannot be imported). Names of stores and repartition topics are
// the examples' and the Java reference's. TestTopologyCopiesMatchJavaFixtures
// replays the Java reference fixtures on these copies, as the examples' own
// tests do on the originals, so a copy that drifts fails without a broker.

const (
	textLines        = "text-lines"
	wordCountsOutput = "word-counts-output"
	wordCountsStore  = "word-counts"

	pageViews         = "page-views"
	pageViewCounts    = "page-view-counts"
	pageViewsStore    = "pageviews-per-minute"
	pageViewWindowMs  = int64(60_000)
	pageViewGraceMs   = int64(10_000)
	javaReferenceJar  = "../java/target/eddy-reference.jar"
	javaReferenceRoot = "../java"
)

// words is examples/wordcount.Words: lower case, split on ASCII whitespace
// as Java's line.toLowerCase(Locale.ROOT).split("\\s+").
func words(line string) []string {
	return strings.FieldsFunc(lowerRoot(line), func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

func wordCountTopology(t testing.TB, prefix string) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	b.Stream(prefix+textLines, serde.String(), serde.String()).
		FlatMapValues(words).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.As(wordCountsStore)).
		ToStream().
		To(prefix+wordCountsOutput, serde.String(), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

var pageViewWindows = window.Tumbling(time.Duration(pageViewWindowMs) * time.Millisecond).
	Grace(time.Duration(pageViewGraceMs) * time.Millisecond)

// pageView is examples/pageviews.PageView.
type pageView struct {
	Page *string `json:"page"`
	User string  `json:"user,omitempty"`
	TS   *int64  `json:"ts"`
}

func pageViewTime(_ string, v pageView, _ time.Time) time.Time {
	if v.TS == nil || v.Page == nil {
		return time.Time{} // dropped
	}
	return time.UnixMilli(*v.TS)
}

func pageViewsTopology(t testing.TB, prefix string) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	b.Stream(prefix+pageViews, serde.String(), serde.JSON[pageView]()).
		WithTimestamps(pageViewTime).
		GroupBy(func(_ string, v pageView) string { return *v.Page }, serde.String(), stream.As(pageViewsStore)).
		WindowedBy(pageViewWindows).
		Count(table.As(pageViewsStore)).
		ToStream().
		To(prefix+pageViewCounts, serde.TimeWindowed(serde.String(), pageViewWindows.Size()), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// spendTopology sums "customer:amount" purchases per customer through an
// explicit repartition topic with its own partition count.
func spendTopology(t testing.TB, in, out string, repartitions int32) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	b.Stream(in, serde.String(), serde.String()).
		Map(func(_, v string) (string, int64) {
			customer, amount, _ := strings.Cut(v, ":")
			n, _ := strconv.ParseInt(amount, 10, 64)
			return customer, n
		}).
		Repartition(stream.As("by-customer"), stream.Partitions(repartitions)).
		GroupByKey().
		Aggregate(func() int64 { return 0 }, func(_ string, v, sum int64) int64 { return sum + v }, serde.Int64(), table.As("spend")).
		ToStream().
		To(out, serde.String(), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// Runs without a broker: the copies above behave as the Java reference.
func TestTopologyCopiesMatchJavaFixtures(t *testing.T) {
	for name, build := range map[string]func(testing.TB, string) *stream.Topology{
		"wordcount": wordCountTopology, "pageviews": pageViewsTopology,
		// conformance_order_test.go's; inputs in Kafka Streams' processing order
		"join-stream-table":        orderTopology(addStreamTableJoins),
		"join-stream-stream":       orderTopology(addStreamStreamJoins(0)),
		"join-stream-stream-grace": orderTopology(addStreamStreamJoins(ssGrace)),
		"join-table-table":         orderTopology(addTableTableJoins),
		"merge":                    orderTopology(addMerge),
	} {
		t.Run(name, func(t *testing.T) {
			f, err := fixture.Load(javaReferenceRoot + "/src/test/resources/fixtures/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			d, err := topologytest.New(build(t, ""), topologytest.SkipBadRecords())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			fixture.Replay(t, d, f)
		})
	}
}

// lowerRoot is examples/wordcount's Java-compatible lower case (that
// package is a main package, so it is repeated here; the conformance test
// against Java keeps both honest).
func lowerRoot(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
