// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

func tasksOf(app *runtime.App) []string { return slices.Sorted(maps.Keys(app.Metrics().Processed)) }

// Static membership (Config.GroupInstanceID): an instance that stops and
// comes back within the session timeout keeps its tasks, with no restore;
// under dynamic membership its tasks move at once.
func TestStaticMembershipRestartKeepsTasks(t *testing.T) {
	for _, static := range []bool{true, false} {
		name := map[bool]string{true: "static", false: "dynamic"}[static]
		t.Run(name, func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 4, "counts-out": 4})
			cfg := func(id string) runtime.Config {
				cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: id,
					CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
				if static {
					cfg.GroupInstanceID = "pod-" + id
				}
				return cfg
			}
			cfgA, cfgB := cfg("a"), cfg("b")
			a, stopA := startApp(t, wordCount(t), cfgA)
			b, stopB := startApp(t, wordCount(t), cfgB)
			var tasksA, tasksB []string
			require.Eventually(t, func() bool {
				tasksA, tasksB = tasksOf(a), tasksOf(b)
				return a.State() == runtime.Running && b.State() == runtime.Running &&
					len(tasksA) > 0 && len(tasksB) > 0 && len(tasksA)+len(tasksB) == 8
			}, 20*time.Second, 20*time.Millisecond, "two instances share the 8 tasks")
			if static {
				d, err := c.adm.DescribeGroups(t.Context(), "wc")
				require.NoError(t, err)
				var ids []string
				for _, m := range d["wc"].Members {
					require.NotNil(t, m.InstanceID)
					ids = append(ids, *m.InstanceID)
				}
				slices.Sort(ids)
				assert.Equal(t, []string{"pod-a-0", "pod-b-0"}, ids, "one static member per worker")
			}
			c.produce(t, "lines", "a b", "b c", "c d", "d e")
			want := map[string]int64{"a": 1, "b": 2, "c": 2, "d": 2, "e": 1}
			require.Equal(t, want, c.readAtLeast(t, "counts-out", want, 20*time.Second))

			stopB()
			if static {
				time.Sleep(4 * time.Second) // beyond a heartbeat interval, within the 45 s session timeout
				assert.Equal(t, tasksA, tasksOf(a), "no rebalance: B's tasks wait for B")
			} else {
				require.Eventually(t, func() bool { return len(tasksOf(a)) == 8 }, 20*time.Second, 20*time.Millisecond,
					"B left the group: A took its tasks")
			}

			b, stopB = startApp(t, wordCount(t), cfgB)
			require.Eventually(t, func() bool {
				return b.State() == runtime.Running && len(tasksOf(b)) > 0
			}, 20*time.Second, 20*time.Millisecond)
			if static {
				assert.Equal(t, tasksB, tasksOf(b), "B got its tasks back")
				assert.Equal(t, tasksA, tasksOf(a))
				assert.Zero(t, b.Metrics().Restored, "its local state was current")
			}
			c.produce(t, "lines", "a e")
			want["a"], want["e"] = 2, 2
			assert.Equal(t, want, c.readAtLeast(t, "counts-out", want, 20*time.Second))
			stopB()
			stopA()
		})
	}
}

// Two live processes with one GroupInstanceID: the older one stops with a
// FencedError naming the member id; the newer one keeps running.
func TestStaticMembershipTwinIsFenced(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: id, GroupInstanceID: "pod-x",
			Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	}
	old, err := runtime.New(wordCount(t), cfg("old"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var oldErr error
	var wg sync.WaitGroup
	wg.Go(func() { oldErr = old.Run(ctx) })
	waitState(t, old, runtime.Running)
	c.produce(t, "lines", "a b")
	want := map[string]int64{"a": 1, "b": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	twin, stopTwin := startApp(t, wordCount(t), cfg("new"))
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the fenced instance is still running (state %v)", old.State())
	}
	require.Error(t, oldErr)
	var fe *runtime.FencedError
	require.True(t, errors.As(oldErr, &fe), "Run returned %v", oldErr)
	assert.Equal(t, "pod-x-0", fe.GroupInstanceID)
	assert.Equal(t, "old", fe.InstanceID)
	assert.Contains(t, oldErr.Error(), `another live group member uses group instance id "pod-x-0"`)
	assert.Equal(t, runtime.Error, old.State())
	require.NoError(t, old.Close(context.Background()))

	waitState(t, twin, runtime.Running)
	c.produce(t, "lines", "a c")
	want = map[string]int64{"a": 2, "b": 1, "c": 1}
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got)
	assert.Equal(t, runtime.Running, twin.State())
	stopTwin()
}
