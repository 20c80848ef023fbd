// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package pebble is the persistent state backend: one Pebble v2 database per
// task directory holding all of the task's stores.
//
// Writes of a processing cycle go into an indexed batch, so reads see them
// (read-your-writes) while the database does not. Commit adds the changelog
// offsets (and window-store retention state) to the same batch and applies it
// atomically; Abort drops it. After a crash the database therefore holds
// exactly the state of the last Commit together with the offsets to resume
// the changelog from, and nothing has to be wiped.
//
// Damage is detected rather than trusted: Open reports a database Pebble
// cannot open, one that fails verification after a crash, or one in which
// an earlier run hit a corrupted block, as a [DamagedError]; Options.OnDamage
// may have it replaced by an empty database, to be rebuilt from the
// changelog. See damage.go.
//
// A failing disk is reported, not fatal: a write, sync or flush that fails
// makes Commit return a [StorageError] naming the directory, the file and
// the cause, and too little free space a [DiskFullError]. See
// storagefault.go and diskspace.go. A [Cache] bounds the memory of the
// databases sharing it; see memory.go.
package pebble

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// Backend is a task's database. It implements [state.Backend]. It is not safe
// for concurrent use.
type Backend struct {
	dir    string
	opts   Options
	fs     vfs.FS    // Options.FS, or the operating system's
	lock   *pdb.Lock // the directory lock, held from Open to Close
	health *health   // corruption seen by this run
	faults *faults   // storage failures seen by this run
	mem    *memShare // the database's part of the Cache's write budget, or nil
	// crashed: the previous run did not close the database; verified: it
	// was read in full since.
	crashed, verified bool
	db                *pdb.DB
	batch             *pdb.Batch // writes since the last Commit
	wopts             *pdb.WriteOptions
	stores            map[string]storeRecord // registrations, committed as made
	nextID            uint32

	kvs      map[string]*kvStore
	windows  map[string]*windowStore
	sessions map[string]*sessionStore
	offsets  map[string]int64 // committed offsets
	loops    int              // range loops running over any store
	closed   bool
}

var _ state.Backend = (*Backend)(nil)

// Open opens (creating if needed) the database in dir. Only one Backend may
// have a directory open at a time; Open locks it until Close.
//
// A damaged database makes Open fail with a *DamagedError, unless
// opts.OnDamage has it replaced by an empty one. Less free space than
// opts.MinFreeBytes makes it fail with a *DiskFullError before anything is
// written, and a failing disk with a *StorageError; other failures (the
// lock is held, permissions) are returned as they are, naming dir.
func Open(dir string, opts Options) (*Backend, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state/pebble: open %s: %w", dir, err)
	}
	if err := checkSpace(fs, dir, opts.MinFreeBytes); err != nil {
		return nil, err
	}
	lock, err := pdb.LockDirectory(dir, fs)
	if err != nil {
		return nil, fmt.Errorf("state/pebble: open %s: %w", dir, err)
	}
	b := &Backend{
		dir:      dir,
		opts:     opts,
		fs:       fs,
		lock:     lock,
		wopts:    pdb.NoSync,
		stores:   map[string]storeRecord{},
		nextID:   1,
		kvs:      map[string]*kvStore{},
		windows:  map[string]*windowStore{},
		sessions: map[string]*sessionStore{},
		offsets:  map[string]int64{},
	}
	if opts.Sync {
		b.wopts = pdb.Sync
	}
	if opts.Cache != nil && opts.Cache.mem != nil {
		b.mem = opts.Cache.mem.join()
	}
	if err := b.open(); err != nil {
		var de *DamagedError
		if !errors.As(err, &de) || opts.OnDamage == nil || !opts.OnDamage(de) {
			b.leaveBudget()
			return nil, errors.Join(err, lock.Close())
		}
		if err := b.recreate(); err != nil {
			b.leaveBudget()
			return nil, errors.Join(err, lock.Close())
		}
	}
	b.batch = b.db.NewIndexedBatch()
	return b, nil
}

// leaveBudget takes the database out of the Cache's write budget.
func (b *Backend) leaveBudget() {
	if b.mem != nil {
		b.mem.leave()
		b.mem = nil
	}
}

