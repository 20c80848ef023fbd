// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// cluster is an embedded broker with a client to write input and read
// output.
type cluster struct {
	addrs []string
	cl    *kgo.Client
}

func newCluster(t *testing.T, topics map[string]int32) *cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	for topic, n := range topics {
		_, err := kadm.NewClient(cl).CreateTopic(context.Background(), n, 1, nil, topic)
		require.NoError(t, err)
	}
	return &cluster{addrs: c.ListenAddrs(), cl: cl}
}

func (c *cluster) produce(t *testing.T, rs ...*kgo.Record) {
	t.Helper()
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

// count reads topic read_committed from the start until it has n records
// or the timeout passes, and returns how many it read.
func (c *cluster) count(t *testing.T, topic string, n int, timeout time.Duration) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got := 0
	for deadline := time.Now().Add(timeout); got < n && time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		got += len(cl.PollFetches(ctx).Records())
		cancel()
	}
	return got
}

// amounts is the topology of these tests: amounts (string key, int64
// value) scaled by a global table of factors, summed per key into totals.
func amounts(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	factors := b.GlobalTable("factors", serde.String(), serde.Int64(), table.As("factors"))
	b.Stream("amounts", serde.String(), serde.Int64()).
		LeftJoinGlobalTable(factors, func(k string, _ int64) string { return k },
			func(v, factor int64, found bool) int64 {
				if !found {
					return v
				}
				return v * factor
			}).
		GroupByKey().
		Reduce(func(a, v int64) int64 { return a + v }, table.As("totals-store")).
		ToStream().
		To("totals", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

var topics = map[string]int32{"amounts": 2, "factors": 1, "totals": 2}

// amount is an input record for partition p.
func amount(key string, p int32, v int64) *kgo.Record {
	val, _ := serde.Int64().Serialize("amounts", v)
	return &kgo.Record{Topic: "amounts", Partition: p, Key: []byte(key), Value: val}
}

// poison is an input record whose value is not an int64.
func poison(p int32) *kgo.Record {
	return &kgo.Record{Topic: "amounts", Partition: p, Key: []byte("bad"), Value: []byte("bad")}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs an instance until stop is called or the test ends.
func start(t *testing.T, c *cluster, cfg runtime.Config) (app *runtime.App, stop func()) {
	t.Helper()
	cfg.AppID, cfg.Brokers, cfg.Logger = "sums", c.addrs, quiet()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	if cfg.CommitInterval == 0 {
		cfg.CommitInterval = 20 * time.Millisecond
	}
	app, err := runtime.New(amounts(t), cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = app.Run(ctx) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			require.NoError(t, app.Close(context.Background()))
			require.NoError(t, runErr)
		})
	}
	t.Cleanup(stop)
	return app, stop
}

// families gathers g by family name.
func families(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	fs, err := g.Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, f := range fs {
		out[f.GetName()] = f
	}
	return out
}

// labels returns m's labels as a map.
func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// matches reports whether m has every label of want.
func matches(m *dto.Metric, want map[string]string) bool {
	got := labels(m)
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// sum adds the values of the counters or gauges of family name whose labels
// include want.
func sum(fs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var total float64
	for _, m := range fs[name].GetMetric() {
		if !matches(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		}
	}
	return total
}

// observations adds the sample counts of the histograms of family name
// whose labels include want.
func observations(fs map[string]*dto.MetricFamily, name string, want map[string]string) uint64 {
	var total uint64
	for _, m := range fs[name].GetMetric() {
		if matches(m, want) {
			total += m.GetHistogram().GetSampleCount()
		}
	}
	return total
}

func key(i int) string { return fmt.Sprintf("k%d", i) }
