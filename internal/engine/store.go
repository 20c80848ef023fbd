// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"encoding/binary"
	"fmt"

	"github.com/eddy-streams/eddy/state"
)

// KVStore is a task's key-value store with changelogging and Kafka Streams'
// timestamped value layout (8-byte big-endian timestamp ‖ value).
type KVStore struct {
	Store state.KeyValueStore
	// peek is Store's peeker, if it implements it: reads then take no copy.
	peek  peeker
	topic string // changelog topic; "" when logging is disabled
	t     *Task
	buf   []byte
	cache *storeCache // nil: writes go to the store at once
	// onFlush forwards the cache's writes (see OnFlush).
	onFlush func(Flushed) error
}

// Flushed is one change a cached store writes out of its cache: at a
// commit, or when the cache evicts it (see Cache).
type Flushed struct {
	// Key is the store key; Start the window start, for window stores.
	Key   []byte
	Start int64
	// New is the value written (nil: the key was deleted), stamped
	// NewTS; Old what the store held before it (nil: nothing), stamped
	// OldTS. Both are plain values, without the timestamp layout.
	New, Old     []byte
	NewTS, OldTS int64
}

// WindowStore is a task's window store with changelogging and the
// timestamped value layout.
type WindowStore struct {
	Store state.WindowStore
	topic string
	t     *Task
	buf   []byte
	// restorer is Store's state.WindowRestorer, if it implements it: the
	// changelog is restored through it, keeping sequence numbers.
	restorer state.WindowRestorer
	// dups marks a store that keeps duplicates (stream-stream joins): its
	// changelog keys carry a rolling sequence number, as in Kafka Streams,
	// so log compaction keeps every buffered record. With a restorer the
	// number is the one the store holds the entry under (the store's
	// counter, which restores and restarts carry on), so that restoring
	// the changelog reproduces the store; seq is the fallback counter for
	// stores without one.
	dups bool
	seq  uint32
	// cache and onFlush: as KVStore's; keys are key ‖ 8-byte start.
	cache   *storeCache
	onFlush func(Flushed) error
}

func (t *Task) openStore(ss StoreSpec) error {
	topic := ""
	if ss.Logged {
		topic = ChangelogTopic(t.cfg.AppID, ss.Name)
	}
	switch ss.Kind {
	case KeyValueKind:
		s, err := t.cfg.Backend.KeyValue(ss.Name)
		if err != nil {
			return Fatal(err)
		}
		kv := &KVStore{Store: s, topic: topic, t: t}
		kv.peek, _ = s.(peeker)
		if ss.Cached && t.cfg.Cache.Enabled() {
			kv.cache = newStoreCache(t.cfg.Cache, kv.flush)
			t.cached = append(t.cached, kv.cache)
		}
		t.kv[ss.Name] = kv
	case WindowKind:
		s, err := t.cfg.Backend.Window(ss.Name, ss.Window)
		if err != nil {
			return Fatal(err)
		}
		ws := &WindowStore{Store: s, topic: topic, t: t, dups: ss.Window.RetainDuplicates}
		ws.restorer, _ = s.(state.WindowRestorer)
		if ss.Cached && !ws.dups && t.cfg.Cache.Enabled() {
			ws.cache = newStoreCache(t.cfg.Cache, ws.flush)
			t.cached = append(t.cached, ws.cache)
		}
		t.windows[ss.Name] = ws
	case SessionKind:
		s, err := t.cfg.Backend.Session(ss.Name, ss.Session)
		if err != nil {
			return Fatal(err)
		}
		if t.sessions == nil {
			t.sessions = make(map[string]*SessionStore)
		}
		t.sessions[ss.Name] = &SessionStore{Store: s, topic: topic, t: t}
	case VersionedKind:
		return t.openVersioned(ss, topic)
	default:
		return fmt.Errorf("unknown store kind %d", ss.Kind)
	}
	return nil
}

