// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"unsafe"

	pdb "github.com/cockroachdb/pebble/v2"
)

// The cycle's writes.
//
// The writes made since the last Commit are kept in an overlay: a hash map
// from each key written to its latest write (a value or a deletion), and
// the cycle's range deletions in the order they were made. A point read
// looks the key up in the overlay and reads the database (Pebble's
// DB.Get, no batch to merge) only if the cycle did not write it. Commit
// turns the overlay into one Pebble batch, with one operation per key
// however often the cycle wrote it, and applies it atomically; Abort
// clears it. The database therefore changes only at Commit, as before.
//
// Order between writes and range deletions is kept by numbering the
// cycle's operations: a write is deleted by a range deletion that covers
// its key and was made after it. Commit writes the range deletions first
// and then the writes no later range deletion covers, so the batch leaves
// the database as the cycle's operations applied in order would.
//
// Stores that have no point reads, only loops (window stores that retain
// duplicates, whose every write is a new key), gain nothing from the map:
// their writes and range deletions go, in order, to the cycle's log, an
// unindexed Pebble batch, which Commit appends to the overlay's batch.
// Stores never share keys, so the two need no order between them.
//
// Range loops need a sorted view of the cycle's writes merged with the
// database. The first loop of a cycle that wrote anything builds it: an
// indexed Pebble batch holding the overlay's operations and the log,
// which every later write of the cycle goes to as well, and whose
// iterators merge it with the database (a loop over an unwritten cycle
// reads the database directly). A cycle without loops never builds one,
// so its writes pay for no sorted index, and its reads for no merge.
//
// The overlay is also the database's row cache. After Commit it keeps the
// keys it holds, now clean: their values are the database's, so a later
// cycle reads them without a DB.Get, as it does the keys a point read
// fetched from the database (an absent key is kept as absent). A cycle's
// writes are its dirty keys, the only ones Commit and a loop's view
// write. Clean keys stay while the overlay holds at most limit bytes
// (Options.RowCacheBytes); a commit past that, one after a range deletion,
// and Abort empty it. Nothing else writes a store's keys to the database,
// so a clean key's value is the database's until the overlay drops it.

// arenaChunk is the size of the blocks the overlay copies keys and values
// into; larger ones (above a quarter of it) get their own allocation.
const arenaChunk = 32 << 10

// What the overlay keeps for the next cycle, so that cycles of a similar
// size reuse it instead of allocating it again: the map, slices and arena
// blocks the cycle just ended needed. It releases what a larger earlier
// cycle left beyond that (the map and slices once a cycle uses less than
// half of them), down to a map and slices for keepWrites keys and
// keepBlocks arena blocks (256 KiB): a run of large cycles (a restore's
// chunks, a long commit interval over many keys) reuses its memory, and a
// task whose cycles are small again holds at most about a megabyte.
const (
	keepWrites = 1 << 13
	keepBlocks = 8
)

// rowEntryBytes is what the overlay counts for each key it holds besides
// the arena bytes of its key and value: its map entry and write.
const rowEntryBytes = 96

// overlay holds a cycle's writes, and clean keys read or committed
// earlier. The zero value is an empty overlay that keeps no clean keys.
type overlay struct {
	index map[string]int // key -> its position in writes
	// writes are the keys held, in the order first held, with the
	// cycle's latest write (dirty) or the database's value (clean).
	writes []write
	// dirty are the positions in writes of the keys the cycle wrote, in
	// the order first written.
	dirty []int
	// limit is how many bytes (see size) the overlay may hold across a
	// commit; 0 keeps no clean keys. large counts the bytes of keys and
	// values too large for the arena.
	limit int
	large int
	// dels are the cycle's range deletions, by ascending seq; lo and hi
	// bound them all (valid if dels is not empty).
	dels   []rangeDel
	lo, hi []byte
	// seq numbers the cycle's operations, from 1.
	seq uint64
	// The arena keys and values are copied into: the blocks allocated
	// so far, of which the cycle uses the first used, and the free part of
	// the last of those.
	blocks [][]byte
	used   int
	arena  []byte
}

