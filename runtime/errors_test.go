// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

func sumTopology(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("amounts", serde.String(), serde.Int64()).
		GroupByKey().
		Reduce(func(a, v int64) int64 { return a + v }, table.As("sums")).
		ToStream().
		To("sums-out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func (c *cluster) produceRaw(t *testing.T, rs ...*kgo.Record) {
	t.Helper()
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

func i64(v int64) []byte { b, _ := serde.Int64().Serialize("", v); return b }

// A poison pill under each error policy: Fail stops the application with
// an error naming topic, partition and offset; Skip counts and continues;
// DeadLetter writes the original bytes with the error in headers and
// continues. Neither of the latter crash-loops or loses the good records.
func TestPoisonPillPolicies(t *testing.T) {
	input := func(c *cluster) {
		c.produceRaw(t,
			&kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: i64(5)},
			&kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: []byte("oops"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t1")}}},
			&kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: i64(7)},
		)
	}
	mk := func(t *testing.T, policy runtime.ErrorPolicy, g runtime.Guarantee) (*cluster, runtime.Config) {
		c := newCluster(t, map[string]int32{"amounts": 1, "sums-out": 1})
		c.cl.Close()
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		require.NoError(t, err)
		t.Cleanup(cl.Close)
		c.cl = cl
		input(c)
		return c, runtime.Config{AppID: "sum", Brokers: c.addrs, StateDir: t.TempDir(), OnError: policy, Guarantee: g,
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	}

	t.Run("fail", func(t *testing.T) {
		_, cfg := mk(t, runtime.Fail, runtime.AtLeastOnce)
		app, err := runtime.New(sumTopology(t), cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err = app.Run(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `topic "amounts" partition 0 offset 1`)
		assert.Contains(t, err.Error(), "deserialize value")
		assert.Equal(t, runtime.Error, app.State())
		require.NoError(t, app.Close(context.Background()))
	})
	t.Run("skip", func(t *testing.T) {
		c, cfg := mk(t, runtime.Skip, runtime.AtLeastOnce)
		app, stop := startApp(t, sumTopology(t), cfg)
		got, _ := c.readCounts(t, "sums-out", map[string]int64{"a": 12}, 20*time.Second)
		assert.Equal(t, map[string]int64{"a": 12}, got)
		assert.Equal(t, int64(1), app.Metrics().Dropped["deserialization"])
		stop()
	})
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run("dead-letter/"+g.String(), func(t *testing.T) {
			c, cfg := mk(t, runtime.DeadLetter, g)
			_, stop := startApp(t, sumTopology(t), cfg)
			got, _ := c.readCounts(t, "sums-out", map[string]int64{"a": 12}, 20*time.Second)
			assert.Equal(t, map[string]int64{"a": 12}, got)
			stop()
			cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics("sum-dlq"),
				kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			require.NoError(t, err)
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fs := cl.PollFetches(ctx)
			require.NoError(t, ctx.Err())
			rs := fs.Records()
			require.Len(t, rs, 1)
			r := rs[0]
			assert.Equal(t, "a", string(r.Key))
			assert.Equal(t, "oops", string(r.Value))
			h := map[string]string{}
			for _, kv := range r.Headers {
				h[kv.Key] = string(kv.Value)
			}
			assert.Equal(t, "t1", h["trace"], "original headers kept")
			assert.Equal(t, "amounts", h[runtime.HeaderErrorTopic])
			assert.Equal(t, "0", h[runtime.HeaderErrorPartition])
			assert.Equal(t, strconv.Itoa(1), h[runtime.HeaderErrorOffset])
			assert.Equal(t, "0_0", h[runtime.HeaderErrorTask])
			assert.Contains(t, h[runtime.HeaderErrorMessage], "deserialize value")

			dl, err := runtime.ParseDeadLetter(r.Headers)
			require.NoError(t, err)
			assert.Equal(t, runtime.DeadLetterHeaders{Message: h[runtime.HeaderErrorMessage], Topic: "amounts", Partition: 0, Offset: 1,
				Task: "0_0", Node: h[runtime.HeaderErrorNode], Kind: runtime.Deserialization}, dl)
			assert.Contains(t, dl.Message, "deserialize value")
		})
	}
}
