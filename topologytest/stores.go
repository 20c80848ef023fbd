// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/window"
)

// KeyValueStore reads a DSL key-value store (aggregations, tables) across
// all tasks' partitions, or a global table's store.
type KeyValueStore[K, V any] struct {
	name   string
	topic  string
	ks     serde.Serde[K]
	vs     serde.Serde[V]
	stores []state.KeyValueStore
}

// KeyValueStore opens typed read access to the store called name.
func (d *Driver) KeyValueStore[K, V any](name string, ks serde.Serde[K], vs serde.Serde[V]) (*KeyValueStore[K, V], error) {
	s := &KeyValueStore[K, V]{name: name, topic: engine.ChangelogTopic(d.cfg.app, name), ks: ks, vs: vs}
	if g, ok := d.globals.Store(name); ok {
		// A global table's serdes are called with its topic.
		for _, st := range d.topo.GlobalSubtopologies() {
			if len(st.Stores) > 0 && st.Stores[0].Name == name && len(st.Sources) > 0 {
				s.topic = st.Sources[0]
			}
		}
		s.stores = []state.KeyValueStore{g.Timestamped()}
		return s, nil
	}
	for _, id := range d.order {
		if st, ok := d.tasks[id].Stores()[name].(state.KeyValueStore); ok {
			s.stores = append(s.stores, st)
		}
	}
	if len(s.stores) == 0 {
		return nil, fmt.Errorf("topologytest: no key-value store %q (stores: %v)", name, storeNames(d))
	}
	return s, nil
}

// Get returns the value under key.
func (s *KeyValueStore[K, V]) Get(key K) (V, bool, error) {
	v, _, ok, err := s.GetWithTimestamp(key)
	return v, ok, err
}

// GetWithTimestamp returns the value under key and its timestamp.
func (s *KeyValueStore[K, V]) GetWithTimestamp(key K) (V, time.Time, bool, error) {
	var zero V
	kb, err := s.ks.Serialize(s.topic, key)
	if err != nil {
		return zero, time.Time{}, false, err
	}
	for _, st := range s.stores {
		b, err := st.Get(kb)
		if err != nil {
			return zero, time.Time{}, false, err
		}
		if b != nil {
			v, ts, err := decodeTimestamped(s.topic, s.vs, b)
			return v, ts, err == nil, err
		}
	}
	return zero, time.Time{}, false, nil
}

// All returns every entry of every partition, ordered by serialized key.
func (s *KeyValueStore[K, V]) All() ([]record.KeyValue[K, V], error) {
	type entry struct{ k, v []byte }
	var es []entry
	for _, st := range s.stores {
		for kv, err := range st.All() {
			if err != nil {
				return nil, err
			}
			es = append(es, entry{bytes.Clone(kv.Key), bytes.Clone(kv.Value)})
		}
	}
	sort.Slice(es, func(i, j int) bool { return bytes.Compare(es[i].k, es[j].k) < 0 })
	out := make([]record.KeyValue[K, V], 0, len(es))
	for _, e := range es {
		k, err := s.ks.Deserialize(s.topic, e.k)
		if err != nil {
			return nil, err
		}
		v, _, err := decodeTimestamped(s.topic, s.vs, e.v)
		if err != nil {
			return nil, err
		}
		out = append(out, record.KeyValue[K, V]{Key: k, Value: v})
	}
	return out, nil
}

// WindowStore reads a DSL window store (windowed aggregations) across all
// tasks' partitions.
type WindowStore[K, V any] struct {
	name   string
	topic  string
	size   int64
	ks     serde.Serde[K]
	vs     serde.Serde[V]
	stores []state.WindowStore
}

// WindowStore opens typed read access to the window store called name.
func (d *Driver) WindowStore[K, V any](name string, ks serde.Serde[K], vs serde.Serde[V]) (*WindowStore[K, V], error) {
	st, ok := d.topo.Store(name)
	if !ok {
		return nil, fmt.Errorf("topologytest: no window store %q (stores: %v)", name, storeNames(d))
	}
	s := &WindowStore[K, V]{name: name, topic: engine.ChangelogTopic(d.cfg.app, name), size: st.WindowSize, ks: ks, vs: vs}
	for _, id := range d.order {
		if ws, ok := d.tasks[id].Stores()[name].(state.WindowStore); ok {
			s.stores = append(s.stores, ws)
		}
	}
	if len(s.stores) == 0 {
		return nil, fmt.Errorf("topologytest: %q is not a window store", name)
	}
	return s, nil
}

// Fetch returns the value of key in the window starting at start.
func (s *WindowStore[K, V]) Fetch(key K, start time.Time) (V, bool, error) {
	var zero V
	kb, err := s.ks.Serialize(s.topic, key)
	if err != nil {
		return zero, false, err
	}
	for _, st := range s.stores {
		b, err := st.Fetch(kb, start.UnixMilli())
		if err != nil {
			return zero, false, err
		}
		if b != nil {
			v, _, err := decodeTimestamped(s.topic, s.vs, b)
			return v, err == nil, err
		}
	}
	return zero, false, nil
}

