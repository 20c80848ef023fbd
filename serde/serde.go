// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package serde turns typed keys and values into Kafka record bytes and back.
//
// A [Serde] is bound to a Go type. The built-in serdes for primitives are
// byte-identical to Kafka's Java serdes (StringSerializer, LongSerializer, …),
// so Eddy applications can share topics with Java producers, consumers and
// Kafka Streams applications. [JSON] covers structured values, and
// [TimeWindowed] and [SessionWindowed] encode windowed keys exactly as Kafka
// Streams' WindowedSerdes do. Avro, plain or in the Confluent Schema Registry
// wire format, lives in package github.com/eddy-streams/eddy/serde/avro, so
// that applications without Avro do not link its dependencies.
//
// Null handling belongs to the framework, not to the serde: a record whose key
// or value bytes are nil (a tombstone) is never passed to Deserialize, and a
// null key or value is written as nil bytes without calling Serialize.
//
// The serdes of this package report failures as [*Error] values, which name
// the serde, the operation and the topic.
package serde

// Serde serializes values of type T to bytes and back.
//
// Both methods receive the topic the bytes are written to or read from, so
// topic-aware formats (such as Schema Registry subjects) can use it.
// Deserialize must return an error, never panic, on bytes it cannot decode;
// the framework reports the error with the record's topic, partition and
// offset. Deserialize must not retain data after it returns: the framework
// may reuse record buffers. Implementations must be safe for concurrent use.
type Serde[T any] interface {
	Serialize(topic string, v T) ([]byte, error)
	Deserialize(topic string, data []byte) (T, error)
}

// Appender is an optional fast path a [Serde] may implement: it appends the
// encoding of v to dst, so callers can reuse one buffer for many records
// instead of allocating a slice per record.
//
// AppendSerialize returns the extended slice, which must hold exactly the
// bytes Serialize would return after the original contents of dst. On success
// the result is never nil, even when dst is nil and the encoding is empty, so
// an empty encoding cannot be mistaken for a null record. On error the
// contents of dst beyond its original length are unspecified.
//
// All serdes of this package implement Appender; use [Append] to call it
// when it is available and fall back to Serialize otherwise.
type Appender[T any] interface {
	AppendSerialize(dst []byte, topic string, v T) ([]byte, error)
}

// Append appends the encoding of v to dst using s. It calls AppendSerialize
// if s implements [Appender] and otherwise appends the result of Serialize.
// On success the result is never nil. Append asserts s to Appender on every
// call, which costs more than a small encoding; a per-record loop should
// assert once and keep the Appender.
func Append[T any](s Serde[T], dst []byte, topic string, v T) ([]byte, error) {
	if a, ok := s.(Appender[T]); ok {
		out, err := a.AppendSerialize(dst, topic, v)
		if err != nil {
			return out, err
		}
		return nonNil(out), nil
	}
	b, err := s.Serialize(topic, v)
	if err != nil {
		return dst, err
	}
	return nonNil(append(dst, b...)), nil
}

// nonNil returns b, or an empty non-nil slice if b is nil.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Funcs adapts a pair of functions to a [Serde].
type Funcs[T any] struct {
	Ser func(topic string, v T) ([]byte, error)
	De  func(topic string, data []byte) (T, error)
}

// Serialize calls f.Ser.
func (f Funcs[T]) Serialize(topic string, v T) ([]byte, error) { return f.Ser(topic, v) }

// Deserialize calls f.De.
func (f Funcs[T]) Deserialize(topic string, data []byte) (T, error) { return f.De(topic, data) }
