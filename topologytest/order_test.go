// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

var _ = flag.Bool("update", false, "rewrite golden files in testdata/")

const viewWindow = 10 * time.Second

// pageViews counts views per page in tumbling windows of 10 s. The input
// is keyed by user, so counting by page repartitions: every upstream task
// writes to the page's partition, and the downstream task's stream time is
// the largest timestamp it has received from any of them.
func pageViews(grace time.Duration) *stream.Builder {
	w := window.Tumbling(viewWindow).Grace(grace)
	b := stream.NewBuilder()
	b.Stream("views", serde.String(), serde.String()).
		GroupBy(func(_, page string) string { return page }, serde.String(), stream.As("by-page")).
		WindowedBy(w).
		Count(table.As("page-views")).
		ToStream().
		To("page-view-counts", serde.TimeWindowed(serde.String(), w.Size()), serde.Int64())
	return b
}

// pipeViews pipes, for 8 users, a view of "home" at 1 s and 12 s and of
// "about" at 3 s, in time order.
func pipeViews(d *topologytest.Driver) error {
	in := d.Input("views", serde.String(), serde.String())
	for _, at := range []struct {
		ms   int64
		page string
	}{{1000, "home"}, {3000, "about"}, {12000, "home"}} {
		for u := range 8 {
			if err := in.PipeAt(fmt.Sprintf("user-%d", u), at.page, time.UnixMilli(at.ms+int64(u))); err != nil {
				return err
			}
		}
	}
	return nil
}

// viewScenario is a CheckOrder scenario: the final window counts and the
// number of records dropped as late.
func viewScenario(t *testing.T, grace time.Duration) func(topologytest.Option) (string, error) {
	topo, err := pageViews(grace).Build()
	require.NoError(t, err)
	return func(mode topologytest.Option) (string, error) {
		d, err := topologytest.New(topo, topologytest.DefaultPartitions(4), mode)
		if err != nil {
			return "", err
		}
		defer d.Close()
		if err := pipeViews(d); err != nil {
			return "", err
		}
		if err := d.Run(); err != nil {
			return "", err
		}
		counts, err := topologytest.ReadToMap(d.Output("page-view-counts", serde.TimeWindowed(serde.String(), viewWindow), serde.Int64()))
		if err != nil {
			return "", err
		}
		return topologytest.FormatTable(counts) + fmt.Sprintf("dropped as late: %d\n", d.Dropped()["late"]), nil
	}
}

// With zero grace, the window count depends on arrival order: in pipe order
// every view counts, but when one upstream task's 12 s view reaches the
// counting task before another's 1 s view, the latter is late and dropped.
// CheckOrder finds such a seed, and the seed replays the same run.
func TestCheckOrderFindsOrderSensitiveWindow(t *testing.T) {
	scenario := viewScenario(t, 0)
	pipe, err := scenario(topologytest.PipeOrder())
	require.NoError(t, err)
	assert.Contains(t, pipe, "home@[1970-01-01T00:00:00Z,1970-01-01T00:00:10Z) = 8\n")
	assert.Contains(t, pipe, "dropped as late: 0\n", "in pipe order nothing is late")

	err = topologytest.CheckOrder(50, scenario)
	var oe *topologytest.OrderError
	require.ErrorAs(t, err, &oe, "some interleaving drops a view as late")
	assert.Positive(t, oe.Seed)
	assert.Equal(t, pipe, oe.Want)
	assert.NotContains(t, oe.Got, "dropped as late: 0\n")
	assert.Contains(t, err.Error(), fmt.Sprintf("Shuffle(%d)", oe.Seed))
	assert.Contains(t, err.Error(), "- home@[1970-01-01T00:00:00Z,1970-01-01T00:00:10Z) = 8\n", "the diff shows the window that lost views")

	again, err := scenario(topologytest.Shuffle(oe.Seed))
	require.NoError(t, err)
	assert.Equal(t, oe.Got, again, "a seed replays its interleaving")
	for seed := int64(1); seed < oe.Seed; seed++ {
		got, err := scenario(topologytest.Shuffle(seed))
		require.NoError(t, err)
		assert.Equal(t, pipe, got, "seed %d is before the first differing seed", seed)
	}
}

// A grace period covering the spread between upstream tasks is the fix:
// no interleaving drops a view.
func TestCheckOrderGraceFixesWindow(t *testing.T) {
	require.NoError(t, topologytest.CheckOrder(50, viewScenario(t, time.Minute)))
}

func wordCountTopology(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String(), stream.As("words")).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

var wordLines = []string{
	"the quick brown fox", "jumps over the lazy dog", "the dog barks",
	"a fox runs", "quick quick slow", "over and over", "the end",
}

