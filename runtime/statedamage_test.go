// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
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

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// logRecorder keeps an instance's log lines (Info and above) and passes
// warnings on to the test log.
type logRecorder struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	if !strings.Contains(line, "level=INFO") {
		r.t.Log(line)
	}
	return len(p), nil
}

func (r *logRecorder) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Writer(r), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// find returns the log lines containing every one of parts.
func (r *logRecorder) find(parts ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
next:
	for _, l := range r.lines {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// taskDirs returns the task directories of application app under dir that
// hold a store (an sstable after flushStores, or any data).
func taskDirs(t *testing.T, dir, app string) []string {
	t.Helper()
	ds, err := filepath.Glob(filepath.Join(dir, app, "1_*"))
	require.NoError(t, err)
	require.NotEmpty(t, ds, "no task directories of the counting sub-topology")
	return ds
}

// flushStores opens each task database and flushes its memtable into an
// sstable, so tests can damage sstables.
func flushStores(t *testing.T, dirs []string) {
	t.Helper()
	for _, d := range dirs {
		b, err := pebble.Open(d, pebble.Options{})
		require.NoError(t, err)
		require.NoError(t, b.DB().Flush())
		require.NoError(t, b.Close())
	}
}

func glob(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	require.NoError(t, err)
	require.NotEmpty(t, m, "no %s in %s", pattern, dir)
	return m
}

// Local state damaged or left over in every way we know: the restarted
// instance detects it, says so in a warning naming the task and the
// directory, rebuilds the store from the changelog, and the output is
// exact.
func TestStateDamage(t *testing.T) {
	type damage struct {
		name string
		// apply damages the stopped instance's state directory.
		apply func(t *testing.T, dir string)
		// warn is the expected warning ("" for none: a missing
		// directory is simply restored).
		warn string
	}
	damages := []damage{
		{"deleted task directories", func(t *testing.T, dir string) {
			for _, d := range taskDirs(t, dir, "wc") {
				require.NoError(t, os.RemoveAll(d))
			}
		}, ""},
		{"deleted application state directory", func(t *testing.T, dir string) {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, "wc")))
		}, ""},
		{"truncated MANIFEST", func(t *testing.T, dir string) {
			for _, d := range taskDirs(t, dir, "wc") {
				for _, m := range glob(t, d, "MANIFEST-*") {
					require.NoError(t, os.Truncate(m, 10))
				}
			}
		}, "task state is damaged"},
		{"truncated sstable", func(t *testing.T, dir string) {
			ds := taskDirs(t, dir, "wc")
			flushStores(t, ds)
			for _, d := range ds {
				require.NoError(t, os.Truncate(glob(t, d, "*.sst")[0], 50))
			}
		}, "task state is damaged"},
		{"garbage in an sstable", func(t *testing.T, dir string) {
			ds := taskDirs(t, dir, "wc")
			flushStores(t, ds)
			for _, d := range ds {
				f, err := os.OpenFile(glob(t, d, "*.sst")[0], os.O_WRONLY, 0)
				require.NoError(t, err)
				_, err = f.WriteAt([]byte("GARBAGE-GARBAGE"), 8)
				require.NoError(t, err)
				require.NoError(t, f.Close())
			}
		}, "task state is damaged"},
		{"garbage in the task metadata", func(t *testing.T, dir string) {
			for _, d := range taskDirs(t, dir, "wc") {
				require.NoError(t, os.WriteFile(filepath.Join(d, "eddy-task.json"), []byte("{garbage"), 0o644))
			}
		}, "task state cannot be used"},
	}
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		for _, dmg := range damages {
			t.Run(g.String()+"/"+dmg.name, func(t *testing.T) {
				c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
				dir := t.TempDir()
				logs := &logRecorder{t: t}
				cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, Guarantee: g, InstanceID: "i1",
					CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
				c.produce(t, "lines", "a b", "b c", "c d e", "e")
				_, stop := startApp(t, wordCount(t), cfg)
				want := map[string]int64{"a": 1, "b": 2, "c": 2, "d": 1, "e": 2}
				got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
				require.Equal(t, want, got)
				stop()

				dmg.apply(t, dir)

				c.produce(t, "lines", "a c e", "f")
				app, stop := startApp(t, wordCount(t), cfg)
				want = map[string]int64{"a": 2, "b": 2, "c": 3, "d": 1, "e": 3, "f": 1}
				got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
				assert.Equal(t, want, got, "counts after the damaged state was rebuilt")
				assert.Positive(t, app.Metrics().Restored, "the store was rebuilt from the changelog")
				stop()
				if dmg.warn != "" {
					lines := logs.find("level=WARN", dmg.warn, "rebuilding it from the changelog", "task=1_", "dir="+filepath.Join(dir, "wc", "1_"))
					assert.NotEmpty(t, lines, "a warning names the task, its directory and the damage")
				}
			})
		}
	}
}

// State left in the directory by a different application id (a copied or
// renamed state directory) is not mixed into this application's stores.
func TestStateDamageForeignApplication(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2, "counts-out-2": 2})
	dir := t.TempDir()
	logs := &logRecorder{t: t}
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, InstanceID: "i1",
		CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
	c.produce(t, "lines", "a b", "b")
	_, stop := startApp(t, wordCount(t), cfg)
	want := map[string]int64{"a": 1, "b": 2}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	stop()

	// Another application, "wc2", finds wc's task directories under its
	// own name: same store names, same keys, but not its state.
	require.NoError(t, os.CopyFS(filepath.Join(dir, "wc2"), os.DirFS(filepath.Join(dir, "wc"))))
	cfg.AppID = "wc2"
	_, stop = startApp(t, wordCountTo(t, "counts-out-2"), cfg)
	got, _ = c.readCounts(t, "counts-out-2", want, 20*time.Second)
	assert.Equal(t, want, got, "wc2 counts its own input only")
	stop()
	assert.NotEmpty(t, logs.find("level=WARN", "task state cannot be used", `it holds state of application \"wc\", not \"wc2\"`))
}