// loadMeta reads store registrations and committed offsets.
func (b *Backend) loadMeta() error {
	err := b.scanMeta(tagStore, func(name, v []byte) error {
		r, err := decodeStoreRecord(string(name), v)
		if err != nil {
			return err
		}
		b.stores[string(name)] = r
		b.nextID = max(b.nextID, r.id+1)
		return nil
	})
	if err != nil {
		return err
	}
	return b.scanMeta(tagOffset, func(k, v []byte) error {
		off, err := decodeOffset(string(k), v)
		if err != nil {
			return err
		}
		b.offsets[string(k)] = off
		return nil
	})
}

// scanMeta calls fn with the name and value of every committed metadata key
// with tag.
func (b *Backend) scanMeta(tag byte, fn func(name, value []byte) error) error {
	lower := metaKey(tag, nil)
	it, err := b.db.NewIter(&pdb.IterOptions{LowerBound: lower, UpperBound: wincore.PrefixEnd(lower)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key()[len(lower):], v)
		}
		if err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return it.Close()
}

func (b *Backend) usable() error {
	if b.closed {
		return state.ErrClosed
	}
	return nil
}

// register returns the registration of store name, creating it if needed.
// A new registration is written straight to the database: an empty store
// needs no atomicity, and the id must stay stable even if the current cycle
// is aborted.
func (b *Backend) register(name string, kind byte, interval int64) (storeRecord, error) {
	if r, ok := b.stores[name]; ok {
		if r.kind != kind {
			return r, fmt.Errorf("state/pebble: store %q is a %s store, not a %s store", name, kindName(r.kind), kindName(kind))
		}
		if r.interval != interval {
			return r, fmt.Errorf("state/pebble: %s store %q was created with segment interval %d, cannot open it with %d", kindName(kind), name, r.interval, interval)
		}
		return r, nil
	}
	if b.nextID == 1<<32-1 {
		return storeRecord{}, errors.New("state/pebble: too many stores")
	}
	if err := b.faults.err(); err != nil {
		return storeRecord{}, err
	}
	r := storeRecord{kind: kind, id: b.nextID, interval: interval}
	op := fmt.Sprintf("register store %q", name)
	if err := b.guard(op, func() error { return b.db.Set(metaKey(tagStore, []byte(name)), r.encode(), b.wopts) }); err != nil {
		return r, b.writeError(op, err)
	}
	if err := b.faults.err(); err != nil {
		return r, err // Pebble reported the write as done after a fatal error
	}
	b.nextID++
	b.stores[name] = r
	return r, nil
}

// KeyValue opens (or returns the already open) key-value store name.
func (b *Backend) KeyValue(name string) (state.KeyValueStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if s, ok := b.kvs[name]; ok {
		return s, nil
	}
	r, err := b.register(name, kindKeyValue, 0)
	if err != nil {
		return nil, err
	}
	s := &kvStore{b: b, name: name, prefix: storePrefix(r.id)}
	b.kvs[name] = s
	return s, nil
}

// Window opens (or returns the already open) window store name. The segment
// interval is fixed when the store is created; Retention may change between
// runs. Opening an open store with different options fails.
func (b *Backend) Window(name string, opts state.WindowOptions) (state.WindowStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: window store %q: %w", name, err)
	}
	if s, ok := b.windows[name]; ok {
		if s.opts != opts {
			return nil, fmt.Errorf("state: window store %q already open with options %+v", name, s.opts)
		}
		return s, nil
	}
	r, err := b.register(name, kindWindow, opts.Segment())
	if err != nil {
		return nil, err
	}
	s, err := newWindowStore(b, name, r.id, opts)
	if err != nil {
		return nil, err
	}
	b.windows[name] = s
	return s, nil
}

// Session opens (or returns the already open) session store name. The
// segment interval is fixed when the store is created; Retention may change
// between runs. Opening an open store with different options fails.
func (b *Backend) Session(name string, opts state.SessionOptions) (state.SessionStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: session store %q: %w", name, err)
	}
	if s, ok := b.sessions[name]; ok {
		if s.opts != opts {
			return nil, fmt.Errorf("state: session store %q already open with options %+v", name, s.opts)
		}
		return s, nil
	}
	r, err := b.register(name, kindSession, opts.Segment())
	if err != nil {
		return nil, err
	}
	s, err := newSessionStore(b, name, r.id, opts)
	if err != nil {
		return nil, err
	}
	b.sessions[name] = s
	return s, nil
}

