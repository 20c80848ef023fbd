// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	pdb "github.com/cockroachdb/pebble/v2"
)

// A cycle's writes, range deletions among them, read back by Get and by
// loops (with writes inside loops), then committed, aborted or reopened,
// always match a model that applies the operations in order. Two stores
// take the writes: one through the overlay, one scan-only (through the
// log, read by loops only). The memtable is small, so reads also go to
// flushed sstables. Each seed runs with the row cache (clean keys kept
// across commits) at its default, so small that commits often drop it,
// and off.
func TestCycleModel(t *testing.T) {
	for _, rows := range []struct {
		name  string
		bytes int
	}{{"rows-default", 0}, {"rows-1KiB", 1 << 10}, {"rows-off", -1}} {
		for seed := range uint64(6) {
			t.Run(fmt.Sprint(rows.name, "/seed", seed), func(t *testing.T) { runCycleModel(t, seed, rows.bytes) })
		}
	}
}

// modelStore is a store of TestCycleModel: its keys are those of the
// key-value store s, written as a scan-only store's if scanOnly.
type modelStore struct {
	s              *kvStore
	scanOnly       bool
	cur, committed map[string]string
}

func (m *modelStore) key(k string) []byte { return append(bytes.Clone(m.s.prefix), k...) }

func (m *modelStore) put(t *testing.T, k, v string, del bool) {
	t.Helper()
	var value []byte
	if !del {
		value = []byte(v)
	}
	must(t, m.s.b.put(m.key(k), value, m.scanOnly))
	if del {
		delete(m.cur, k)
	} else {
		m.cur[k] = v
	}
}

