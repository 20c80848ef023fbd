// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"fmt"

	"github.com/eddy-streams/eddy/state"
)

// VersionedStore is a task's versioned key-value store with changelogging.
// The changelog holds one record per write: the key, the plain value (nil
// for a delete) and the version's timestamp as the record timestamp, as
// Kafka Streams' versioned changelogs do, so restoring replays the writes
// in order and rebuilds the history (writes older than the history
// retention are rejected on restore as they were at first).
type VersionedStore struct {
	Store state.VersionedKeyValueStore
	topic string
	t     *Task
}

func (t *Task) openVersioned(ss StoreSpec, topic string) error {
	vb, ok := t.cfg.Backend.(state.VersionedBackend)
	if !ok {
		return Fatal(fmt.Errorf("store %s: the state backend (%T) has no versioned stores", ss.Name, t.cfg.Backend))
	}
	s, err := vb.Versioned(ss.Name, ss.Versioned)
	if err != nil {
		return Fatal(err)
	}
	if t.versioned == nil {
		t.versioned = make(map[string]*VersionedStore)
	}
	t.versioned[ss.Name] = &VersionedStore{Store: s, topic: topic, t: t}
	return nil
}

// Versioned returns the versioned key-value store name.
func (t *Task) Versioned(name string) (*VersionedStore, error) {
	s, ok := t.versioned[name]
	if !ok {
		return nil, fmt.Errorf("task %s: no versioned key-value store %q (is it connected to this sub-topology?)", t.cfg.ID, name)
	}
	return s, nil
}

// ChangelogTopic returns the store's changelog topic, or "" if not logged.
func (s *VersionedStore) ChangelogTopic() string { return s.topic }

// Put writes value (nil: a tombstone) as key's version at ts and logs it.
// It returns the version's validTo, state.VersionIsLatest or
// state.VersionNotPut (see state.VersionedKeyValueStore.Put). A write that
// was not put is logged all the same, as Kafka Streams does: restoring it
// is rejected again.
func (s *VersionedStore) Put(key, value []byte, ts int64) (int64, error) {
	to, err := s.Store.Put(key, value, ts)
	if err != nil {
		return 0, Fatal(err)
	}
	if s.topic != "" {
		if err := s.t.cfg.Collector.Send(s.t.logs.record(s.topic, s.t.cfg.ID.Partition, key, nil, value, ts)); err != nil {
			return 0, err
		}
	}
	return to, nil
}

// restore applies one changelog record.
func (s *VersionedStore) restore(key, value []byte, ts int64) error {
	_, err := s.Store.Put(key, value, ts)
	return err
}
