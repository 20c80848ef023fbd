// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Storage faults.
//
// A failing disk (full, read-only, returning EIO) is an event a caller
// must be able to handle, not a reason to stop the process. Pebble does not
// treat it so: a write-ahead log write or sync that fails makes it call
// Logger.Fatalf, and a WAL error found in the background makes the next
// commit panic while holding the commit pipeline's lock, after which every
// write, and closing the database, blocks for good. The Backend keeps Pebble
// away from that edge:
//
//   - Every write, sync and file creation goes through faultFS, which
//     records the first failure (with the file and the OS error) as the
//     database's storage fault before Pebble sees the error.
//   - Pebble's fatal log messages and its background errors (failed
//     flushes and compactions) are recorded the same way instead of
//     stopping the process or being only logged.
//   - Once a fault is recorded the Backend writes nothing more: Commit (and
//     every other write) returns the fault as a *StorageError. Reads keep
//     working. The caller closes the Backend and opens it again once the
//     disk is repaired; Pebble recovers the last synced commit from its
//     WAL.
//   - A panic in a call into Pebble that writes is recovered and recorded
//     as the fault. If Pebble panicked inside its commit pipeline, closing
//     the database would block forever, so Close then leaves it open: the
//     directory stays locked until the process exits.
//
// What remains: Pebble may still panic in one of its own background
// goroutines (an invariant it checks failing, not an I/O error), which no
// caller can recover; and an unsynced commit (Options.Sync false) whose
// WAL write failed in the background is reported by the next Commit, not
// by the one it belongs to.

// StorageError reports a failure of the storage under a database: a write,
// sync or file creation that returned an error (a full disk, an I/O error,
// a read-only filesystem), a flush or compaction that failed in the
// background, or a fatal error Pebble reported. Use errors.Is on it to test
// the OS error (syscall.ENOSPC, syscall.EIO).
type StorageError struct {
	// Dir is the database directory.
	Dir string
	// Op says what failed: the operation and, for I/O, the file and what
	// it holds, e.g. "write 000002.log (write-ahead log)".
	Op string
	// Err is the cause.
	Err error
}

// Error names the directory, what failed and the cause, and what to do
// about a full disk or an I/O error.
func (e *StorageError) Error() string {
	msg := fmt.Sprintf("state/pebble: storage failure in %s: %s: %v", e.Dir, e.Op, e.Err)
	switch {
	case errors.Is(e.Err, syscall.ENOSPC), errors.Is(e.Err, syscall.EDQUOT):
		msg += "; the filesystem is full: free disk space (or move the state directory) and restart"
	case errors.Is(e.Err, syscall.EIO):
		msg += "; the device reported an I/O error: check the disk; state found damaged at the next start is rebuilt from its changelog"
	case errors.Is(e.Err, syscall.EROFS):
		msg += "; the filesystem is read-only: remount it read-write (or move the state directory) and restart"
	}
	return msg
}

// Unwrap returns the cause.
func (e *StorageError) Unwrap() error { return e.Err }

// faults records the first storage failure of an open database. Pebble's
// goroutines report into it, so it is safe for concurrent use.
type faults struct {
	dir   string
	first atomic.Pointer[StorageError]
	// wedged: Pebble panicked in a write, possibly holding its commit
	// pipeline's lock, so DB.Close could block forever.
	wedged atomic.Bool
}

// note records e unless a fault is already recorded.
func (f *faults) note(e *StorageError) { f.first.CompareAndSwap(nil, e) }

// io records a failed I/O operation op on the file at path.
func (f *faults) io(op, path string, err error) {
	f.note(&StorageError{Dir: f.dir, Op: op + " " + describeFile(path), Err: err})
}

// err returns the recorded fault, or nil.
func (f *faults) err() error {
	if e := f.first.Load(); e != nil {
		return e
	}
	return nil
}