func runCycleModel(t *testing.T, seed uint64, rowCacheBytes int) {
	dir := t.TempDir()
	opts := Options{MemTableSize: MinMemTableSize, RowCacheBytes: rowCacheBytes}
	b := mustOpen(t, dir, opts)
	stores := []*modelStore{
		{s: mustKV(t, b, "kv"), cur: map[string]string{}, committed: map[string]string{}},
		{s: mustKV(t, b, "log"), scanOnly: true, cur: map[string]string{}, committed: map[string]string{}},
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	randKey := func() string {
		// Short keys over a small alphabet collide and prefix each other.
		var sb strings.Builder
		for range 1 + rng.IntN(3) {
			sb.WriteByte("ab\x00\xff"[rng.IntN(4)])
		}
		return sb.String()
	}
	// sorted returns the model's entries in [from, to) as "k=v", in
	// reverse if asked.
	sorted := func(m map[string]string, from, to string, reverse bool) []string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if k >= from && (to == "" || k < to) {
				out = append(out, fmt.Sprintf("%q=%q", k, m[k]))
			}
		}
		if reverse {
			slices.Reverse(out)
		}
		return out
	}
	for step := range 4000 {
		m := stores[rng.IntN(2)]
		switch op := rng.IntN(100); {
		case op < 35:
			v := fmt.Sprint(step)
			if rng.IntN(10) == 0 {
				v = "" // empty, not absent
			}
			m.put(t, randKey(), v, false)
		case op < 45:
			m.put(t, randKey(), "", true)
		case op < 52:
			lo, hi := randKey(), randKey()
			if hi < lo {
				lo, hi = hi, lo
			}
			must(t, b.deleteRange(m.key(lo), m.key(hi), m.scanOnly))
			maps.DeleteFunc(m.cur, func(k, _ string) bool { return k >= lo && k < hi })
		case op < 75:
			m := stores[0] // scan-only stores have no point reads
			k := randKey()
			got, err := m.s.Get([]byte(k))
			must(t, err)
			want, ok := m.cur[k]
			if !ok && got != nil || ok && (got == nil || string(got) != want) {
				t.Fatalf("step %d: Get(%q) = %q (nil %t), want %q (present %t)", step, k, got, got == nil, want, ok)
			}
			if got != nil {
				clear(got) // the caller's to change
			}
		case op < 85:
			from, to, reverse := randKey(), "", rng.IntN(2) == 0
			if rng.IntN(3) > 0 {
				to = randKey()
			}
			want := sorted(m.cur, from, to, reverse)
			var got []string
			var writes [][2]string
			_, upper := m.s.bounds([]byte(from), nil)
			if to != "" {
				upper = m.key(to)
			}
			walk(b, m.key(from), upper, reverse, func(_ struct{}, err error) bool { t.Fatal(err); return false },
				func(it *pdb.Iterator, v []byte) bool {
					k := string(it.Key()[len(m.s.prefix):])
					got = append(got, fmt.Sprintf("%q=%q", k, v))
					if rng.IntN(3) == 0 {
						// Writes in the loop are for Get and later
						// loops, not this one.
						nk, nv := randKey(), fmt.Sprint("loop", step)
						must(t, b.put(m.key(k), nil, m.scanOnly))
						must(t, b.put(m.key(nk), []byte(nv), m.scanOnly))
						writes = append(writes, [2]string{k, ""}, [2]string{nk, nv})
						if m.scanOnly {
							return true
						}
						if g, err := m.s.Get([]byte(nk)); err != nil || string(g) != nv {
							t.Fatalf("step %d: Get(%q) in a loop = %q, %v, want %q", step, nk, g, err, nv)
						}
					}
					return true
				})
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: loop over %s [%q, %q) reverse %t:\n got %q\nwant %q", step, m.s.name, from, to, reverse, got, want)
			}
			for _, w := range writes {
				if w[1] == "" {
					delete(m.cur, w[0])
				} else {
					m.cur[w[0]] = w[1]
				}
			}
		case op < 93:
			must(t, b.Commit(map[string]int64{"c-0": int64(step)}))
			for _, m := range stores {
				m.committed = maps.Clone(m.cur)
			}
		case op < 98:
			must(t, b.Abort())
			for _, m := range stores {
				m.cur = maps.Clone(m.committed)
			}
		default:
			must(t, b.Close())
			b = mustOpen(t, dir, opts)
			for _, m := range stores {
				m.s = mustKV(t, b, m.s.name)
				m.cur = maps.Clone(m.committed)
			}
		}
	}
	must(t, b.Commit(nil))
	// The database itself holds the model, nothing more.
	for _, m := range stores {
		lower, upper := m.s.bounds(nil, nil)
		it, err := b.db.NewIter(&pdb.IterOptions{LowerBound: lower, UpperBound: upper})
		must(t, err)
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, fmt.Sprintf("%q=%q", it.Key()[len(m.s.prefix):], it.Value()))
		}
		must(t, it.Close())
		if want := sorted(m.cur, "", "", false); !slices.Equal(got, want) {
			t.Fatalf("%s in the database after the last commit:\n got %q\nwant %q", m.s.name, got, want)
		}
	}
}

// Commit writes one operation per key, however often the cycle wrote it,
// and keeps the order of writes and range deletions: a range deletion
// deletes the writes before it, not those after.
func TestCycleCollapses(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s := mustKV(t, b, "kv")
	k := func(key string) []byte { return append(bytes.Clone(s.prefix), key...) }
	for i := range 1000 {
		must(t, s.Put([]byte("a"), fmt.Append(nil, i)))
		must(t, s.Put([]byte("b"), fmt.Append(nil, i)))
	}
	must(t, s.Put([]byte("d"), []byte("1")))
	must(t, b.deleteRange(k("a"), k("c"), false)) // a, b
	must(t, s.Put([]byte("b"), []byte("after")))
	must(t, s.Delete([]byte("e")))
	wantGet(t, s, "a", nil)
	wantGet(t, s, "b", []byte("after"))
	wantGet(t, s, "d", []byte("1"))

	batch := b.db.NewBatch()
	must(t, b.cycle.writeTo(batch))
	// The range deletion, b, d and the deletion of e; not a.
	if n := batch.Count(); n != 4 {
		t.Fatalf("batch of %d operations, want 4", n)
	}
	must(t, batch.Close())

	must(t, b.Commit(nil))
	if !b.cycle.empty() || b.view != nil {
		t.Fatal("Commit left the cycle's writes")
	}
	wantGet(t, s, "a", nil)
	wantGet(t, s, "b", []byte("after"))
	wantGet(t, s, "d", []byte("1"))
	wantGet(t, s, "e", nil)
}