// Word count does not depend on arrival order: every interleaving gives
// the same final counts (although the repartition topic's records arrive in
// different orders, checked so that the shuffle is known to shuffle).
func TestCheckOrderWordCountIsOrderIndependent(t *testing.T) {
	topo := wordCountTopology(t)
	repartitionOrders := map[string]bool{}
	err := topologytest.CheckOrder(30, func(mode topologytest.Option) (string, error) {
		d, err := topologytest.New(topo, topologytest.DefaultPartitions(3), mode)
		if err != nil {
			return "", err
		}
		defer d.Close()
		in := d.Input("lines", serde.String(), serde.String())
		for i, l := range wordLines {
			if err := in.PipeAt(fmt.Sprint("line-", i), l, time.UnixMilli(int64(i))); err != nil {
				return "", err
			}
		}
		if err := d.Run(); err != nil {
			return "", err
		}
		var order strings.Builder
		for _, r := range d.ReadRaw("test-app-words-repartition") {
			fmt.Fprintf(&order, "%d:%s ", r.Partition, r.Key)
		}
		repartitionOrders[order.String()] = true
		counts, err := topologytest.ReadToMap(d.Output("counts-out", serde.String(), serde.Int64()))
		return topologytest.FormatTable(counts), err
	})
	require.NoError(t, err)
	assert.Greater(t, len(repartitionOrders), 5, "the seeds deliver the repartition topic in different orders")
}

// Same-seed runs are identical, different seeds interleave differently.
func TestShuffleIsDeterministic(t *testing.T) {
	topo := wordCountTopology(t)
	run := func(seed int64) []topologytest.RawRecord {
		d, err := topologytest.New(topo, topologytest.DefaultPartitions(2), topologytest.Shuffle(seed))
		require.NoError(t, err)
		defer d.Close()
		in := d.Input("lines", serde.String(), serde.String())
		for _, l := range wordLines {
			require.NoError(t, in.PipeValue(l))
		}
		require.NoError(t, d.Run())
		return d.ReadRaw("counts-out")
	}
	assert.Equal(t, run(7), run(7))
	assert.NotEqual(t, run(7), run(8))
}

// mergeTopology writes both of its inputs, merged, to "merged": one task
// reads two topics.
func mergeTopology(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	a := b.Stream("a", serde.String(), serde.String())
	a.Merge(b.Stream("b", serde.String(), serde.String())).To("merged", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// In batch mode a task reads its partitions as the runtime does, the
// lowest timestamp first, not in pipe order; nothing runs before Run.
func TestBatchProcessesLowestTimestampFirst(t *testing.T) {
	topo := mergeTopology(t)
	for _, tc := range []struct {
		name string
		mode topologytest.Option
		file string
	}{
		{"pipe order", topologytest.PipeOrder(), "merge-pipe-order.golden"},
		{"batch", topologytest.Batch(), "merge-batch.golden"},
		{"shuffle", topologytest.Shuffle(3), "merge-batch.golden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := topologytest.New(topo, tc.mode)
			require.NoError(t, err)
			defer d.Close()
			a, b := d.Input("a", serde.String(), serde.String()), d.Input("b", serde.String(), serde.String())
			require.NoError(t, a.PipeAt("a1", "x", ms(3000)))
			require.NoError(t, a.PipeAt("a2", "x", ms(5000)))
			require.NoError(t, b.PipeAt("b1", "y", ms(1000)))
			require.NoError(t, b.PipeAt("b2", "y", ms(4000)))
			out := d.Output("merged", serde.String(), serde.String())
			if tc.name != "pipe order" {
				assert.True(t, out.IsEmpty(), "batch mode processes nothing before Run")
			}
			require.NoError(t, d.Run())
			topologytest.AssertGolden(t, out, tc.file)
		})
	}
}

// An error while running drops what was buffered, and a closed driver
// refuses to run.
func TestRunErrors(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.Int64()).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := topologytest.New(topo, topologytest.Batch())
	require.NoError(t, err)
	require.NoError(t, d.PipeRaw("in", []byte("k"), []byte("not eight bytes"), ms(1)))
	require.NoError(t, d.PipeRaw("in", []byte("k"), []byte{0, 0, 0, 0, 0, 0, 0, 7}, ms(2)))
	err = d.Run()
	require.Error(t, err, "the undecodable value fails the run")
	assert.Contains(t, err.Error(), `"in"`)
	require.NoError(t, d.Run(), "the failed run's records were dropped")
	assert.Empty(t, d.ReadRaw("out"))
	require.NoError(t, d.Close())
	assert.ErrorContains(t, d.Run(), "driver is closed")
}

// A task reading two topics processes records while the other topic's
// partition is empty (the driver never waits for it), counted as enforced
// processing.
func TestBatchEnforcedProcessing(t *testing.T) {
	d, err := topologytest.New(mergeTopology(t), topologytest.Batch())
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("a", serde.String(), serde.String()).PipeAt("k", "v", ms(1)))
	require.NoError(t, d.Input("a", serde.String(), serde.String()).PipeAt("k", "v", ms(2)))
	require.NoError(t, d.Run())
	assert.Equal(t, int64(2), d.EnforcedProcessing())
	assert.Len(t, d.ReadRaw("merged"), 2)
}

var errSentinel = errors.New("scenario failed")

func TestCheckOrderReportsScenarioErrors(t *testing.T) {
	calls := 0
	err := topologytest.CheckOrder(5, func(topologytest.Option) (string, error) {
		calls++
		if calls == 3 {
			return "", errSentinel
		}
		return "same", nil
	})
	require.ErrorIs(t, err, errSentinel)
	assert.Contains(t, err.Error(), "Shuffle(2)")
}
