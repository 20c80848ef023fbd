// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// memLoad is a write-heavy load over many task databases sharing one Cache,
// as an instance running many tasks has: every round, each database
// commits a batch overwriting keys of a bounded key space (an aggregation's
// running counts) and reads some back.
type memLoad struct {
	opts           pebble.Options // Cache is set by run
	stores, rounds int
	perCommit      int // entries per commit
	valueLen       int
	keys           int // key space per database
}

// memSample is Pebble's own figures for the databases at one moment, and
// the process's.
type memSample struct {
	round               int
	blockCache          int64  // bytes of blocks in the shared cache
	memTables           uint64 // Σ of the databases' memtable arenas: written to, queued for a flush, kept for reuse
	accounted           int64  // the write budget's estimate of unflushed bytes
	forcedFlushes       int64
	rssBytes, heapInUse uint64
	goHeldBytes         uint64 // memory the Go runtime holds from the OS
	diskBytes           uint64
}

func (s memSample) String() string {
	return fmt.Sprintf("round %4d: RSS %4d MiB (Go runtime %3d MiB), Go heap %4d MiB, block cache %5.1f MiB, memtables (Pebble) %5.1f MiB, write budget used %5.1f MiB, forced flushes %d",
		s.round, s.rssBytes>>20, s.goHeldBytes>>20, s.heapInUse>>20, float64(s.blockCache)/(1<<20), float64(s.memTables)/(1<<20),
		float64(s.accounted)/(1<<20), s.forcedFlushes)
}

// run opens l.stores databases under dir with cache, applies the load and
// returns a sample after every round.
func (l memLoad) run(tb testing.TB, dir string, cache *pebble.Cache) []memSample {
	dbs := make([]*pebble.Backend, l.stores)
	for i := range dbs {
		o := l.opts
		o.Cache = cache
		b, err := pebble.Open(fmt.Sprintf("%s/1_%d", dir, i), o)
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = b.Close() })
		dbs[i] = b
	}
	rng := rand.New(rand.NewPCG(1, 2))
	value := bytes.Repeat([]byte{'v'}, l.valueLen)
	key := make([]byte, 0, 16)
	var samples []memSample
	for r := range l.rounds {
		for i, b := range dbs {
			kv, err := b.KeyValue("counts")
			require.NoError(tb, err)
			for range l.perCommit {
				key = fmt.Appendf(key[:0], "key-%06d", rng.IntN(l.keys))
				require.NoError(tb, kv.Put(key, value))
			}
			require.NoError(tb, b.Commit(map[string]int64{"counts-changelog/0": int64(r)}), "store %d", i)
			for range l.perCommit / 4 {
				_, err := kv.Get(fmt.Appendf(key[:0], "key-%06d", rng.IntN(l.keys)))
				require.NoError(tb, err)
			}
		}
		samples = append(samples, sample(r, dbs, cache))
	}
	return samples
}

