// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func benchTree(n int) (tree, [][]byte) {
	t := newTree()
	keys := make([][]byte, n)
	for i := range n {
		keys[i] = binary.BigEndian.AppendUint64([]byte("key-"), uint64(i))
	}
	for _, i := range rand.Perm(n) {
		t.set(keys[i], make([]byte, 100))
	}
	return t, keys
}

func BenchmarkTreeGet(b *testing.B) {
	for _, n := range []int{1000, 100_000, 1_000_000} {
		t, keys := benchTree(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, ok := t.get(keys[rand.IntN(n)]); !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

func BenchmarkTreeSet(b *testing.B) {
	t, _ := benchTree(100_000)
	k := make([]byte, 12)
	v := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		binary.BigEndian.PutUint64(k[4:], rand.Uint64())
		t.set(k, v)
	}
}

// BenchmarkWindowKeyRange measures the merge of segments: FetchKeyRange
// over 100 keys of 1000, each with a window in each of 10 segments.
func BenchmarkWindowKeyRange(b *testing.B) {
	be := New()
	w, err := be.Window("w", state.WindowOptions{Retention: 1_000_000, SegmentInterval: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("key-"), uint64(i)) }
	for seg := range 10 {
		for i := range 1000 {
			if err := w.Put(key(i), int64(seg)*100_000, make([]byte, 100)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := be.Commit(nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		i := rand.IntN(900)
		n := 0
		for _, err := range w.FetchKeyRange(key(i), key(i+99), 0, 1_000_000) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}

// BenchmarkKVReadModifyWrite measures a count's store work: Get then Put of
// one of 2500 keys, with a commit every 4 writes (the test driver commits
// after each piped record).
func BenchmarkKVReadModifyWrite(b *testing.B) {
	be := New()
	s, err := be.KeyValue("counts")
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, 2500)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "w%d", i)
		if err := s.Put(keys[i], make([]byte, 16)); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.Commit(nil); err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[(i*131)%len(keys)]
		v, err := s.Get(k)
		if err != nil || v == nil {
			b.Fatal("missing", err)
		}
		val[15]++
		if err := s.Put(k, val); err != nil {
			b.Fatal(err)
		}
		if i++; i%4 == 0 {
			if err := be.Commit(nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