// A loop started with nothing written reads the database; a write in it
// is seen by Get and by a loop started later (which builds the indexed
// view), not by the running loop. The view is kept in step with later
// writes and dropped at the end of the cycle.
func TestCycleLoopView(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s := mustKV(t, b, "kv")
	must(t, s.Put([]byte("a"), []byte("1")))
	must(t, s.Put([]byte("c"), []byte("3")))
	must(t, b.Commit(nil))

	var outer []string
	for e, err := range s.All() {
		must(t, err)
		outer = append(outer, string(e.Key))
		if string(e.Key) != "a" {
			continue
		}
		must(t, s.Put([]byte("b"), []byte("2")))
		must(t, s.Delete([]byte("c")))
		wantGet(t, s, "b", []byte("2"))
		if b.view != nil {
			t.Fatal("view built before a loop needed it")
		}
		var inner []string
		for e, err := range s.All() {
			must(t, err)
			inner = append(inner, string(e.Key))
		}
		if want := []string{"a", "b"}; !slices.Equal(inner, want) {
			t.Fatalf("inner loop: %q, want %q", inner, want)
		}
		if b.view == nil {
			t.Fatal("no view after a loop over written state")
		}
		must(t, s.Put([]byte("d"), []byte("4"))) // to the view too
	}
	if want := []string{"a", "c"}; !slices.Equal(outer, want) {
		t.Fatalf("outer loop: %q, want %q", outer, want)
	}
	var after []string
	for e, err := range s.ReverseRange(nil, nil) {
		must(t, err)
		after = append(after, string(e.Key)+"="+string(e.Value))
	}
	if want := []string{"d=4", "b=2", "a=1"}; !slices.Equal(after, want) {
		t.Fatalf("later loop: %q, want %q", after, want)
	}
	must(t, b.Abort())
	if b.view != nil || !b.cycle.empty() {
		t.Fatal("Abort kept the cycle's writes")
	}
	wantGet(t, s, "b", nil)
	wantGet(t, s, "c", []byte("3"))
}

// Get returns the caller's copy: changing it changes neither the cycle's
// write nor the database's value, and a later write of the key (which may
// reuse the cycle's memory) does not change it.
func TestCycleGetCopies(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s := mustKV(t, b, "kv")
	must(t, s.Put([]byte("k"), []byte("committed")))
	must(t, b.Commit(nil))
	v, err := s.Get([]byte("k"))
	must(t, err)
	copy(v, "XXXX")
	wantGet(t, s, "k", []byte("committed"))

	must(t, s.Put([]byte("k"), []byte("first")))
	v, err = s.Get([]byte("k"))
	must(t, err)
	must(t, s.Put([]byte("k"), []byte("again"))) // same length: in place
	if string(v) != "first" {
		t.Fatalf("a later write changed a returned value to %q", v)
	}
	copy(v, "XXXX")
	wantGet(t, s, "k", []byte("again"))
	must(t, s.Put([]byte("k"), []byte{}))
	if v := mustGet(t, s, "k"); v == nil || len(v) != 0 {
		t.Fatalf("empty value read as %q (nil %t)", v, v == nil)
	}
	must(t, b.Commit(nil))
	if v := mustGet(t, s, "k"); v == nil || len(v) != 0 {
		t.Fatalf("committed empty value read as %q (nil %t)", v, v == nil)
	}
}

