// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"sync"
	"sync/atomic"
)

// onceMap loads the value of each key at most once at a time and keeps it.
// Concurrent callers of a key that is loading wait for that load and share
// its result. A failed load is forgotten, so the next call for the key
// loads again. Reads of loaded keys take no lock and do not allocate: the
// map is copied on write, which suits its few, rarely added keys (topics
// and schema ids).
type onceMap[K comparable, V any] struct {
	mu sync.Mutex // serializes writers
	m  atomic.Pointer[map[K]*onceEntry[V]]
}

type onceEntry[V any] struct {
	done chan struct{} // closed when v and err are set
	v    V
	err  error
}

func (c *onceMap[K, V]) get(k K, load func() (V, error)) (V, error) {
	if m := c.m.Load(); m != nil {
		if e, ok := (*m)[k]; ok {
			<-e.done
			return e.v, e.err
		}
	}
	c.mu.Lock()
	cur := c.snapshot()
	if e, ok := cur[k]; ok {
		c.mu.Unlock()
		<-e.done
		return e.v, e.err
	}
	e := &onceEntry[V]{done: make(chan struct{})}
	c.storeWith(cur, func(m map[K]*onceEntry[V]) { m[k] = e })
	c.mu.Unlock()

	e.v, e.err = load()
	if e.err != nil {
		c.mu.Lock()
		if cur := c.snapshot(); cur[k] == e {
			c.storeWith(cur, func(m map[K]*onceEntry[V]) { delete(m, k) })
		}
		c.mu.Unlock()
	}
	close(e.done)
	return e.v, e.err
}

// snapshot returns the current map; the caller must hold mu and must not
// modify it.
func (c *onceMap[K, V]) snapshot() map[K]*onceEntry[V] {
	if p := c.m.Load(); p != nil {
		return *p
	}
	return nil
}

// storeWith publishes a copy of cur changed by edit; the caller holds mu.
func (c *onceMap[K, V]) storeWith(cur map[K]*onceEntry[V], edit func(map[K]*onceEntry[V])) {
	next := make(map[K]*onceEntry[V], len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	edit(next)
	c.m.Store(&next)
}
