// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"sync/atomic"
)

// Cache is a worker's record cache (Kafka Streams' ThreadCache and
// statestore.cache.max.bytes): the stores of the worker's tasks that use
// caching keep their latest writes in it, so that a key updated many times
// between two commits is written to the store and the changelog, and
// forwarded downstream, once — at the commit (Task.Flush) or when the
// cache evicts it. Reads hit it first.
//
// Its size is shared by every store of every task of the worker. A write
// that takes it over its size evicts from the store written, least
// recently used first; evicting a changed entry first flushes all of that
// store's changed entries, in the order they were last written, as Kafka
// Streams does.
//
// A Cache is used by its worker's goroutine only; its counters may be read
// from anywhere.
type Cache struct {
	max  int64
	size int64
	// Hits and Misses count reads of cached stores.
	Hits, Misses atomic.Int64
}

// NewCache returns a cache of maxBytes; maxBytes <= 0 disables caching.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes}
}

// Enabled reports whether the cache holds anything at all.
func (c *Cache) Enabled() bool { return c != nil && c.max > 0 }

// cacheEntryOverhead approximates an entry's memory beyond its key and
// value bytes (the entry, its map slot and list links).
const cacheEntryOverhead = 96

// cacheEntry is one key of a store's cache.
type cacheEntry struct {
	key   string
	value []byte // nil: a tombstone (dirty) or a known absent key (clean)
	ts    int64
	dirty bool
	seq   uint64 // position in the dirty order while dirty
	ctx   RecordContext
	// LRU list: prev is less recently used.
	prev, next *cacheEntry
}

func (e *cacheEntry) bytes() int64 { return int64(len(e.key)+len(e.value)) + cacheEntryOverhead }

// storeCache is one store's part of a Cache (Kafka Streams' NamedCache).
type storeCache struct {
	c       *Cache
	entries map[string]*cacheEntry
	// lru: head is the least recently used entry, tail the most.
	head, tail *cacheEntry
	// dirty lists changed entries in the order of their last write;
	// entries written again appear again, and only the position whose
	// seq matches the entry's counts.
	dirty []dirtyRef
	seq   uint64
	// flush writes the changed entries, in order, to the store and the
	// changelog and forwards them. It is called with the entries still
	// dirty; the cache marks them clean afterwards.
	flush func([]*cacheEntry) error
}

type dirtyRef struct {
	e   *cacheEntry
	seq uint64
}

func newStoreCache(c *Cache, flush func([]*cacheEntry) error) *storeCache {
	return &storeCache{c: c, entries: map[string]*cacheEntry{}, flush: flush}
}

// get returns the entry of key, counting a hit or a miss.
func (s *storeCache) get(key []byte) (*cacheEntry, bool) {
	e, ok := s.entries[string(key)]
	if !ok {
		s.c.Misses.Add(1)
		return nil, false
	}
	s.c.Hits.Add(1)
	s.touch(e)
	return e, true
}

// remember caches what the store holds under key (value nil: absent), as
// a clean entry, unless the key is cached already.
func (s *storeCache) remember(key, value []byte, ts int64) error {
	if _, ok := s.entries[string(key)]; ok {
		return nil
	}
	e := &cacheEntry{key: string(key), value: cloneNonNil(value), ts: ts}
	s.insert(e)
	return s.evict()
}

// put records a write of key: value (nil: delete) with timestamp ts, in
// the context of the record being processed.
func (s *storeCache) put(key, value []byte, ts int64, ctx *RecordContext) error {
	e, ok := s.entries[string(key)]
	if ok {
		s.c.size -= e.bytes()
		e.value = append(e.value[:0:0], value...)
		if value == nil {
			e.value = nil
		}
		s.c.size += e.bytes()
		s.touch(e)
	} else {
		e = &cacheEntry{key: string(key), value: cloneNonNil(value)}
		s.insert(e)
	}
	e.ts, e.ctx = ts, *ctx
	e.dirty = true
	s.seq++
	e.seq = s.seq
	s.dirty = append(s.dirty, dirtyRef{e, s.seq})
	return s.evict()
}

// evict removes least recently used entries while the whole cache is over
// its size, flushing this store's changes first if one of them is.
func (s *storeCache) evict() error {
	for s.c.size > s.c.max && s.head != nil {
		e := s.head
		if e.dirty {
			if err := s.flushAll(); err != nil {
				return err
			}
			if s.entries[e.key] != e { // the flush removed it
				continue
			}
		}
		s.remove(e)
	}
	return nil
}

// flushAll writes every changed entry, in the order of their last write.
func (s *storeCache) flushAll() error {
	if len(s.dirty) == 0 {
		return nil
	}
	refs := s.dirty
	s.dirty = nil
	es := make([]*cacheEntry, 0, len(refs))
	for _, r := range refs {
		if r.e.dirty && r.e.seq == r.seq {
			es = append(es, r.e)
		}
	}
	for _, e := range es {
		e.dirty = false
	}
	if len(es) == 0 {
		return nil
	}
	return s.flush(es)
}

// drop forgets every entry, changed or not (the changes are aborted).
func (s *storeCache) drop() {
	for _, e := range s.entries {
		s.c.size -= e.bytes()
	}
	clear(s.entries)
	s.head, s.tail, s.dirty = nil, nil, nil
}

func (s *storeCache) insert(e *cacheEntry) {
	s.entries[e.key] = e
	s.c.size += e.bytes()
	s.pushTail(e)
}

func (s *storeCache) remove(e *cacheEntry) {
	delete(s.entries, e.key)
	s.c.size -= e.bytes()
	s.unlink(e)
}

func (s *storeCache) touch(e *cacheEntry) {
	if s.tail == e {
		return
	}
	s.unlink(e)
	s.pushTail(e)
}

func (s *storeCache) pushTail(e *cacheEntry) {
	e.prev, e.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = e
	} else {
		s.head = e
	}
	s.tail = e
}

func (s *storeCache) unlink(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func cloneNonNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
