// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"sync"
	"syscall"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// Damage detection.
//
// A task database is a cache of its changelog, so a damaged one is never
// repaired: it is reported, and the caller (the runtime) lets Open replace
// it by an empty database that is then rebuilt from the changelog. Damage
// is found three ways:
//
//   - Pebble cannot open the files: a truncated or missing sstable (Open
//     compares every sstable's size with the MANIFEST), a malformed or
//     missing MANIFEST, an unreadable OPTIONS file.
//   - A read hits a block whose checksum does not match. Pebble verifies
//     checksums lazily, when a block is first read, so Open reads the whole
//     database when the previous run did not close it (Options.Verify).
//     Corruption found while running is recorded: reads return the error,
//     and Close leaves a marker so the next Open reports the damage instead
//     of crash-looping on the same bad block.
//   - The database's own metadata does not decode.
//
// Two marker files, which Pebble ignores, live in the directory:
const (
	// openMarker exists while the database is open: found at Open, it
	// means the previous run crashed.
	openMarker = "EDDY-OPEN"
	// damagedMarker records corruption found while running; it holds the
	// error.
	damagedMarker = "EDDY-DAMAGED"
	// lockFile is Pebble's directory lock, kept when the directory is
	// emptied.
	lockFile = "LOCK"
)

// DamagedError reports a damaged database.
type DamagedError struct {
	Dir string
	Err error
}

// Error names the directory and the damage.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("state/pebble: database in %s is damaged: %v", e.Dir, e.Err)
}

// Unwrap returns the damage.
func (e *DamagedError) Unwrap() error { return e.Err }

// IsDamaged reports whether err is or wraps a *DamagedError.
func IsDamaged(err error) bool {
	var de *DamagedError
	return errors.As(err, &de)
}

// health records the first corruption a database reported.
type health struct {
	mu  sync.Mutex
	err error
}

func (h *health) note(err error) {
	h.mu.Lock()
	if h.err == nil {
		h.err = err
	}
	h.mu.Unlock()
}

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// check notes err if it reports corruption and returns it.
func (h *health) check(err error) error {
	if err != nil && pdb.IsCorruptionError(err) {
		h.note(err)
	}
	return err
}

// open opens the database in b.dir (whose lock b holds), verifies it if
// needed and loads its metadata. A damaged database is reported as a
// *DamagedError.
func (b *Backend) open() error {
	if reason, err := b.readFile(damagedMarker); err == nil {
		return &DamagedError{Dir: b.dir, Err: fmt.Errorf("an earlier run found corruption: %s", strings.TrimSpace(string(reason)))}
	}
	_, err := b.fs.Stat(b.path(openMarker))
	b.crashed, b.verified = err == nil, false
	b.health = &health{}
	b.faults = &faults{dir: b.dir}
	if b.mem != nil {
		b.mem.reset()
	}
	var db *pdb.DB
	err = b.guard("open", func() error {
		var err error
		db, err = pdb.Open(b.dir, b.pebbleOptions())
		return err
	})
	if err != nil {
		return b.classify(err)
	}
	b.db = db
	if b.opts.Verify == VerifyAlways || b.opts.Verify == VerifyAfterCrash && b.crashed {
		err = b.verify()
	}
	if err == nil {
		err = b.loadMeta()
	}
	if err == nil {
		err = b.markOpen()
	}
	if err != nil {
		_ = db.Close()
		b.db = nil
		return b.classify(err)
	}
	return nil
}

// classify turns an error from opening the database into a *DamagedError
// unless it comes from the environment: with the directory lock held, what
// else fails is the content of the directory. A failed write (a storage
// fault) or an I/O error is a *StorageError.
func (b *Backend) classify(err error) error {
	var se *StorageError
	if errors.As(err, &se) {
		return err
	}
	if f := b.faults.err(); f != nil {
		return f
	}
	for _, env := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EIO, syscall.EDQUOT} {
		if errors.Is(err, env) {
			return &StorageError{Dir: b.dir, Op: "open", Err: err}
		}
	}
	for _, env := range []error{fs.ErrPermission, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.EINTR} {
		if errors.Is(err, env) {
			return fmt.Errorf("state/pebble: open %s: %w", b.dir, err)
		}
	}
	return &DamagedError{Dir: b.dir, Err: err}
}

