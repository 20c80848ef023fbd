// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// The suppression buffer is restored from its changelog: a new instance
// that restored it emits the same final results, and the buffer's size
// (for BufferMaxRecords) is recounted after the restore.
func TestSuppressBufferRestoresFromChangelog(t *testing.T) {
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).
			GroupByKey().
			WindowedBy(window.Tumbling(10*time.Millisecond)).
			Count(table.As("counts")).
			SuppressUntilWindowCloses(stream.As("final"), stream.BufferMaxRecords(3)).
			ToStream().
			To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	pipe := func(d *Driver, key string, ts int64) error {
		return d.Input("in", serde.String(), serde.String()).PipeAt(key, "v", time.UnixMilli(ts))
	}
	first, err := New(build())
	require.NoError(t, err)
	for i, k := range []string{"a", "b", "a"} {
		require.NoError(t, pipe(first, k, int64(i+1)))
	}
	logs := map[string][]RawRecord{}
	for _, topic := range []string{"test-app-final-store-changelog", "test-app-counts-changelog"} {
		logs[topic] = first.ReadRaw(topic)
		require.NotEmpty(t, logs[topic], topic)
	}
	require.NoError(t, first.Close())

	second, err := New(build())
	require.NoError(t, err)
	defer second.Close()
	for topic, rs := range logs {
		restore(t, second, topic, rs)
	}
	require.NoError(t, pipe(second, "c", 4)) // three keys buffered: at the bound
	err = pipe(second, "d", 5)
	require.Error(t, err, "the restored buffer counts toward the bound")
	assert.Contains(t, err.Error(), "final: suppression buffer exceeded its max capacity")

	third, err := New(build())
	require.NoError(t, err)
	defer third.Close()
	for topic, rs := range logs {
		restore(t, third, topic, rs)
	}
	require.NoError(t, pipe(third, "x", 10))
	rs, err := third.Output("out", serde.TimeWindowed(serde.String(), 10*time.Millisecond), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s=%d@%d", r.Key.Key, r.Value, r.Timestamp.UnixMilli()))
	}
	assert.Equal(t, []string{"a=2@3", "b=1@2"}, got)
}
