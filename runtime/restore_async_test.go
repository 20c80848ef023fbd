// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// The tests and the benchmark of this file run a keyed count ("in" →
// GroupByKey().Count → "out") whose store changelog they write directly,
// as the task would have: key → the count, 8 bytes big-endian. A fresh
// state directory then restores it.
const (
	arApp       = "ar"
	arChangelog = arApp + "-counts-changelog"
)

func arTopology(tb testing.TB) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		Count(table.As("counts")).
		ToStream().
		To("out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(tb, err)
	return topo
}

// arCluster starts a broker with "in" and "out" of parts partitions and the
// count's changelog (compacted, as the runtime would create it). Its client
// writes records to the partition they name.
func arCluster(tb testing.TB, parts int32) *cluster {
	tb.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(tb, err)
	tb.Cleanup(kc.Close)
	c := arClusterAt(tb, kc.ListenAddrs(), parts)
	c.c = kc
	return c
}

// arClusterAt is arCluster on the brokers at addrs.
func arClusterAt(tb testing.TB, addrs []string, parts int32) *cluster {
	tb.Helper()
	c := &cluster{addrs: addrs}
	c.cl = arClient(tb, c)
	tb.Cleanup(c.cl.Close)
	c.adm = kadm.NewClient(c.cl)
	ctx := context.Background()
	for _, topic := range []string{"in", "out"} {
		_, err := c.adm.CreateTopic(ctx, parts, 1, nil, topic)
		require.NoError(tb, err)
	}
	compact := "compact"
	_, err := c.adm.CreateTopic(ctx, parts, 1, map[string]*string{"cleanup.policy": &compact}, arChangelog)
	require.NoError(tb, err)
	return c
}

// arClient is a client of c that produces to the partition each record
// names; the caller closes it.
func arClient(tb testing.TB, c *cluster, opts ...kgo.Opt) *kgo.Client {
	tb.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.addrs...), kgo.MetadataMinAge(100 * time.Millisecond),
		kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	require.NoError(tb, err)
	return cl
}

func arKey(prefix string, i int) string { return fmt.Sprintf("%s%07d", prefix, i) }

// arLoad writes n records to partition p of the changelog: record i has
// key arKey(prefix, i mod distinct) and the count i+1, so with n > distinct
// the last n-distinct records overwrite earlier keys. batchBytes > 0 bounds
// the record batches (a fetch returns whole batches).
func arLoad(tb testing.TB, c *cluster, p int32, prefix string, n, distinct int, batchBytes int32) {
	tb.Helper()
	var opts []kgo.Opt
	if batchBytes > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(batchBytes))
	}
	cl := arClient(tb, c, opts...)
	defer cl.Close()
	rs := make([]*kgo.Record, 0, 5000)
	for i := range n {
		rs = append(rs, &kgo.Record{Topic: arChangelog, Partition: p, Key: []byte(arKey(prefix, i%distinct)),
			Value: binary.BigEndian.AppendUint64(nil, uint64(i+1))})
		if len(rs) == cap(rs) || i == n-1 {
			require.NoError(tb, cl.ProduceSync(context.Background(), rs...).FirstErr())
			rs = rs[:0]
		}
	}
}

// arLoaded is the count arLoad(n, distinct) left for key index i.
func arLoaded(i, n, distinct int) int64 {
	last := i + (n-1-i)/distinct*distinct
	return int64(last + 1)
}

// arInput writes one "in" record to partition p per key.
func arInput(tb testing.TB, c *cluster, p int32, keys ...string) {
	tb.Helper()
	rs := make([]*kgo.Record, len(keys))
	for i, k := range keys {
		rs[i] = &kgo.Record{Topic: "in", Partition: p, Key: []byte(k), Value: []byte("x")}
	}
	require.NoError(tb, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

// arThrottle slows the restore of one changelog partition down, so that a
// test can act while the restore runs, however fast or loaded the machine:
// every fetch of the partition returns a single record batch, and from a
// given offset on each fetch is held back for a while first. lift ends it.
//
// A held fetch does not end the restore early: a changelog is done only
// once the consumer has read to its high watermark (see caughtUp).
type arThrottle struct {
	lifted chan struct{}
	once   sync.Once
	held   atomic.Int64 // fetches held back
}

func (th *arThrottle) lift() { th.once.Do(func() { close(th.lifted) }) }

func arSlowRestore(tb testing.TB, c *cluster, p int32, from int64, delay time.Duration) *arThrottle {
	tb.Helper()
	td, err := c.adm.ListTopics(context.Background(), arChangelog)
	require.NoError(tb, err)
	require.NoError(tb, td[arChangelog].Err)
	id := td[arChangelog].ID
	th := &arThrottle{lifted: make(chan struct{})}
	tb.Cleanup(th.lift)
	c.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case <-th.lifted:
			c.c.DropControl()
			return nil, nil, false
		default:
		}
		hold := false
		fr := req.(*kmsg.FetchRequest)
		for i := range fr.Topics {
			t := &fr.Topics[i]
			if t.Topic != arChangelog && t.TopicID != id {
				continue
			}
			for j := range t.Partitions {
				if fp := &t.Partitions[j]; fp.Partition == p {
					fp.PartitionMaxBytes = 1 // the first batch only
					hold = hold || fp.FetchOffset >= from
				}
			}
		}
		if hold {
			th.held.Add(1)
			c.c.SleepControl(func() {
				select {
				case <-th.lifted:
				case <-time.After(delay):
				}
			})
		}
		return nil, nil, false // the broker answers the (narrowed) fetch
	})
	return th
}

