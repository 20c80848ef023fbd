// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// Payments (value: a currency) left-joined with the global table of rates.
func ratesTopology(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	rates := b.GlobalTable("rates", serde.String(), serde.String(), table.As("rates"))
	b.Stream("payments", serde.String(), serde.String()).
		LeftJoinGlobalTable(rates, func(_, currency string) string { return currency },
			func(currency, rate string, found bool) string {
				if !found {
					rate = "null"
				}
				return currency + "=" + rate
			}).
		To("converted", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func (c *cluster) produceKV(t *testing.T, topic string, kvs ...[2]string) {
	t.Helper()
	rs := make([]*kgo.Record, len(kvs))
	for i, kv := range kvs {
		rs[i] = &kgo.Record{Topic: topic, Key: []byte(kv[0]), Value: []byte(kv[1])}
		if kv[1] == "<tombstone>" {
			rs[i].Value = nil
		}
	}
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

// readLatest reads topic read_committed from the start until every key of
// want has its value (latest per key), or the timeout passes.
func (c *cluster) readLatest(t *testing.T, topic string, want map[string]string, timeout time.Duration) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got := map[string]string{}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = string(r.Value) })
		done := true
		for k, v := range want {
			done = done && got[k] == v
		}
		if done {
			break
		}
	}
	return got
}

func subset(got map[string]string, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := got[k]; ok {
			out[k] = v
		}
	}
	return out
}

// The global store is read to the end of its topic before any stream record
// is processed, then kept up to date; a restart with a current local store
// reads nothing again, one with a stale store reads only the new records.
func TestGlobalTableBootstrapAndUpdates(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"rates": 3, "payments": 2, "converted": 2})
			// Rates and payments produced before the start: every payment
			// must see every rate.
			const n = 200
			var rates, payments [][2]string
			want := map[string]string{}
			for i := range n {
				cur := fmt.Sprintf("cur%03d", i)
				rates = append(rates, [2]string{cur, fmt.Sprint("r", i)})
				payments = append(payments, [2]string{fmt.Sprintf("p%03d", i), cur})
				want[fmt.Sprintf("p%03d", i)] = fmt.Sprintf("%s=r%d", cur, i)
			}
			c.produceKV(t, "rates", rates...)
			c.produceKV(t, "payments", payments...)
			cfg := runtime.Config{AppID: "conv", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				CommitInterval: 50 * time.Millisecond, Workers: 2, Logger: quiet(t), InstanceID: "i1"}
			app, stop := startApp(t, ratesTopology(t), cfg)
			waitState(t, app, runtime.Running)
			got := c.readLatest(t, "converted", want, 20*time.Second)
			require.Equal(t, want, got)
			assert.Equal(t, int64(n), app.Metrics().GlobalRestored)

			// Live updates: a new rate, an update, a deletion.
			c.produceKV(t, "rates", [2]string{"cur000", "new"}, [2]string{"cur001", "<tombstone>"}, [2]string{"eur", "1.1"})
			require.Eventually(t, func() bool { return app.Metrics().GlobalApplied["rates"] == n+3 }, 20*time.Second, 10*time.Millisecond,
				"global updates applied: %v", app.Metrics().GlobalApplied)
			c.produceKV(t, "payments", [2]string{"q0", "cur000"}, [2]string{"q1", "cur001"}, [2]string{"q2", "eur"}, [2]string{"q3", "cur002"})
			live := map[string]string{"q0": "cur000=new", "q1": "cur001=null", "q2": "eur=1.1", "q3": "cur002=r2"}
			got = c.readLatest(t, "converted", live, 20*time.Second)
			assert.Equal(t, live, subset(got, live))
			stop()

			// Restart on the same state directory: the store is current.
			app, stop = startApp(t, ratesTopology(t), cfg)
			waitState(t, app, runtime.Running)
			assert.Zero(t, app.Metrics().GlobalRestored, "local global store was current: nothing to read again")
			c.produceKV(t, "payments", [2]string{"s0", "cur000"}, [2]string{"s1", "cur001"}, [2]string{"s2", "cur199"})
			again := map[string]string{"s0": "cur000=new", "s1": "cur001=null", "s2": "cur199=r199"}
			got = c.readLatest(t, "converted", again, 20*time.Second)
			assert.Equal(t, again, subset(got, again))
			stop()

			// Updates while stopped: only they are read at the next start.
			c.produceKV(t, "rates", [2]string{"cur199", "late"}, [2]string{"usd", "1.0"})
			app, stop = startApp(t, ratesTopology(t), cfg)
			waitState(t, app, runtime.Running)
			assert.Equal(t, int64(2), app.Metrics().GlobalRestored)
			c.produceKV(t, "payments", [2]string{"u0", "cur199"}, [2]string{"u1", "usd"})
			tail := map[string]string{"u0": "cur199=late", "u1": "usd=1.0"}
			got = c.readLatest(t, "converted", tail, 20*time.Second)
			assert.Equal(t, tail, subset(got, tail))
			stop()

			// A fresh state directory bootstraps in full.
			cfg.StateDir = t.TempDir()
			app, stop = startApp(t, ratesTopology(t), cfg)
			waitState(t, app, runtime.Running)
			assert.Equal(t, int64(n+3+2), app.Metrics().GlobalRestored)
			stop()
		})
	}
}

