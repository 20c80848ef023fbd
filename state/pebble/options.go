// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultMemTableSize is the memtable size used when Options.MemTableSize is
// zero and the Cache has no write budget. It is small on purpose: every task
// has its own database.
const DefaultMemTableSize = 4 << 20

// Limits of Options.MemTableSize.
const (
	MinMemTableSize = 64 << 10
	MaxMemTableSize = 1 << 30
)

// Options configure a task's database.
type Options struct {
	// Cache is the block and file cache, normally one shared by all the
	// tasks of an application instance, with the write budget their
	// memtables share (see CacheOptions). Nil gives the database a private
	// 8 MiB block cache and no write budget.
	Cache *Cache
	// MemTableSize is the size of a memtable in bytes. Zero means 1/64 of
	// the Cache's write budget (within [256 KiB, DefaultMemTableSize]), or
	// DefaultMemTableSize without one; otherwise
	// it must lie in [MinMemTableSize, MaxMemTableSize]. Pebble stalls
	// writes at twice this much unflushed data, and a batch of half this
	// size or more is flushed as a whole.
	MemTableSize uint64
	// RowCacheBytes bounds the values the database keeps in memory from
	// one commit to the next: the keys a commit wrote and the keys point
	// reads fetched, so that reading them again takes no Pebble read
	// (see overlay.go). A commit that leaves more than this drops them
	// all, as do Abort and a commit with a range deletion; each key
	// counts its key and value bytes plus about 100 bytes. Zero means the
	// memtable size (1 MiB with the runtime's default state memory);
	// negative keeps none. It is not part of the Cache's budget.
	RowCacheBytes int
	// FS is the filesystem the database lives on. Nil means the operating
	// system's (vfs.Default). Tests pass Pebble's in-memory filesystem
	// (vfs.NewMem) or wrap one to inject faults (vfs/errorfs). Whatever the
	// filesystem, writes that fail are reported as a *StorageError (see
	// storagefault.go).
	FS vfs.FS
	// Logger receives Pebble's log messages, at Info and Error level. Nil
	// discards them.
	Logger *slog.Logger
	// Sync makes Commit wait until the write-ahead log is on disk, so a
	// commit survives a SIGKILL and a power loss. The default hands the WAL
	// to a background writer without waiting: a crash (SIGKILL included,
	// the writer's buffer is in the process) or a power loss can lose a
	// suffix of commits, which a changelog then restores. The runtime sets
	// it for task state; global tables, read again from their topic after
	// a crash, do not.
	Sync bool
	// MinFreeBytes is the free space Open and Commit require on the
	// database's filesystem; below it they fail with a *DiskFullError
	// before writing anything, so a start on a full disk fails fast and a
	// disk filling up is reported before Pebble runs out of space. Zero
	// means DefaultMinFreeBytes (64 MiB); negative turns the check off. A
	// filesystem that cannot tell its free space (vfs.NewMem) passes.
	MinFreeBytes int64
	// Verify says when Open reads the whole database to check every block
	// checksum, so that damage (bit rot, a torn write after a power loss)
	// is found at Open rather than by a read in the middle of processing.
	// Default VerifyAfterCrash.
	Verify Verify
	// OnDamage is called when Open finds the database damaged: files that
	// Pebble cannot open (a truncated or missing sstable, a malformed
	// MANIFEST), a failed verification, or damage an earlier run recorded
	// (see [DamagedError]). If it returns true, Open deletes the database
	// and opens an empty one in its place, all under the directory lock;
	// otherwise, or when OnDamage is nil, Open returns the *DamagedError.
	OnDamage func(err *DamagedError) bool
}

// Verify selects when Open verifies the whole database.
type Verify int

const (
	// VerifyAfterCrash verifies when the database was not closed by the
	// previous run (the process crashed or the machine lost power). Default.
	VerifyAfterCrash Verify = iota
	// VerifyAlways verifies at every Open.
	VerifyAlways
	// VerifyNever skips verification: damage shows up only when a damaged
	// block is read (and is then recorded, so the next Open reports it).
	VerifyNever
	// VerifyLater leaves verification after a crash to the caller, who
	// calls Backend.Verify when convenient (Open may run where time is
	// short, e.g. in a rebalance callback): Backend.Crashed reports whether
	// it is due, and it stays due for later Opens until it succeeds.
	VerifyLater
)

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	if o.MemTableSize != 0 && (o.MemTableSize < MinMemTableSize || o.MemTableSize > MaxMemTableSize) {
		return fmt.Errorf("state/pebble: MemTableSize %d outside [%d, %d]", o.MemTableSize, MinMemTableSize, MaxMemTableSize)
	}
	if o.Cache != nil && o.Cache.isClosed() {
		return errors.New("state/pebble: Cache is closed")
	}
	return nil
}

// memTableSize is the memtable size o asks for.
func (o Options) memTableSize() uint64 {
	switch {
	case o.MemTableSize != 0:
		return o.MemTableSize
	case o.Cache != nil && o.Cache.mem != nil:
		return memTableSizeFor(o.Cache.mem.limit)
	}
	return DefaultMemTableSize
}

// rowCacheBytes is the overlay's limit (see Options.RowCacheBytes).
func (o Options) rowCacheBytes() int {
	switch {
	case o.RowCacheBytes < 0:
		return 0
	case o.RowCacheBytes == 0:
		return int(o.memTableSize())
	}
	return o.RowCacheBytes
}

