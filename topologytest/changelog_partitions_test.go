// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// A store's changelog topic has as many partitions as its sub-topology has
// tasks, as the runtime creates it, whatever DefaultPartitions says: task
// 0_p logs to partition p. Here the input has 4 partitions and every other
// topic the default 1, so tasks 0_1..0_3 log to partitions the default
// count would not have.
func TestChangelogHasTheSubtopologysPartitions(t *testing.T) {
	b := stream.NewBuilder()
	in := b.Stream("in", serde.String(), serde.String())
	in.GroupByKey().Count(table.As("counts")).ToStream().To("counts-out", nil, nil)
	in.GroupByKey().WindowedBy(window.Tumbling(time.Minute)).Count(table.As("per-minute"))
	d := driver(t, b, topologytest.AppID("app"), topologytest.TopicPartitions("in", 4))

	for _, topic := range []string{"app-counts-changelog", "app-per-minute-changelog"} {
		n, err := d.PartitionCount(topic)
		require.NoError(t, err)
		assert.Equal(t, int32(4), n, topic)
	}
	n, err := d.PartitionCount("counts-out")
	require.NoError(t, err)
	assert.Equal(t, int32(1), n, "a sink topic keeps the default count")

	pipe := d.Input("in", serde.String(), serde.String())
	want := map[int32]bool{}
	for i := range 40 {
		k := fmt.Sprint("key-", i)
		require.NoError(t, pipe.Pipe(k, "v"))
		want[partition.ForKey([]byte(k), 4)] = true
	}
	require.Len(t, want, 4, "the keys cover every partition")
	for _, topic := range []string{"app-counts-changelog", "app-per-minute-changelog"} {
		got := map[int32]bool{}
		for _, r := range d.ReadRaw(topic) {
			got[r.Partition] = true
			if topic == "app-counts-changelog" { // the input's key: the input's partition
				assert.Equal(t, partition.ForKey(r.Key, 4), r.Partition, "key %q", r.Key)
			}
		}
		assert.Equal(t, want, got, topic)
	}
	counts, err := d.KeyValueStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	for i := range 40 {
		c, ok, err := counts.Get(fmt.Sprint("key-", i))
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, int64(1), c)
	}
}
