// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"encoding/binary"
	"fmt"
)

// Changelogs maps each logged store's changelog topic to the store name.
func (t *Task) Changelogs() map[string]string {
	out := map[string]string{}
	for n, s := range t.kv {
		if s.topic != "" {
			out[s.topic] = n
		}
	}
	for n, s := range t.windows {
		if s.topic != "" {
			out[s.topic] = n
		}
	}
	for n, s := range t.sessions {
		if s.topic != "" {
			out[s.topic] = n
		}
	}
	for n, s := range t.versioned {
		if s.topic != "" {
			out[s.topic] = n
		}
	}
	return out
}

// Restore applies one changelog record to the store that owns topic, in the
// store's local layout: key-value stores keep 8-byte timestamp ‖ value, window
// stores split the changelog key (key ‖ 8-byte start ‖ 4-byte sequence),
// session stores theirs (key ‖ 8-byte end ‖ 8-byte start) and keep the plain
// value. A nil value deletes. Restored writes are not logged again.
//
// Window entries are restored under their changelog sequence number
// (state.WindowRestorer), as Kafka Streams restores the changelog key bytes
// as they are: a duplicate-keeping store (a stream-stream join buffer) that
// replays a record it already holds overwrites that entry rather than
// holding it twice, so restoring is idempotent.
func (t *Task) Restore(topic string, key, value []byte, ts int64) error {
	for _, s := range t.kv {
		if s.topic != topic {
			continue
		}
		if value == nil {
			return s.Store.Delete(key)
		}
		b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(ts))
		return s.Store.Put(key, append(b, value...))
	}
	for _, s := range t.windows {
		if s.topic != topic {
			continue
		}
		if len(key) < 12 {
			return fmt.Errorf("task %s: changelog %s: window key of %d bytes is shorter than start+sequence (12)", t.cfg.ID, topic, len(key))
		}
		n := len(key) - 12
		k, start, seq := key[:n], int64(binary.BigEndian.Uint64(key[n:])), binary.BigEndian.Uint32(key[n+8:])
		var v []byte
		if value != nil {
			v = binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(ts))
			v = append(v, value...)
		}
		if s.restorer != nil {
			return s.restorer.RestorePut(k, start, seq, v)
		}
		return s.Store.Put(k, start, v)
	}
	for _, s := range t.sessions {
		if s.topic != topic {
			continue
		}
		if len(key) < 16 {
			return fmt.Errorf("task %s: changelog %s: session key of %d bytes is shorter than end+start (16)", t.cfg.ID, topic, len(key))
		}
		n := len(key) - 16
		end, start := int64(binary.BigEndian.Uint64(key[n:])), int64(binary.BigEndian.Uint64(key[n+8:]))
		return s.Store.Put(key[:n], start, end, value)
	}
	for _, s := range t.versioned {
		if s.topic == topic {
			return s.restore(key, value, ts)
		}
	}
	return fmt.Errorf("task %s: no store is logged to %s", t.cfg.ID, topic)
}

// Offsets returns the changelog offsets last committed with the task's
// state (changelog "topic/partition" → next offset to restore from).
func (t *Task) Offsets() (map[string]int64, error) { return t.cfg.Backend.Offsets() }

// OffsetKey is the key of a changelog partition in committed offsets.
func OffsetKey(topic string, partition int32) string { return fmt.Sprintf("%s/%d", topic, partition) }
