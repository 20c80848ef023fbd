// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"unsafe"

	"github.com/google/btree"
)

// kvTree is the ordered byte map of a key-value store, with an undo log. Its
// keys live in cells, each reachable two ways: from a hash map, which serves
// point reads and the writes to keys already present, and from a
// copy-on-write B-tree of github.com/google/btree, ordered by key, which
// range loops read through snapshots. Only inserts and deletes search the
// tree; reading or rewriting a key costs a hash lookup.
//
// A cell's value is replaced in place unless a snapshot open may hold the
// cell: then the write copies the tree (in O(1), see tree) if its current
// version is being read, and puts a new cell in the copy, so that every
// snapshot keeps the values it started with.
//
// The undo log holds, for each key changed since the last commit, the value
// it had then; a cell records the cycle whose log holds its prior value, so
// that a key rewritten many times is logged once.
//
// A short value (up to inlineValue bytes, such as a count with its
// timestamp) is copied into one of two buffers in its cell, not into an
// allocation of its own: a write takes the buffer that holds neither the
// current value nor the one this cycle's undo log holds (a fresh
// allocation if the undo log holds the other), so that the value a reader
// got before a write stays as it was through that write, and the logged
// value until the cycle ends.
type kvTree struct {
	cur   *kvVersion
	cells map[string]*cell
	open  int // snapshots open, of every version
	// last is the cell get found last (nil: none, or it left the map): a
	// read-modify-write such as a count finds its cell without a second
	// hash lookup.
	last *cell

	undo  []undoEntry
	cycle uint64 // commits and aborts so far
}

// cell is a key and its current value. The key is never modified; the
// value is replaced (never modified in place) while no snapshot holds the
// cell, so that slices of old values stay valid.
type cell struct {
	key   []byte
	value []byte
	gen   uint64 // the version the cell was created in
	cycle uint64 // the cycle whose undo log holds the prior value, plus one
	// bufs hold short values; logged is the buffer whose value the undo
	// log of cycle-1 holds (-1: none).
	bufs   [2][inlineValue]byte
	logged int8
}

// inlineValue is the longest value a cell holds in its own buffers: a
// timestamp and a 64-bit number (a count).
const inlineValue = 16

// holds returns the buffer of c that value is in, or -1.
func (c *cell) holds(value []byte) int8 {
	p := unsafe.SliceData(value)
	for i := range c.bufs {
		if p == &c.bufs[i][0] {
			return int8(i)
		}
	}
	return -1
}

// copyValue returns a copy of value for c to hold, in one of its buffers
// if value is short and one is free in cycle (see kvTree).
func (c *cell) copyValue(value []byte, cycle uint64) []byte {
	n := len(value)
	if n > inlineValue {
		return bytes.Clone(value)
	}
	cur, logged := c.holds(c.value), int8(-1)
	if c.cycle == cycle+1 {
		logged = c.logged
	}
	for i := range int8(len(c.bufs)) {
		if i != cur && i != logged {
			return append(c.bufs[i][:0:n], value...)
		}
	}
	return append(make([]byte, 0, n), value...)
}

// undoEntry is a key's value at the last commit (existed false: absent).
type undoEntry struct {
	key     []byte
	value   []byte
	existed bool
}

// kvVersion is one version of the tree and the snapshots reading it.
type kvVersion struct {
	t       *btree.BTreeG[*cell]
	gen     uint64
	readers int
	kt      *kvTree
}

func lessCell(a, b *cell) bool { return bytes.Compare(a.key, b.key) < 0 }

func newKVTree() *kvTree {
	kt := &kvTree{cells: map[string]*cell{}}
	kt.cur = &kvVersion{t: btree.NewG(degree, lessCell), kt: kt}
	return kt
}

// str views b as a string, without a copy: b must not change afterwards.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// writable returns the tree to modify: the current one, or a copy of it if
// snapshots are reading it.
func (kt *kvTree) writable() *btree.BTreeG[*cell] {
	if kt.cur.readers > 0 {
		kt.cur = &kvVersion{t: kt.cur.t.Clone(), gen: kt.cur.gen + 1, kt: kt}
	}
	return kt.cur.t
}

// inPlace reports whether c's value can be replaced in the cell: no open
// snapshot holds it.
func (kt *kvTree) inPlace(c *cell) bool {
	return kt.cur.readers == 0 && (kt.open == 0 || c.gen == kt.cur.gen)
}

// get returns the value stored under key. It must not be modified.
func (kt *kvTree) get(key []byte) ([]byte, bool) {
	c := kt.find(key)
	if c == nil {
		return nil, false
	}
	kt.last = c
	return c.value, true
}

// find returns the cell of key, or nil.
func (kt *kvTree) find(key []byte) *cell {
	if c := kt.last; c != nil && bytes.Equal(c.key, key) {
		return c
	}
	return kt.cells[string(key)]
}

