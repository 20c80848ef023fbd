// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
)

// A previous owner dropped from the group but still running (a zombie) can
// hold a transaction open on a changelog below records a later owner
// committed: the last stable offset stays below them. A task restored by yet
// another instance must still see those records — it waits for the open
// transaction to end (here the broker aborts it after its timeout) instead
// of stopping at the last stable offset, or the counts would go backwards.
func TestRestoreWaitsForZombieTransaction(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	ctx := context.Background()
	cfg := func(instance string) runtime.Config { return restoreConfig(t, c, instance) }
	appA, stopA := startApp(t, wordCount(t), cfg("a"))
	waitState(t, appA, runtime.Running)

	// The zombie's transaction opens on the changelog below everything A
	// commits next; the broker aborts it after 4 s.
	zombie, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.TransactionalID("zombie"), kgo.TransactionTimeout(4*time.Second))
	require.NoError(t, err)
	defer zombie.Close()
	require.NoError(t, zombie.BeginTransaction())
	require.NoError(t, zombie.ProduceSync(ctx, &kgo.Record{Topic: "wc-counts-changelog", Key: []byte("a"), Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}}).FirstErr())

	c.produce(t, "lines", "a", "a", "a")
	want := map[string]int64{"a": 3}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	stopA()
	lso, err := c.adm.ListCommittedOffsets(ctx, "wc-counts-changelog")
	require.NoError(t, err)
	hwm, err := c.adm.ListEndOffsets(ctx, "wc-counts-changelog")
	require.NoError(t, err)
	l, _ := lso.Lookup("wc-counts-changelog", 0)
	h, _ := hwm.Lookup("wc-counts-changelog", 0)
	require.Less(t, l.Offset, h.Offset, "the zombie's open transaction holds the last stable offset below A's records")

	// B takes the task over with no local state (another host).
	appB, stopB := startApp(t, wordCount(t), cfg("b"))
	defer stopB()
	c.produce(t, "lines", "a")
	want = map[string]int64{"a": 4}
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "the count after a fourth input continues from A's committed state")
	assert.Equal(t, int64(3), appB.Metrics().Restored, "B restored A's three committed changelog records, not the zombie's aborted one")
}

// A changelog whose tail holds nothing readable must not hang the restore:
// once the last stable offset has reached the target and several polls
// return nothing, the restore is done. On Kafka this happens when the
// cleaner removed the last records of a rolled segment (an abort marker
// past delete.retention.ms, say) and nothing was written since; here the
// broker reports end offsets one past the changelog's last record.
func TestRestoreEndsAtInvisibleTail(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	ctx := context.Background()
	cfg := func(instance string) runtime.Config { return restoreConfig(t, c, instance) }
	_, stopA := startApp(t, wordCount(t), cfg("a"))
	c.produce(t, "lines", "a", "a")
	want := map[string]int64{"a": 2}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	stopA()

	const changelog = "wc-counts-changelog"
	ends, err := c.adm.ListEndOffsets(ctx, changelog)
	require.NoError(t, err)
	end, _ := ends.Lookup(changelog, 0)
	var inflated atomic.Int32
	c.c.ControlKey(int16(kmsg.ListOffsets), func(req kmsg.Request) (kmsg.Response, error, bool) {
		lreq := req.(*kmsg.ListOffsetsRequest)
		if len(lreq.Topics) != 1 || lreq.Topics[0].Topic != changelog || len(lreq.Topics[0].Partitions) != 1 ||
			lreq.Topics[0].Partitions[0].Timestamp != -1 {
			return nil, nil, false // not an end offset query of the changelog alone
		}
		c.c.KeepControl()
		inflated.Add(1)
		resp := lreq.ResponseKind().(*kmsg.ListOffsetsResponse)
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = changelog
		rp := kmsg.NewListOffsetsResponseTopicPartition()
		rp.Partition, rp.Offset, rp.Timestamp, rp.LeaderEpoch = 0, end.Offset+1, -1, -1
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})

	appB, stopB := startApp(t, wordCount(t), cfg("b"))
	defer stopB()
	c.produce(t, "lines", "a")
	want = map[string]int64{"a": 3}
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "B restored A's state and went on")
	assert.Equal(t, int64(2), appB.Metrics().Restored, "A's two changelog records")
	assert.Positive(t, inflated.Load(), "end offsets were reported past the last record")
}

// restoreConfig is an exactly-once word count instance on c with a state
// directory of its own.
func restoreConfig(t *testing.T, c *cluster, instance string) runtime.Config {
	return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: instance, CacheMaxBytes: runtime.NoCache,
		Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
}
