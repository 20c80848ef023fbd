// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultMinFreeBytes is the free space Open and Commit require on the
// database's filesystem when Options.MinFreeBytes is zero.
const DefaultMinFreeBytes = 64 << 20

// DiskFullError is the refusal of Open or Commit to write on a filesystem
// with too little free space left. Pebble cannot flush a memtable or start a
// new write-ahead log on a full disk and stops writing for good when that
// happens (see storagefault.go); refusing first reports the problem early
// and loses nothing: a refused commit's writes are dropped with the task,
// and the input they came from is processed again after a restart.
type DiskFullError struct {
	// Dir is the database directory; Free the bytes free for it on its
	// filesystem; Min the free space Open and Commit require.
	Dir       string
	Free, Min uint64
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("state/pebble: no space left for %s: %d MiB free on its filesystem, below the %d MiB the store requires to open or commit (Options.MinFreeBytes); free disk space (or move the state directory) and restart",
		e.Dir, e.Free>>20, e.Min>>20)
}

// checkSpace returns a *DiskFullError when the filesystem of dir has less
// free space than min requires (see Options.MinFreeBytes); a filesystem
// that cannot tell its free space is not a reason to refuse.
func checkSpace(fs vfs.FS, dir string, min int64) error {
	if min < 0 {
		return nil
	}
	if min == 0 {
		min = DefaultMinFreeBytes
	}
	du, err := fs.GetDiskUsage(dir)
	if err == nil && du.AvailBytes < uint64(min) {
		return &DiskFullError{Dir: dir, Free: du.AvailBytes, Min: uint64(min)}
	}
	return nil
}