// KeyValue returns the key-value store name.
func (t *Task) KeyValue(name string) (*KVStore, error) {
	s, ok := t.kv[name]
	if !ok {
		return nil, fmt.Errorf("task %s: no key-value store %q (is it connected to this sub-topology?)", t.cfg.ID, name)
	}
	return s, nil
}

// Window returns the window store name.
func (t *Task) Window(name string) (*WindowStore, error) {
	s, ok := t.windows[name]
	if !ok {
		return nil, fmt.Errorf("task %s: no window store %q (is it connected to this sub-topology?)", t.cfg.ID, name)
	}
	return s, nil
}

// Session returns the session store name.
func (t *Task) Session(name string) (*SessionStore, error) {
	s, ok := t.sessions[name]
	if !ok {
		return nil, fmt.Errorf("task %s: no session store %q (is it connected to this sub-topology?)", t.cfg.ID, name)
	}
	return s, nil
}

// Stores lists the task's stores by name: state.KeyValueStore,
// state.WindowStore, state.SessionStore or state.VersionedKeyValueStore.
func (t *Task) Stores() map[string]any {
	out := make(map[string]any, len(t.kv)+len(t.windows)+len(t.sessions))
	for n, s := range t.kv {
		out[n] = s.Store
		if s.cache != nil {
			out[n] = cachedKVView{s}
		}
	}
	for n, s := range t.windows {
		out[n] = s.Store
		if s.cache != nil {
			out[n] = cachedWindowView{s}
		}
	}
	for n, s := range t.sessions {
		out[n] = s.Store
	}
	for n, s := range t.versioned {
		out[n] = s.Store
	}
	return out
}

// ChangelogTopic returns the store's changelog topic, or "" if not logged.
func (s *KVStore) ChangelogTopic() string { return s.topic }

// Cached reports whether the store keeps its writes in the record cache:
// then PutTimestamped neither writes the store nor logs at once, and the
// processor that owns the store forwards its changes from OnFlush instead
// of at each write.
func (s *KVStore) Cached() bool { return s.cache != nil }

// OnFlush sets the function that forwards the store's changes as the
// cache writes them out, with the task's record context set to that of the
// record that last wrote each key.
func (s *KVStore) OnFlush(fn func(Flushed) error) { s.onFlush = fn }

// GetTimestamped returns the value bytes and timestamp stored under key
// (the cached write, if any). The value must not be kept past the next
// write to the store.
func (s *KVStore) GetTimestamped(key []byte) (value []byte, ts int64, found bool, err error) {
	if s.cache != nil {
		if e, ok := s.cache.get(key); ok {
			return e.value, e.ts, e.value != nil, nil
		}
	}
	value, ts, found, err = s.storeGet(key)
	if err == nil && s.cache != nil {
		err = s.cache.remember(key, value, ts)
	}
	return value, ts, found, err
}

// peeker is a key-value store that can return a stored value without
// copying it (the in-memory backend's, which leaves it as it is through the
// next write of the key). The caller must not modify the value.
type peeker interface {
	Peek(key []byte) ([]byte, error)
}

// storeGet reads key from the store itself.
func (s *KVStore) storeGet(key []byte) (value []byte, ts int64, found bool, err error) {
	var b []byte
	if s.peek != nil {
		b, err = s.peek.Peek(key)
	} else {
		b, err = s.Store.Get(key)
	}
	if err != nil || b == nil {
		return nil, 0, false, Fatal(err)
	}
	if len(b) < 8 {
		return nil, 0, false, fmt.Errorf("store %s: corrupt timestamped value of %d bytes", s.Store.Name(), len(b))
	}
	return b[8:], int64(binary.BigEndian.Uint64(b)), true, nil
}

// PutTimestamped stores value with timestamp ts under key and logs the
// change (plain value, record timestamp ts). A nil value deletes the key.
// A cached store keeps the write in the cache until it is flushed.
func (s *KVStore) PutTimestamped(key, value []byte, ts int64) error {
	if s.cache != nil {
		return s.cache.put(key, value, ts, &s.t.rc)
	}
	return s.write(key, value, ts)
}