// Keys and values above a quarter of an arena block get allocations of
// their own; small ones share blocks, which later cycles reuse. Either way
// each reads back as written, before and after Commit, however values
// grow and shrink.
func TestCycleArena(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s := mustKV(t, b, "kv")
	big := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	want := map[string][]byte{}
	put := func(k string, v []byte) {
		t.Helper()
		must(t, s.Put([]byte(k), v))
		want[k] = v
	}
	check := func() {
		t.Helper()
		for k, v := range want {
			wantGet(t, s, k, v)
		}
	}
	bigKey := string(big('k', arenaChunk))
	put(bigKey, big('a', 10))
	put("small", big('b', arenaChunk/2))
	for i := range 3 * arenaChunk / 64 { // several blocks' worth of keys
		put(fmt.Sprintf("key-%05d", i), big(byte(i), 1+i%50))
	}
	check()
	put(bigKey, big('c', 3))               // shrinks in place
	put("small", big('d', 2))              // shrinks in place
	put("key-00007", big('e', arenaChunk)) // grows out of the arena
	put("key-00008", big('f', 1+8%50+20))  // grows within it
	check()
	must(t, b.Commit(nil))
	check()
	// The next cycle reuses the arena's blocks; what they held before is
	// in the database.
	for i := range 3 * arenaChunk / 64 {
		put(fmt.Sprintf("next-%05d", i), big(byte(i+1), 1+i%50))
	}
	check()
	must(t, b.Abort())
	for i := range 3 * arenaChunk / 64 {
		k := fmt.Sprintf("next-%05d", i)
		delete(want, k)
		wantGet(t, s, k, nil)
	}
	for i := range 3 * arenaChunk / 64 {
		put(fmt.Sprintf("later-%05d", i), big(byte(i+2), 1+i%30))
	}
	check()
	must(t, b.Commit(nil))
	check()
}

// A run of large cycles reuses the overlay's memory; a small cycle after
// them releases it, down to what small cycles need. (The row cache is
// off: it would keep the small cycle's key.)
func TestCycleReleasesMemory(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{RowCacheBytes: -1})
	s := mustKV(t, b, "kv")
	o := &b.cycle
	large := func(tag string) {
		t.Helper()
		for i := range 4 * keepWrites {
			must(t, s.Put(fmt.Appendf(nil, "%s-%06d", tag, i), make([]byte, 20)))
		}
		must(t, b.Commit(nil))
	}
	large("a")
	blocks, capacity := len(o.blocks), cap(o.writes)
	if blocks <= keepBlocks || capacity < 4*keepWrites || o.index == nil {
		t.Fatalf("after a large cycle: %d blocks, room for %d writes, map %t", blocks, capacity, o.index != nil)
	}
	large("b")
	if len(o.blocks) != blocks || cap(o.writes) != capacity {
		t.Fatalf("the next large cycle allocated again: %d blocks (had %d), room for %d writes (had %d)", len(o.blocks), blocks, cap(o.writes), capacity)
	}
	must(t, s.Put([]byte("small"), []byte("1")))
	must(t, b.Commit(nil))
	if len(o.blocks) > keepBlocks || o.index != nil || o.writes != nil {
		t.Fatalf("after a small cycle: %d blocks, map %t, room for %d writes", len(o.blocks), o.index != nil, cap(o.writes))
	}
	wantGet(t, s, "a-000001", make([]byte, 20))
	wantGet(t, s, "small", []byte("1"))
}