// A restore cut short resumes from the last chunk it committed: an
// instance stopped in the middle of restoring a 60,000-record changelog
// (three times the 20,000-record restore chunk) is restarted on the same
// state directory and restores only the rest, and the state is complete.
// A restore that committed only at its end would restore everything again.
func TestRestoreResumesAfterInterruption(t *testing.T) {
	const (
		total    = 60_000 // changelog records
		distinct = 50_000 // keys: the last 10,000 records overwrite the first keys
		stopAt   = 25_000 // restored records at which the first run is stopped
		slowFrom = 30_000 // changelog offset from which the restore is slowed down
	)
	c := arCluster(t, 1)
	arLoad(t, c, 0, "k", total, distinct, 4<<10)
	// From offset 30,000 on, one ~200-record batch per 200 ms: the
	// restore is still running when the test stops the instance.
	th := arSlowRestore(t, c, 0, slowFrom, 200*time.Millisecond)
	cfg := runtime.Config{AppID: arApp, Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: "i1",
		CommitInterval: 50 * time.Millisecond, Logger: quiet(t)}

	app, stop := startApp(t, arTopology(t), cfg)
	require.Eventually(t, func() bool { return app.Metrics().Restored >= stopAt }, 30*time.Second, 2*time.Millisecond,
		"restored %d of %d", app.Metrics().Restored, total)
	m := app.Metrics()
	require.Positive(t, m.RestoreRemaining, "the restore must still run when the instance stops (restored %d)", m.Restored)
	require.NotEqual(t, runtime.Running, app.State())
	stop()
	first := app.Metrics().Restored
	require.Less(t, first, int64(total), "the first run's restore was interrupted")
	th.lift()

	app, stop = startApp(t, arTopology(t), cfg)
	defer stop()
	waitState(t, app, runtime.Running)
	second := app.Metrics().Restored
	t.Logf("first run restored %d records before it stopped; the second restored %d of %d (%d fetches held back)", first, second, total, th.held.Load())
	assert.Less(t, second, int64(total), "the second run restored the whole changelog again: the interrupted restore committed nothing")
	assert.GreaterOrEqual(t, first+second, int64(total), "the two runs together restored every record")
	assert.Zero(t, app.Metrics().RestoreRemaining)

	// The state is complete: one more record for a sample of keys (every
	// region of the changelog, overwritten keys included) counts on from
	// the changelog's last value.
	want := map[string]int64{}
	var keys []string
	for i := 0; i < distinct; i += 97 {
		keys = append(keys, arKey("k", i))
		want[arKey("k", i)] = arLoaded(i, total, distinct) + 1
	}
	keys = append(keys, arKey("k", distinct-1))
	want[arKey("k", distinct-1)] = arLoaded(distinct-1, total, distinct) + 1
	arInput(t, c, 0, keys...)
	got, _ := c.readCounts(t, "out", want, 30*time.Second)
	assert.Equal(t, want, got)
}

// While one task of a worker restores a large changelog, the worker's other
// task processes: its output appears while the restore is still running.
// The restore of task 0_0 is slowed down from offset 2,000 on, so it runs
// for half a minute at least unless lifted, whatever the machine's load.
func TestOtherTaskProcessesDuringRestore(t *testing.T) {
	const (
		big      = 30_000 // changelog records of task 0_0
		small    = 10     // of task 0_1
		slowFrom = 2_000
	)
	c := arCluster(t, 2)
	arLoad(t, c, 0, "a", big, big, 4<<10)
	arLoad(t, c, 1, "b", small, small, 0)
	th := arSlowRestore(t, c, 0, slowFrom, 200*time.Millisecond)
	app, stop := startApp(t, arTopology(t), runtime.Config{AppID: arApp, Brokers: c.addrs, StateDir: t.TempDir(),
		Workers: 1, CommitInterval: 50 * time.Millisecond, Logger: quiet(t)})
	defer stop()
	require.Eventually(t, func() bool {
		m := app.Metrics()
		return m.Restored >= slowFrom && m.RestoreRemaining > 0
	}, 30*time.Second, 2*time.Millisecond, "task 0_0's restore never got going")

	// Task 0_1 (partition 1) processes while 0_0 restores.
	arInput(t, c, 1, arKey("b", 0), arKey("b", 0), arKey("b", 0), arKey("b", 1), "bnew")
	want := map[string]int64{arKey("b", 0): 4, arKey("b", 1): 3, "bnew": 1}
	got, _ := c.readCounts(t, "out", want, 20*time.Second)
	m := app.Metrics()
	require.Equal(t, want, got, "task 0_1's output, on the restored counts of its own changelog")
	require.Positive(t, m.RestoreRemaining, "task 0_0 was still restoring when 0_1's output was read")
	assert.Less(t, m.Restored, int64(big+small))
	assert.Equal(t, int64(5), m.Processed["0_1"])
	assert.Zero(t, m.Processed["0_0"], "a restoring task processes nothing")
	assert.Equal(t, runtime.Rebalancing, app.State(), "not RUNNING before every task is restored")

	// Once the restore completes, task 0_0 processes on its restored state.
	th.lift()
	waitState(t, app, runtime.Running)
	m = app.Metrics()
	assert.Equal(t, int64(big+small), m.Restored)
	assert.Zero(t, m.RestoreRemaining)
	arInput(t, c, 0, arKey("a", 0), arKey("a", big-1))
	want[arKey("a", 0)] = arLoaded(0, big, big) + 1
	want[arKey("a", big-1)] = arLoaded(big-1, big, big) + 1
	got, _ = c.readCounts(t, "out", want, 20*time.Second)
	assert.Equal(t, want, got)
}