// write puts value (nil: deletes) in the store and logs it.
func (s *KVStore) write(key, value []byte, ts int64) error {
	if value == nil {
		if err := s.Store.Delete(key); err != nil {
			return Fatal(err)
		}
	} else {
		s.buf = binary.BigEndian.AppendUint64(s.buf[:0], uint64(ts))
		s.buf = append(s.buf, value...)
		if err := s.Store.Put(key, s.buf); err != nil {
			return Fatal(err)
		}
	}
	return s.log(key, value, ts)
}

// flush writes the cache's changed entries to the store and the changelog
// and forwards each through onFlush, with the old value the store held.
func (s *KVStore) flush(es []*cacheEntry) error {
	for _, e := range es {
		key := []byte(e.key)
		var f Flushed
		if s.onFlush != nil {
			old, oldTS, found, err := s.storeGet(key)
			if err != nil {
				return err
			}
			if found {
				f.Old, f.OldTS = clone(old), oldTS
			} else if e.value == nil {
				// Deleted in the cache and absent from the store: nothing
				// to write, log or forward (Kafka Streams' caching stores
				// skip such an entry too).
				continue
			}
		}
		if err := s.write(key, e.value, e.ts); err != nil {
			return err
		}
		if s.onFlush != nil {
			f.Key, f.New, f.NewTS = key, e.value, e.ts
			if err := s.t.forwardFlushed(&e.ctx, key, func() error { return s.onFlush(f) }); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *KVStore) log(key, value []byte, ts int64) error {
	if s.topic == "" {
		return nil
	}
	return s.t.cfg.Collector.Send(s.t.logs.record(s.topic, s.t.cfg.ID.Partition, key, nil, value, ts))
}

// ChangelogTopic returns the store's changelog topic, or "" if not logged.
func (s *WindowStore) ChangelogTopic() string { return s.topic }

// Cached reports whether the store keeps its writes in the record cache
// (see KVStore.Cached).
func (s *WindowStore) Cached() bool { return s.cache != nil }

// OnFlush sets the function that forwards the store's changes as the
// cache writes them out (see KVStore.OnFlush).
func (s *WindowStore) OnFlush(fn func(Flushed) error) { s.onFlush = fn }

// windowCacheKey is a window store's cache key: key ‖ 8-byte start.
func windowCacheKey(key []byte, start int64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(key)+8), key...), uint64(start))
}

// FetchTimestamped returns the value bytes and timestamp of (key, start)
// (the cached write, if any).
func (s *WindowStore) FetchTimestamped(key []byte, start int64) (value []byte, ts int64, found bool, err error) {
	var ck []byte
	if s.cache != nil {
		ck = windowCacheKey(key, start)
		if e, ok := s.cache.get(ck); ok {
			return e.value, e.ts, e.value != nil, nil
		}
	}
	value, ts, found, err = s.storeFetch(key, start)
	if err == nil && s.cache != nil {
		err = s.cache.remember(ck, value, ts)
	}
	return value, ts, found, err
}

// storeFetch reads (key, start) from the store itself.
func (s *WindowStore) storeFetch(key []byte, start int64) (value []byte, ts int64, found bool, err error) {
	b, err := s.Store.Fetch(key, start)
	if err != nil || b == nil {
		return nil, 0, false, Fatal(err)
	}
	if len(b) < 8 {
		return nil, 0, false, fmt.Errorf("store %s: corrupt timestamped value of %d bytes", s.Store.Name(), len(b))
	}
	return b[8:], int64(binary.BigEndian.Uint64(b)), true, nil
}

