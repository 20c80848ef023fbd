// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/eddy-streams/eddy/state"
)

// GlobalPartition is the partition of a global task's id: a global task
// reads every partition of its topic.
const GlobalPartition int32 = -1

// GlobalStores holds the global stores of one instance (Kafka Streams'
// global state): each is a copy of all partitions of a global table's
// topic, written only by its global task and read, read-only, by every
// task of the instance, from any goroutine.
//
// A global task opens its stores through the backend returned by Wrap;
// tasks find them by name with Store once the global task exists.
type GlobalStores struct {
	mu     sync.Mutex
	stores map[string]*GlobalStore
}

// NewGlobalStores returns an empty registry.
func NewGlobalStores() *GlobalStores {
	return &GlobalStores{stores: map[string]*GlobalStore{}}
}

// Store returns the global store called name.
func (g *GlobalStores) Store(name string) (*GlobalStore, bool) {
	if g == nil {
		return nil, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.stores[name]
	return s, ok
}

// Names lists the registered global stores.
func (g *GlobalStores) Names() []string {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.stores))
	for n := range g.stores {
		out = append(out, n)
	}
	return out
}

// Wrap returns the backend a global task uses: be, with every operation
// serialized by a lock its readers share, and every key-value store it
// opens registered here under its name. Window and session stores cannot
// be global. Closing the backend unregisters its stores.
func (g *GlobalStores) Wrap(be state.Backend) state.Backend {
	return &globalBackend{g: g, be: be, open: map[string]*lockedKV{}}
}

// globalBackend is the locked backend of a global task.
type globalBackend struct {
	mu     sync.Mutex
	g      *GlobalStores
	be     state.Backend
	open   map[string]*lockedKV
	closed bool
}

func (b *globalBackend) KeyValue(name string) (state.KeyValueStore, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, state.ErrClosed
	}
	if s, ok := b.open[name]; ok {
		return s, nil
	}
	s, err := b.be.KeyValue(name)
	if err != nil {
		return nil, err
	}
	l := &lockedKV{mu: &b.mu, s: s}
	b.g.mu.Lock()
	defer b.g.mu.Unlock()
	if _, dup := b.g.stores[name]; dup {
		return nil, fmt.Errorf("global store %q is open twice", name)
	}
	b.open[name] = l
	b.g.stores[name] = &GlobalStore{kv: l}
	return l, nil
}

func (b *globalBackend) Window(name string, _ state.WindowOptions) (state.WindowStore, error) {
	return nil, fmt.Errorf("global store %q: global stores are key-value stores", name)
}

func (b *globalBackend) Session(name string, _ state.SessionOptions) (state.SessionStore, error) {
	return nil, fmt.Errorf("global store %q: global stores are key-value stores", name)
}

func (b *globalBackend) Commit(offsets map[string]int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.be.Commit(offsets)
}

func (b *globalBackend) Abort() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.be.Abort()
}

func (b *globalBackend) Offsets() (map[string]int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.be.Offsets()
}

func (b *globalBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.g.mu.Lock()
	for name, l := range b.open {
		if gs, ok := b.g.stores[name]; ok && gs.kv == l {
			delete(b.g.stores, name)
		}
	}
	b.g.mu.Unlock()
	return b.be.Close()
}

// GlobalStore is a task's read-only access to a global store. It is safe
// for concurrent use with the global task that writes the store.
type GlobalStore struct {
	kv *lockedKV
}

// Name returns the store's name.
func (s *GlobalStore) Name() string { return s.kv.Name() }

// GetTimestamped returns the value bytes and timestamp stored under key.
func (s *GlobalStore) GetTimestamped(key []byte) (value []byte, ts int64, found bool, err error) {
	b, err := s.kv.Get(key)
	if err != nil || b == nil {
		return nil, 0, false, Fatal(err)
	}
	if len(b) < 8 {
		return nil, 0, false, fmt.Errorf("global store %s: corrupt timestamped value of %d bytes", s.Name(), len(b))
	}
	return b[8:], int64(binary.BigEndian.Uint64(b)), true, nil
}

// Timestamped returns the store at byte level in its local layout (8-byte
// big-endian timestamp ‖ value), read-only.
func (s *GlobalStore) Timestamped() state.KeyValueStore { return readOnlyKV{s.kv} }

// Plain returns the store at byte level with plain values (the timestamp
// prefix removed), read-only: the Processor API's view.
func (s *GlobalStore) Plain() state.KeyValueStore { return plainKV{readOnlyKV{s.kv}} }

// ErrReadOnly is returned by writes to a global store from a task.
var ErrReadOnly = errors.New("global stores are read-only: only their topic updates them")

