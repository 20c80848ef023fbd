// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bytes"
	"encoding/json"
	"sync"
)

// JSON returns a serde that encodes values of T as JSON with encoding/json.
//
// The output is deterministic: struct fields appear in declaration order and
// map keys sorted, as encoding/json does. Unlike json.Marshal, the
// characters <, > and & are not escaped, which matches the default output of
// Java's Jackson. The encoding has no trailing newline.
//
// Deserialize uses json.Unmarshal semantics: unknown fields are ignored and
// input that is not exactly one JSON value is an error.
func JSON[T any]() Serde[T] { return jsonSerde[T]{} }

type jsonSerde[T any] struct{}

// jsonEncoder is a reusable encoder writing to its own buffer.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooledJSON bounds the buffers kept for reuse, so one huge value does
// not pin its buffer for the life of the process.
const maxPooledJSON = 64 << 10

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

func (s jsonSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	return s.AppendSerialize(nil, topic, v)
}

func (jsonSerde[T]) AppendSerialize(dst []byte, topic string, v T) ([]byte, error) {
	e := jsonEncoders.Get().(*jsonEncoder)
	defer func() {
		if e.buf.Cap() <= maxPooledJSON {
			e.buf.Reset()
			jsonEncoders.Put(e)
		}
	}()
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return dst, serErr("JSON", topic, err)
	}
	out := e.buf.Bytes()
	out = out[:len(out)-1] // Encode terminates each value with '\n'
	return append(dst, out...), nil
}

func (jsonSerde[T]) Deserialize(topic string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, deErr("JSON", topic, err)
	}
	return v, nil
}
