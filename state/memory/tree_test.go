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

// walk collects the keys a snapshot yields in [lo, hi).
func walk(v *version, lo, hi []byte, reverse bool) []string {
	var out []string
	f := func(e entry) bool {
		out = append(out, string(e.key()))
		return true
	}
	if reverse {
		v.descend(lo, hi, f)
	} else {
		v.ascend(lo, hi, f)
	}
	return out
}

// cursorKeys collects the keys a cursor yields in [lo, hi).
func cursorKeys(v *version, lo, hi []byte) []string {
	var out []string
	for c := newCursor(v, lo, hi); c.Valid(); c.Next() {
		out = append(out, string(c.Entry()))
	}
	return out
}

// checkSnapshot compares a snapshot's contents, walked in every way, with m.
func checkSnapshot(t *testing.T, v *version, m map[string]string) {
	t.Helper()
	if v.t.Len() != len(m) {
		t.Fatalf("len = %d, want %d", v.t.Len(), len(m))
	}
	keys := slices.Sorted(maps.Keys(m))
	v.ascend(nil, nil, func(e entry) bool {
		if want := m[string(e.key())]; string(e.value()) != want {
			t.Fatalf("value of %q = %q, want %q", e.key(), e.value(), want)
		}
		return true
	})
	if got := walk(v, nil, nil, false); !slices.Equal(got, keys) {
		t.Fatalf("ascending keys differ:\n got %q\nwant %q", got, keys)
	}
	if got := cursorKeys(v, nil, nil); !slices.Equal(got, keys) {
		t.Fatalf("cursor keys differ:\n got %q\nwant %q", got, keys)
	}
	slices.Reverse(keys)
	if got := walk(v, nil, nil, true); !slices.Equal(got, keys) {
		t.Fatalf("descending keys differ:\n got %q\nwant %q", got, keys)
	}
}

// TestTreeSnapshots checks random writes against a model while snapshots
// taken along the way stay open, as loops that write do, and the undo log's
// need: set and delete return the values they replace.
func TestTreeSnapshots(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := newTree()
	m := map[string]string{}
	type snap struct {
		v *version
		m map[string]string
	}
	var open []snap
	for step := range 20000 {
		k := fmt.Sprintf("%04d", rng.IntN(2000))
		switch op := rng.IntN(10); {
		case op < 6:
			v := fmt.Sprint(step)
			prev, existed := m[k]
			if old, replaced := tr.set([]byte(k), []byte(v)); replaced != existed || string(old) != prev {
				t.Fatalf("set(%q) replaced %q %v, want %q %v", k, old, replaced, prev, existed)
			}
			m[k] = v
		case op < 9:
			prev, existed := m[k]
			if old, deleted := tr.delete([]byte(k)); deleted != existed || string(old) != prev {
				t.Fatalf("delete(%q) = %q %v, want %q %v", k, old, deleted, prev, existed)
			}
			delete(m, k)
		default:
			v, ok := tr.get([]byte(k))
			want, wantOK := m[k]
			if ok != wantOK || string(v) != want {
				t.Fatalf("get(%q) = %q %v, want %q %v", k, v, ok, want, wantOK)
			}
		}
		if step%1000 == 0 {
			open = append(open, snap{tr.read(), maps.Clone(m)})
		}
		if step%3000 == 0 && len(open) > 0 {
			// Close the oldest snapshot, after checking it.
			checkSnapshot(t, open[0].v, open[0].m)
			open[0].v.close()
			open = open[1:]
		}
	}
	for _, s := range open {
		checkSnapshot(t, s.v, s.m)
		s.v.close()
	}
	r := tr.read()
	checkSnapshot(t, r, m)
	r.close()
	if tr.len() != len(m) {
		t.Fatalf("len = %d, want %d", tr.len(), len(m))
	}
}

func TestTreeReadOnlyLoopDoesNotClone(t *testing.T) {
	tr := newTree()
	for i := range 1000 {
		tr.set(fmt.Appendf(nil, "%04d", i), []byte("a"))
	}
	cur := tr.cur
	r := tr.read()
	walk(r, nil, nil, false)
	r.close()
	tr.set([]byte("x"), nil)
	if tr.cur != cur {
		t.Fatal("a write after a read-only loop cloned the tree")
	}
	// A delete of a missing key during a loop does not clone either.
	r = tr.read()
	tr.delete([]byte("missing"))
	r.close()
	if tr.cur != cur {
		t.Fatal("a no-op delete during a loop cloned the tree")
	}
}

func TestTreeBounds(t *testing.T) {
	tr := newTree()
	for i := range 500 {
		tr.set(fmt.Appendf(nil, "%03d", i*2), nil)
	}
	r := tr.read()
	defer r.close()
	for _, c := range []struct {
		lo, hi  string // "" is open
		reverse bool
		want    []string
	}{
		{"101", "108", false, []string{"102", "104", "106"}},
		{"102", "106", false, []string{"102", "104"}},
		{"101", "108", true, []string{"106", "104", "102"}},
		{"102", "106", true, []string{"104", "102"}},
		{"", "003", true, []string{"002", "000"}},
		{"997", "", false, []string{"998"}},
		{"996", "", true, []string{"998", "996"}},
		{"999", "", false, nil},
		{"108", "101", false, nil},
		{"108", "101", true, nil},
	} {
		bound := func(s string) []byte {
			if s == "" {
				return nil
			}
			return []byte(s)
		}
		if got := walk(r, bound(c.lo), bound(c.hi), c.reverse); !slices.Equal(got, c.want) {
			t.Errorf("walk [%q, %q) reverse=%v = %q, want %q", c.lo, c.hi, c.reverse, got, c.want)
		}
		if !c.reverse {
			if got := cursorKeys(r, bound(c.lo), bound(c.hi)); !slices.Equal(got, c.want) {
				t.Errorf("cursor [%q, %q) = %q, want %q", c.lo, c.hi, got, c.want)
			}
		}
	}
	// Every start position, both directions, and cursors across batches.
	for i := range 1000 {
		k := fmt.Appendf(nil, "%03d", i)
		up := walk(r, k, nil, false)
		if want := 500 - (i+1)/2; len(up) != want {
			t.Fatalf("ascending from %s yields %d keys, want %d", k, len(up), want)
		}
		if want := fmt.Sprintf("%03d", (i+1)/2*2); len(up) > 0 && up[0] != want {
			t.Fatalf("ascending from %s starts at %s, want %s", k, up[0], want)
		}
		if got := cursorKeys(r, k, nil); !slices.Equal(got, up) {
			t.Fatalf("cursor from %s = %q, want %q", k, got, up)
		}
		if down := walk(r, nil, k, true); len(down) != (i+1)/2 {
			t.Fatalf("descending below %s yields %d keys, want %d", k, len(down), (i+1)/2)
		}
	}
}