// pebbleOptions translates b's options into Pebble options for a database
// whose directory lock b holds, whose corruption reports go to b.health and
// whose storage faults go to b.faults.
func (b *Backend) pebbleOptions() *pdb.Options {
	o, h, f := b.opts, b.health, b.faults
	po := &pdb.Options{
		MemTableSize:       o.memTableSize(),
		FormatMajorVersion: pdb.FormatNewest,
		Lock:               b.lock,
		FS:                 faultFS{FS: b.fs, f: f},
	}
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	// Pebble calls Logger.Fatalf on errors it cannot recover from, a
	// failed WAL write or sync among them, and expects it to stop the
	// process. Record the error as the database's storage fault instead,
	// which Commit returns (see storagefault.go).
	log := slogAdapter{l: l, fatal: func(err error) {
		f.note(&StorageError{Dir: b.dir, Op: "Pebble stopped the database", Err: err})
	}}
	po.Logger = log
	// Pebble's default reaction to on-disk corruption is Logger.Fatalf,
	// which would take the whole process (every task) down and, since the
	// damaged file stays, crash-loop it. Record the damage instead: the
	// read fails with a corruption error, and Close leaves a marker so the
	// next Open reports the database as damaged. Other background errors
	// (a flush or compaction that failed) are storage faults: Pebble would
	// only log them and retry, while the next Commit should fail.
	po.EventListener = &pdb.EventListener{
		DataCorruption: func(info pdb.DataCorruptionInfo) {
			h.note(fmt.Errorf("on-disk corruption in %s: %w", info.Path, info.Details))
			log.Errorf("on-disk corruption in %s: %v", info.Path, info.Details)
		},
		BackgroundError: func(err error) {
			if pdb.IsCorruptionError(err) {
				h.note(err)
			} else {
				f.note(&StorageError{Dir: b.dir, Op: "flush or compaction", Err: err})
			}
			log.Errorf("background error: %v", err)
		},
	}
	if o.Cache != nil {
		po.Cache = o.Cache.block
		po.FileCache = o.Cache.files
	}
	if mem := b.mem; mem != nil {
		po.EventListener.FlushEnd = func(info pdb.FlushInfo) {
			if info.Err == nil && !info.Ingest {
				mem.flushed(int64(info.InputBytes))
			}
		}
	}
	// Bloom filters on every level (later levels inherit L0's): Get and
	// window Fetch are point reads of whole keys.
	po.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return po
}

// DefaultMaxOpenFiles is the number of sstables a Cache keeps open across all
// the databases sharing it.
const DefaultMaxOpenFiles = 1024

// Cache is a block cache, sstable file cache and memtable write budget
// shared by many databases, which bounds the memory and file descriptors of
// an instance running many tasks (see memory.go). Create one per
// application instance, pass it in Options.Cache to every Open, and Close it
// when the instance stops; databases still open keep it alive until they are
// closed.
type Cache struct {
	block  *pdb.Cache
	files  *pdb.FileCache
	mem    *memBudget // nil: no write budget
	closed atomic.Bool
}

// NewCache returns a shared cache of blockBytes bytes (uncompressed blocks,
// and the memtables Pebble charges to it) and DefaultMaxOpenFiles open
// sstables, without a write budget. NewCacheWith sets one.
func NewCache(blockBytes int64) (*Cache, error) {
	return NewCacheWith(CacheOptions{Bytes: blockBytes})
}

// Close releases the creator's reference to the cache. Memory is freed once
// every database using the cache is closed too. Closing twice is a no-op.
// Do not call Close concurrently with an Open that uses the cache.
func (c *Cache) Close() error {
	if !c.closed.Swap(true) {
		c.files.Unref()
		c.block.Unref()
	}
	return nil
}

func (c *Cache) isClosed() bool { return c.closed.Load() }

// slogAdapter passes Pebble's printf-style logging to slog, and its fatal
// errors to fatal.
type slogAdapter struct {
	l     *slog.Logger
	fatal func(err error)
}

func (a slogAdapter) logf(level slog.Level, format string, args ...any) {
	if a.l.Enabled(context.Background(), level) {
		a.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "pebble")
	}
}

// Infof logs at Debug level: Pebble reports routine events (WAL
// recovery, flushes) at its info level, too chatty for an application log.
func (a slogAdapter) Infof(format string, args ...any) { a.logf(slog.LevelDebug, format, args...) }

// Errorf logs at Error level.
func (a slogAdapter) Errorf(format string, args ...any) { a.logf(slog.LevelError, format, args...) }

// Fatalf logs at Error level, hands the message (wrapping the first error
// among args, the cause) to fatal and returns. Pebble calls it on errors it
// cannot recover from and expects it not to return; where it goes on, the
// Backend refuses further writes (see storagefault.go).
func (a slogAdapter) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.l.Error(msg, "component", "pebble", "fatal", true)
	err := &fatalError{msg: msg}
	for _, arg := range args {
		if cause, ok := arg.(error); ok {
			err.cause = cause
			break
		}
	}
	a.fatal(err)
}

// fatalError is a message Pebble passed to Logger.Fatalf, with the error it
// formatted.
type fatalError struct {
	msg   string
	cause error
}

func (e *fatalError) Error() string { return e.msg }
func (e *fatalError) Unwrap() error { return e.cause }
