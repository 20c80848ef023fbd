// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"fmt"
	"strings"

	havro "github.com/hamba/avro/v2"

	"github.com/eddy-streams/eddy/serde"
)

// New returns a serde that encodes values of T as plain Avro binary with
// the given schema: the bare datum without the Schema Registry header (use
// [Registry] for that). It matches the bytes of Java's GenericDatumWriter
// with a BinaryEncoder: each non-empty array or map is one block with an
// item count and no byte size. Go maps are encoded in their random
// iteration order, so a value holding a map with several entries has no
// stable encoding and makes a poor key.
//
// An invalid schema, an invalid [WriterSchema] or an incompatible pair is
// reported here, not at the first record. Deserialize is strict: data that
// ends early or has bytes after the datum is an error.
//
// New takes [Config] and [WriterSchema]; the Registry-only options make it
// fail.
func New[T any](schema string, opts ...Option) (serde.Serde[T], error) {
	o := collect(opts)
	if len(o.registryOnly) > 0 {
		return nil, fmt.Errorf("avro.New: option avro.%s applies only to avro.Registry", strings.Join(o.registryOnly, ", avro."))
	}
	reader, err := parse(schema)
	if err != nil {
		return nil, fmt.Errorf("avro.New: parse schema: %w", err)
	}
	s := &plainSerde[T]{write: reader, read: reader, codec: newCodec(o.cfg)}
	if o.writer != "" {
		writer, err := parse(o.writer)
		if err != nil {
			return nil, fmt.Errorf("avro.New: parse writer schema: %w", err)
		}
		resolved, err := havro.NewSchemaCompatibility().Resolve(reader, writer)
		if err != nil {
			return nil, fmt.Errorf("avro.New: data written with the writer schema cannot be read with the schema: %w", err)
		}
		s.write, s.read = writer, resolved
	}
	return s, nil
}

type plainSerde[T any] struct {
	write havro.Schema // schema of the bytes on the topic
	read  havro.Schema // write resolved into the reader schema, or write itself
	codec *codec
}

func (s *plainSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	return s.AppendSerialize(nil, topic, v)
}

// AppendSerialize implements [serde.Appender].
func (s *plainSerde[T]) AppendSerialize(dst []byte, topic string, v T) ([]byte, error) {
	out, err := s.codec.appendEncode(dst, s.write, v)
	if err != nil {
		return dst, serErr(topic, err)
	}
	return out, nil
}

func (s *plainSerde[T]) Deserialize(topic string, data []byte) (T, error) {
	var v T
	if err := s.codec.decode(data, s.read, &v); err != nil {
		var zero T
		return zero, deErr(topic, err)
	}
	return v, nil
}
