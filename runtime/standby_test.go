// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/eddy-streams/eddy/runtime"
)

// With one standby replica, each instance keeps a warm copy of the other's
// stateful tasks; when one instance stops, the survivor takes its tasks over
// restoring only a short changelog tail, and the counts stay exact.
func TestStandbyFailover(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { testStandbyFailover(t, workers) })
	}
}

func testStandbyFailover(t *testing.T, workers int) {
	c := newCluster(t, map[string]int32{"lines": 4, "counts-out": 4})
	topo := wordCount(t)
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: runtime.ExactlyOnce,
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: id, StandbyReplicas: 1, Workers: workers}
	}
	want := map[string]int64{}
	produce := func(from, n int) {
		lines := make([]string, n)
		for i := range lines {
			var ws []string
			for j := range 4 {
				w := fmt.Sprintf("w%d", (from+i)*7+j*13%50)
				ws = append(ws, w)
				want[w]++
			}
			lines[i] = strings.Join(ws, " ")
		}
		c.produce(t, "lines", lines...)
	}
	a1, stop1 := startApp(t, topo, cfg("i1"))
	a2, stop2 := startApp(t, topo, cfg("i2"))
	waitState(t, a1, runtime.Running)
	waitState(t, a2, runtime.Running)
	produce(0, 300)
	got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
	require.Equal(t, want, got)
	require.Eventually(t, func() bool {
		return a1.Metrics().Standbys > 0 && a2.Metrics().Standbys > 0 && a2.Metrics().StandbyApplied > 0
	}, 20*time.Second, 20*time.Millisecond, "both instances keep standbys")
	time.Sleep(200 * time.Millisecond) // let the standbys catch up with the tail
	restoredBefore := a2.Metrics().Restored
	stop1()
	produce(300, 100)
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got)
	restored := a2.Metrics().Restored - restoredBefore
	t.Logf("survivor restored %d records on failover; its standbys had applied %d", restored, a2.Metrics().StandbyApplied)
	assert.Less(t, restored, int64(100), "failover restores only the changelog tail the standby had not applied")
	stop2()
}

// A standby copy whose recorded changelog offset is out of range of the
// changelog (here: the changelog was deleted and recreated) is wiped and
// copied again, rather than replayed over: after a failover onto it, the
// counts are those of the new changelog, without stale keys.
func TestStandbyStaleCopyIsRebuilt(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	topo := wordCount(t)
	dirs := map[string]string{"i1": t.TempDir(), "i2": t.TempDir()}
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dirs[id], CommitInterval: 20 * time.Millisecond,
			Logger: quiet(t), InstanceID: id, StandbyReplicas: 1}
	}
	a1, stop1 := startApp(t, topo, cfg("i1"))
	a2, stop2 := startApp(t, topo, cfg("i2"))
	c.produce(t, "lines", "a b c d e f g h")
	want := map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1}
	got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
	require.Equal(t, want, got)
	require.Eventually(t, func() bool {
		return a1.Metrics().StandbyApplied+a2.Metrics().StandbyApplied > 0
	}, 20*time.Second, 20*time.Millisecond, "standbys keep copies")
	time.Sleep(200 * time.Millisecond) // standbys commit their progress
	stop1()
	stop2()

	// The changelog starts over: the old counts are gone from it.
	ctx := context.Background()
	_, err := c.adm.DeleteTopics(ctx, "wc-counts-changelog")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := c.adm.CreateTopic(ctx, 2, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, "wc-counts-changelog")
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)

	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c1, c2 := cfg("i1"), cfg("i2")
	c1.Logger, c2.Logger = logger, logger
	a1, stop1 = startApp(t, topo, c1)
	a2, stop2 = startApp(t, topo, c2)
	waitState(t, a1, runtime.Running)
	waitState(t, a2, runtime.Running)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(logs.String(), "standby copy: recorded offset out of range")
	}, 20*time.Second, 20*time.Millisecond, "the stale standby copy is wiped")
	c.produce(t, "lines", "a")
	// Every word is counted from scratch now; the standbys follow.
	got, _ = c.readCounts(t, "counts-out", map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1}, 20*time.Second)
	require.Equal(t, int64(1), got["a"], "a counted from scratch")
	time.Sleep(300 * time.Millisecond)
	stop1() // i2 takes every task over, from its standby copies where it had them
	c.produce(t, "lines", "a b c d e f g h")
	want = map[string]int64{"a": 2, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1}
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "no stale counts from the old changelog")
	stop2()
}