// All returns every unexpired window of every partition, ordered by
// serialized key, then window start.
func (s *WindowStore[K, V]) All() ([]record.KeyValue[window.Windowed[K], V], error) {
	var es []state.WindowEntry
	for _, st := range s.stores {
		for e, err := range st.All() {
			if err != nil {
				return nil, err
			}
			es = append(es, state.WindowEntry{Key: bytes.Clone(e.Key), WindowStart: e.WindowStart, Value: bytes.Clone(e.Value)})
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if c := bytes.Compare(es[i].Key, es[j].Key); c != 0 {
			return c < 0
		}
		return es[i].WindowStart < es[j].WindowStart
	})
	out := make([]record.KeyValue[window.Windowed[K], V], 0, len(es))
	for _, e := range es {
		k, err := s.ks.Deserialize(s.topic, e.Key)
		if err != nil {
			return nil, err
		}
		v, _, err := decodeTimestamped(s.topic, s.vs, e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, record.KeyValue[window.Windowed[K], V]{Key: window.Of(k, time.UnixMilli(e.WindowStart), time.UnixMilli(e.WindowStart+s.size)), Value: v})
	}
	return out, nil
}

func decodeTimestamped[V any](topic string, vs serde.Serde[V], b []byte) (V, time.Time, error) {
	var zero V
	if len(b) < 8 {
		return zero, time.Time{}, fmt.Errorf("topologytest: corrupt timestamped value of %d bytes", len(b))
	}
	v, err := vs.Deserialize(topic, b[8:])
	return v, time.UnixMilli(int64(binary.BigEndian.Uint64(b))), err
}

func storeNames(d *Driver) []string {
	var out []string
	for _, s := range d.topo.Stores() {
		out = append(out, s.Name)
	}
	return out
}

// SessionStore reads a DSL session store (session-windowed aggregations)
// across all tasks' partitions. Sessions are window.Windowed keys whose
// Start and End are the session's first and last record times, both
// inclusive.
type SessionStore[K, V any] struct {
	name   string
	topic  string
	ks     serde.Serde[K]
	vs     serde.Serde[V]
	stores []state.SessionStore
}

// SessionStore opens typed read access to the session store called name.
func (d *Driver) SessionStore[K, V any](name string, ks serde.Serde[K], vs serde.Serde[V]) (*SessionStore[K, V], error) {
	if _, ok := d.topo.Store(name); !ok {
		return nil, fmt.Errorf("topologytest: no session store %q (stores: %v)", name, storeNames(d))
	}
	s := &SessionStore[K, V]{name: name, topic: engine.ChangelogTopic(d.cfg.app, name), ks: ks, vs: vs}
	for _, id := range d.order {
		if ss, ok := d.tasks[id].Stores()[name].(state.SessionStore); ok {
			s.stores = append(s.stores, ss)
		}
	}
	if len(s.stores) == 0 {
		return nil, fmt.Errorf("topologytest: %q is not a session store", name)
	}
	return s, nil
}

// FetchSession returns the aggregate of key's session [start, end].
func (s *SessionStore[K, V]) FetchSession(key K, start, end time.Time) (V, bool, error) {
	var zero V
	kb, err := s.ks.Serialize(s.topic, key)
	if err != nil {
		return zero, false, err
	}
	for _, st := range s.stores {
		b, err := st.FetchSession(kb, start.UnixMilli(), end.UnixMilli())
		if err != nil {
			return zero, false, err
		}
		if b != nil {
			v, err := s.vs.Deserialize(s.topic, b)
			return v, err == nil, err
		}
	}
	return zero, false, nil
}

// Fetch returns every unexpired session of key, ordered by end, then start.
func (s *SessionStore[K, V]) Fetch(key K) ([]record.KeyValue[window.Windowed[K], V], error) {
	return s.find(key, math.MinInt64, math.MaxInt64)
}

// FindSessions returns key's sessions that overlap [earliestEnd,
// latestStart] (end >= earliestEnd and start <= latestStart), ordered by
// end, then start.
func (s *SessionStore[K, V]) FindSessions(key K, earliestEnd, latestStart time.Time) ([]record.KeyValue[window.Windowed[K], V], error) {
	return s.find(key, earliestEnd.UnixMilli(), latestStart.UnixMilli())
}

func (s *SessionStore[K, V]) find(key K, earliestEnd, latestStart int64) ([]record.KeyValue[window.Windowed[K], V], error) {
	kb, err := s.ks.Serialize(s.topic, key)
	if err != nil {
		return nil, err
	}
	var out []record.KeyValue[window.Windowed[K], V]
	for _, st := range s.stores {
		for e, err := range st.FindSessions(kb, earliestEnd, latestStart) {
			if err != nil {
				return nil, err
			}
			v, err := s.vs.Deserialize(s.topic, e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, record.KeyValue[window.Windowed[K], V]{Key: window.Of(key, time.UnixMilli(e.Start), time.UnixMilli(e.End)), Value: v})
		}
	}
	return out, nil
}

// All returns every unexpired session of every partition, ordered by
// serialized key, then end, then start.
func (s *SessionStore[K, V]) All() ([]record.KeyValue[window.Windowed[K], V], error) {
	var es []state.SessionEntry
	for _, st := range s.stores {
		for e, err := range st.All() {
			if err != nil {
				return nil, err
			}
			es = append(es, state.SessionEntry{Key: bytes.Clone(e.Key), Start: e.Start, End: e.End, Value: bytes.Clone(e.Value)})
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if c := bytes.Compare(es[i].Key, es[j].Key); c != 0 {
			return c < 0
		}
		if es[i].End != es[j].End {
			return es[i].End < es[j].End
		}
		return es[i].Start < es[j].Start
	})
	out := make([]record.KeyValue[window.Windowed[K], V], 0, len(es))
	for _, e := range es {
		k, err := s.ks.Deserialize(s.topic, e.Key)
		if err != nil {
			return nil, err
		}
		v, err := s.vs.Deserialize(s.topic, e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, record.KeyValue[window.Windowed[K], V]{Key: window.Of(k, time.UnixMilli(e.Start), time.UnixMilli(e.End)), Value: v})
	}
	return out, nil
}
