// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(strings.TrimSpace(string(p))); return len(p), nil }

func quiet(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// A stopped instance restarted on the same state directory continues from
// its local state: no changelog restore, no double counting.
func TestRestartWithLocalState(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
			dir := t.TempDir()
			cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, Guarantee: g,
				CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: "i1"}
			c.produce(t, "lines", "x y", "y")
			app, stop := startApp(t, wordCount(t), cfg)
			want := map[string]int64{"x": 1, "y": 2}
			got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
			require.Equal(t, want, got)
			stop()

			c.produce(t, "lines", "y z")
			app, stop = startApp(t, wordCount(t), cfg)
			want = map[string]int64{"x": 1, "y": 3, "z": 1}
			got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
			assert.Equal(t, want, got)
			assert.Zero(t, app.Metrics().Restored, "local state was current: nothing to restore")
			stop()

			// A fresh state directory restores from the changelog.
			cfg.StateDir = t.TempDir()
			c.produce(t, "lines", "x")
			app, stop = startApp(t, wordCount(t), cfg)
			want = map[string]int64{"x": 2, "y": 3, "z": 1}
			got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
			assert.Equal(t, want, got)
			assert.Positive(t, app.Metrics().Restored, "empty state directory: restored from the changelog")
			assert.Zero(t, app.Metrics().RestoreRemaining, "the restore finished")
			stop()
		})
	}
}

// Three instances joining and leaving mid-stream under exactly-once: the
// read_committed output holds the exact counts.
func TestScaleOutAndInExactlyOnce(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 6, "counts-out": 6})
	topo := wordCount(t)
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: runtime.ExactlyOnce,
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: id}
	}
	want := map[string]int64{}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	produce := func(n int) {
		lines := make([]string, n)
		mu.Lock()
		for i := range lines {
			var ws []string
			for range 3 {
				w := fmt.Sprintf("w%d", rng.IntN(40))
				ws = append(ws, w)
				want[w]++
			}
			lines[i] = strings.Join(ws, " ")
		}
		mu.Unlock()
		c.produce(t, "lines", lines...)
	}
	_, stop1 := startApp(t, topo, cfg("i1"))
	produce(200)
	_, stop2 := startApp(t, topo, cfg("i2"))
	produce(200)
	_, stop3 := startApp(t, topo, cfg("i3"))
	produce(200)
	time.Sleep(300 * time.Millisecond)
	stop2()
	produce(200)
	stop1()
	produce(200)
	got, n := c.readCounts(t, "counts-out", want, 30*time.Second)
	stop3()
	assert.Equal(t, want, got, "after %d output records", n)
}

// Without a configured InstanceID, each state directory gets its own random
// id, kept across restarts, so two instances on one host never share
// transactional ids.
func TestDefaultInstanceIDIsPersistentAndUnique(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	dir1, dir2 := t.TempDir(), t.TempDir()
	id := func(dir string) string {
		app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, Logger: quiet(t)})
		require.NoError(t, err)
		defer app.Close(t.Context())
		return app.InstanceID()
	}
	a, b := id(dir1), id(dir2)
	assert.NotEqual(t, a, b)
	assert.Len(t, a, 16)
	assert.Equal(t, a, id(dir1), "kept across restarts")
}

// Two instances never share a state directory.
func TestStateDirectoryLock(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)}
	first, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	_, err = runtime.New(wordCount(t), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is in use by another process")
	assert.Contains(t, err.Error(), "give each instance its own Config.StateDir")
	require.NoError(t, first.Close(t.Context()))
	again, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err, "the lock is released on Close")
	require.NoError(t, again.Close(t.Context()))
}
