// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package pebble is the persistent state backend: one Pebble v2 database per
// task directory holding all of the task's stores.
//
// Writes of a processing cycle are kept in memory, in an overlay that reads
// consult first (read-your-writes) while the database does not see them.
// Commit writes the overlay, the changelog offsets and window-store
// retention state to one batch and applies it atomically; Abort drops the
// overlay. After a crash the database therefore holds exactly the state of
// the last Commit together with the offsets to resume the changelog from,
// and nothing has to be wiped. See overlay.go.
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
	"errors"
	"fmt"
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
	wopts             *pdb.WriteOptions
	stores            map[string]storeRecord // registrations, committed as made
	nextID            uint32

	// The writes since the last Commit (see overlay.go): those of
	// scan-only stores (window stores that retain duplicates, which have
	// no point reads) in log, in order, the others in cycle. view holds
	// them all, indexed, once a loop needs it; else it is nil.
	cycle overlay
	log   *pdb.Batch
	view  *pdb.Batch

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
	b.cycle.limit = opts.rowCacheBytes()
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
	batch := b.db.NewBatch()
	defer func() { _ = batch.Close() }() // only fails for a batch closed twice
	if err := b.fill(batch, offsets); err != nil {
		return err
	}
	var size int64
	if !batch.Empty() {
		if err := checkSpace(b.fs, b.dir, b.opts.MinFreeBytes); err != nil {
			return err
		}
		size = batchMemSize(batch)
		err := b.guard("commit", func() error { return batch.Commit(b.wopts) })
		if err == nil {
			err = b.faults.err() // Pebble reported the commit as done after a fatal error
		}
		if err != nil {
			// Nothing more is written after a storage fault: the
			// cycle's writes are dropped, as by Abort.
			b.dropCycle()
			return b.writeError("commit", b.health.check(err))
		}
	}
	b.cycle.committed()
	b.clearLog()
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

// writeCycle adds the cycle's writes to batch. The overlay's and the
// log's are of different stores, so their order does not matter.
func (b *Backend) writeCycle(batch *pdb.Batch) error {
	if err := b.cycle.writeTo(batch); err != nil {
		return err
	}
	if b.log == nil {
		return nil
	}
	return batch.Apply(b.log, nil)
}

// fill adds to batch what Commit applies: the cycle's writes, the window
// and session stores' retention state and offsets.
func (b *Backend) fill(batch *pdb.Batch, offsets map[string]int64) error {
	if err := b.writeCycle(batch); err != nil {
		return err
	}
	for _, s := range b.windows {
		if err := s.writeMeta(batch); err != nil {
			return err
		}
	}
	for _, s := range b.sessions {
		if err := s.writeMeta(batch); err != nil {
			return err
		}
	}
	for k, off := range offsets {
		if err := batch.Set(metaKey(tagOffset, []byte(k)), encodeOffset(off), nil); err != nil {
			return err
		}
	}
	return nil
}

// clearCycle forgets the cycle's writes: empties the overlay (its clean
// keys too) and the log and drops the view. No loop may be running.
func (b *Backend) clearCycle() {
	b.cycle.reset()
	b.clearLog()
}

// clearLog empties the log and drops the view. No loop may be running.
func (b *Backend) clearLog() {
	if b.log != nil {
		b.log.Reset()
	}
	if b.view != nil {
		_ = b.view.Close() // only fails for a batch closed twice
		b.view = nil
	}
}

// releaseCycle forgets the cycle's writes and releases the log, before
// the database is closed.
func (b *Backend) releaseCycle() {
	b.clearCycle()
	if b.log != nil {
		_ = b.log.Close()
		b.log = nil
	}
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
	b.clearCycle()
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
	b.releaseCycle()
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

// DB returns the underlying database, for metrics and checkpoints. It holds
// what was committed; writing to it directly bypasses the cycle's writes.
func (b *Backend) DB() *pdb.DB { return b.db }

// put writes key: value in the cycle (a nil value deletes key): in the
// overlay, or in the log if the key's store is scan-only, and in the view
// if there is one.
func (b *Backend) put(key, value []byte, scanOnly bool) error {
	if scanOnly {
		if b.log == nil {
			b.log = b.db.NewBatch()
		}
		if err := setOrDelete(b.log, key, value); err != nil {
			return err
		}
	} else {
		b.cycle.set(key, value)
	}
	if b.view != nil {
		b.viewWritten(setOrDelete(b.view, key, value))
	}
	return nil
}

// deleteRange deletes the keys in [lower, upper), which lie in one store,
// in the cycle, as put writes.
func (b *Backend) deleteRange(lower, upper []byte, scanOnly bool) error {
	if scanOnly {
		if b.log == nil {
			b.log = b.db.NewBatch()
		}
		if err := b.log.DeleteRange(lower, upper, nil); err != nil {
			return err
		}
	} else {
		b.cycle.deleteRange(lower, upper)
	}
	if b.view != nil {
		b.viewWritten(b.view.DeleteRange(lower, upper, nil))
	}
	return nil
}

func setOrDelete(batch *pdb.Batch, key, value []byte) error {
	if value == nil {
		return batch.Delete(key, nil)
	}
	return batch.Set(key, value, nil)
}

// viewWritten handles the result of a write to the view. If it failed,
// the view may no longer match the cycle's writes, so it is dropped, to be
// built again by the next loop (running loops keep the one they read).
// The write itself is in the overlay or log, so it is not lost.
func (b *Backend) viewWritten(err error) {
	if err != nil {
		b.view = nil
	}
}

// cycleEmpty reports whether the cycle wrote nothing.
func (b *Backend) cycleEmpty() bool {
	return b.cycle.empty() && (b.log == nil || b.log.Empty())
}

// get reads key: the cycle's write of it or the overlay's clean value, or
// else the database's value, which the overlay then keeps if it has room.
// The result is owned by the caller.
func (b *Backend) get(key []byte) ([]byte, error) {
	if v, ok := b.cycle.get(key); ok {
		if v == nil {
			return nil, nil
		}
		return append(make([]byte, 0, len(v)), v...), nil
	}
	v, closer, err := b.db.Get(key)
	if errors.Is(err, pdb.ErrNotFound) {
		b.cycle.remember(key, nil)
		return nil, nil
	}
	if err != nil {
		return nil, b.health.check(err)
	}
	out := append(make([]byte, 0, len(v)), v...)
	if err := closer.Close(); err != nil {
		return nil, err
	}
	b.cycle.remember(key, out)
	return out, nil
}

// newIter opens an iterator over the cycle's writes merged with the
// database. It sees them as they are now, not later writes.
func (b *Backend) newIter(lower, upper []byte) (*pdb.Iterator, error) {
	opts := &pdb.IterOptions{LowerBound: lower, UpperBound: upper}
	if b.cycleEmpty() {
		return b.db.NewIter(opts) // nothing to merge
	}
	if b.view == nil {
		view := b.db.NewIndexedBatch()
		if err := b.writeCycle(view); err != nil {
			_ = view.Close()
			return nil, err
		}
		b.view = view
	}
	return b.view.NewIter(opts)
}
