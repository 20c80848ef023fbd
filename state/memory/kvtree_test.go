// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// kvWalk collects the key=value pairs a snapshot yields in [lo, hi).
func kvWalk(v *kvVersion, lo, hi []byte, reverse bool) []string {
	var out []string
	f := func(c *cell) bool {
		out = append(out, string(c.key)+"="+string(c.value))
		return true
	}
	if reverse {
		v.descend(lo, hi, f)
	} else {
		v.ascend(lo, hi, f)
	}
	return out
}

// checkKVSnapshot compares a snapshot's contents, both ways, with m.
func checkKVSnapshot(t *testing.T, v *kvVersion, m map[string]string) {
	t.Helper()
	var want []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		want = append(want, k+"="+m[k])
	}
	if got := kvWalk(v, nil, nil, false); !slices.Equal(got, want) {
		t.Fatalf("ascending walk differs:\n got %q\nwant %q", got, want)
	}
	slices.Reverse(want)
	if got := kvWalk(v, nil, nil, true); !slices.Equal(got, want) {
		t.Fatalf("descending walk differs:\n got %q\nwant %q", got, want)
	}
}

// TestKVTreeModel checks random writes, commits and aborts against a
// model while snapshots taken along the way stay open (as loops that write
// do): point reads see every write at once, each snapshot keeps the keys
// and values it started with, and abort restores the last commit.
func TestKVTreeModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 3))
			kt := newKVTree()
			m := map[string]string{}
			committed := map[string]string{}
			type snap struct {
				v *kvVersion
				m map[string]string
			}
			var open []snap
			for step := range 30000 {
				k := fmt.Sprintf("%03d", rng.IntN(300))
				switch op := rng.IntN(100); {
				case op < 55:
					v := fmt.Sprint(step)
					var read []byte
					if op%2 == 0 { // a read-modify-write, as counts do
						read, _ = kt.get([]byte(k))
					}
					kt.set([]byte(k), []byte(v))
					if read != nil && string(read) != m[k] {
						t.Fatalf("step %d: a value read before a write of %q changed to %q, want %q", step, k, read, m[k])
					}
					m[k] = v
				case op < 80:
					_, existed := m[k]
					if op%2 == 0 {
						kt.get([]byte(k))
					}
					if got := kt.delete([]byte(k)); got != existed {
						t.Fatalf("step %d: delete(%q) = %v, want %v", step, k, got, existed)
					}
					delete(m, k)
				case op < 95:
					v, ok := kt.get([]byte(k))
					want, wantOK := m[k]
					if ok != wantOK || string(v) != want {
						t.Fatalf("step %d: get(%q) = %q %v, want %q %v", step, k, v, ok, want, wantOK)
					}
				case op < 97:
					if rng.IntN(3) == 0 { // a snapshot stays open
						open = append(open, snap{kt.read(), maps.Clone(m)})
					} else { // a loop that writes as it goes
						r := kt.read()
						before := maps.Clone(m)
						n := 0
						r.ascend(nil, nil, func(c *cell) bool {
							if n%3 == 0 {
								v := fmt.Sprint(step, "/", n)
								kt.set(c.key, []byte(v))
								m[string(c.key)] = v
							} else if n%3 == 1 {
								kt.delete(c.key)
								delete(m, string(c.key))
							}
							n++
							return true
						})
						checkKVSnapshot(t, r, before)
						r.close()
					}
				default:
					for _, s := range open {
						checkKVSnapshot(t, s.v, s.m)
						s.v.close()
					}
					open = nil
					if rng.IntN(2) == 0 {
						kt.commit()
						committed = maps.Clone(m)
					} else {
						kt.abort()
						m = maps.Clone(committed)
					}
					r := kt.read()
					checkKVSnapshot(t, r, m)
					r.close()
				}
				if kt.len() != len(m) {
					t.Fatalf("step %d: len = %d, want %d", step, kt.len(), len(m))
				}
			}
		})
	}
}