// State built from a changelog that no longer exists: the instance's
// state directory is reused against a new cluster (or after the internal
// topics were deleted and recreated). Whether the recorded changelog offset
// lies past the new changelog's end or not (the topic id tells), the state
// is rebuilt from the changelog that exists.
func TestStateDamageChangelogRecreated(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		for _, longer := range []bool{false, true} {
			name := g.String() + "/offset past the end"
			if longer {
				name = g.String() + "/new changelog longer"
			}
			t.Run(name, func(t *testing.T) {
				old := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
				dir := t.TempDir()
				logs := &logRecorder{t: t}
				cfg := runtime.Config{AppID: "wc", Brokers: old.addrs, StateDir: dir, Guarantee: g, InstanceID: "i1",
					CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
				old.produce(t, "lines", "a b c d", "a b c d")
				_, stop := startApp(t, wordCount(t), cfg)
				want := map[string]int64{"a": 2, "b": 2, "c": 2, "d": 2}
				got, _ := old.readCounts(t, "counts-out", want, 20*time.Second)
				require.Equal(t, want, got)
				stop()

				c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
				cfg.Brokers = c.addrs
				want = map[string]int64{}
				if longer {
					// Another instance builds a long changelog on the new
					// cluster first.
					var lines []string
					for i := range 40 {
						w := fmt.Sprintf("w%d", i%10)
						lines = append(lines, w+" a")
						want[w]++
						want["a"]++
					}
					c.produce(t, "lines", lines...)
					other := cfg
					other.StateDir, other.InstanceID = t.TempDir(), "i2"
					_, stop := startApp(t, wordCount(t), other)
					got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
					require.Equal(t, want, got)
					stop()
				}
				// "b" is in the old state only: mixed in, it would count 3.
				c.produce(t, "lines", "a e b")
				want["a"]++
				want["e"]++
				want["b"]++
				app, stop := startApp(t, wordCount(t), cfg)
				got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
				assert.Equal(t, want, got, "no count of the old cluster leaks in")
				if longer {
					assert.Positive(t, app.Metrics().Restored)
				}
				stop()
				reason := "past the changelog end"
				if longer {
					reason = "was deleted and recreated"
				}
				assert.NotEmpty(t, logs.find("level=WARN", "task state cannot be used", reason, "task=1_"))
			})
		}
	}
}

// wordCountTo is wordCount writing to topic.
func wordCountTo(t *testing.T, topic string) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To(topic, serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// After a crash (simulated: the marker an open store leaves behind), the
// store is read in full before the task processes anything. Intact, it is
// used as it is (no wipe, no restore: the point of Eddy's exactly-once
// design); with a corrupted block Open did not touch, it is rebuilt.
func TestStateDamageAfterCrash(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		for _, corrupt := range []bool{false, true} {
			name := g.String() + "/intact"
			if corrupt {
				name = g.String() + "/corrupted block"
			}
			t.Run(name, func(t *testing.T) {
				c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
				dir := t.TempDir()
				logs := &logRecorder{t: t}
				cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, Guarantee: g, InstanceID: "i1",
					CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
				// Enough distinct words for many data blocks per store.
				want := map[string]int64{}
				var lines []string
				for i := range 400 {
					w := fmt.Sprintf("word-%04d-%s", i, strings.Repeat("x", 40))
					lines = append(lines, w)
					want[w] = 1
				}
				c.produce(t, "lines", lines...)
				_, stop := startApp(t, wordCount(t), cfg)
				got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
				require.Equal(t, want, got)
				stop()

				ds := taskDirs(t, dir, "wc")
				flushStores(t, ds)
				for _, d := range ds {
					if corrupt {
						sst := glob(t, d, "*.sst")[0]
						fi, err := os.Stat(sst)
						require.NoError(t, err)
						f, err := os.OpenFile(sst, os.O_WRONLY, 0)
						require.NoError(t, err)
						_, err = f.WriteAt([]byte("GARBAGE-GARBAGE"), fi.Size()/2)
						require.NoError(t, err)
						require.NoError(t, f.Close())
					}
					// What a crashed run leaves (state/pebble's open marker).
					require.NoError(t, os.WriteFile(filepath.Join(d, "EDDY-OPEN"), nil, 0o644))
				}

				w0 := lines[0]
				c.produce(t, "lines", w0)
				want[w0] = 2
				app, stop := startApp(t, wordCount(t), cfg)
				got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
				assert.Equal(t, want, got)
				if corrupt {
					assert.Positive(t, app.Metrics().Restored, "rebuilt from the changelog")
					assert.NotEmpty(t, logs.find("level=WARN", "verification after an unclean shutdown failed", "checksum", "task=1_"))
				} else {
					assert.Zero(t, app.Metrics().Restored, "an intact store is used as it is")
					assert.NotEmpty(t, logs.find("level=INFO", "verified task state after an unclean shutdown", "task=1_"))
				}
				stop()
			})
		}
	}
}
