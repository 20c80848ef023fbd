// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/state/pebble"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, for a
// filesystem that really fills up; it skips the test where mounting is not
// permitted (it needs CAP_SYS_ADMIN, as root in a container has).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs for a small filesystem (needs CAP_SYS_ADMIN): %v", err)
	}
	// Registered first, so it runs after the cleanups that close the app.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// runApp starts app; the returned channel is closed when Run returns, and
// the error it returned is then in *runErr.
func runApp(t *testing.T, app *runtime.App) (done <-chan struct{}, runErr *error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{})
	runErr = new(error)
	go func() {
		*runErr = app.Run(ctx)
		close(ch)
	}()
	t.Cleanup(func() {
		cancel()
		<-ch
		_ = app.Close(context.Background())
	})
	return ch, runErr
}

// runError waits for Run to fail and returns its error.
func runError(t *testing.T, done <-chan struct{}, runErr *error) error {
	t.Helper()
	select {
	case <-done:
		require.Error(t, *runErr, "Run ended without an error")
		return *runErr
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not stop on the storage failure")
		return nil
	}
}

// A start on a full disk fails fast, with an error naming the task, its
// state directory and the cause, and what to do: no task processes a
// record, nothing panics.
func TestStartOnAFullDiskFails(t *testing.T) {
	dir := mountTmpfs(t, 16<<20) // less free than a store requires (64 MiB)
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	c.produce(t, "lines", "a b", "b c")
	logs := &logRecorder{t: t}
	app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir,
		InstanceID: "i1", Logger: logs.logger()})
	require.NoError(t, err)
	done, runErr := runApp(t, app)
	err = runError(t, done, runErr)

	var full *pebble.DiskFullError
	require.ErrorAs(t, err, &full)
	assert.Contains(t, full.Dir, filepath.Join(dir, "wc")+string(filepath.Separator))
	msg := err.Error()
	assert.Regexp(t, `task [01]_[01]: open state in `+dir, msg)
	assert.Contains(t, msg, "no space left for "+dir)
	assert.Contains(t, msg, "free disk space")
	assert.Zero(t, app.Metrics().ProcessedTotal)
}

// A disk filling up while the app runs stops it at the next commit with an
// error naming the task, its directory and the free space; nothing
// committed is lost, and once space is freed a restart finishes the work.
func TestDiskFillingUpStopsTheApp(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			dir := mountTmpfs(t, 96<<20)
			c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
			logs := &logRecorder{t: t}
			cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, Guarantee: g, InstanceID: "i1",
				CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
			c.produce(t, "lines", "a b", "b c")
			app, err := runtime.New(wordCount(t), cfg)
			require.NoError(t, err)
			done, runErr := runApp(t, app)
			want := map[string]int64{"a": 1, "b": 2, "c": 1}
			got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
			require.Equal(t, want, got)

			// Something else fills the disk.
			ballast := filepath.Join(dir, "ballast")
			require.NoError(t, os.WriteFile(ballast, make([]byte, 48<<20), 0o644))
			c.produce(t, "lines", "a c", "d")
			err = runError(t, done, runErr)
			var full *pebble.DiskFullError
			require.ErrorAs(t, err, &full)
			assert.Regexp(t, `task 1_[01]: commit state: state/pebble: no space left for `+filepath.Join(dir, "wc", "1_"), err.Error())
			assert.Contains(t, err.Error(), "free disk space")
			require.NoError(t, app.Close(context.Background()))

			require.NoError(t, os.Remove(ballast))
			_, stop := startApp(t, wordCount(t), cfg)
			want = map[string]int64{"a": 2, "b": 2, "c": 2, "d": 1}
			got, _ = c.readCounts(t, "counts-out", want, 20*time.Second)
			assert.Equal(t, want, got, "every line counted once the disk has room")
			stop()
		})
	}
}

// A task whose state takes long to open (here: a read that blocks, as on
// a hung network filesystem) does not stop the instance from answering
// for its metrics and status: tasks open their state outside the worker's
// lock.
func TestMetricsAnswerWhileAStoreOpenIsStuck(t *testing.T) {
	dir := t.TempDir()
	taskDir := filepath.Join(dir, "wc", "1_0")
	require.NoError(t, os.MkdirAll(taskDir, 0o755))
	// The store's open reads this file first (the damage marker): a
	// FIFO blocks it until a writer comes and goes.
	fifo := filepath.Join(taskDir, "EDDY-DAMAGED")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))

	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	c.produce(t, "lines", "a b", "b")
	logs := &logRecorder{t: t}
	app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: dir, InstanceID: "i1",
		CommitInterval: 20 * time.Millisecond, Logger: logs.logger()})
	require.NoError(t, err)
	runApp(t, app)

	// Wait until the open reaches the FIFO: opening it for writing
	// without blocking succeeds once a reader is there, and keeps the
	// reader waiting for data.
	var w *os.File
	require.Eventually(t, func() bool {
		w, err = os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil
	}, 30*time.Second, 5*time.Millisecond, "the store's open never read its directory: %v", err)

	answered := make(chan runtime.DetailedMetrics, 1)
	go func() {
		_ = app.Metrics()
		_ = app.State()
		answered <- app.DetailedMetrics()
	}()
	select {
	case d := <-answered:
		for _, s := range d.Stores {
			assert.NotEqual(t, "1_0", s.Task, "the stuck store is not open yet")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("metrics wait for a store that cannot open")
	}
	_, err = os.Stat(filepath.Join(taskDir, "eddy-task.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the task's open is still stuck")

	// Unblocked, the open finds a damage marker, rebuilds the store and
	// the task processes its input.
	_, err = w.WriteString("stuck-open test\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	want := map[string]int64{"a": 1, "b": 2}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	assert.Equal(t, want, got)
	assert.NotEmpty(t, logs.find("level=WARN", "task state is damaged", "task=1_0"))
}