// TestKVTreeRewriteInPlace checks that rewriting a key present costs no
// tree copy when no snapshot is open, and that a write during a loop
// copies the tree once, not per write.
func TestKVTreeRewriteInPlace(t *testing.T) {
	kt := newKVTree()
	for i := range 100 {
		kt.set(fmt.Appendf(nil, "%03d", i), []byte("a"))
	}
	cur := kt.cur
	c := kt.cells["007"]
	kt.set([]byte("007"), []byte("b"))
	if kt.cur != cur || kt.cells["007"] != c || string(c.value) != "b" {
		t.Fatal("a rewrite with no loop open did not update the cell in place")
	}
	r := kt.read()
	kt.set([]byte("007"), []byte("c"))
	if kt.cur == cur || kt.cells["007"] == c || string(c.value) != "b" {
		t.Fatal("a rewrite during a loop changed the cell the loop reads")
	}
	copied := kt.cur
	kt.set([]byte("008"), []byte("c"))
	kt.set([]byte("007"), []byte("d"))
	if kt.cur != copied {
		t.Fatal("a second write during the loop copied the tree again")
	}
	if got := kvWalk(r, []byte("007"), []byte("009"), false); !slices.Equal(got, []string{"007=b", "008=a"}) {
		t.Fatalf("the loop's snapshot changed: %q", got)
	}
	r.close()
	if got := kvWalk(kt.cur, []byte("007"), []byte("009"), false); !slices.Equal(got, []string{"007=d", "008=c"}) {
		t.Fatalf("current version = %q", got)
	}
}

// TestKVTreeShortValues checks that short values are rewritten without an
// allocation, alternating between the cell's buffers, and that neither the
// value read before a write nor the one the undo log holds changes: a key
// rewritten many times in a cycle aborts to its committed value.
func TestKVTreeShortValues(t *testing.T) {
	kt := newKVTree()
	key := []byte("count")
	kt.set(key, []byte("0123456789abcdef")) // inlineValue bytes
	kt.commit()
	for i := range 10 {
		committed, _ := kt.get(key)
		want := string(committed)
		for j := range 5 {
			read, _ := kt.get(key)
			before := string(read)
			kt.set(key, fmt.Appendf(nil, "%016d", i*10+j))
			if string(read) != before {
				t.Fatalf("cycle %d write %d: the value read before the write changed to %q", i, j, read)
			}
			if string(committed) != want {
				t.Fatalf("cycle %d write %d: the committed value changed to %q", i, j, committed)
			}
		}
		if i%2 == 0 {
			kt.commit()
		} else {
			kt.abort()
			if v, _ := kt.get(key); string(v) != want {
				t.Fatalf("cycle %d: abort restored %q, want %q", i, v, want)
			}
		}
	}
	val := []byte("0123456789abcdef")
	allocs := testing.AllocsPerRun(100, func() {
		kt.get(key)
		kt.set(key, val)
		kt.commit()
	})
	if allocs != 0 {
		t.Fatalf("a read-modify-write of a short value and a commit allocated %v times", allocs)
	}
	long := []byte("0123456789abcdefg") // one byte too many: copied
	kt.set(key, long)
	long[0] = 'X'
	if v, _ := kt.get(key); string(v) != "0123456789abcdefg" {
		t.Fatalf("a long value is not a copy: %q", v)
	}
}

// TestPeek checks that Peek returns the stored bytes without a copy, and
// that they keep their contents when the key is rewritten or deleted.
func TestPeek(t *testing.T) {
	b := New()
	s, err := b.KeyValue("s")
	if err != nil {
		t.Fatal(err)
	}
	p := s.(*kvStore)
	if v, err := p.Peek([]byte("k")); v != nil || err != nil {
		t.Fatalf("Peek of an absent key = %q, %v", v, err)
	}
	if err := s.Put([]byte("k"), []byte("one")); err != nil {
		t.Fatal(err)
	}
	v, err := p.Peek([]byte("k"))
	if string(v) != "one" || err != nil {
		t.Fatalf("Peek = %q, %v", v, err)
	}
	if err := s.Put([]byte("k"), []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if string(v) != "one" {
		t.Fatalf("a peeked value changed to %q after writes", v)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Peek([]byte("k")); err == nil {
		t.Fatal("Peek on a closed backend succeeded")
	}
}
