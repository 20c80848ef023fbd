// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package processor

import (
	"errors"
	"time"

	"github.com/eddy-streams/eddy/record"
)

// FixedKeyRecord is a record whose key a FixedKeyProcessor cannot change:
// the key is read-only and output records are derived from input records
// with WithValue, keeping key, timestamp and headers.
//
// The zero FixedKeyRecord is not derived from an input record; forwarding
// it is an error.
type FixedKeyRecord[K, V any] struct {
	key     K
	keyNull bool
	derived bool
	// Value is the record's value; ValueNull marks a null value.
	Value     V
	ValueNull bool
	// Timestamp is the record's time, kept to the millisecond.
	Timestamp time.Time
	Headers   []record.Header
}

// Key returns the record's key.
func (r FixedKeyRecord[K, V]) Key() K { return r.key }

// KeyNull reports whether the key is null.
func (r FixedKeyRecord[K, V]) KeyNull() bool { return r.keyNull }

// WithValue returns a record with the same key, timestamp and headers and
// value v.
func (r FixedKeyRecord[K, V]) WithValue[V2 any](v V2) FixedKeyRecord[K, V2] {
	return FixedKeyRecord[K, V2]{key: r.key, keyNull: r.keyNull, derived: r.derived, Value: v, Timestamp: r.Timestamp, Headers: r.Headers}
}

// WithNullValue returns a record with the same key, timestamp and headers
// and a null value.
func (r FixedKeyRecord[K, V]) WithNullValue[V2 any]() FixedKeyRecord[K, V2] {
	return FixedKeyRecord[K, V2]{key: r.key, keyNull: r.keyNull, derived: r.derived, ValueNull: true, Timestamp: r.Timestamp, Headers: r.Headers}
}

func (r FixedKeyRecord[K, V]) record() Record[K, V] {
	return Record[K, V]{Key: r.key, KeyNull: r.keyNull, Value: r.Value, ValueNull: r.ValueNull, Timestamp: r.Timestamp, Headers: r.Headers}
}

func fixedKey[K, V any](r Record[K, V]) FixedKeyRecord[K, V] {
	return FixedKeyRecord[K, V]{key: r.Key, keyNull: r.KeyNull, derived: true, Value: r.Value, ValueNull: r.ValueNull, Timestamp: r.Timestamp, Headers: r.Headers}
}

// FixedKey adapts a FixedKeyProcessor to a Processor whose output key is
// always its input key. stream.Stream.ProcessValues uses it.
func FixedKey[K, VIn, VOut any](p FixedKeyProcessor[K, VIn, VOut]) Processor[K, VIn, K, VOut] {
	return &fixedKeyAdapter[K, VIn, VOut]{p: p}
}

type fixedKeyAdapter[K, VIn, VOut any] struct {
	p FixedKeyProcessor[K, VIn, VOut]
}

func (a *fixedKeyAdapter[K, VIn, VOut]) Init(ctx Context[K, VOut]) error {
	return a.p.Init(fixedKeyContext[K, VOut]{ctx})
}

func (a *fixedKeyAdapter[K, VIn, VOut]) Process(r Record[K, VIn]) error {
	return a.p.Process(fixedKey(r))
}

func (a *fixedKeyAdapter[K, VIn, VOut]) Close() error { return a.p.Close() }

type fixedKeyContext[K, V any] struct {
	Context[K, V]
}

var errNotDerived = errors.New("forwarded a FixedKeyRecord that was not derived from an input record (use WithValue on the record passed to Process)")

func (c fixedKeyContext[K, V]) Forward(r FixedKeyRecord[K, V]) error {
	if !r.derived {
		return errNotDerived
	}
	return c.Context.Forward(r.record())
}

func (c fixedKeyContext[K, V]) ForwardTo(child string, r FixedKeyRecord[K, V]) error {
	if !r.derived {
		return errNotDerived
	}
	return c.Context.ForwardTo(child, r.record())
}
