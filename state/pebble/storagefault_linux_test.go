// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// The kernel's own ENOSPC, on a small tmpfs, with the free-space check off:
// Pebble runs out of space mid-write, and Commit reports it (where Pebble
// stops the process); once space is freed, the database reopens with what
// was committed. Skipped where a tmpfs cannot be mounted (it needs
// CAP_SYS_ADMIN).
func TestStorageFaultOnARealFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a tmpfs for a small filesystem: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	dbDir := filepath.Join(dir, "1_0")
	opts := pebble.Options{Sync: true, MinFreeBytes: -1, MemTableSize: pebble.MinMemTableSize}
	b, err := pebble.Open(dbDir, opts)
	require.NoError(t, err)
	// Most of the space goes to a file the test can free later.
	ballast := filepath.Join(dir, "ballast")
	du, err := diskFree(dir)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ballast, make([]byte, du-(1<<20)), 0o644))

	var lastOK int64
	for off := int64(1); off < 10_000; off++ {
		if err = put(b, fmt.Sprintf("k%05d", off), 4<<10, off); err != nil {
			break
		}
		lastOK = off
	}
	requireStorageError(t, err, dbDir, "", syscall.ENOSPC)
	t.Logf("%d commits before: %v", lastOK, err)
	requireStorageError(t, b.Commit(nil), dbDir, "", syscall.ENOSPC)
	_ = closeWithin(t, b)

	require.NoError(t, os.Remove(ballast))
	b, err = pebble.Open(dbDir, opts)
	require.NoError(t, err)
	defer b.Close()
	offs, err := b.Offsets()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, offs["in/0"], lastOK, "every commit reported done is there")
	require.NoError(t, put(b, "after", 10, lastOK+2), "the database writes again")
}

func diskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}
