// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	pdb "github.com/cockroachdb/pebble/v2"
)

// Bounded memory.
//
// The memory Pebble takes for an instance's databases is the block cache
// and the memtables each database fills with committed writes until they
// are flushed to sstables. Pebble charges both to the Cache the databases
// share: a memtable's arena, allocated whole when the memtable is created,
// is reserved in the cache, and cached blocks get what the reservations
// leave. So CacheOptions.Bytes bounds what Pebble reports for blocks and
// memtables together, as long as the memtables' arenas fit in it. A
// database holds up to two arenas of its memtable size at rest (the
// memtable being written and a flushed one kept for reuse), more while
// flushes run behind.
//
// A write budget (CacheOptions.MemTableBytes, like RocksDB's
// WriteBufferManager in Kafka Streams' BoundedMemoryRocksDBConfig) bounds
// the bytes written into those memtables, which is what the operating
// system backs with memory: each database accounts the bytes it commits
// (keys, values and the memtable's per-entry overhead) until a flush writes
// them out, and after a commit that takes the sum over the budget, the
// committing database flushes its memtable if it holds more than its share
// (the budget divided by the databases). Commits are the only writes, so
// that is where memtables grow.
//
// A database's memtable is 1/64 of the budget, between 256 KiB and
// DefaultMemTableSize, so 64 databases fill the budget before it forces
// flushes, and their arenas take half of a cache sized by ForMemory.

// CacheOptions size a Cache.
type CacheOptions struct {
	// Bytes is the cache's capacity: Pebble charges it for the sstable
	// blocks it caches and for the memtables of the databases using it, so
	// blocks get what the memtables leave. Required: positive.
	Bytes int64
	// MemTableBytes is the write budget shared by the databases using the
	// cache: the bytes their memtables hold together before the databases
	// holding more than their share flush them (see above). It also sizes
	// their memtables (1/64 of it) unless Options.MemTableSize is set.
	// Zero means no write budget: memtables of DefaultMemTableSize, each
	// database holding up to two of them (Pebble stalls its writes beyond
	// that).
	MemTableBytes int64
}

// ForMemory sizes a Cache for databases that should take about total bytes
// of memory together: a cache of total bytes, half of which is the write
// budget.
func ForMemory(total int64) CacheOptions {
	return CacheOptions{Bytes: total, MemTableBytes: total / 2}
}

// memEntryOverhead is what a memtable entry takes beyond its key and value
// in a batch's encoding: Pebble's skiplist node (offsets, sizes, the
// 8-byte key trailer, a tower of at least one level). Measured, entries
// take 35 to 37 bytes more in a memtable than in a batch; the accounting
// errs low so that a flush, which reports the bytes it wrote out, never
// leaves a residue that grows.
const memEntryOverhead = 32

// minBudgetMemTableSize is the smallest memtable size a write budget
// gives: the size Pebble starts every memtable at.
const minBudgetMemTableSize = 256 << 10

// memTableSizeFor is the memtable size of a database sharing a write
// budget of budget bytes: budget/64 rounded down to a power of two, within
// [256 KiB, DefaultMemTableSize].
func memTableSizeFor(budget int64) uint64 {
	size := uint64(budget / 64)
	if size < minBudgetMemTableSize {
		return minBudgetMemTableSize
	}
	size = 1 << (bits.Len64(size) - 1)
	return min(size, DefaultMemTableSize)
}

// memBudget is a write budget shared by the databases of a Cache.
type memBudget struct {
	limit  int64
	mu     sync.Mutex
	shares int   // databases open with the budget
	total  int64 // bytes committed and not yet flushed, over all of them
	forced atomic.Int64
}

// memShare is one database's part of a memBudget.
type memShare struct {
	b         *memBudget
	unflushed int64           // guarded by b.mu
	pending   <-chan struct{} // closed when the last forced flush is done
}

// join adds a database to the budget.
func (m *memBudget) join() *memShare {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shares++
	return &memShare{b: m}
}

// leave removes a closed database from the budget.
func (s *memShare) leave() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.shares--
	s.b.total -= s.unflushed
	s.unflushed = 0
}

// reset forgets the database's memtables: it was replaced by an empty one.
func (s *memShare) reset() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.total -= s.unflushed
	s.unflushed, s.pending = 0, nil
}

// committed accounts n bytes the database just committed and reports
// whether it should flush its memtable now: the budget is exceeded, the
// database holds more than its share, and no flush it was asked for is
// still running.
func (s *memShare) committed(n int64) bool {
	m := s.b
	m.mu.Lock()
	defer m.mu.Unlock()
	s.unflushed += n
	m.total += n
	if m.total <= m.limit || s.unflushed == 0 || s.unflushed*int64(m.shares) <= m.limit {
		return false
	}
	if s.pending != nil {
		select {
		case <-s.pending:
		default:
			return false
		}
	}
	return true
}

// flushing records the forced flush the database started; done is closed
// when it completes.
func (s *memShare) flushing(done <-chan struct{}) {
	s.b.forced.Add(1)
	s.b.mu.Lock()
	s.pending = done
	s.b.mu.Unlock()
}

// flushed accounts n bytes a finished flush wrote out of the database's
// memtables.
func (s *memShare) flushed(n int64) {
	m := s.b
	m.mu.Lock()
	defer m.mu.Unlock()
	n = min(n, s.unflushed)
	s.unflushed -= n
	m.total -= n
}

// usage returns the accounted bytes and the number of databases.
func (m *memBudget) usage() (int64, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total, m.shares
}

// NewCacheWith returns a shared cache sized by o, holding up to
// DefaultMaxOpenFiles open sstables.
func NewCacheWith(o CacheOptions) (*Cache, error) {
	if o.Bytes <= 0 {
		return nil, fmt.Errorf("state/pebble: cache size %d must be positive", o.Bytes)
	}
	if o.MemTableBytes < 0 {
		return nil, fmt.Errorf("state/pebble: write budget %d must not be negative", o.MemTableBytes)
	}
	c := &Cache{
		block: pdb.NewCache(o.Bytes),
		files: pdb.NewFileCache(2*runtime.GOMAXPROCS(0), DefaultMaxOpenFiles),
	}
	if o.MemTableBytes > 0 {
		c.mem = &memBudget{limit: o.MemTableBytes}
	}
	return c, nil
}

// budgetCommitted accounts a commit of size bytes to the cache's write
// budget, if the database shares one, and starts a flush if the budget
// asks for it. A flush that cannot start is a storage fault, reported by
// the next Commit.
func (b *Backend) budgetCommitted(size int64) {
	if b.mem == nil || !b.mem.committed(size) {
		return
	}
	var done <-chan struct{}
	err := b.guard("flush for the memory budget", func() error {
		var err error
		done, err = b.db.AsyncFlush()
		return err
	})
	if err != nil {
		b.faults.note(&StorageError{Dir: b.dir, Op: "flush for the memory budget", Err: err})
		return
	}
	b.mem.flushing(done)
}

// batchMemSize estimates the memtable bytes a batch takes once committed.
func batchMemSize(batch *pdb.Batch) int64 {
	return int64(batch.Len()) + int64(batch.Count())*memEntryOverhead
}