// lockedKV serializes every operation on a store of a global backend with
// the backend's lock. Range loops read the store in chunks, each under the
// lock, and yield outside it, so a loop body may take as long as it likes
// (and nest other loops) without blocking the global task for more than a
// chunk. A loop therefore does not read a snapshot: it sees the updates
// made between chunks to keys it has not reached yet.
type lockedKV struct {
	mu *sync.Mutex
	s  state.KeyValueStore
}

// scanChunk is the number of entries a range loop reads per lock hold.
const scanChunk = 256

func (l *lockedKV) Name() string { return l.s.Name() }

func (l *lockedKV) Get(key []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Get(key)
}

func (l *lockedKV) Put(key, value []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Put(key, value)
}

func (l *lockedKV) Delete(key []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Delete(key)
}

func (l *lockedKV) ApproximateNumEntries() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.ApproximateNumEntries()
}

func (l *lockedKV) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return l.chunked(from, to, nil, false)
}

func (l *lockedKV) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return l.chunked(from, to, nil, true)
}

func (l *lockedKV) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	return l.chunked(prefix, nil, prefix, false)
}

func (l *lockedKV) All() iter.Seq2[state.KeyValue, error] { return l.chunked(nil, nil, nil, false) }

// chunked iterates [from, to] (keys with prefix, if prefix is not nil)
// ascending or descending, a chunk at a time. Each chunk after the first
// resumes at the last key yielded (bounds are inclusive) and skips it.
func (l *lockedKV) chunked(from, to, prefix []byte, reverse bool) iter.Seq2[state.KeyValue, error] {
	return func(yield func(state.KeyValue, error) bool) {
		lo, hi := from, to
		var last []byte
		for {
			chunk, more, err := l.readChunk(lo, hi, prefix, reverse, last)
			for _, kv := range chunk {
				if !yield(kv, nil) {
					return
				}
			}
			if err != nil {
				yield(state.KeyValue{}, err)
				return
			}
			if !more || len(chunk) == 0 {
				return
			}
			last = chunk[len(chunk)-1].Key
			if reverse {
				hi = last
			} else {
				lo = last
			}
		}
	}
}

func (l *lockedKV) readChunk(lo, hi, prefix []byte, reverse bool, skip []byte) (chunk []state.KeyValue, more bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var seq iter.Seq2[state.KeyValue, error]
	switch {
	case reverse:
		seq = l.s.ReverseRange(lo, hi)
	case prefix != nil && skip == nil:
		seq = l.s.PrefixScan(prefix)
	default:
		seq = l.s.Range(lo, hi)
	}
	for kv, err := range seq {
		if err != nil {
			return chunk, false, err
		}
		if skip != nil && bytes.Equal(kv.Key, skip) {
			continue
		}
		if prefix != nil && !bytes.HasPrefix(kv.Key, prefix) {
			return chunk, false, nil
		}
		if len(chunk) == scanChunk {
			return chunk, true, nil
		}
		chunk = append(chunk, state.KeyValue{Key: bytes.Clone(kv.Key), Value: bytes.Clone(kv.Value)})
	}
	return chunk, false, nil
}

// readOnlyKV is a lockedKV whose writes fail.
type readOnlyKV struct{ *lockedKV }

func (r readOnlyKV) Put([]byte, []byte) error {
	return fmt.Errorf("store %s: %w", r.Name(), ErrReadOnly)
}

func (r readOnlyKV) Delete([]byte) error {
	return fmt.Errorf("store %s: %w", r.Name(), ErrReadOnly)
}

// plainKV hides the timestamp prefix of a read-only store's values.
type plainKV struct{ readOnlyKV }

func (p plainKV) Get(key []byte) ([]byte, error) {
	v, err := p.readOnlyKV.Get(key)
	if err != nil || v == nil {
		return nil, err
	}
	if len(v) < 8 {
		return nil, fmt.Errorf("global store %s: corrupt timestamped value of %d bytes", p.Name(), len(v))
	}
	return v[8:], nil
}

func (p plainKV) Range(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(p.readOnlyKV.Range(from, to))
}

func (p plainKV) ReverseRange(from, to []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(p.readOnlyKV.ReverseRange(from, to))
}

func (p plainKV) PrefixScan(prefix []byte) iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(p.readOnlyKV.PrefixScan(prefix))
}

func (p plainKV) All() iter.Seq2[state.KeyValue, error] {
	return stripTimestamps(p.readOnlyKV.All())
}

// GlobalStore returns the global store called name, shared by the
// instance's tasks (Config.Globals).
func (t *Task) GlobalStore(name string) (*GlobalStore, error) {
	s, ok := t.cfg.Globals.Store(name)
	if !ok {
		return nil, fmt.Errorf("task %s: no global store %q (global stores: %v)", t.cfg.ID, name, t.cfg.Globals.Names())
	}
	return s, nil
}