// write is the latest write of a key in the cycle, or a clean key's
// value in the database.
type write struct {
	key string
	// value is the value written, nil for a deletion (or, clean, for a
	// key the database does not hold). It is the overlay's own copy: it
	// may be overwritten in place by the key's next write, so it is never
	// handed out.
	value []byte
	// seq numbers the write among the cycle's operations; 0 marks a
	// clean key.
	seq uint64
}

// rangeDel is a range deletion of [lo, hi).
type rangeDel struct {
	lo, hi []byte
	seq    uint64
}

// emptyValue is the value of a key set to an empty value: not nil, which
// would be a deletion.
var emptyValue = []byte{}

// empty reports whether the cycle wrote nothing.
func (o *overlay) empty() bool { return len(o.dirty) == 0 && len(o.dels) == 0 }

// set records a write of key: value, or a deletion if value is nil. It
// copies what it keeps.
func (o *overlay) set(key, value []byte) {
	o.seq++
	if i, ok := o.index[string(key)]; ok {
		w := &o.writes[i]
		if w.seq == 0 {
			o.dirty = append(o.dirty, i)
		}
		w.value = o.store(w.value, value)
		w.seq = o.seq
		return
	}
	o.dirty = append(o.dirty, len(o.writes))
	o.add(key, value, o.seq)
}

// add holds key, not held yet, with value and seq.
func (o *overlay) add(key, value []byte, seq uint64) {
	if o.index == nil {
		o.index = make(map[string]int)
	}
	k := o.keep(key)
	o.index[k] = len(o.writes)
	o.writes = append(o.writes, write{key: k, value: o.store(nil, value), seq: seq})
}

// remember holds key as clean with value, the database's (nil: absent),
// read because the overlay did not hold it, if the overlay has room.
func (o *overlay) remember(key, value []byte) {
	if o.size() >= o.limit {
		return
	}
	o.add(key, value, 0)
}

// size is what the overlay holds, in bytes: the arena blocks in use, the
// keys and values too large for them and rowEntryBytes per key.
func (o *overlay) size() int {
	return o.used*arenaChunk + o.large + len(o.writes)*rowEntryBytes
}

// store returns a copy of value (nil for nil), reusing old's memory if it
// fits.
func (o *overlay) store(old, value []byte) []byte {
	switch {
	case value == nil:
		return nil
	case len(value) == 0:
		return emptyValue
	case len(value) <= cap(old):
		return append(old[:0], value...)
	}
	return o.arenaCopy(value)
}

// keep returns key as a string, copied into the arena (not a
// separate allocation per key) if it is small. The arena's bytes under a
// key are not written again until reset has dropped the string (see
// arenaCopy), as a string's must not be.
func (o *overlay) keep(key []byte) string {
	if len(key) == 0 || len(key) > arenaChunk/4 {
		o.large += len(key)
		return string(key)
	}
	p := o.arenaCopy(key)
	return unsafe.String(&p[0], len(p))
}

// arenaCopy returns a copy of b, in the arena if it is at most a quarter of a
// block. The copy's capacity is its length, so appending to it never
// writes the arena beyond it, and the arena hands out every byte once per
// cycle: blocks are reused only after reset, when nothing refers to them
// any more (the overlay's keys and values are never handed out).
func (o *overlay) arenaCopy(b []byte) []byte {
	n := len(b)
	if n > arenaChunk/4 {
		o.large += n
		return bytes.Clone(b)
	}
	if n > len(o.arena) {
		if o.used == len(o.blocks) {
			o.blocks = append(o.blocks, make([]byte, arenaChunk))
		}
		o.arena = o.blocks[o.used]
		o.used++
	}
	p := o.arena[:n:n]
	copy(p, b)
	o.arena = o.arena[n:]
	return p
}

