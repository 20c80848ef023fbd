// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

// BenchmarkAggregate is an aggregation's work on its store, as in a word
// count: read a key's value, write it back changed (Get, then Put), over
// keys keys, committing every cycle updates (a long commit interval
// makes a large cycle). Half the keys are committed before the timer
// starts, so reads also miss the cycle and go to the database.
//
//	go test -run '^$' -bench Aggregate ./state/pebble
func BenchmarkAggregate(b *testing.B) {
	for _, c := range []struct{ keys, cycle int }{
		{1_250, 1_000},   // exactly-once: a commit every 100 ms
		{1_250, 100_000}, // at-least-once: a commit every 30 s
		{100_000, 100_000},
	} {
		b.Run(fmt.Sprintf("keys=%d/cycle=%d", c.keys, c.cycle), func(b *testing.B) {
			be, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = be.Close() }()
			s, err := be.KeyValue("counts")
			if err != nil {
				b.Fatal(err)
			}
			key := func(dst []byte, i int) []byte { return fmt.Appendf(dst[:0], "word-%d", i) }
			var k []byte
			val := make([]byte, 16) // timestamp and count
			for i := 0; i < c.keys; i += 2 {
				k = key(k, i)
				if err := s.Put(k, val); err != nil {
					b.Fatal(err)
				}
			}
			if err := be.Commit(nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				k = key(k, (n*7919)%c.keys)
				v, err := s.Get(k)
				if err != nil {
					b.Fatal(err)
				}
				if v == nil {
					v = make([]byte, 16)
				}
				binary.BigEndian.PutUint64(v[8:], binary.BigEndian.Uint64(v[8:])+1)
				if err := s.Put(k, v); err != nil {
					b.Fatal(err)
				}
				if n++; n%c.cycle == 0 {
					if err := be.Commit(map[string]int64{"changelog-0": int64(n)}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkRestorePut is a restore's work on its store: a write of each of
// b.N distinct keys, committing every 20,000 (the runtime's restore
// chunk).
//
//	go test -run '^$' -bench RestorePut ./state/pebble
func BenchmarkRestorePut(b *testing.B) {
	be, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = be.Close() }()
	s, err := be.KeyValue("counts")
	if err != nil {
		b.Fatal(err)
	}
	var k []byte
	val := make([]byte, 16)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		k = fmt.Appendf(k[:0], "word-%d", n)
		binary.BigEndian.PutUint64(val[8:], uint64(n))
		if err := s.Put(k, val); err != nil {
			b.Fatal(err)
		}
		if n++; n%20_000 == 0 {
			if err := be.Commit(map[string]int64{"changelog-0": int64(n)}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkJoinWindow is a windowed join's work on its stores: each record
// is written to one window store and looks up the other's windows of its
// key (a loop over the cycle's writes and the database), committing every
// cycle records.
//
//	go test -run '^$' -bench JoinWindow ./state/pebble
func BenchmarkJoinWindow(b *testing.B) {
	for _, cycle := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("cycle=%d", cycle), func(b *testing.B) {
			be, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = be.Close() }()
			opts := state.WindowOptions{Retention: 10_000, RetainDuplicates: true}
			left, err := be.Window("left", opts)
			if err != nil {
				b.Fatal(err)
			}
			right, err := be.Window("right", opts)
			if err != nil {
				b.Fatal(err)
			}
			var k []byte
			val := make([]byte, 24)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				// 1,000 keys, time advancing by 1 per record.
				k = fmt.Appendf(k[:0], "key-%d", (n*7919)%1_000)
				ts := int64(n)
				this, other := left, right
				if n%2 == 1 {
					this, other = right, left
				}
				if err := this.Put(k, ts, val); err != nil {
					b.Fatal(err)
				}
				for _, err := range other.FetchRange(k, ts-1_000, ts+1_000) {
					if err != nil {
						b.Fatal(err)
					}
				}
				if n++; n%cycle == 0 {
					if err := be.Commit(map[string]int64{"changelog-0": int64(n)}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkCommitDurability is the cost of a durable commit: one op is a
// cycle of updates (an exactly-once commit interval's worth of a word
// count's task) and its Commit, with Options.Sync (what the runtime sets
// for task state: the commit waits until the write-ahead log is on disk)
// and without (a SIGKILL can lose the last commits, which the changelog
// then restores). Compare the two sub-benchmarks of one run: ns/op is the
// wall time of a cycle and its commit, fsync included.
//
//	go test -run '^$' -bench CommitDurability ./state/pebble
func BenchmarkCommitDurability(b *testing.B) {
	for _, cycle := range []int{100, 1_000} {
		for _, sync := range []bool{false, true} {
			b.Run(fmt.Sprintf("cycle=%d/sync=%t", cycle, sync), func(b *testing.B) {
				be, err := Open(b.TempDir(), Options{Sync: sync})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { _ = be.Close() }()
				s, err := be.KeyValue("counts")
				if err != nil {
					b.Fatal(err)
				}
				var k []byte
				val := make([]byte, 16)
				n := 0
				for b.Loop() {
					for range cycle {
						k = fmt.Appendf(k[:0], "word-%d", n%5000)
						binary.BigEndian.PutUint64(val[8:], uint64(n))
						if err := s.Put(k, val); err != nil {
							b.Fatal(err)
						}
						n++
					}
					if err := be.Commit(map[string]int64{"changelog-0": int64(n)}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
