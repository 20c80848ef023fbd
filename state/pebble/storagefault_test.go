// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// faultyFS is an in-memory filesystem that, once armed, fails the
// operations match selects with an OS error, as a full or failing disk
// does.
type faultyFS struct {
	vfs.FS
	armed atomic.Bool
	hits  atomic.Int64
}

func newFaultyFS(errno syscall.Errno, match func(op errorfs.Op) bool) *faultyFS {
	f := &faultyFS{}
	f.FS = errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !f.armed.Load() || !match(op) {
			return nil
		}
		f.hits.Add(1)
		return &os.PathError{Op: "injected", Path: op.Path, Err: errno}
	}))
	return f
}

// on matches operations of the given kinds on files whose name contains
// part.
func on(part string, kinds ...errorfs.OpKind) func(op errorfs.Op) bool {
	return func(op errorfs.Op) bool {
		for _, k := range kinds {
			if op.Kind == k && strings.Contains(op.Path, part) {
				return true
			}
		}
		return false
	}
}

var syncOps = []errorfs.OpKind{errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo}

// requireStorageError checks that err is a *StorageError naming dir, an
// operation containing op, and errno as its cause, with advice for a full
// disk.
func requireStorageError(t *testing.T, err error, dir, op string, errno syscall.Errno) {
	t.Helper()
	var se *pebble.StorageError
	require.True(t, errors.As(err, &se), "not a *StorageError: %v", err)
	assert.Equal(t, dir, se.Dir)
	assert.Contains(t, se.Op, op)
	assert.ErrorIs(t, err, errno)
	msg := err.Error()
	assert.Contains(t, msg, "storage failure in "+dir)
	assert.Contains(t, msg, errno.Error())
	if errno == syscall.ENOSPC {
		assert.Contains(t, msg, "free disk space")
	}
}

// closeWithin closes b, failing the test if that blocks.
func closeWithin(t *testing.T, b *pebble.Backend) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- b.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked after a storage fault")
		return nil
	}
}

// put writes n bytes under key k and commits offset off.
func put(b *pebble.Backend, k string, n int, off int64) error {
	kv, err := b.KeyValue("kv")
	if err != nil {
		return err
	}
	if err := kv.Put([]byte(k), bytes.Repeat([]byte{'v'}, n)); err != nil {
		return err
	}
	return b.Commit(map[string]int64{"in/0": off})
}

const dbDir = "/state/app/1_0"

// A database that cannot be created or read because the disk fails is
// reported as a storage failure, never as damage: the state is not wiped.
func TestStorageFaultOnOpen(t *testing.T) {
	damaged := func(*pebble.DamagedError) bool {
		t.Error("a failing disk was taken for a damaged database")
		return true
	}
	t.Run("full disk creating the database", func(t *testing.T) {
		fs := newFaultyFS(syscall.ENOSPC, on("/", errorfs.OpCreate, errorfs.OpFileWrite))
		fs.armed.Store(true)
		_, err := pebble.Open(dbDir, pebble.Options{FS: fs, OnDamage: damaged})
		requireStorageError(t, err, dbDir, "", syscall.ENOSPC)
		assert.Positive(t, fs.hits.Load())
	})
	t.Run("I/O errors reading an existing database", func(t *testing.T) {
		fs := newFaultyFS(syscall.EIO, on("MANIFEST", errorfs.OpFileRead, errorfs.OpFileReadAt))
		b, err := pebble.Open(dbDir, pebble.Options{FS: fs})
		require.NoError(t, err)
		require.NoError(t, put(b, "k", 10, 1))
		require.NoError(t, b.Close())

		fs.armed.Store(true)
		_, err = pebble.Open(dbDir, pebble.Options{FS: fs, OnDamage: damaged})
		requireStorageError(t, err, dbDir, "open", syscall.EIO)
		assert.Contains(t, err.Error(), "check the disk")

		fs.armed.Store(false)
		b, err = pebble.Open(dbDir, pebble.Options{FS: fs})
		require.NoError(t, err)
		offs, err := b.Offsets()
		require.NoError(t, err)
		assert.Equal(t, int64(1), offs["in/0"], "the state survived")
		require.NoError(t, b.Close())
	})
}

