// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

// Named is a backend under benchmark.
type Named struct {
	Name   string
	Config Config
}

// Benchmark sizes.
const (
	benchKeys      = 100_000 // preloaded keys for reads
	benchValueLen  = 100
	benchCycle     = 1000 // writes per Commit
	benchWinKeys   = 1000
	benchWindows   = 100 // windows per key preloaded
	benchWinSize   = 1000
	benchRangeLen  = 100
	benchRetention = 1_000_000
)

// Benchmarks runs the same operations against every backend, as
// sub-benchmarks named Op/Backend, so that one run gives comparable numbers:
// KVPut (with a Commit every 1000 puts), KVGet and KVRange100 (over 100,000
// keys), WindowPut, WindowFetch and WindowFetchRange (10 windows).
func Benchmarks(b *testing.B, backends ...Named) {
	ops := []struct {
		name string
		run  func(b *testing.B, be state.Backend)
	}{
		{"KVPut", benchKVPut},
		{"KVGet", benchKVGet},
		{"KVRange100", benchKVRange},
		{"WindowPut", benchWindowPut},
		{"WindowFetch", benchWindowFetch},
		{"WindowFetchRange", benchWindowFetchRange},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for _, nb := range backends {
				b.Run(nb.Name, func(b *testing.B) {
					be := nb.Config.Open(b, b.TempDir())
					defer func() { noErr(b, be.Close()) }()
					b.ReportAllocs()
					op.run(b, be)
				})
			}
		})
	}
}

// benchKey returns the i-th key; keys sort in the order of i.
func benchKey(dst []byte, i int) []byte {
	return binary.BigEndian.AppendUint64(append(dst[:0], "key-"...), uint64(i))
}

var benchValue = make([]byte, benchValueLen)

func preloadKV(b *testing.B, be state.Backend) state.KeyValueStore {
	s, err := be.KeyValue("kv")
	noErr(b, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var k []byte
	for n, i := range rng.Perm(benchKeys) {
		k = benchKey(k, i)
		noErr(b, s.Put(k, benchValue))
		if n%benchCycle == benchCycle-1 {
			noErr(b, be.Commit(nil))
		}
	}
	noErr(b, be.Commit(nil))
	return s
}

func benchKVPut(b *testing.B, be state.Backend) {
	s, err := be.KeyValue("kv")
	noErr(b, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var k []byte
	n := 0
	for b.Loop() {
		k = benchKey(k, int(rng.Uint32()))
		if err := s.Put(k, benchValue); err != nil {
			b.Fatal(err)
		}
		if n++; n%benchCycle == 0 {
			if err := be.Commit(map[string]int64{"changelog-0": int64(n)}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchKVGet(b *testing.B, be state.Backend) {
	s := preloadKV(b, be)
	rng := rand.New(rand.NewPCG(3, 4))
	var k []byte
	for b.Loop() {
		k = benchKey(k, rng.IntN(benchKeys))
		v, err := s.Get(k)
		if err != nil || v == nil {
			b.Fatalf("get: %v %v", v, err)
		}
	}
}

func benchKVRange(b *testing.B, be state.Backend) {
	s := preloadKV(b, be)
	rng := rand.New(rand.NewPCG(3, 4))
	var from, to []byte
	for b.Loop() {
		i := rng.IntN(benchKeys - benchRangeLen)
		from, to = benchKey(from, i), benchKey(to, i+benchRangeLen-1)
		n := 0
		for _, err := range s.Range(from, to) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRangeLen {
			b.Fatalf("range yielded %d", n)
		}
	}
}

func openBenchWindow(b *testing.B, be state.Backend) state.WindowStore {
	w, err := be.Window("w", state.WindowOptions{Retention: benchRetention})
	noErr(b, err)
	return w
}

func benchWindowPut(b *testing.B, be state.Backend) {
	w := openBenchWindow(b, be)
	var k []byte
	n := 0
	for b.Loop() {
		// Time advances by one window every benchWinKeys puts, so retention
		// keeps rolling segments as in a long-running aggregation.
		k = benchKey(k, n%benchWinKeys)
		if err := w.Put(k, int64(n/benchWinKeys)*benchWinSize, benchValue); err != nil {
			b.Fatal(err)
		}
		if n++; n%benchCycle == 0 {
			if err := be.Commit(nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func preloadWindows(b *testing.B, be state.Backend) state.WindowStore {
	w := openBenchWindow(b, be)
	var k []byte
	n := 0
	for win := range benchWindows {
		for key := range benchWinKeys {
			k = benchKey(k, key)
			noErr(b, w.Put(k, int64(win)*benchWinSize, benchValue))
			if n++; n%benchCycle == 0 {
				noErr(b, be.Commit(nil))
			}
		}
	}
	noErr(b, be.Commit(nil))
	return w
}

func benchWindowFetch(b *testing.B, be state.Backend) {
	w := preloadWindows(b, be)
	rng := rand.New(rand.NewPCG(3, 4))
	var k []byte
	for b.Loop() {
		k = benchKey(k, rng.IntN(benchWinKeys))
		v, err := w.Fetch(k, int64(rng.IntN(benchWindows))*benchWinSize)
		if err != nil || v == nil {
			b.Fatalf("fetch: %v %v", v, err)
		}
	}
}

func benchWindowFetchRange(b *testing.B, be state.Backend) {
	w := preloadWindows(b, be)
	rng := rand.New(rand.NewPCG(3, 4))
	var k []byte
	for b.Loop() {
		k = benchKey(k, rng.IntN(benchWinKeys))
		from := int64(rng.IntN(benchWindows-10)) * benchWinSize
		n := 0
		for _, err := range w.FetchRange(k, from, from+9*benchWinSize) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10 {
			b.Fatal(fmt.Sprint("fetch range yielded ", n))
		}
	}
}
