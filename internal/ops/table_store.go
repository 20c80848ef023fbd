// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state"
)

// tableStore is the store an operator keeps its table in: a timestamped
// key-value store, or a versioned one (as Kafka Streams' KeyValueStoreWrapper
// lets aggregations and transformValues use either). Reads see a key's
// latest row; a write reports, for a versioned store, whether it became
// the key's latest version or was too old to be put at all.
type tableStore struct {
	kv  *engine.KVStore
	ver *engine.VersionedStore
}

// openTableStore opens store name of t, versioned or not.
func openTableStore(t *engine.Task, name string, versioned bool) (tableStore, error) {
	if versioned {
		s, err := t.Versioned(name)
		return tableStore{ver: s}, err
	}
	s, err := t.KeyValue(name)
	return tableStore{kv: s}, err
}

// changelogTopic returns the store's changelog topic ("" if not logged).
func (s tableStore) changelogTopic() string {
	if s.ver != nil {
		return s.ver.ChangelogTopic()
	}
	return s.kv.ChangelogTopic()
}

// cached reports whether writes go through the record cache (never for a
// versioned store).
func (s tableStore) cached() bool { return s.kv != nil && s.kv.Cached() }

// get returns key's latest row and its timestamp; found is false if there
// is none (or, versioned, its latest version is a tombstone).
func (s tableStore) get(key []byte) (value []byte, ts int64, found bool, err error) {
	if s.ver != nil {
		rec, found, err := s.ver.Store.Get(key)
		return rec.Value, rec.Timestamp, found, err
	}
	return s.kv.GetTimestamped(key)
}

// put writes value (nil: delete, or a tombstone version) as key's row at
// ts. It returns state.VersionIsLatest for a key-value store; for a
// versioned one, what its Put returns (state.VersionNotPut: too old, not
// put).
func (s tableStore) put(key, value []byte, ts int64) (int64, error) {
	if s.ver != nil {
		return s.ver.Put(key, value, ts)
	}
	return state.VersionIsLatest, s.kv.PutTimestamped(key, value, ts)
}