// flush writes the cache's changed entries to the store and the changelog
// and forwards each through onFlush.
func (s *WindowStore) flush(es []*cacheEntry) error {
	for _, e := range es {
		ck := []byte(e.key)
		key, start := ck[:len(ck)-8], int64(binary.BigEndian.Uint64(ck[len(ck)-8:]))
		var f Flushed
		if s.onFlush != nil {
			old, oldTS, found, err := s.storeFetch(key, start)
			if err != nil {
				return err
			}
			if found {
				f.Old, f.OldTS = clone(old), oldTS
			} else if e.value == nil {
				continue // as for a key-value store
			}
		}
		if err := s.write(key, start, e.value, e.ts); err != nil {
			return err
		}
		if s.onFlush != nil {
			f.Key, f.Start, f.New, f.NewTS = key, start, e.value, e.ts
			if err := s.t.forwardFlushed(&e.ctx, key, func() error { return s.onFlush(f) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutTimestamped stores value with timestamp ts for (key, start) and logs
// the change: changelog key = key ‖ 8-byte start ‖ 4-byte sequence, as in
// Kafka Streams. The sequence number is 0, or in duplicate-keeping stores
// the rolling number (1..2^31-1, wrapping, see state.NextSeq) the store
// holds the new entry under, which Task.Restore puts it back under.
func (s *WindowStore) PutTimestamped(key []byte, start int64, value []byte, ts int64) error {
	if s.cache != nil {
		return s.cache.put(windowCacheKey(key, start), value, ts, &s.t.rc)
	}
	return s.write(key, start, value, ts)
}

// write puts value (nil: deletes) for (key, start) in the store and logs
// it.
func (s *WindowStore) write(key []byte, start int64, value []byte, ts int64) error {
	var stored []byte
	if value != nil {
		s.buf = binary.BigEndian.AppendUint64(s.buf[:0], uint64(ts))
		s.buf = append(s.buf, value...)
		stored = s.buf
	}
	var seq uint32
	switch {
	case s.dups && s.restorer != nil:
		// The store's next number, even for a nil value or an expired
		// window, which the store drops but which are logged all the
		// same, as Kafka Streams does; the counter advances either way.
		seq = state.NextSeq(s.restorer.LastSeq())
		if err := s.restorer.RestorePut(key, start, seq, stored); err != nil {
			return Fatal(err)
		}
	case s.dups:
		// A store of another backend numbers its entries itself; keep a
		// rolling number for the changelog, as Kafka Streams'
		// ChangeLoggingWindowBytesStore.
		s.seq = state.NextSeq(s.seq)
		seq = s.seq
		fallthrough
	default:
		if err := s.Store.Put(key, start, stored); err != nil {
			return Fatal(err)
		}
	}
	if s.topic == "" {
		return nil
	}
	var window [12]byte // 8-byte start ‖ 4-byte sequence
	binary.BigEndian.PutUint64(window[:8], uint64(start))
	binary.BigEndian.PutUint32(window[8:], seq)
	return s.t.cfg.Collector.Send(s.t.logs.record(s.topic, s.t.cfg.ID.Partition, key, window[:], value, ts))
}

// SessionStore is a task's session store with changelogging. Values are
// stored plain (Kafka Streams' session stores are not timestamped).
type SessionStore struct {
	Store state.SessionStore
	topic string
	t     *Task
}

// ChangelogTopic returns the store's changelog topic, or "" if not logged.
func (s *SessionStore) ChangelogTopic() string { return s.topic }

// Put stores value for the session (key, start, end) and logs the change
// with record timestamp ts; a nil value removes the session. The changelog
// key is key ‖ 8-byte end ‖ 8-byte start (big-endian), the value the plain
// value or a tombstone, as in Kafka Streams.
func (s *SessionStore) Put(key []byte, start, end int64, value []byte, ts int64) error {
	if err := s.Store.Put(key, start, end, value); err != nil {
		return Fatal(err)
	}
	if s.topic == "" {
		return nil
	}
	var session [16]byte // 8-byte end ‖ 8-byte start
	binary.BigEndian.PutUint64(session[:8], uint64(end))
	binary.BigEndian.PutUint64(session[8:], uint64(start))
	return s.t.cfg.Collector.Send(s.t.logs.record(s.topic, s.t.cfg.ID.Partition, key, session[:], value, ts))
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
