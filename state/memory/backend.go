// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package memory is the in-memory state backend: stores kept in
// copy-on-write B-trees (github.com/google/btree), for tests and small
// state.
//
// Writes apply immediately. Each store keeps an undo log of the values its
// keys had at the last Commit (one entry per key written since), and Abort
// puts those values back, so a backend behaves like the persistent one minus
// durability. Range loops read snapshots: a write while a loop reads a tree
// clones it in O(1), the clone sharing its nodes and copying them on write.
// Key-value stores also reach their keys through a hash map, so that a
// point read, or a write to a key present, does not search the tree.
package memory

import (
	"fmt"
	"maps"

	"github.com/eddy-streams/eddy/state"
)

// Backend holds the in-memory stores of one task. It implements
// [state.Backend]. It is not safe for concurrent use.
type Backend struct {
	kvs      map[string]*kvStore
	windows  map[string]*windowStore
	sessions map[string]*sessionStore
	offsets  map[string]int64
	// txns are the stores of the three maps, in the order opened, which
	// Commit and Abort walk.
	txns   []txn
	loops  int // range loops running over any store
	closed bool
}

var _ state.Backend = (*Backend)(nil)

// txn is a store's part in Commit and Abort.
type txn interface {
	commit()
	abort()
}

// New returns an empty in-memory backend.
func New() *Backend {
	return &Backend{
		kvs:      map[string]*kvStore{},
		windows:  map[string]*windowStore{},
		sessions: map[string]*sessionStore{},
		offsets:  map[string]int64{},
	}
}

// usable reports whether the backend can serve reads and writes.
func (b *Backend) usable() error {
	if b.closed {
		return state.ErrClosed
	}
	return nil
}

// KeyValue opens (or returns the already open) key-value store name.
func (b *Backend) KeyValue(name string) (state.KeyValueStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if s, ok := b.kvs[name]; ok {
		return s, nil
	}
	if _, ok := b.windows[name]; ok {
		return nil, fmt.Errorf("state: store %q is a window store, not a key-value store", name)
	}
	if _, ok := b.sessions[name]; ok {
		return nil, fmt.Errorf("state: store %q is a session store, not a key-value store", name)
	}
	s := newKVStore(b, name)
	b.kvs[name] = s
	b.txns = append(b.txns, s)
	return s, nil
}

// Window opens (or returns the already open) window store name. Opening an
// open store with different options fails.
func (b *Backend) Window(name string, opts state.WindowOptions) (state.WindowStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: window store %q: %w", name, err)
	}
	if s, ok := b.windows[name]; ok {
		if s.opts != opts {
			return nil, fmt.Errorf("state: window store %q already open with options %+v", name, s.opts)
		}
		return s, nil
	}
	if _, ok := b.kvs[name]; ok {
		return nil, fmt.Errorf("state: store %q is a key-value store, not a window store", name)
	}
	if _, ok := b.sessions[name]; ok {
		return nil, fmt.Errorf("state: store %q is a session store, not a window store", name)
	}
	s := newWindowStore(b, name, opts)
	b.windows[name] = s
	b.txns = append(b.txns, s)
	return s, nil
}

// Session opens (or returns the already open) session store name. Opening
// an open store with different options fails.
func (b *Backend) Session(name string, opts state.SessionOptions) (state.SessionStore, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: session store %q: %w", name, err)
	}
	if s, ok := b.sessions[name]; ok {
		if s.opts != opts {
			return nil, fmt.Errorf("state: session store %q already open with options %+v", name, s.opts)
		}
		return s, nil
	}
	if _, ok := b.kvs[name]; ok {
		return nil, fmt.Errorf("state: store %q is a key-value store, not a session store", name)
	}
	if _, ok := b.windows[name]; ok {
		return nil, fmt.Errorf("state: store %q is a window store, not a session store", name)
	}
	s := newSessionStore(b, name, opts)
	b.sessions[name] = s
	b.txns = append(b.txns, s)
	return s, nil
}

// Commit records the current contents of every store as the state Abort
// returns to, and merges offsets into the recorded offsets.
func (b *Backend) Commit(offsets map[string]int64) error {
	if err := b.usable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	for _, s := range b.txns {
		s.commit()
	}
	maps.Copy(b.offsets, offsets)
	return nil
}

// Abort restores every store to its contents at the last Commit.
func (b *Backend) Abort() error {
	if err := b.usable(); err != nil {
		return err
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	for _, s := range b.txns {
		s.abort()
	}
	return nil
}

// Offsets returns a copy of the offsets recorded by Commit.
func (b *Backend) Offsets() (map[string]int64, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	return maps.Clone(b.offsets), nil
}

// Close releases the stores; their contents are lost. Closing twice is a
// no-op.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	if b.loops > 0 {
		return state.ErrInLoop
	}
	b.closed = true
	b.kvs, b.windows, b.sessions, b.txns = nil, nil, nil, nil
	return nil
}