// Commit applies the cycle's writes, the window and session stores'
// retention state and offsets to the database in one atomic batch.
//
// It fails with a *DiskFullError when the filesystem has less free space
// than Options.MinFreeBytes: the cycle's writes stay uncommitted, for a
// later Commit or Abort. It fails with a *StorageError when the storage
// failed, in this commit or since the last (a flush or compaction in the
// background): the cycle's writes are dropped, nothing more is written,
// and the caller closes the Backend.
func (b *Backend) Commit(offsets map[string]int64) error {
	if err := b.writable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	for _, s := range b.windows {
		if err := s.writeMeta(); err != nil {
			return err
		}
	}
	for _, s := range b.sessions {
		if err := s.writeMeta(); err != nil {
			return err
		}
	}
	for k, off := range offsets {
		if err := b.batch.Set(metaKey(tagOffset, []byte(k)), encodeOffset(off), nil); err != nil {
			return err
		}
	}
	var size int64
	if !b.batch.Empty() {
		if err := checkSpace(b.fs, b.dir, b.opts.MinFreeBytes); err != nil {
			return err
		}
		size = batchMemSize(b.batch)
		err := b.guard("commit", func() error { return b.batch.Commit(b.wopts) })
		if err == nil {
			err = b.faults.err() // Pebble reported the commit as done after a fatal error
		}
		if err != nil {
			// Pebble keeps no failed batch usable: the cycle's writes
			// are dropped, as by Abort.
			b.dropCycle()
			return b.writeError("commit", b.health.check(err))
		}
	}
	b.newBatch()
	b.budgetCommitted(size)
	for _, s := range b.windows {
		s.committed()
	}
	for _, s := range b.sessions {
		s.committed()
	}
	maps.Copy(b.offsets, offsets)
	return nil
}

func (b *Backend) newBatch() {
	_ = b.batch.Close() // only fails for a batch closed twice
	b.batch = b.db.NewIndexedBatch()
}

// Abort drops the writes made since the last Commit.
func (b *Backend) Abort() error {
	if err := b.usable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	b.dropCycle()
	return nil
}

// dropCycle drops the writes made since the last Commit.
func (b *Backend) dropCycle() {
	b.newBatch()
	for _, s := range b.windows {
		s.abort()
	}
	for _, s := range b.sessions {
		s.abort()
	}
}

// Offsets returns a copy of the committed offsets, including those of
// earlier runs.
func (b *Backend) Offsets() (map[string]int64, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	return maps.Clone(b.offsets), nil
}

// Close drops uncommitted writes and closes the database. Closing twice is a
// no-op.
//
// After a storage fault (see Commit) the markers are left as they are, so
// the next Open verifies the database; if Pebble panicked inside its
// commit pipeline, the database cannot be closed (Pebble would block
// forever): Close then leaves it open, the directory locked until the
// process exits, and says so.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	b.closed = true
	_ = b.batch.Close()
	b.kvs, b.windows, b.sessions = nil, nil, nil
	b.leaveBudget()
	if b.faults.wedged.Load() {
		return errors.Join(fmt.Errorf("state/pebble: close %s: left open, with its directory locked until the process exits: Pebble stopped inside a commit after %w", b.dir, b.faults.err()),
			b.lock.Close())
	}
	err := b.guard("close", b.db.Close)
	if err == nil && b.faults.err() == nil {
		err = b.markClosed()
	}
	return errors.Join(err, b.lock.Close())
}

// writeError names the directory and the operation in an error returned by
// a write to Pebble, unless it is the database's storage fault, which does.
func (b *Backend) writeError(op string, err error) error {
	if f := b.faults.err(); f != nil {
		return f
	}
	return fmt.Errorf("state/pebble: %s in %s: %w", op, b.dir, err)
}

// DB returns the underlying database, for metrics and checkpoints. Writing to
// it directly bypasses the cycle batch.
func (b *Backend) DB() *pdb.DB { return b.db }

// get reads key through the cycle batch. The result is owned by the caller.
func (b *Backend) get(key []byte) ([]byte, error) {
	var v []byte
	var closer io.Closer
	var err error
	if b.batch.Empty() {
		v, closer, err = b.db.Get(key) // skips merging an empty batch
	} else {
		v, closer, err = b.batch.Get(key)
	}
	if errors.Is(err, pdb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, b.health.check(err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, closer.Close()
}

// newIter opens an iterator over the cycle batch merged with the database.
// It sees the batch as it is now, not later writes to it.
func (b *Backend) newIter(lower, upper []byte) (*pdb.Iterator, error) {
	return b.batch.NewIter(&pdb.IterOptions{LowerBound: lower, UpperBound: upper})
}
