// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble_test

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// A filesystem that fills up after Open: the next commit is refused with an
// error that says so and what to do, and the writes stay uncommitted
// (Pebble would stop writing for good when its disk fills).
func TestCommitRefusesOnAFullDisk(t *testing.T) {
	fs := vfs.NewMem()
	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30})
	b, err := pebble.Open("/state/0_1", pebble.Options{FS: fs})
	require.NoError(t, err)
	defer b.Close()
	kv, err := b.KeyValue("kv")
	require.NoError(t, err)
	require.NoError(t, kv.Put([]byte("k"), []byte("v")))
	require.NoError(t, b.Commit(map[string]int64{"in/0": 6}))

	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 10 << 20, TotalBytes: 2 << 30})
	require.NoError(t, kv.Put([]byte("k"), []byte("w")))
	err = b.Commit(map[string]int64{"in/0": 7})
	var full *pebble.DiskFullError
	require.True(t, errors.As(err, &full), "got %v", err)
	assert.Equal(t, "/state/0_1", full.Dir)
	assert.Equal(t, uint64(10<<20), full.Free)
	assert.Equal(t, uint64(pebble.DefaultMinFreeBytes), full.Min)
	assert.Contains(t, err.Error(), "no space left for /state/0_1: 10 MiB free")
	assert.Contains(t, err.Error(), "free disk space")
	offs, err := b.Offsets()
	require.NoError(t, err)
	assert.Equal(t, int64(6), offs["in/0"], "the refused commit changed nothing")

	// Once space is freed, the same writes commit.
	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30})
	require.NoError(t, b.Commit(map[string]int64{"in/0": 7}))
	v, err := kv.Get([]byte("k"))
	require.NoError(t, err)
	assert.Equal(t, "w", string(v))
}

// A start on a full disk fails fast: Open refuses before Pebble writes
// anything, naming the directory and the free space.
func TestOpenRefusesOnAFullDisk(t *testing.T) {
	fs := vfs.NewMem()
	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 20, TotalBytes: 2 << 30})
	_, err := pebble.Open("/state/0_1", pebble.Options{FS: fs})
	var full *pebble.DiskFullError
	require.True(t, errors.As(err, &full), "got %v", err)
	assert.Equal(t, "/state/0_1", full.Dir)
	names, err := fs.List("/state/0_1")
	require.NoError(t, err)
	assert.Empty(t, names, "nothing was written")

	// On the operating system's filesystem, with more required than any
	// disk has.
	dir := t.TempDir()
	_, err = pebble.Open(dir, pebble.Options{MinFreeBytes: 1 << 62})
	require.True(t, errors.As(err, &full), "got %v", err)
	assert.Equal(t, dir, full.Dir)

	// With the default requirement (64 MiB) a test machine's disk passes,
	// a negative one turns the check off, and a filesystem that cannot
	// tell its free space passes.
	for _, o := range []pebble.Options{{}, {MinFreeBytes: -1}, {FS: vfs.NewMem()}} {
		d := t.TempDir()
		if o.FS != nil {
			d = "/db"
		}
		b, err := pebble.Open(d, o)
		require.NoError(t, err)
		kv, err := b.KeyValue("kv")
		require.NoError(t, err)
		require.NoError(t, kv.Put([]byte("k"), []byte("v")))
		assert.NoError(t, b.Commit(map[string]int64{"in/0": 7}))
		require.NoError(t, b.Close())
	}
}
