// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eddy-streams/eddy/examples/internal/demo"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

// -update rewrites the golden files under testdata/ (AssertGolden).
var _ = flag.Bool("update", false, "rewrite golden files")

func newDriver(t *testing.T, opts ...topologytest.Option) *topologytest.Driver {
	t.Helper()
	topo, err := Topology()
	require.NoError(t, err)
	d, err := topologytest.New(topo, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func TestWordCountUpdates(t *testing.T) {
	d := newDriver(t)
	in := d.Input(InputTopic, serde.String(), serde.String())
	require.NoError(t, in.PipeAt("", "Hello World hello", time.UnixMilli(1000)))
	require.NoError(t, in.PipeAt("", "\tworld\n", time.UnixMilli(500)))
	out := d.Output(OutputTopic, serde.String(), serde.Int64())
	rs, err := out.ReadRecords()
	require.NoError(t, err)
	type upd struct {
		word string
		n    int64
		ts   int64
	}
	var got []upd
	for _, r := range rs {
		got = append(got, upd{r.Key, r.Value, r.Timestamp.UnixMilli()})
	}
	// Every update is emitted; the count's timestamp is the largest
	// contributing timestamp (the 500 ms line does not move it back).
	assert.Equal(t, []upd{{"hello", 1, 1000}, {"world", 1, 1000}, {"hello", 2, 1000}, {"world", 2, 1000}}, got)

	store, err := d.KeyValueStore(Store, serde.String(), serde.Int64())
	require.NoError(t, err)
	n, ok, err := store.Get("world")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(2), n)
}

func TestWordCountPartitioned(t *testing.T) {
	d := newDriver(t, topologytest.DefaultPartitions(6))
	in := d.Input(InputTopic, serde.String(), serde.String())
	require.NoError(t, in.PipeValues(sample...))
	topologytest.AssertTable(t, d.Output(OutputTopic, serde.String(), serde.Int64()), map[string]int64{
		"the": 3, "quick": 2, "brown": 2, "fox": 1, "fox,": 1, "jumps": 1, "over": 1, "lazy": 1,
		"dog": 3, "barks": 1, "a": 3, "and": 1, "cat": 1,
	})
}

// The counts do not depend on the order in which the repartitioned words
// reach their tasks: under 20 interleavings the final table is the one of
// pipe order.
func TestWordCountOrderInsensitive(t *testing.T) {
	topo, err := Topology()
	require.NoError(t, err)
	err = topologytest.CheckOrder(20, func(mode topologytest.Option) (string, error) {
		d, err := topologytest.New(topo, mode, topologytest.DefaultPartitions(4))
		if err != nil {
			return "", err
		}
		defer d.Close()
		if err := d.Input(InputTopic, serde.String(), serde.String()).PipeValues(sample...); err != nil {
			return "", err
		}
		if err := d.Run(); err != nil {
			return "", err
		}
		counts, err := topologytest.ReadToMap(d.Output(OutputTopic, serde.String(), serde.Int64()))
		return topologytest.FormatTable(counts), err
	})
	assert.NoError(t, err)
}

// The sample's updates, in the order a task emits them, as a golden file
// (testdata/wordcount-updates.golden; rewrite it with -update).
func TestWordCountGolden(t *testing.T) {
	d := newDriver(t)
	require.NoError(t, d.Input(InputTopic, serde.String(), serde.String()).PipeValues(sample...))
	topologytest.AssertGolden(t, d.Output(OutputTopic, serde.String(), serde.Int64()), "wordcount-updates.golden")
}

func TestWords(t *testing.T) {
	assert.Equal(t, []string{"a", "b\u00a0c", "d"}, Words(" A\tb\u00a0c\x0bD "), "only ASCII whitespace splits, as Java's \\s")
}

// The program itself: embedded broker, sample input, exact counts, under
// both guarantees.
func TestMainOnEmbeddedBroker(t *testing.T) {
	require.NoError(t, run(demo.Flags{Partitions: 3, StateDir: t.TempDir()}))
	require.NoError(t, run(demo.Flags{Partitions: 3, StateDir: t.TempDir(), ExactlyOnce: true}))
}

func TestWordsLowerCaseLikeJava(t *testing.T) {
	// Java: "İstanbul ΟΔΟΣ Σ".toLowerCase(Locale.ROOT)
	assert.Equal(t, []string{"i\u0307stanbul", "οδος", "σ"}, Words("İstanbul ΟΔΟΣ Σ"))
}

// With -brokers, twice on one broker: the second run finds the first's
// topics, input and output, and still checks exactly its own records.
func TestMainTwiceOnOneBroker(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer c.Close()
	f := demo.Flags{Brokers: strings.Join(c.ListenAddrs(), ","), Partitions: 2, Progress: io.Discard}
	for range 2 {
		f.StateDir = t.TempDir()
		require.NoError(t, run(f))
	}
}

// With -http the program serves its counts, status page and metrics; the
// run checks every count through GET /stores/word-counts/keys/{word}.
func TestMainServesHTTP(t *testing.T) {
	var progress strings.Builder
	require.NoError(t, run(demo.Flags{Partitions: 2, StateDir: t.TempDir(), HTTP: "127.0.0.1:0", Progress: &progress}))
	assert.Contains(t, progress.String(), "answered every count")
}
