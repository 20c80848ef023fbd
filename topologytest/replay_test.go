// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
)

// Replay pipes a capture file's records to their partitions with their
// timestamps, headers and nulls: here a sum per customer, which drops the
// null value.
func TestReplayCaptureFile(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("orders", serde.String(), serde.String()).
		GroupByKey().
		Aggregate(func() int64 { return 0 }, func(_, v string, sum int64) int64 {
			n, _ := strconv.ParseInt(v, 10, 64)
			return sum + n
		}, serde.Int64()).
		ToStream().To("sums", nil, serde.Int64())
	d := driver(t, b, topologytest.TopicPartitions("orders", 2))
	require.NoError(t, d.Replay("testdata/orders.capture"))

	raw := d.ReadRaw("orders")
	require.Len(t, raw, 5)
	for i, want := range []struct {
		partition int32
		ms        int64
	}{{0, 0}, {1, 500}, {0, 1000}, {1, 2000}, {0, 3000}} {
		assert.Equal(t, want.partition, raw[i].Partition, "record %d", i)
		assert.Equal(t, time.UnixMilli(1714564800000+want.ms), raw[i].Timestamp, "record %d", i)
	}
	assert.Nil(t, raw[3].Value, "null stays null")

	rs, err := d.Output("sums", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	var got []string
	for _, r := range rs {
		got = append(got, r.Key+"="+strconv.FormatInt(r.Value, 10))
	}
	assert.Equal(t, []string{"ann=5", "bob=7", "ann=8", "ann=9"}, got)
	assert.Equal(t, []record.Header{{Key: "src", Value: []byte("app")}, {Key: "retry"}}, rs[3].Headers)
	assert.Equal(t, int64(1), d.Dropped()["null-value"])
}
