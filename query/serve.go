// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"time"
)

// jsonEntry is the JSON form of an entry.
type jsonEntry struct {
	Key       any        `json:"key"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
	Value     any        `json:"value"`
	Timestamp *time.Time `json:"timestamp,omitempty"`
}

func stamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// pathKeys reads a handle's keys from URL paths: what every servable
// shares.
type pathKeys[K any] struct {
	ref   *storeRef[K]
	parse KeyParser[K]
}

func newPathKeys[K any](ref *storeRef[K], parse KeyParser[K]) pathKeys[K] {
	if parse == nil {
		parse = defaultParser[K]()
	}
	return pathKeys[K]{ref, parse}
}

func (k pathKeys[K]) name() string { return k.ref.name }

func (k pathKeys[K]) keyBytes(key string) ([]byte, error) {
	kk, err := k.parse(key)
	if err != nil {
		return nil, err
	}
	return k.ref.keys.Serialize(k.ref.topic, kk)
}

// Serve makes s servable by a Handler; parse reads keys from URL paths
// (nil: the default, see KeyParser).
func (s *KeyValueStore[K, V]) Serve(parse KeyParser[K]) Servable {
	return kvServable[K, V]{newPathKeys(&s.storeRef, parse), s}
}

type kvServable[K, V any] struct {
	pathKeys[K]
	s *KeyValueStore[K, V]
}

func (k kvServable[K, V]) endpoint() endpoint { return k }
func (k kvServable[K, V]) whole() bool        { return k.s.global }
func (k kvServable[K, V]) get(ctx context.Context, key string, _ url.Values, opts []ReadOption) (any, bool, error) {
	kk, err := k.parse(key)
	if err != nil {
		return nil, false, err
	}
	e, ok, err := k.s.GetEntry(ctx, kk, opts...)
	if err != nil || !ok {
		return nil, ok, err
	}
	return jsonEntry{Key: e.Key, Value: e.Value, Timestamp: stamp(e.Timestamp)}, true, nil
}
func (k kvServable[K, V]) all(ctx context.Context) ([]any, error) {
	es, err := k.s.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(es))
	for i, e := range es {
		out[i] = jsonEntry{Key: e.Key, Value: e.Value, Timestamp: stamp(e.Timestamp)}
	}
	return out, nil
}

// Serve makes s servable by a Handler; parse reads keys from URL paths
// (nil: the default, see KeyParser).
func (s *WindowStore[K, V]) Serve(parse KeyParser[K]) Servable {
	return windowServable[K, V]{newPathKeys(&s.storeRef, parse), s}
}

type windowServable[K, V any] struct {
	pathKeys[K]
	s *WindowStore[K, V]
}

func (k windowServable[K, V]) endpoint() endpoint { return k }
func (k windowServable[K, V]) whole() bool        { return false }
func (k windowServable[K, V]) get(ctx context.Context, key string, q url.Values, opts []ReadOption) (any, bool, error) {
	kk, err := k.parse(key)
	if err != nil {
		return nil, false, err
	}
	from, err := parseTime(q.Get("from"), time.UnixMilli(0))
	if err != nil {
		return nil, false, fmt.Errorf("from: %w", err)
	}
	to, err := parseTime(q.Get("to"), time.UnixMilli(math.MaxInt64/2))
	if err != nil {
		return nil, false, fmt.Errorf("to: %w", err)
	}
	es, err := k.s.Fetch(ctx, kk, from, to, opts...)
	if err != nil {
		return nil, false, err
	}
	return windowed(es), true, nil
}
func (k windowServable[K, V]) all(context.Context) ([]any, error) {
	return nil, fmt.Errorf("store %q: a window store answers per key (/stores/%s/keys/{key}), not /all", k.s.name, k.s.name)
}

// Serve makes s servable by a Handler; parse reads keys from URL paths
// (nil: the default, see KeyParser).
func (s *SessionStore[K, V]) Serve(parse KeyParser[K]) Servable {
	return sessionServable[K, V]{newPathKeys(&s.storeRef, parse), s}
}

type sessionServable[K, V any] struct {
	pathKeys[K]
	s *SessionStore[K, V]
}

func (k sessionServable[K, V]) endpoint() endpoint { return k }
func (k sessionServable[K, V]) whole() bool        { return false }
func (k sessionServable[K, V]) get(ctx context.Context, key string, _ url.Values, opts []ReadOption) (any, bool, error) {
	kk, err := k.parse(key)
	if err != nil {
		return nil, false, err
	}
	es, err := k.s.Sessions(ctx, kk, opts...)
	if err != nil {
		return nil, false, err
	}
	return windowed(es), true, nil
}
func (k sessionServable[K, V]) all(context.Context) ([]any, error) {
	return nil, fmt.Errorf("store %q: a session store answers per key (/stores/%s/keys/{key}), not /all", k.s.name, k.s.name)
}