func runExpectingError(t *testing.T, topo *stream.Topology, cfg runtime.Config) (*runtime.App, error) {
	t.Helper()
	app, err := runtime.New(topo, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runErr := app.Run(ctx)
	require.NoError(t, app.Close(context.Background()))
	return app, runErr
}

func TestGlobalTableMissingTopic(t *testing.T) {
	c := newCluster(t, map[string]int32{"payments": 1, "converted": 1})
	app, err := runExpectingError(t, ratesTopology(t), runtime.Config{AppID: "conv", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `global table topic "rates" (store "rates") does not exist: create it before starting application "conv"`)
	assert.Equal(t, runtime.Error, app.State())
}

// An undecodable global record fails the instance naming the record, or
// is skipped under the Skip policy.
func TestGlobalTableBadRecord(t *testing.T) {
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		limits := b.GlobalTable("limits", serde.String(), serde.Int64())
		b.Stream("in", serde.String(), serde.String()).
			JoinGlobalTable(limits, func(k, _ string) string { return k }, func(v string, limit int64) string { return fmt.Sprint(v, "/", limit) }).
			To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	c := newCluster(t, map[string]int32{"limits": 1, "in": 1, "out": 1})
	good, _ := serde.Int64().Serialize("", 5)
	require.NoError(t, c.cl.ProduceSync(context.Background(),
		&kgo.Record{Topic: "limits", Key: []byte("a"), Value: good},
		&kgo.Record{Topic: "limits", Key: []byte("b"), Value: []byte("bad")}).FirstErr())

	app, err := runExpectingError(t, build(), runtime.Config{AppID: "lim", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `record at topic "limits" partition 0 offset 1`)
	assert.Equal(t, runtime.Error, app.State())

	app, stop := startApp(t, build(), runtime.Config{AppID: "lim", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t),
		OnError: runtime.Skip, CommitInterval: 50 * time.Millisecond})
	waitState(t, app, runtime.Running)
	assert.Equal(t, int64(1), app.Metrics().Dropped["deserialization"])
	c.produceKV(t, "in", [2]string{"a", "x"}, [2]string{"b", "y"})
	want := map[string]string{"a": "x/5"}
	got := c.readLatest(t, "out", want, 20*time.Second)
	assert.Equal(t, want, got)
	stop()

	// Dead-lettered with its origin, then skipped.
	app, stop = startApp(t, build(), runtime.Config{AppID: "lim", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t),
		OnError: runtime.DeadLetter, CommitInterval: 50 * time.Millisecond})
	waitState(t, app, runtime.Running)
	assert.Equal(t, int64(1), app.Metrics().Dropped["deserialization"])
	stop()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics("lim-dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs := cl.PollFetches(ctx).Records()
	require.Len(t, rs, 1)
	assert.Equal(t, "b", string(rs[0].Key))
	h := map[string]string{}
	for _, kv := range rs[0].Headers {
		h[kv.Key] = string(kv.Value)
	}
	assert.Equal(t, "limits", h[runtime.HeaderErrorTopic])
	assert.Equal(t, "1", h[runtime.HeaderErrorOffset])
	assert.Equal(t, "1_global", h[runtime.HeaderErrorTask])
	dl, err := runtime.ParseDeadLetter(rs[0].Headers)
	require.NoError(t, err)
	assert.Equal(t, "limits", dl.Topic)
	assert.Equal(t, int64(1), dl.Offset)
	assert.Equal(t, "1_global", dl.Task)
}

// A global store whose topic was deleted and recreated is rebuilt from the
// new topic: whether its offsets now lie past the topic's end, or within it
// (the new topic already longer; the topic id tells).
func TestGlobalTableTopicRecreated(t *testing.T) {
	for _, longer := range []bool{false, true} {
		t.Run(fmt.Sprintf("new topic longer=%v", longer), func(t *testing.T) { testGlobalTopicRecreated(t, longer) })
	}
}

func testGlobalTopicRecreated(t *testing.T, longer bool) {
	c := newCluster(t, map[string]int32{"rates": 1, "payments": 1, "converted": 1})
	c.produceKV(t, "rates", [2]string{"eur", "1.1"}, [2]string{"usd", "1.0"}, [2]string{"gbp", "1.3"})
	cfg := runtime.Config{AppID: "conv", Brokers: c.addrs, StateDir: t.TempDir(), CommitInterval: 50 * time.Millisecond,
		Logger: quiet(t), InstanceID: "i1"}
	app, stop := startApp(t, ratesTopology(t), cfg)
	waitState(t, app, runtime.Running)
	assert.Equal(t, int64(3), app.Metrics().GlobalRestored)
	stop()

	ctx := context.Background()
	_, err := c.adm.DeleteTopics(ctx, "rates")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := c.adm.CreateTopic(ctx, 1, 1, nil, "rates")
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	fresh, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...)) // the old one knows the old topic id
	require.NoError(t, err)
	defer fresh.Close()
	rows := []*kgo.Record{{Topic: "rates", Key: []byte("chf"), Value: []byte("0.9")}}
	if longer {
		for _, k := range []string{"jpy", "sek", "nok", "dkk"} {
			rows = append(rows, &kgo.Record{Topic: "rates", Key: []byte(k), Value: []byte("0.1")})
		}
	}
	require.NoError(t, fresh.ProduceSync(ctx, rows...).FirstErr())

	app, stop = startApp(t, ratesTopology(t), cfg)
	waitState(t, app, runtime.Running)
	assert.Equal(t, int64(len(rows)), app.Metrics().GlobalRestored, "rebuilt from the new topic")
	c.produceKV(t, "payments", [2]string{"p1", "eur"}, [2]string{"p2", "chf"})
	want := map[string]string{"p1": "eur=null", "p2": "chf=0.9"}
	got := c.readLatest(t, "converted", want, 20*time.Second)
	assert.Equal(t, want, got)
	stop()
}

