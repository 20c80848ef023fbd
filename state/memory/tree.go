// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"

	"github.com/google/btree"
)

// entry is a key and its value in a tree: kv holds the klen bytes of the
// key, then the value. Both are copies owned by the tree, in one allocation,
// and never modified in place, so slices of an entry stay valid after it is
// replaced or deleted (the undo log keeps them). Two words smaller than two
// slices, entries make nodes smaller and searches faster.
type entry struct {
	kv   []byte
	klen int
}

// keyEntry returns an entry to search for key.
func keyEntry(key []byte) entry { return entry{kv: key, klen: len(key)} }

func (e entry) key() []byte   { return e.kv[:e.klen:e.klen] }
func (e entry) value() []byte { return e.kv[e.klen:] }

func lessEntry(a, b entry) bool { return bytes.Compare(a.kv[:a.klen], b.kv[:b.klen]) < 0 }

// degree is the B-tree's minimum degree: nodes hold up to 2*degree-1
// entries.
const degree = 32

// tree is an ordered byte map in a copy-on-write B-tree of
// github.com/google/btree, read by range loops through snapshots.
//
// A loop reads the version of the tree that was current when it started
// (read). A write while loops read the current version first clones it,
// in O(1): the clone shares every node and copies a node only when it
// writes to it, so the loops keep seeing an unchanged tree. Writes with no
// loop open modify the current version in place, and read-only loops cost
// nothing extra.
type tree struct{ cur *version }

// version is one tree value and the loops reading it.
type version struct {
	t       *btree.BTreeG[entry]
	readers int
}

func newTree() tree {
	return tree{cur: &version{t: btree.NewG(degree, lessEntry)}}
}

// writable returns the tree to modify: the current one, or a clone of it if
// loops are reading it.
func (t *tree) writable() *btree.BTreeG[entry] {
	if t.cur.readers > 0 {
		t.cur = &version{t: t.cur.t.Clone()}
	}
	return t.cur.t
}

// get returns the value stored under key. It must not be modified.
func (t *tree) get(key []byte) ([]byte, bool) {
	e, ok := t.cur.t.Get(keyEntry(key))
	if !ok {
		return nil, false
	}
	return e.value(), true
}

// set stores a copy of key and value, and returns the value it replaced, if
// any.
func (t *tree) set(key, value []byte) (old []byte, replaced bool) {
	kv := make([]byte, len(key)+len(value))
	n := copy(kv, key)
	copy(kv[n:], value)
	e, replaced := t.writable().ReplaceOrInsert(entry{kv: kv, klen: n})
	if !replaced {
		return nil, false
	}
	return e.value(), true
}

// delete removes key, and returns the value it removed, if any.
func (t *tree) delete(key []byte) (old []byte, deleted bool) {
	k := keyEntry(key)
	if t.cur.readers > 0 && !t.cur.t.Has(k) {
		return nil, false // no need to clone for a no-op
	}
	e, deleted := t.writable().Delete(k)
	if !deleted {
		return nil, false
	}
	return e.value(), true
}

// len returns the number of keys.
func (t *tree) len() int { return t.cur.t.Len() }

// read opens a snapshot of the tree for a loop; the loop closes it.
func (t *tree) read() *version {
	t.cur.readers++
	return t.cur
}

// close ends a loop's read of v.
func (v *version) close() { v.readers-- }

// ascend calls f on the entries with keys in [lo, hi) in ascending order
// until f returns false. A nil bound is open.
func (v *version) ascend(lo, hi []byte, f func(entry) bool) {
	switch {
	case lo == nil && hi == nil:
		v.t.Ascend(f)
	case lo == nil:
		v.t.AscendLessThan(keyEntry(hi), f)
	case hi == nil:
		v.t.AscendGreaterOrEqual(keyEntry(lo), f)
	default:
		v.t.AscendRange(keyEntry(lo), keyEntry(hi), f)
	}
}

// descend calls f on the entries with keys in [lo, hi) in descending order
// until f returns false. A nil bound is open.
func (v *version) descend(lo, hi []byte, f func(entry) bool) {
	g := f
	if lo != nil {
		// The library's lower bounds of descending walks are exclusive.
		g = func(e entry) bool { return bytes.Compare(e.key(), lo) >= 0 && f(e) }
	}
	if hi == nil {
		v.t.Descend(g)
		return
	}
	// Its upper bounds are inclusive: only the first entry can be hi.
	first := true
	v.t.DescendLessOrEqual(keyEntry(hi), func(e entry) bool {
		if first {
			first = false
			if bytes.Equal(e.key(), hi) {
				return true
			}
		}
		return g(e)
	})
}

// cursorBatch is how many entries a cursor copies out of the tree at a time.
const cursorBatch = 64

// cursor steps through the entries of a snapshot in [lo, hi) in ascending
// order, for merging several snapshots. The library walks a tree only with
// callbacks, so a cursor takes its entries in batches, each batch one walk
// starting after the last key of the previous one; the snapshot does not
// change in between.
type cursor struct {
	v     *version
	hi    []byte
	batch []entry
	i     int
	more  bool // the tree may hold entries after the batch
	add   func(entry) bool
	// skip is the last key of the previous batch, where the next walk
	// starts; add skips it if skipping.
	skip     []byte
	skipping bool
}

// newCursor returns a cursor over [lo, hi) of v, positioned on the first
// entry. A nil bound is open.
func newCursor(v *version, lo, hi []byte) *cursor {
	c := &cursor{v: v, hi: hi, batch: make([]entry, 0, cursorBatch)}
	c.add = c.addEntry
	c.fill(lo)
	return c
}

// fill loads the batch that starts at from.
func (c *cursor) fill(from []byte) {
	c.batch, c.i = c.batch[:0], 0
	c.v.ascend(from, c.hi, c.add)
	c.more = len(c.batch) == cursorBatch
}

func (c *cursor) addEntry(e entry) bool {
	if c.skipping {
		c.skipping = false
		if bytes.Equal(e.key(), c.skip) {
			return true
		}
	}
	c.batch = append(c.batch, e)
	return len(c.batch) < cursorBatch
}

// Valid reports whether the cursor is on an entry.
func (c *cursor) Valid() bool { return c.i < len(c.batch) }

// Entry returns the current key (wincore.Cursor).
func (c *cursor) Entry() []byte { return c.batch[c.i].key() }

// Value returns the current value.
func (c *cursor) Value() []byte { return c.batch[c.i].value() }

// Next moves to the following entry.
func (c *cursor) Next() {
	c.i++
	if c.i == len(c.batch) && c.more {
		c.skip, c.skipping = c.batch[c.i-1].key(), true
		c.fill(c.skip)
	}
}