// A write-ahead log write or sync that fails makes Commit fail with the
// file and the cause, where Pebble would stop the process (Logger.Fatalf)
// or, for an unsynced commit, panic in the next one and block every write
// and Close after it. The Backend then writes nothing more, still reads,
// closes, and reopens with every commit that was reported done.
func TestStorageFaultOnCommit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sync  bool
		errno syscall.Errno
		match func(errorfs.Op) bool
		op    string
	}{
		{"full disk writing the synced WAL", true, syscall.ENOSPC, on(".log", errorfs.OpFileWrite), "write 000002.log (write-ahead log)"},
		{"I/O error syncing the WAL", true, syscall.EIO, on(".log", syncOps...), "sync 000002.log (write-ahead log)"},
		{"full disk writing the unsynced WAL", false, syscall.ENOSPC, on(".log", errorfs.OpFileWrite), "write 000002.log (write-ahead log)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFaultyFS(tc.errno, tc.match)
			b, err := pebble.Open(dbDir, pebble.Options{FS: fs, Sync: tc.sync})
			require.NoError(t, err)
			require.NoError(t, put(b, "before", 100, 1))

			fs.armed.Store(true)
			// A synced commit fails itself; an unsynced one hands its WAL
			// write to a background writer, so a later commit reports it.
			lastOK := int64(1)
			for off := int64(2); off < 2000; off++ {
				if err = put(b, fmt.Sprintf("k%04d", off), 1000, off); err != nil {
					break
				}
				lastOK = off
				time.Sleep(time.Millisecond)
			}
			requireStorageError(t, err, dbDir, tc.op, tc.errno)
			if tc.sync {
				assert.Equal(t, int64(1), lastOK, "the first synced commit after the fault fails")
			}

			// Nothing more is written; reads still work.
			requireStorageError(t, b.Commit(nil), dbDir, tc.op, tc.errno)
			_, err = b.KeyValue("another")
			requireStorageError(t, err, dbDir, tc.op, tc.errno)
			kv, err := b.KeyValue("kv")
			require.NoError(t, err)
			v, err := kv.Get([]byte("before"))
			require.NoError(t, err)
			assert.Len(t, v, 100)
			_ = closeWithin(t, b)

			// The disk is repaired: every commit reported done is there.
			fs.armed.Store(false)
			b, err = pebble.Open(dbDir, pebble.Options{FS: fs, Sync: tc.sync})
			require.NoError(t, err)
			defer b.Close()
			offs, err := b.Offsets()
			require.NoError(t, err)
			got := offs["in/0"]
			// A failed commit may or may not be there (a failed sync may
			// have written it), but whole: with its offset and data. An
			// unsynced commit reported done may be lost, as after a crash.
			kv, err = b.KeyValue("kv")
			require.NoError(t, err)
			v, err = kv.Get(fmt.Appendf(nil, "k%04d", lastOK+1))
			require.NoError(t, err)
			assert.Equal(t, got == lastOK+1, v != nil, "offset %d, data of the failed commit %v", got, v != nil)
			if tc.sync {
				assert.GreaterOrEqual(t, got, lastOK, "a commit reported done is kept")
			}
			assert.LessOrEqual(t, got, lastOK+1)
			require.NoError(t, put(b, "after", 10, lastOK+1), "the reopened database writes")
		})
	}
}

// Flushes and compactions run in Pebble's background goroutines, which
// only log their errors and retry. A failed one makes the next Commit fail
// instead, naming the sstable.
func TestStorageFaultInBackgroundFlush(t *testing.T) {
	fs := newFaultyFS(syscall.ENOSPC, on(".sst", errorfs.OpCreate))
	b, err := pebble.Open(dbDir, pebble.Options{FS: fs, MemTableSize: pebble.MinMemTableSize})
	require.NoError(t, err)
	fs.armed.Store(true)
	// Each commit fills a memtable, which Pebble then flushes.
	for off := int64(1); off < 500; off++ {
		if err = put(b, fmt.Sprintf("k%04d", off), 40<<10, off); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	requireStorageError(t, err, dbDir, ".sst (sstable, written by a flush or compaction)", syscall.ENOSPC)
	assert.Positive(t, fs.hits.Load())
	_ = closeWithin(t, b)
}

func TestStorageFaultInCompaction(t *testing.T) {
	fs := newFaultyFS(syscall.ENOSPC, on(".sst", errorfs.OpCreate))
	b, err := pebble.Open(dbDir, pebble.Options{FS: fs})
	require.NoError(t, err)
	for i := range 3 { // three overlapping sstables in L0
		for j := range 100 {
			require.NoError(t, put(b, fmt.Sprintf("k%03d", j), 100, int64(i*100+j)))
		}
		require.NoError(t, b.DB().Flush())
	}
	fs.armed.Store(true)
	err = b.DB().Compact(context.Background(), []byte{0}, []byte{0xff}, false)
	require.Error(t, err, "the compaction cannot write its output")
	err = put(b, "after", 10, 1000)
	requireStorageError(t, err, dbDir, ".sst (sstable, written by a flush or compaction)", syscall.ENOSPC)
	_ = closeWithin(t, b)
}

// The manifest records every flush and compaction; Pebble cannot go on
// when writing it fails and calls Logger.Fatalf from the flush's goroutine,
// which used to stop the process. Now the next Commit reports it.
func TestStorageFaultInManifest(t *testing.T) {
	fs := newFaultyFS(syscall.ENOSPC, on("MANIFEST", errorfs.OpFileWrite))
	b, err := pebble.Open(dbDir, pebble.Options{FS: fs})
	require.NoError(t, err)
	require.NoError(t, put(b, "k", 100, 1))
	fs.armed.Store(true)
	// Pebble retries the flush for as long as the manifest fails: do not
	// wait for it.
	_, err = b.DB().AsyncFlush()
	require.NoError(t, err)
	for off := int64(2); off < 1000; off++ {
		if err = put(b, "k", 100, off); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	requireStorageError(t, err, dbDir, "write MANIFEST-", syscall.ENOSPC)
	assert.Contains(t, err.Error(), "(manifest)")
	_ = closeWithin(t, b)
}