// verify reads every key and value of the database, which checks the
// checksum of every block.
func (b *Backend) verify() error {
	it, err := b.db.NewIter(nil)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if _, err := it.ValueAndErr(); err != nil {
			break // reported by Close
		}
	}
	if err := it.Close(); err != nil {
		return b.health.check(err)
	}
	if err := b.health.get(); err != nil {
		return err
	}
	b.verified = true
	return nil
}

// Verify reads the whole committed database, checking every block
// checksum, and returns the first corruption found (which is then also
// recorded for the next Open). Open does this after a crash, unless
// Options.Verify says otherwise.
func (b *Backend) Verify() error {
	if err := b.usable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	return b.verify()
}

// Crashed reports whether the previous run did not close the database and
// it has not been verified since (see VerifyLater).
func (b *Backend) Crashed() bool { return b.crashed && !b.verified }

// markOpen creates the marker that tells the next Open whether this run
// closed the database.
func (b *Backend) markOpen() error {
	if err := b.writeFile(openMarker, nil); err != nil {
		return &StorageError{Dir: b.dir, Op: "create " + openMarker, Err: err}
	}
	return nil
}

// markClosed removes the open marker after a successful close, or, if this
// run found corruption, records it for the next Open.
func (b *Backend) markClosed() error {
	if damage := b.health.get(); damage != nil {
		if err := b.writeFile(damagedMarker, []byte(damage.Error()+"\n")); err != nil {
			return &StorageError{Dir: b.dir, Op: "create " + damagedMarker, Err: err}
		}
		return nil
	}
	if b.crashed && !b.verified {
		return nil // still due: keep the marker for the next Open
	}
	if err := b.fs.Remove(b.path(openMarker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// path returns the path of the file name in the database directory.
func (b *Backend) path(name string) string { return b.fs.PathJoin(b.dir, name) }

// readFile returns the content of the file name in the database directory.
func (b *Backend) readFile(name string) ([]byte, error) {
	f, err := b.fs.Open(b.path(name))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	return data, errors.Join(err, f.Close())
}

// writeFile replaces the file name in the database directory by one
// holding data, synced together with the directory.
func (b *Backend) writeFile(name string, data []byte) error {
	f, err := b.fs.Create(b.path(name), vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	d, err := b.fs.OpenDir(b.dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// recreate deletes everything in the directory but the lock and opens an
// empty database.
func (b *Backend) recreate() error {
	names, err := b.fs.List(b.dir)
	if err != nil {
		return fmt.Errorf("state/pebble: clear %s: %w", b.dir, err)
	}
	for _, name := range names {
		if name == lockFile {
			continue
		}
		if err := b.fs.RemoveAll(b.path(name)); err != nil {
			return fmt.Errorf("state/pebble: clear %s: %w", b.dir, err)
		}
	}
	if err := b.open(); err != nil {
		return fmt.Errorf("state/pebble: recreate %s: %w", b.dir, err)
	}
	return nil
}

// Wipe deletes the database, keeping the directory locked, and opens an
// empty one in its place: every store is emptied (its registration is
// kept, so open stores stay usable), committed offsets are forgotten and
// uncommitted writes are dropped. The caller rebuilds the state, normally
// from the changelog. Other files in the directory are deleted too.
func (b *Backend) Wipe() error {
	if err := b.writable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	b.releaseCycle()
	// An error closing a database about to be deleted changes nothing.
	_ = b.db.Close()
	b.db = nil
	clear(b.offsets)
	if err := b.recreate(); err != nil {
		b.closed = true
		return errors.Join(err, b.lock.Close())
	}
	for name, r := range b.stores {
		op := fmt.Sprintf("wipe: register store %q", name)
		if err := b.guard(op, func() error { return b.db.Set(metaKey(tagStore, []byte(name)), r.encode(), b.wopts) }); err != nil {
			return b.writeError(op, err)
		}
	}
	for _, s := range b.windows {
		s.clock, s.seq, s.dropped, s.dirty = wincore.NewClock(s.opts), 0, math.MinInt64, false
		s.committed()
	}
	for _, s := range b.sessions {
		s.clock, s.dropped, s.dirty = wincore.NewSessionClock(s.opts), math.MinInt64, false
		s.committed()
	}
	return nil
}
