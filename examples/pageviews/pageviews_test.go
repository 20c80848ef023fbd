// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eddy-streams/eddy/examples/internal/demo"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

func newDriver(t *testing.T, opts ...topologytest.Option) *topologytest.Driver {
	t.Helper()
	topo, err := Topology()
	require.NoError(t, err)
	d, err := topologytest.New(topo, append([]topologytest.Option{topologytest.SkipBadRecords()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

type update struct {
	page  string
	start int64
	count int64
}

func TestPageViewsWindows(t *testing.T) {
	d := newDriver(t, topologytest.DefaultPartitions(3))
	in := d.Input(InputTopic, serde.String(), serde.String())
	view := func(user, page string, ts int64) {
		t.Helper()
		require.NoError(t, in.Pipe(user, fmt.Sprintf(`{"page":%q,"user":%q,"ts":%d}`, page, user, ts)))
	}
	view("u1", "/home", 0)      // [0,60s)
	view("u2", "/home", 59_999) // last ms of [0,60s)
	view("u3", "/home", 60_000) // first ms of [60s,120s)
	view("u1", "/cart", 65_000)
	view("u2", "/home", 30_000)                                       // out of order; stream time 65s < 60s+10s grace: counted
	view("u4", "/home", 70_000)                                       // stream time 70s closes [0,60s)
	view("u5", "/home", 59_000)                                       // late: dropped
	require.NoError(t, in.Pipe("u6", `{"page":"/home","user":"u6"}`)) // no ts: dropped
	require.NoError(t, in.Pipe("u7", `{"ts":1,"user":"u7"}`))         // no page: dropped
	require.NoError(t, in.Pipe("u8", `not json`))                     // undecodable: skipped

	rs, err := d.Output(OutputTopic, serde.TimeWindowed(serde.String(), 60_000*time.Millisecond), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	var got []update
	for _, r := range rs {
		got = append(got, update{r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Value})
	}
	assert.Equal(t, []update{
		{"/home", 0, 1}, {"/home", 0, 2}, {"/home", 60_000, 1}, {"/cart", 60_000, 1},
		{"/home", 0, 3}, {"/home", 60_000, 2},
	}, got)
	assert.Equal(t, map[string]int64{record.DropLate: 1, record.DropTimestamp: 2, record.DropDeserialization: 1}, d.Dropped())

	ws, err := d.WindowStore(Store, serde.String(), serde.Int64())
	require.NoError(t, err)
	n, ok, err := ws.Fetch("/home", time.UnixMilli(0))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(3), n)
}

func TestMainOnEmbeddedBroker(t *testing.T) {
	require.NoError(t, run(demo.Flags{Partitions: 2, StateDir: t.TempDir()}))
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

// Views from several users (so several input partitions) reach the page's
// task through the repartition topic in an order production does not fix.
// The example's 10 s grace does not cover two minutes of views arriving
// from upstream tasks at different paces: a task that sees one partition's
// later views first closes [0,60s) and drops the others' as late. CheckOrder
// finds such an interleaving; in pipe order every view counts.
func TestPageViewsDependOnArrivalOrder(t *testing.T) {
	topo, err := Topology()
	require.NoError(t, err)
	err = topologytest.CheckOrder(20, func(mode topologytest.Option) (string, error) {
		d, err := topologytest.New(topo, mode, topologytest.DefaultPartitions(4))
		if err != nil {
			return "", err
		}
		defer d.Close()
		in := d.Input(InputTopic, serde.String(), serde.String())
		for i := range 40 {
			user := fmt.Sprintf("u%d", i%7)
			ts := int64(i) * 3_000 // 0 … 117 s, two 60 s windows
			if err := in.Pipe(user, fmt.Sprintf(`{"page":"/p%d","user":%q,"ts":%d}`, i%3, user, ts)); err != nil {
				return "", err
			}
		}
		if err := d.Run(); err != nil {
			return "", err
		}
		rs, err := d.Output(OutputTopic, serde.TimeWindowed(serde.String(), 60_000*time.Millisecond), serde.Int64()).ReadRecords()
		final := map[string]int64{}
		for _, r := range rs {
			final[fmt.Sprintf("%s@%d", r.Key.Key, r.Key.Window.Start().UnixMilli())] = r.Value
		}
		return topologytest.FormatTable(final), err
	})
	var oe *topologytest.OrderError
	require.ErrorAs(t, err, &oe, "some interleaving drops views as late")
	assert.Positive(t, oe.Seed)
	assert.Contains(t, oe.Want, `"/p0@0" = 7`, "pipe order counts every view of the first window")
	assert.NotContains(t, oe.Got, `"/p0@0" = 7`)
}