// A damaged global store (truncated MANIFEST) is deleted and read again
// from its topic, with a warning; joins see every row.
func TestGlobalStoreDamaged(t *testing.T) {
	c := newCluster(t, map[string]int32{"rates": 1, "payments": 1, "converted": 1})
	c.produceKV(t, "rates", [2]string{"eur", "1.1"}, [2]string{"usd", "1.0"}, [2]string{"gbp", "1.3"})
	dir := t.TempDir()
	cfg := runtime.Config{AppID: "conv", Brokers: c.addrs, StateDir: dir, CommitInterval: 50 * time.Millisecond,
		Logger: quiet(t), InstanceID: "i1"}
	app, stop := startApp(t, ratesTopology(t), cfg)
	waitState(t, app, runtime.Running)
	stop()

	stores, err := filepath.Glob(filepath.Join(dir, "conv", "global", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, stores)
	for _, d := range stores {
		for _, m := range glob(t, d, "MANIFEST-*") {
			require.NoError(t, os.Truncate(m, 10))
		}
	}
	var logs strings.Builder
	var mu sync.Mutex
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, stop = startApp(t, ratesTopology(t), cfg)
	waitState(t, app, runtime.Running)
	assert.Equal(t, int64(3), app.Metrics().GlobalRestored, "read again from the topic")
	c.produceKV(t, "payments", [2]string{"p1", "eur"}, [2]string{"p2", "gbp"})
	want := map[string]string{"p1": "eur=1.1", "p2": "gbp=1.3"}
	got := c.readLatest(t, "converted", want, 20*time.Second)
	assert.Equal(t, want, got)
	stop()
	mu.Lock()
	assert.Contains(t, logs.String(), "global store is damaged")
	mu.Unlock()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
