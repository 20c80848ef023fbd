// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// stallingWordCount is wordCount with an operator that blocks once, for
// stall, when it sees the word "stall".
func stallingWordCount(t *testing.T, stall time.Duration, stalled *atomic.Int32) *stream.Topology {
	var once sync.Once
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		Peek(func(_, w string) {
			if w == "stall" {
				once.Do(func() { stalled.Add(1); time.Sleep(stall) })
			}
		}).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// A worker that stalls longer than the transaction timeout has its
// transaction aborted and its producer epoch bumped by the broker. Like a
// Kafka Streams thread on TaskMigratedException, it drops the aborted
// cycle's state, rebuilds its transactional producer, rejoins the group and
// carries on: the output stays exact and the application keeps running.
func TestTransactionTimeoutRebuildsProducer(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	var stalled atomic.Int32
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: runtime.ExactlyOnce,
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: "one",
		ClientOptions: []kgo.Opt{kgo.TransactionTimeout(time.Second)}}
	app, stop := startApp(t, stallingWordCount(t, 3*time.Second, &stalled), cfg)
	c.produce(t, "lines", "a b", "b")
	want := map[string]int64{"a": 1, "b": 2}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	c.produce(t, "lines", "a stall c")
	c.produce(t, "lines", "c d")
	want = map[string]int64{"a": 2, "b": 2, "c": 2, "d": 1, "stall": 1}
	got, n := c.readCounts(t, "counts-out", want, 40*time.Second)
	assert.Equal(t, want, got, "read %d records", n)
	assert.Equal(t, int32(1), stalled.Load())
	assert.NotEqual(t, runtime.Error, app.State())
	assert.Positive(t, app.Metrics().ProducerResets, "the fenced producer was rebuilt")
	stop()
}

// A transactional offset commit refused because the member's generation is
// stale aborts the cycle; the worker carries on (Kafka Streams'
// TaskMigratedException) and the output stays exact.
func TestStaleGenerationAbortsCycle(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	c.produce(t, "lines", "a b", "b")
	h := c.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.TxnOffsetCommit}, Err: kerr.IllegalGeneration, Count: 2})
	defer h.Remove()
	app, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
		Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
	want := map[string]int64{"a": 1, "b": 2}
	got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
	require.Equal(t, want, got)
	c.produce(t, "lines", "a")
	want["a"] = 2
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got)
	assert.Positive(t, h.Hits(), "faults were injected")
	assert.NotEqual(t, runtime.Error, app.State())
	stop()
}

// Under at-least-once, an offset commit refused because the group no longer
// knows the member (its session expired while it was busy) means its tasks
// may be someone else's already. It closes them without committing and
// processes nothing until the client's next group session, then reopens
// the tasks it still owns from their changelogs: no state written after
// the refusal, nothing lost, and the app carries on.
func TestALOSCommitByDroppedMemberStopsProcessing(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	logs := &logRecorder{t: t}
	app, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
		Guarantee: runtime.AtLeastOnce, CommitInterval: 50 * time.Millisecond, Logger: logs.logger()})
	waitState(t, app, runtime.Running)
	c.produce(t, "lines", "a b", "b")
	want := map[string]int64{"a": 1, "b": 2}
	got := c.readAtLeast(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	h := c.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.UnknownMemberID, Count: 1})
	defer h.Remove()
	c.produce(t, "lines", "a c")
	require.Eventually(t, func() bool {
		return len(logs.find("the group dropped this member")) > 0
	}, 20*time.Second, 20*time.Millisecond, "the refused commit dropped the tasks")
	c.produce(t, "lines", "a d")
	want = map[string]int64{"a": 3, "b": 2, "c": 1, "d": 1}
	got = c.readAtLeast(t, "counts-out", want, 30*time.Second)
	for w, n := range want {
		assert.GreaterOrEqual(t, got[w], n, "%q: nothing lost, and the tasks reopened from their changelogs", w)
	}
	assert.Equal(t, int32(1), int32(h.Hits()), "one commit was refused")
	assert.NotEqual(t, runtime.Error, app.State())
	stop()
}
