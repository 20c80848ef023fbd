// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/window"
)

// WindowStore is typed read access to a window store of a running
// application (windowed aggregations).
type WindowStore[K, V any] struct {
	storeRef[K]
	size   int64
	values serde.Serde[V]
	ts     bool
}

// Window opens typed read access to the window store called name.
func Window[K, V any](app *runtime.App, name string, keys serde.Serde[K], values serde.Serde[V]) (*WindowStore[K, V], error) {
	info, err := app.Store(name)
	if err != nil && !errors.Is(err, runtime.ErrNotRunning) {
		return nil, err
	}
	if info.Kind != runtime.WindowStore {
		return nil, fmt.Errorf("query: store %q is a %s store, not a window store", name, info.Kind)
	}
	return &WindowStore[K, V]{storeRef: storeRef[K]{app: app, name: name, topic: info.Topic, keys: keys},
		size: info.WindowSize, values: values, ts: info.Timestamped}, nil
}

// Name returns the store's name.
func (s *WindowStore[K, V]) Name() string { return s.name }

// Fetch returns key's windows that start in [from, to], by start time.
func (s *WindowStore[K, V]) Fetch(ctx context.Context, key K, from, to time.Time, opts ...ReadOption) ([]Entry[window.Windowed[K], V], error) {
	o := collect(opts)
	kb, p, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	var raw []state.WindowEntry
	info, err := s.app.ReadWindow(ctx, s.name, p, o.ReadOptions, func(st state.WindowStore) error {
		for e, err := range st.FetchRange(kb, from.UnixMilli(), to.UnixMilli()) {
			if err != nil {
				return err
			}
			raw = append(raw, state.WindowEntry{WindowStart: e.WindowStart, Value: bytes.Clone(e.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.report(info)
	out := make([]Entry[window.Windowed[K], V], 0, len(raw))
	for _, e := range raw {
		vb, ts := e.Value, time.Time{}
		if s.ts {
			t, b, err := state.DecodeTimestamped(vb)
			if err != nil {
				return nil, fmt.Errorf("query: store %q: %w", s.name, err)
			}
			vb, ts = b, time.UnixMilli(t)
		}
		v, err := s.values.Deserialize(s.topic, vb)
		if err != nil {
			return nil, fmt.Errorf("query: store %q: deserialize value: %w", s.name, err)
		}
		out = append(out, Entry[window.Windowed[K], V]{Key: window.Of(key, time.UnixMilli(e.WindowStart), time.UnixMilli(e.WindowStart+s.size)), Value: v, Timestamp: ts})
	}
	return out, nil
}

// SessionStore is typed read access to a session store of a running
// application (session-windowed aggregations). Session windows are
// window.Windowed keys whose Start and End are the first and last record
// times, both inclusive.
type SessionStore[K, V any] struct {
	storeRef[K]
	values serde.Serde[V]
}

// Session opens typed read access to the session store called name.
func Session[K, V any](app *runtime.App, name string, keys serde.Serde[K], values serde.Serde[V]) (*SessionStore[K, V], error) {
	info, err := app.Store(name)
	if err != nil && !errors.Is(err, runtime.ErrNotRunning) {
		return nil, err
	}
	if info.Kind != runtime.SessionStore {
		return nil, fmt.Errorf("query: store %q is a %s store, not a session store", name, info.Kind)
	}
	return &SessionStore[K, V]{storeRef: storeRef[K]{app: app, name: name, topic: info.Topic, keys: keys}, values: values}, nil
}

// Name returns the store's name.
func (s *SessionStore[K, V]) Name() string { return s.name }

// Sessions returns key's unexpired sessions, ordered by end, then start.
func (s *SessionStore[K, V]) Sessions(ctx context.Context, key K, opts ...ReadOption) ([]Entry[window.Windowed[K], V], error) {
	o := collect(opts)
	kb, p, err := s.locate(key)
	if err != nil {
		return nil, err
	}
	var raw []state.SessionEntry
	info, err := s.app.ReadSession(ctx, s.name, p, o.ReadOptions, func(st state.SessionStore) error {
		for e, err := range st.Fetch(kb) {
			if err != nil {
				return err
			}
			raw = append(raw, state.SessionEntry{Start: e.Start, End: e.End, Value: bytes.Clone(e.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.report(info)
	out := make([]Entry[window.Windowed[K], V], 0, len(raw))
	for _, e := range raw {
		v, err := s.values.Deserialize(s.topic, e.Value)
		if err != nil {
			return nil, fmt.Errorf("query: store %q: deserialize value: %w", s.name, err)
		}
		out = append(out, Entry[window.Windowed[K], V]{Key: window.Of(key, time.UnixMilli(e.Start), time.UnixMilli(e.End)), Value: v})
	}
	return out, nil
}

// windowed converts window entries to their JSON form.
func windowed[K, V any](es []Entry[window.Windowed[K], V]) []jsonEntry {
	out := make([]jsonEntry, len(es))
	for i, e := range es {
		start, end := e.Key.Window.Start(), e.Key.Window.End()
		out[i] = jsonEntry{Key: e.Key.Key, Start: &start, End: &end, Value: e.Value, Timestamp: stamp(e.Timestamp)}
	}
	return out
}
