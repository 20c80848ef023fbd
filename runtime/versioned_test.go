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
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// A versioned table in a running application: its changelog topic keeps
// the history (min.compaction.lag.ms = history retention + 1 day, as Kafka
// Streams configures it), ReadVersioned queries the history, and an
// instance without local state restores the history from the changelog,
// out-of-order versions included, so its join sees them.
func TestVersionedTableRestoresAndQueries(t *testing.T) {
	c := newCluster(t, map[string]int32{"vt": 1, "vs": 1, "vout": 1})
	ctx := context.Background()
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		ss := serde.String()
		tb := b.Table("vt", ss, ss, table.As("rows"), table.Versioned(time.Hour))
		b.Stream("vs", ss, ss).LeftJoinTable(tb, func(v, row string, ok bool) string {
			if !ok {
				row = "null"
			}
			return v + "|" + row
		}).To("vout", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	cfg := func(instance string) runtime.Config {
		return runtime.Config{AppID: "vapp", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: instance,
			Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	}
	produce := func(topic, key, value string, ts int64) {
		t.Helper()
		require.NoError(t, c.cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(value), Timestamp: time.UnixMilli(ts)}).FirstErr())
	}
	asOf := func(app *runtime.App, ts int64) string {
		var got string
		_, err := app.ReadVersioned(ctx, "rows", 0, runtime.ReadOptions{}, func(s state.VersionedKeyValueStore) error {
			r, found, err := s.GetAsOf([]byte("k"), ts)
			if err == nil && found {
				got = string(r.Value) + "@" + strconv.FormatInt(r.Timestamp, 10)
			}
			return err
		})
		if err != nil {
			return err.Error()
		}
		return got
	}

	appA, stopA := startApp(t, build(), cfg("a"))
	waitState(t, appA, runtime.Running)
	produce("vt", "k", "a", 1000)
	produce("vt", "k", "b", 3000)
	produce("vt", "k", "x", 2000) // out of order: history only
	require.Eventually(t, func() bool { return asOf(appA, 2500) == "x@2000" }, 20*time.Second, 20*time.Millisecond, "A holds the out-of-order version")
	assert.Equal(t, "a@1000", asOf(appA, 1999))
	assert.Equal(t, "b@3000", asOf(appA, 5000))
	_, err := appA.ReadKeyValue(ctx, "rows", 0, runtime.ReadOptions{}, func(state.KeyValueStore) error { return nil })
	require.ErrorContains(t, err, "it is a versioned key-value store, not a key-value store")
	stopA()

	cfgs, err := c.adm.DescribeTopicConfigs(ctx, "vapp-rows-changelog")
	require.NoError(t, err)
	rc, err := cfgs.On("vapp-rows-changelog", nil)
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range rc.Configs {
		got[e.Key] = e.MaybeValue()
	}
	assert.Equal(t, "compact", got["cleanup.policy"])
	assert.Equal(t, strconv.FormatInt(time.Hour.Milliseconds()+24*time.Hour.Milliseconds(), 10), got["min.compaction.lag.ms"])

	// B has no local state: it restores the three versions.
	appB, stopB := startApp(t, build(), cfg("b"))
	defer stopB()
	waitState(t, appB, runtime.Running)
	require.Eventually(t, func() bool { return asOf(appB, 2500) == "x@2000" }, 20*time.Second, 20*time.Millisecond, "B restored the out-of-order version")
	assert.Equal(t, int64(3), appB.Metrics().Restored)
	produce("vs", "k", "s1", 2500)
	produce("vs", "k", "s2", 1500)
	produce("vs", "k", "s3", 900)

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics("vout"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < 3 && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		cl.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			out = append(out, string(r.Key)+" "+string(r.Value)+" "+strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		})
		cancel()
	}
	assert.Equal(t, []string{"k s1|x 2500", "k s2|a 1500", "k s3|null 900"}, out)
}
