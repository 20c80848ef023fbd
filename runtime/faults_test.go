// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

// Retriable broker errors on produce, fetch, offset commits and
// transactions are survived with exact output.
func TestInjectedBrokerFaults(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 3, "counts-out": 3})
			c.produce(t, "lines", "p q", "q r", "r")
			// Installed after the input is written, so the faults hit the
			// application's own requests.
			h := c.c.Fault(
				kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: 5},
				kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.NotLeaderForPartition, Count: 5},
				kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit, kmsg.TxnOffsetCommit}, Err: kerr.CoordinatorLoadInProgress, Count: 3},
				kfake.Fault{Keys: []kmsg.Key{kmsg.EndTxn}, Err: kerr.CoordinatorLoadInProgress, TopLevel: true, Count: 2},
			)
			defer h.Remove()
			_, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
				Guarantee: g, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
			want := map[string]int64{"p": 1, "q": 2, "r": 2}
			got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
			assert.Equal(t, want, got)
			c.produce(t, "lines", "p")
			want["p"] = 2
			got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
			assert.Equal(t, want, got)
			stop()
			assert.Positive(t, h.Hits(), "faults were injected")
		})
	}
}

// A second instance started with the same instance id (and so the same
// transactional id) fences the first: the zombie stops with a fencing
// error and none of its later writes become visible.
func TestZombieIsFenced(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, Guarantee: runtime.ExactlyOnce,
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: "same"}
	c.produce(t, "lines", "a b")

	cfg.StateDir = t.TempDir()
	zombie, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	zctx, zcancel := context.WithCancel(context.Background())
	defer zcancel()
	var zerr error
	var wg sync.WaitGroup
	wg.Go(func() { zerr = zombie.Run(zctx) })
	want := map[string]int64{"a": 1, "b": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	cfg.StateDir = t.TempDir()
	_, stop := startApp(t, wordCount(t), cfg)
	c.produce(t, "lines", "a", "b c")
	want = map[string]int64{"a": 2, "b": 2, "c": 1}
	got, n := c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "read %d records", n)

	wg.Wait() // the zombie must stop by itself
	require.Error(t, zerr)
	assert.True(t, errors.Is(zerr, kerr.ProducerFenced) || errors.Is(zerr, kerr.InvalidProducerEpoch) ||
		errors.Is(zerr, kerr.TransactionalIDAuthorizationFailed) || assert.ObjectsAreEqual(runtime.Error, zombie.State()),
		"zombie stopped with %v", zerr)
	assert.Equal(t, runtime.Error, zombie.State())
	require.NoError(t, zombie.Close(context.Background()))
	stop()
}

// Broker chaos on a three-node embedded cluster while input arrives:
// group and transaction coordinators move, connections
// drop mid-request, produce requests time out after the broker applied
// them, and produce and fetch requests fail with retriable errors. Under
// exactly-once the read_committed output is exact; under at-least-once
// nothing is lost.
func TestBrokerChaos(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			fc, err := kfake.NewCluster(kfake.NumBrokers(3))
			require.NoError(t, err)
			t.Cleanup(fc.Close)
			cl, err := kgo.NewClient(kgo.SeedBrokers(fc.ListenAddrs()...), kgo.MetadataMinAge(100*time.Millisecond))
			require.NoError(t, err)
			t.Cleanup(cl.Close)
			c := &cluster{c: fc, addrs: fc.ListenAddrs(), adm: kadm.NewClient(cl), cl: cl}
			for topic, n := range map[string]int32{"lines": 6, "counts-out": 6} {
				_, err := c.adm.CreateTopic(context.Background(), n, 1, nil, topic)
				require.NoError(t, err)
			}
			_, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
				Guarantee: g, CommitInterval: 50 * time.Millisecond, Logger: quiet(t)})

			rng := rand.New(rand.NewPCG(7, uint64(g)))
			var events []string
			chaos := func() {
				switch rng.IntN(6) {
				case 0:
					// Not fc.ShufflePartitionLeaders: after a leader move this
					// kfake answers OffsetForLeaderEpoch with end offset 0 for
					// the consumer's epoch, so the client "detects" a log
					// truncation that did not happen and resets to the start.
					fc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat, kmsg.OffsetCommit, kmsg.TxnOffsetCommit, kmsg.AddOffsetsToTxn},
						Err: kerr.NotCoordinator, Count: 2})
					events = append(events, "not coordinator")
				case 1:
					fc.RehashCoordinators()
					events = append(events, "coordinators moved")
				case 2:
					key := []int16{int16(kmsg.Produce), int16(kmsg.Fetch), int16(kmsg.EndTxn), int16(kmsg.OffsetCommit), int16(kmsg.TxnOffsetCommit)}[rng.IntN(5)]
					fc.ControlKey(key, func(kmsg.Request) (kmsg.Response, error, bool) {
						return nil, errors.New("chaos: connection dropped"), true
					})
					events = append(events, fmt.Sprintf("connection dropped on %s", kmsg.NameForKey(key)))
				case 3:
					fc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.RequestTimedOut, Count: 2})
					events = append(events, "produce timed out after append")
				case 4:
					fc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: 2})
					events = append(events, "produce rejected: not enough replicas")
				case 5:
					fc.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.NotLeaderForPartition, Count: 3})
					events = append(events, "fetch: not leader")
				}
			}
			want := map[string]int64{}
			for i := range 40 {
				var lines []string
				for range 5 {
					w1, w2 := fmt.Sprintf("w%d", rng.IntN(30)), fmt.Sprintf("w%d", rng.IntN(30))
					want[w1]++
					want[w2]++
					lines = append(lines, w1+" "+w2)
				}
				c.produce(t, "lines", lines...)
				if i%2 == 0 {
					chaos()
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%d chaos events: %v", len(events), events)
			if g == runtime.ExactlyOnce {
				got, n := c.readCounts(t, "counts-out", want, 60*time.Second)
				assert.Equal(t, want, got, "read %d records", n)
			} else {
				got := c.readAtLeast(t, "counts-out", want, 60*time.Second)
				for w, n := range want {
					assert.GreaterOrEqual(t, got[w], n, "word %s: nothing may be lost", w)
				}
			}
			stop()
		})
	}
}

// readAtLeast reads topic until every key's latest count reaches want's.
func (c *cluster) readAtLeast(t *testing.T, topic string, want map[string]int64, timeout time.Duration) map[string]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got := map[string]int64{}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v, err := serde.Int64().Deserialize(topic, r.Value)
			require.NoError(t, err)
			got[string(r.Key)] = v
		})
		done := true
		for w, n := range want {
			if got[w] < n {
				done = false
			}
		}
		if done {
			break
		}
	}
	return got
}