// The hot path of an aggregation: reading a key the cycle already wrote
// and writing it again allocates only the copy Get returns.
func TestCycleHotKeyAllocs(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s := mustKV(t, b, "kv")
	keys := [][]byte{[]byte("alpha"), []byte("beta"), []byte("gamma")}
	val := make([]byte, 16)
	for _, k := range keys {
		must(t, s.Put(k, val))
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		k := keys[i%len(keys)]
		i++
		v, err := s.Get(k)
		if err != nil || len(v) != len(val) {
			t.Fatalf("Get: %q, %v", v, err)
		}
		v[0]++
		if err := s.Put(k, v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("%v allocations per read and write of a written key, want 1", allocs)
	}
}

func mustKV(t *testing.T, b *Backend, name string) *kvStore {
	t.Helper()
	s, err := b.KeyValue(name)
	must(t, err)
	return s.(*kvStore)
}

func mustGet(t *testing.T, s *kvStore, k string) []byte {
	t.Helper()
	v, err := s.Get([]byte(k))
	must(t, err)
	return v
}

func wantGet(t *testing.T, s *kvStore, k string, want []byte) {
	t.Helper()
	got := mustGet(t, s, k)
	if (got == nil) != (want == nil) || !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q (nil %t), want %q (nil %t)", k, got, got == nil, want, want == nil)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// After a commit the overlay keeps what it held as clean keys, and point
// reads of keys it does not hold add them, present or absent, up to
// Options.RowCacheBytes: reading them again takes no Pebble read and
// allocates only the copy Get returns. A commit past the limit, one with a
// range deletion, and Abort drop them; reads stay correct throughout.
func TestCycleRowCache(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{RowCacheBytes: 64 << 10})
	s := mustKV(t, b, "kv")
	o := &b.cycle
	holds := func(k string) bool {
		_, ok := o.index[string(s.key([]byte(k)))]
		return ok
	}
	must(t, s.Put([]byte("a"), []byte("1")))
	must(t, b.Commit(nil))
	if !holds("a") || !o.empty() {
		t.Fatalf("after a commit: holds a %t, cycle empty %t; want the committed key kept clean and nothing to write", holds("a"), o.empty())
	}
	// Clean keys are not written again.
	must(t, b.Commit(nil))
	wantGet(t, s, "a", []byte("1"))

	// A key read from the database, and one it does not hold.
	must(t, s.Put([]byte("b"), []byte("2")))
	must(t, b.Commit(nil))
	o.reset()
	wantGet(t, s, "b", []byte("2"))
	wantGet(t, s, "missing", nil)
	if !holds("b") || !holds("missing") {
		t.Fatalf("point reads from the database not kept: b %t, missing %t", holds("b"), holds("missing"))
	}
	allocs := testing.AllocsPerRun(100, func() {
		if v, err := s.Get([]byte("b")); err != nil || string(v) != "2" {
			t.Fatalf("Get(b) = %q, %v", v, err)
		}
		if v, err := s.Get([]byte("missing")); err != nil || v != nil {
			t.Fatalf("Get(missing) = %q, %v", v, err)
		}
	})
	if allocs > 1 {
		t.Fatalf("%v allocations per read of two clean keys, want 1 (the copy of b)", allocs)
	}

	// A clean key written, then aborted: the database's value again.
	must(t, s.Put([]byte("b"), []byte("3")))
	must(t, b.Abort())
	if holds("b") {
		t.Fatal("Abort kept the overlay's keys")
	}
	wantGet(t, s, "b", []byte("2"))

	// A range deletion covers clean keys in its cycle and drops them at
	// its commit.
	wantGet(t, s, "a", []byte("1"))
	must(t, b.deleteRange(bytes.Clone(s.key([]byte("a"))), s.key([]byte("c")), false))
	wantGet(t, s, "a", nil)
	wantGet(t, s, "b", nil)
	must(t, b.Commit(nil))
	if holds("missing") {
		t.Fatal("a commit with a range deletion kept the clean keys")
	}
	wantGet(t, s, "a", nil)

	// Past the limit, a commit drops them all.
	for i := range 1000 {
		must(t, s.Put(fmt.Appendf(nil, "k%04d", i), make([]byte, 100)))
	}
	must(t, b.Commit(nil))
	if len(o.writes) != 0 || o.size() != 0 {
		t.Fatalf("a commit past the limit kept %d keys, %d bytes", len(o.writes), o.size())
	}
	wantGet(t, s, "k0999", make([]byte, 100))
	// Reads stop adding keys at the limit.
	for i := range 1000 {
		mustGet(t, s, fmt.Sprintf("k%04d", i))
	}
	if got := o.size(); got > 64<<10+arenaChunk+rowEntryBytes+200 {
		t.Fatalf("reads filled the overlay to %d bytes, limit %d", got, 64<<10)
	}
}
