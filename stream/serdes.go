// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"fmt"
	"reflect"

	"github.com/eddy-streams/eddy/serde"
)

// defaultSerde returns the built-in serde for Go's primitive types (string,
// []byte, int64, int32, int16, float64, float32, bool), or nil.
func defaultSerde[T any]() serde.Serde[T] {
	var s any
	switch any(*new(T)).(type) {
	case string:
		s = serde.String()
	case []byte:
		s = serde.Bytes()
	case int64:
		s = serde.Int64()
	case int32:
		s = serde.Int32()
	case int16:
		s = serde.Int16()
	case float64:
		s = serde.Float64()
	case float32:
		s = serde.Float32()
	case bool:
		s = serde.Bool()
	default:
		return nil
	}
	return s.(serde.Serde[T])
}

// orDefault returns s, or the default serde for T.
func orDefault[T any](s serde.Serde[T]) serde.Serde[T] {
	if s != nil {
		return s
	}
	return defaultSerde[T]()
}

// carry keeps a serde across an operator whose output type equals its
// input type (e.g. FlatMapValues from string to string).
func carry[From, To any](s serde.Serde[From]) serde.Serde[To] {
	if s == nil {
		return nil
	}
	if t, ok := any(s).(serde.Serde[To]); ok {
		return t
	}
	return nil
}

func typeName[T any]() string { return reflect.TypeFor[T]().String() }

func missingSerde[T any](what, fix string) error {
	return fmt.Errorf("no %s serde for type %s: %s", what, typeName[T](), fix)
}
