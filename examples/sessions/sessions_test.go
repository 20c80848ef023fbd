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
	d, err := topologytest.New(topo, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// read returns topic's records as "user[start,end]=count@timestamp"
// (times as hh:mm, "null" for a merged-away session).
func read(t *testing.T, d *topologytest.Driver, topic string) []string {
	t.Helper()
	rs, err := d.Output(topic, serde.SessionWindowed(serde.String()), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	out := []string{}
	for _, r := range rs {
		v := fmt.Sprint(r.Value)
		if r.ValueNull {
			v = "null"
		}
		out = append(out, fmt.Sprintf("%s[%s,%s]=%s@%s", r.Key.Key, hhmm(r.Key.Window.Start()), hhmm(r.Key.Window.End()), v, hhmm(r.Timestamp)))
	}
	return out
}

func pipe(t *testing.T, d *topologytest.Driver, e event) {
	t.Helper()
	require.NoError(t, d.Input(ActivityTopic, serde.String(), serde.String()).PipeAt(e.user, e.action, base.Add(e.at)))
}

// The sample, step by step: sessions grow, merge (tombstones for the
// merged-away sessions), a bridging event joins two sessions, a late event
// is dropped, and each session is completed exactly once.
func TestSessionsSample(t *testing.T) {
	d := newDriver(t)
	steps := []struct {
		updates, completed []string
	}{
		{updates: []string{"u1[09:00,09:00]=1@09:00"}},
		{updates: []string{"u2[09:05,09:05]=1@09:05"}},
		{updates: []string{"u1[09:00,09:00]=null@09:00", "u1[09:00,09:10]=2@09:10"}},
		{updates: []string{"u2[09:38,09:38]=1@09:38"}},
		{updates: []string{"u2[09:05,09:05]=null@09:05", "u2[09:38,09:38]=null@09:38", "u2[09:05,09:38]=3@09:38"}},
		{updates: []string{"u1[09:00,09:10]=null@09:10", "u1[09:00,09:35]=3@09:35"}},
		{updates: []string{"u1[09:00,09:35]=null@09:35", "u1[09:00,09:50]=4@09:50"}},
		// 10:30 is past 09:38 and 09:50 + 30 min gap + 5 min grace.
		{updates: []string{"u1[10:30,10:30]=1@10:30"}, completed: []string{"u2[09:05,09:38]=3@09:38", "u1[09:00,09:50]=4@09:50"}},
		{}, // late: dropped
		{updates: []string{"u3[12:00,12:00]=1@12:00"}, completed: []string{"u1[10:30,10:30]=1@10:30"}},
	}
	require.Len(t, steps, len(sample))
	for i, e := range sample {
		pipe(t, d, e)
		want := steps[i]
		if want.updates == nil {
			want.updates = []string{}
		}
		if want.completed == nil {
			want.completed = []string{}
		}
		assert.Equal(t, want.updates, read(t, d, UpdatesTopic), "step %d (%s at %s)", i, e.user, hhmm(base.Add(e.at)))
		assert.Equal(t, want.completed, read(t, d, CompletedTopic), "step %d (%s at %s)", i, e.user, hhmm(base.Add(e.at)))
	}
	assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())

	store, err := d.SessionStore(Store, serde.String(), serde.Int64())
	require.NoError(t, err)
	got, err := store.Fetch("u3")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, int64(1), got[0].Value)
}

// A session is completed when stream time reaches its end + gap + grace,
// as in Kafka Streams: until then an event gap after its end still joins
// it; from then on the store no longer holds it.
func TestSessionCompletesAtExactStreamTime(t *testing.T) {
	d := newDriver(t)
	wait := Sessions.Gap() + Sessions.GracePeriod()
	pipe(t, d, event{"a", "x", 0})
	pipe(t, d, event{"b", "x", wait - time.Millisecond})
	assert.Empty(t, read(t, d, CompletedTopic))
	pipe(t, d, event{"a", "x", 30 * time.Minute}) // still joins a's session
	pipe(t, d, event{"b", "x", wait + 30*time.Minute - time.Millisecond})
	assert.Empty(t, read(t, d, CompletedTopic))
	pipe(t, d, event{"b", "x", wait + 30*time.Minute})
	assert.Equal(t, []string{"a[09:00,09:30]=2@09:30"}, read(t, d, CompletedTopic))
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