// describeFile names a file of the database and says what it holds.
func describeFile(path string) string {
	name := filepath.Base(path)
	var kind string
	switch {
	case strings.HasSuffix(name, ".log"):
		kind = "write-ahead log"
	case strings.HasSuffix(name, ".sst"):
		kind = "sstable, written by a flush or compaction"
	case strings.HasSuffix(name, ".blob"):
		kind = "blob file, written by a flush or compaction"
	case strings.HasPrefix(name, "MANIFEST-"):
		kind = "manifest"
	case strings.HasPrefix(name, "OPTIONS-"):
		kind = "options file"
	case strings.HasPrefix(name, "marker."):
		kind = "marker file"
	default:
		return name
	}
	return name + " (" + kind + ")"
}

// faultFS passes every operation to the filesystem it wraps, and records
// the failures of writes, syncs and file creations in faults.
type faultFS struct {
	vfs.FS
	f *faults
}

// Unwrap returns the wrapped filesystem.
func (fs faultFS) Unwrap() vfs.FS { return fs.FS }

func (fs faultFS) wrap(op, name string, file vfs.File, err error) (vfs.File, error) {
	if err != nil {
		fs.f.io(op, name, err)
		return nil, err
	}
	return faultFile{File: file, name: name, f: fs.f}, nil
}

// Create creates name, recording a failure.
func (fs faultFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := fs.FS.Create(name, category)
	return fs.wrap("create", name, file, err)
}

// ReuseForWrite renames oldname to newname and opens it for writing,
// recording a failure.
func (fs faultFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.wrap("reuse", newname, file, err)
}

// OpenReadWrite opens name for reading and writing, recording a failure.
func (fs faultFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	file, err := fs.FS.OpenReadWrite(name, category, opts...)
	return fs.wrap("open for writing", name, file, err)
}

// OpenDir opens a directory; a failed sync of it is recorded.
func (fs faultFS) OpenDir(name string) (vfs.File, error) {
	file, err := fs.FS.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return faultFile{File: file, name: name, f: fs.f}, nil
}

// Rename renames oldname to newname, recording a failure.
func (fs faultFS) Rename(oldname, newname string) error {
	err := fs.FS.Rename(oldname, newname)
	if err != nil {
		fs.f.io("rename to", newname, err)
	}
	return err
}

// faultFile records the failures of writes and syncs to a file.
type faultFile struct {
	vfs.File
	name string
	f    *faults
}

func (ff faultFile) check(op string, err error) error {
	if err != nil {
		ff.f.io(op, ff.name, err)
	}
	return err
}

// Write writes p, recording a failure.
func (ff faultFile) Write(p []byte) (int, error) {
	n, err := ff.File.Write(p)
	return n, ff.check("write", err)
}

// WriteAt writes p at off, recording a failure.
func (ff faultFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := ff.File.WriteAt(p, off)
	return n, ff.check("write", err)
}

// Preallocate reserves space, recording a failure.
func (ff faultFile) Preallocate(offset, length int64) error {
	return ff.check("preallocate", ff.File.Preallocate(offset, length))
}

// Sync syncs the file, recording a failure.
func (ff faultFile) Sync() error { return ff.check("sync", ff.File.Sync()) }

// SyncData syncs the file's data, recording a failure.
func (ff faultFile) SyncData() error { return ff.check("sync", ff.File.SyncData()) }

// SyncTo syncs the file up to length, recording a failure.
func (ff faultFile) SyncTo(length int64) (bool, error) {
	full, err := ff.File.SyncTo(length)
	return full, ff.check("sync", err)
}

// Close closes the file, recording a failure (a filesystem may report a
// failed write only then).
func (ff faultFile) Close() error { return ff.check("close", ff.File.Close()) }

// guard runs fn, a call into Pebble that writes, and turns a panic into
// the database's storage fault, which it returns.
func (b *Backend) guard(op string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			cause, ok := r.(error)
			if !ok {
				cause = fmt.Errorf("%v", r)
			}
			b.faults.wedged.Store(true)
			b.faults.note(&StorageError{Dir: b.dir, Op: op + " (Pebble panicked)", Err: cause})
			err = b.faults.err()
		}
	}()
	return fn()
}

// writable returns the database's storage fault, if one was recorded:
// then nothing may be written.
func (b *Backend) writable() error {
	if err := b.usable(); err != nil {
		return err
	}
	return b.faults.err()
}
