// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"github.com/eddy-streams/eddy/internal/engine"
)

// Filter forwards records for which Keep returns true.
type Filter[K, V any] struct {
	engine.Forwarder[K, V]
	Keep func(K, V) bool
}

// Process implements engine.Processor.
func (p *Filter[K, V]) Process(r engine.Record[K, V]) error {
	if p.Keep(r.Key, r.Value) {
		return p.Forward(r)
	}
	return nil
}

// Map replaces key and value.
type Map[K, V, K2, V2 any] struct {
	engine.Forwarder[K2, V2]
	Fn func(K, V) (K2, V2)
}

// Process implements engine.Processor.
func (p *Map[K, V, K2, V2]) Process(r engine.Record[K, V]) error {
	k, v := p.Fn(r.Key, r.Value)
	return p.Forward(engine.Record[K2, V2]{Key: k, Value: v, Timestamp: r.Timestamp, Headers: r.Headers})
}

// SelectKey replaces the key, keeping the value (and its nullness).
type SelectKey[K, V, K2 any] struct {
	engine.Forwarder[K2, V]
	Fn func(K, V) K2
}

// Process implements engine.Processor.
func (p *SelectKey[K, V, K2]) Process(r engine.Record[K, V]) error {
	return p.Forward(engine.Record[K2, V]{Key: p.Fn(r.Key, r.Value), Value: r.Value, Timestamp: r.Timestamp, Headers: r.Headers, ValueNull: r.ValueNull})
}

// MapValues replaces the value, keeping the key (and its nullness).
type MapValues[K, V, V2 any] struct {
	engine.Forwarder[K, V2]
	Fn func(K, V) V2
}

// Process implements engine.Processor.
func (p *MapValues[K, V, V2]) Process(r engine.Record[K, V]) error {
	return p.Forward(engine.Record[K, V2]{Key: r.Key, Value: p.Fn(r.Key, r.Value), Timestamp: r.Timestamp, Headers: r.Headers, KeyNull: r.KeyNull})
}

// FlatMap emits zero or more records per input; each inherits the input's
// timestamp and headers.
type FlatMap[K, V, K2, V2 any] struct {
	engine.Forwarder[K2, V2]
	Fn func(K, V) []engine.KeyValue[K2, V2]
}

// Process implements engine.Processor.
func (p *FlatMap[K, V, K2, V2]) Process(r engine.Record[K, V]) error {
	for _, kv := range p.Fn(r.Key, r.Value) {
		if err := p.Forward(engine.Record[K2, V2]{Key: kv.Key, Value: kv.Value, Timestamp: r.Timestamp, Headers: r.Headers}); err != nil {
			return err
		}
	}
	return nil
}

// FlatMapValues emits zero or more values per input under the input's key.
type FlatMapValues[K, V, V2 any] struct {
	engine.Forwarder[K, V2]
	Fn func(K, V) []V2
}

// Process implements engine.Processor.
func (p *FlatMapValues[K, V, V2]) Process(r engine.Record[K, V]) error {
	for _, v := range p.Fn(r.Key, r.Value) {
		if err := p.Forward(engine.Record[K, V2]{Key: r.Key, Value: v, Timestamp: r.Timestamp, Headers: r.Headers, KeyNull: r.KeyNull}); err != nil {
			return err
		}
	}
	return nil
}

// Peek calls Fn for each record and forwards it unchanged. With no children
// it is Kafka Streams' terminal foreach.
type Peek[K, V any] struct {
	engine.Forwarder[K, V]
	Fn func(K, V)
}

// Process implements engine.Processor.
func (p *Peek[K, V]) Process(r engine.Record[K, V]) error {
	p.Fn(r.Key, r.Value)
	return p.Forward(r)
}

// Pass forwards records unchanged; it joins several parents (merge).
type Pass[K, V any] struct {
	engine.Forwarder[K, V]
}

// Process implements engine.Processor.
func (p *Pass[K, V]) Process(r engine.Record[K, V]) error { return p.Forward(r) }

// Split sends each record to the child of the first predicate that
// matches; Predicates[i] belongs to child i. Unmatched records are dropped
// unless a default branch (an always-true predicate) is last.
type Split[K, V any] struct {
	engine.Forwarder[K, V]
	Predicates func() []func(K, V) bool
	preds      []func(K, V) bool
}

// Init implements engine.Initializer.
func (p *Split[K, V]) Init(*engine.Task) error { p.preds = p.Predicates(); return nil }

// Process implements engine.Processor.
func (p *Split[K, V]) Process(r engine.Record[K, V]) error {
	for i, pred := range p.preds {
		if pred(r.Key, r.Value) {
			return p.ForwardTo(i, r)
		}
	}
	return nil
}