// deleteRange records a range deletion of [lo, hi).
func (o *overlay) deleteRange(lo, hi []byte) {
	o.seq++
	d := rangeDel{lo: bytes.Clone(lo), hi: bytes.Clone(hi), seq: o.seq}
	if len(o.dels) == 0 {
		o.lo, o.hi = d.lo, d.hi
	} else {
		if bytes.Compare(d.lo, o.lo) < 0 {
			o.lo = d.lo
		}
		if bytes.Compare(d.hi, o.hi) > 0 {
			o.hi = d.hi
		}
	}
	o.dels = append(o.dels, d)
}

// get returns the cycle's write of key: ok is false if the cycle did not
// write it (read the database), else value is the value written, nil if
// the key was deleted. The value is the overlay's: copy it before the
// next write.
func (o *overlay) get(key []byte) (value []byte, ok bool) {
	if i, hit := o.index[string(key)]; hit {
		w := &o.writes[i]
		if o.deletedAfter(key, w.seq) {
			return nil, true
		}
		return w.value, true
	}
	return nil, o.deletedAfter(key, 0)
}

// deletedAfter reports whether a range deletion made after operation seq
// covers key. It walks the range deletions made after seq, in reverse;
// a cycle has few (one per segment a window or session store drops).
func (o *overlay) deletedAfter(key []byte, seq uint64) bool {
	if len(o.dels) == 0 || bytes.Compare(key, o.lo) < 0 || bytes.Compare(key, o.hi) >= 0 {
		return false
	}
	for i := len(o.dels) - 1; i >= 0 && o.dels[i].seq > seq; i-- {
		if d := &o.dels[i]; bytes.Compare(key, d.lo) >= 0 && bytes.Compare(key, d.hi) < 0 {
			return true
		}
	}
	return false
}

// writeTo adds the cycle's operations to batch: the range deletions, then
// the latest write of every key no later range deletion covers.
func (o *overlay) writeTo(batch *pdb.Batch) error {
	for _, d := range o.dels {
		if err := batch.DeleteRange(d.lo, d.hi, nil); err != nil {
			return err
		}
	}
	var key []byte
	for _, i := range o.dirty {
		w := &o.writes[i]
		if len(o.dels) > 0 {
			key = append(key[:0], w.key...)
			if o.deletedAfter(key, w.seq) {
				continue
			}
		}
		var op *pdb.DeferredBatchOp
		if w.value == nil {
			op = batch.DeleteDeferred(len(w.key))
		} else {
			op = batch.SetDeferred(len(w.key), len(w.value))
			copy(op.Value, w.value)
		}
		copy(op.Key, w.key)
		if err := op.Finish(); err != nil {
			return err
		}
	}
	return nil
}

// committed ends a cycle whose writes the database now holds: they become
// clean keys, unless the overlay holds more than its limit or the cycle
// made a range deletion, which empty it (see reset).
func (o *overlay) committed() {
	if len(o.dels) > 0 || o.size() > o.limit {
		o.reset()
		return
	}
	for _, i := range o.dirty {
		o.writes[i].seq = 0
	}
	o.dirty = o.dirty[:0]
	o.seq = 0
}

// reset empties the overlay, clean keys included.
func (o *overlay) reset() {
	if cap(o.writes) > keepWrites && 2*len(o.writes) < cap(o.writes) {
		o.index, o.writes, o.dirty = nil, nil, nil // grown by an earlier, larger cycle
	} else {
		clear(o.index)
		clear(o.writes)
		o.writes, o.dirty = o.writes[:0], o.dirty[:0]
	}
	clear(o.dels)
	o.dels, o.lo, o.hi = o.dels[:0], nil, nil
	o.seq, o.large = 0, 0
	// Nothing refers to the arena now: its blocks are free again.
	if keep := max(o.used, keepBlocks); len(o.blocks) > keep {
		clear(o.blocks[keep:])
		o.blocks = o.blocks[:keep]
	}
	o.used, o.arena = 0, nil
}