func sample(round int, dbs []*pebble.Backend, cache *pebble.Cache) memSample {
	cm := cache.Metrics()
	s := memSample{round: round, blockCache: cm.Size, accounted: cm.MemTableBytes, forcedFlushes: cm.ForcedFlushes, rssBytes: rss()}
	for _, b := range dbs {
		m := b.DB().Metrics()
		s.memTables += m.MemTable.Size + m.MemTable.ZombieSize
		s.diskBytes += m.DiskSpaceUsage()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.heapInUse = ms.HeapInuse
	s.goHeldBytes = ms.Sys - ms.HeapReleased
	return s
}

// rss returns the process's resident memory where /proc tells it, else 0.
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// logSamples logs some of the samples and the peaks.
func logSamples(t *testing.T, samples []memSample) memSample {
	var peak memSample
	for i, s := range samples {
		if i%max(len(samples)/8, 1) == 0 || i == len(samples)-1 {
			t.Log(s)
		}
		peak.memTables = max(peak.memTables, s.memTables)
		peak.accounted = max(peak.accounted, s.accounted)
		peak.rssBytes = max(peak.rssBytes, s.rssBytes)
		peak.heapInUse = max(peak.heapInUse, s.heapInUse)
	}
	last := samples[len(samples)-1]
	t.Logf("peaks: memtable arenas %.1f MiB, write budget used %.1f MiB, RSS %d MiB, Go heap %d MiB; %d MiB on disk",
		float64(peak.memTables)/(1<<20), float64(peak.accounted)/(1<<20), peak.rssBytes>>20, peak.heapInUse>>20, last.diskBytes>>20)
	return peak
}

// sized shortens the load under -short, and sets its rounds from
// EDDY_MEMORY_ROUNDS for a longer run.
func (l memLoad) sized(t *testing.T) memLoad {
	if testing.Short() {
		l.rounds = 40
	}
	if v := os.Getenv("EDDY_MEMORY_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "EDDY_MEMORY_ROUNDS")
		l.rounds = n
	}
	return l
}

// 32 task databases write for a while (150 commits each, 32 KiB apiece,
// overwriting a bounded key space, with reads) through one Cache sized by
// ForMemory: what Pebble reports for cached blocks and memtable arenas
// together stays within the cache, and the reads are served from it. RSS
// is reported, not asserted.
func TestMemoryBoundedAcrossManyStores(t *testing.T) {
	const total = 64 << 20
	cache, err := pebble.NewCacheWith(pebble.ForMemory(total))
	require.NoError(t, err)
	defer cache.Close()
	l := memLoad{stores: 32, rounds: 150, perCommit: 64, valueLen: 512, keys: 4096}.sized(t)
	samples := l.run(t, t.TempDir(), cache)
	logSamples(t, samples)
	for _, s := range samples {
		// The blocks evicted to make room for a memtable may be a
		// block over, at most 32 KiB each.
		assert.LessOrEqual(t, uint64(s.blockCache)+s.memTables, uint64(total+l.stores<<15), "round %d: blocks and memtables", s.round)
		assert.LessOrEqual(t, s.memTables, uint64(total/2), "round %d: memtables of 512 KiB, two per database", s.round)
	}
	last := samples[len(samples)-1]
	assert.Positive(t, last.blockCache, "reads are served from the shared cache")
}

// When the databases' memtables could hold more than the write budget
// (32 × 1 MiB against 8 MiB), the budget flushes them early.
func TestMemoryWriteBudgetFlushesEarly(t *testing.T) {
	cache, err := pebble.NewCacheWith(pebble.CacheOptions{Bytes: 64 << 20, MemTableBytes: 8 << 20})
	require.NoError(t, err)
	defer cache.Close()
	l := memLoad{opts: pebble.Options{MemTableSize: 1 << 20}, stores: 32, rounds: 150, perCommit: 64, valueLen: 512, keys: 4096}.sized(t)
	samples := l.run(t, t.TempDir(), cache)
	peak := logSamples(t, samples)
	last := samples[len(samples)-1]
	assert.Positive(t, last.forcedFlushes, "the budget flushed memtables before they were full")
	// A database over its share flushes at its next commit, so the
	// budget is overshot by at most one commit per database (32 × 36 KiB)
	// plus what the flushes still running hold.
	t.Logf("write budget: peak %.1f MiB used of 8 MiB", float64(peak.accounted)/(1<<20))
	cm := cache.Metrics()
	assert.Equal(t, int64(8<<20), cm.MemTableLimit)
	assert.Equal(t, 32, cm.Databases)
}

// BenchmarkManyStoresMemory runs the write load of
// TestMemoryBoundedAcrossManyStores for b.N rounds over 32 databases and
// reports the process's RSS and Pebble's figures at the end: run it with
// -benchtime=1000x (and GODEBUG=madvdontneed=1 for an RSS that follows
// the Go heap down) to see them stay flat. "default" is a cache sized by
// ForMemory(128 MiB), the runtime's default; "no budget" the same cache
// without a write budget (4 MiB memtables).
func BenchmarkManyStoresMemory(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts pebble.CacheOptions
	}{
		{"default", pebble.ForMemory(128 << 20)},
		{"no budget", pebble.CacheOptions{Bytes: 128 << 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cache, err := pebble.NewCacheWith(bc.opts)
			require.NoError(b, err)
			defer cache.Close()
			l := memLoad{stores: 32, rounds: b.N, perCommit: 64, valueLen: 512, keys: 4096}
			samples := l.run(b, b.TempDir(), cache)
			var peak memSample
			for _, s := range samples {
				peak.memTables = max(peak.memTables, s.memTables)
				peak.blockCache = max(peak.blockCache, s.blockCache)
			}
			last := samples[len(samples)-1]
			b.ReportMetric(float64(last.rssBytes)/(1<<20), "RSS-MiB")
			b.ReportMetric(float64(last.heapInUse)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(peak.memTables)/(1<<20), "peak-memtables-MiB")
			b.ReportMetric(float64(peak.blockCache)/(1<<20), "peak-blocks-MiB")
		})
	}
}
