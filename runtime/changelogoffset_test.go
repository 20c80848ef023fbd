// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

// A task's committed changelog offset never goes back. Instance A owns
// every task; B joins, takes some and writes their changelogs; B leaves and
// A restores those tasks to B's offsets. A then commits cycles that write
// nothing to those changelogs: the offsets it stores must stay B's, not
// the ones A had before the tasks left (which a worker-wide cache of
// committed offsets used to write back). Seen from outside: A restarted on
// its state directory restores nothing.
func TestChangelogOffsetNeverGoesBack(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: id,
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	}
	aCfg := cfg("A")
	c.produce(t, "lines", "a b", "c d", "e f", "g h")
	a, stopA := startApp(t, wordCount(t), aCfg)
	want := map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	b, stopB := startApp(t, wordCount(t), cfg("B"))
	require.Eventually(t, func() bool { return len(b.Metrics().Processed) > 0 && b.State() == runtime.Running },
		30*time.Second, 10*time.Millisecond, "B never got a task")
	c.produce(t, "lines", "a b", "c d", "e f", "g h")
	for k := range want {
		want[k] = 2
	}
	got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	require.Eventually(t, func() bool {
		var n int64
		for _, v := range b.Metrics().Processed {
			n += v
		}
		return n > 0 && b.Metrics().Commits > 2
	}, 10*time.Second, 10*time.Millisecond, "B processed and committed")
	stopB()

	// A takes B's tasks back, restoring what B wrote, then commits cycles
	// that write none of their changelogs.
	require.Eventually(t, func() bool { return a.Metrics().Restored > 0 && a.State() == runtime.Running },
		30*time.Second, 10*time.Millisecond, "A never restored B's tasks")
	commits := a.Metrics().Commits
	require.Eventually(t, func() bool { return a.Metrics().Commits > commits+5 }, 10*time.Second, 10*time.Millisecond)
	stopA()

	a, stopA = startApp(t, wordCount(t), aCfg)
	waitState(t, a, runtime.Running)
	assert.Zero(t, a.Metrics().Restored, "A's stores were current: a stored changelog offset went back")
	stopA()
}