// log records c's value as its prior one, unless this cycle logged it.
func (kt *kvTree) log(c *cell) {
	if c.cycle != kt.cycle+1 {
		c.cycle = kt.cycle + 1
		c.logged = c.holds(c.value)
		kt.undo = append(kt.undo, undoEntry{key: c.key, value: c.value, existed: true})
	}
}

// set stores a copy of value under key, logging the prior value.
func (kt *kvTree) set(key, value []byte) {
	if c := kt.find(key); c != nil {
		kt.log(c)
		kt.replace(c, value, true)
		return
	}
	kt.undo = append(kt.undo, undoEntry{key: kt.insert(key, value, true)})
}

// replace gives c's key the value v: a copy of it, or v itself if the tree
// owns it (not copy).
func (kt *kvTree) replace(c *cell, v []byte, copy bool) {
	if kt.inPlace(c) {
		if copy {
			v = c.copyValue(v, kt.cycle)
		}
		c.value = v
		return
	}
	t := kt.writable()
	nc := &cell{key: c.key, gen: kt.cur.gen, cycle: c.cycle, logged: -1}
	nc.value = v
	if copy {
		nc.value = nc.copyValue(v, kt.cycle)
	}
	t.ReplaceOrInsert(nc)
	kt.cells[str(nc.key)] = nc
	if kt.last == c {
		kt.last = nc
	}
}

// insert adds key, absent, with value v (a copy of it, or v itself if the
// tree owns it: not copy), logged in this cycle; it returns the tree's copy
// of the key.
func (kt *kvTree) insert(key, v []byte, copy bool) []byte {
	k := bytes.Clone(key)
	if k == nil {
		k = []byte{}
	}
	t := kt.writable()
	c := &cell{key: k, value: v, gen: kt.cur.gen, cycle: kt.cycle + 1, logged: -1}
	if copy {
		c.value = c.copyValue(v, kt.cycle)
	}
	t.ReplaceOrInsert(c)
	kt.cells[str(k)] = c
	return k
}

// delete removes key, logging its prior value, and reports whether it was
// present.
func (kt *kvTree) delete(key []byte) bool {
	c := kt.find(key)
	if c == nil {
		return false
	}
	kt.log(c)
	kt.remove(c)
	return true
}

func (kt *kvTree) remove(c *cell) {
	kt.writable().Delete(c)
	delete(kt.cells, str(c.key))
	if kt.last == c {
		kt.last = nil
	}
}

// len returns the number of keys.
func (kt *kvTree) len() int { return len(kt.cells) }

// dirty reports whether the tree changed since the last commit.
func (kt *kvTree) dirty() bool { return len(kt.undo) > 0 }

// commit forgets the undo log: the current contents are what abort
// returns to.
func (kt *kvTree) commit() {
	if len(kt.undo) == 0 {
		return
	}
	clear(kt.undo)
	kt.undo = kt.undo[:0]
	kt.cycle++
}

// abort restores the contents at the last commit. No snapshot may be open.
func (kt *kvTree) abort() {
	// Newest first: a key deleted and inserted again has two entries, and
	// the older one holds its value at the commit.
	for i := len(kt.undo) - 1; i >= 0; i-- {
		u := kt.undo[i]
		c := kt.cells[str(u.key)]
		switch {
		case u.existed && c != nil:
			kt.replace(c, u.value, false)
		case u.existed:
			kt.insert(u.key, u.value, false)
		case c != nil:
			kt.remove(c)
		}
	}
	clear(kt.undo)
	kt.undo = kt.undo[:0]
	kt.cycle++
}

// read opens a snapshot of the tree for a loop; the loop closes it.
func (kt *kvTree) read() *kvVersion {
	kt.cur.readers++
	kt.open++
	return kt.cur
}

// close ends a loop's read of v.
func (v *kvVersion) close() {
	v.readers--
	v.kt.open--
}

// ascend calls f on the cells with keys in [lo, hi) in ascending order
// until f returns false. A nil bound is open.
func (v *kvVersion) ascend(lo, hi []byte, f func(*cell) bool) {
	switch {
	case lo == nil && hi == nil:
		v.t.Ascend(f)
	case lo == nil:
		v.t.AscendLessThan(&cell{key: hi}, f)
	case hi == nil:
		v.t.AscendGreaterOrEqual(&cell{key: lo}, f)
	default:
		v.t.AscendRange(&cell{key: lo}, &cell{key: hi}, f)
	}
}

// descend calls f on the cells with keys in [lo, hi) in descending order
// until f returns false. A nil bound is open.
func (v *kvVersion) descend(lo, hi []byte, f func(*cell) bool) {
	g := f
	if lo != nil {
		// The library's lower bounds of descending walks are exclusive.
		g = func(c *cell) bool { return bytes.Compare(c.key, lo) >= 0 && f(c) }
	}
	if hi == nil {
		v.t.Descend(g)
		return
	}
	// Its upper bounds are inclusive: only the first cell can be hi.
	first := true
	v.t.DescendLessOrEqual(&cell{key: hi}, func(c *cell) bool {
		if first {
			first = false
			if bytes.Equal(c.key, hi) {
				return true
			}
		}
		return g(c)
	})
}
