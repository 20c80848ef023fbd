// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

func wordCount(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

type cluster struct {
	c     *kfake.Cluster
	addrs []string
	adm   *kadm.Client
	cl    *kgo.Client
}

func newCluster(t *testing.T, topics map[string]int32) *cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	for topic, n := range topics {
		_, err := adm.CreateTopic(context.Background(), n, 1, nil, topic)
		require.NoError(t, err)
	}
	return &cluster{c: c, addrs: c.ListenAddrs(), adm: adm, cl: cl}
}

func (c *cluster) produce(t *testing.T, topic string, values ...string) {
	t.Helper()
	var rs []*kgo.Record
	for i, v := range values {
		rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(v)})
	}
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

// readCounts reads topic read_committed until want (word → count) is the
// latest value of every key or the timeout passes; it returns the latest
// values and the number of records read.
func (c *cluster) readCounts(t *testing.T, topic string, want map[string]int64, timeout time.Duration) (map[string]int64, int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got := map[string]int64{}
	n := 0
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v, err := serde.Int64().Deserialize(topic, r.Value)
			require.NoError(t, err)
			got[string(r.Key)] = v
			n++
		})
		if mapsEqual(got, want) {
			return got, n
		}
	}
	return got, n
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func startApp(t *testing.T, topo *stream.Topology, cfg runtime.Config) (*runtime.App, func()) {
	t.Helper()
	app, err := runtime.New(topo, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = app.Run(ctx) })
	stop := func() {
		cancel()
		wg.Wait()
		require.NoError(t, app.Close(context.Background()))
		require.NoError(t, runErr)
	}
	return app, stop
}

func waitState(t *testing.T, app *runtime.App, s runtime.State) {
	t.Helper()
	require.Eventually(t, func() bool { return app.State() == s }, 20*time.Second, 10*time.Millisecond, "state %v, want %v", app.State(), s)
}

func TestWordCountEndToEnd(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 4, "counts-out": 4})
			c.produce(t, "lines", "a b c", "b c", "c", "a a a")
			app, stop := startApp(t, wordCount(t), runtime.Config{
				AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				CommitInterval: 50 * time.Millisecond, Workers: 2, Logger: quiet(t),
			})
			waitState(t, app, runtime.Running)
			want := map[string]int64{"a": 4, "b": 2, "c": 3}
			got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
			assert.Equal(t, want, got)
			c.produce(t, "lines", "b d")
			want = map[string]int64{"a": 4, "b": 3, "c": 3, "d": 1}
			got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
			assert.Equal(t, want, got)
			m := app.Metrics()
			assert.Positive(t, m.Commits)
			stop()
			assert.Equal(t, runtime.NotRunning, app.State())
		})
	}
}

func TestStateListenerAndLag(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	c.produce(t, "lines", "a", "b")
	var mu sync.Mutex
	var seen []runtime.State
	app, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t),
		StateListener: func(_, s runtime.State) { mu.Lock(); seen = append(seen, s); mu.Unlock() }})
	want := map[string]int64{"a": 1, "b": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	m := app.Metrics()
	assert.NotEmpty(t, m.Lag)
	for k, v := range m.Lag {
		assert.Zero(t, v, "lag of %s", k)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []runtime.State{runtime.Rebalancing, runtime.Running, runtime.PendingShutdown, runtime.NotRunning}, seen)
}
