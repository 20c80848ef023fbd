// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"reflect"
	"unsafe"
)

// Null keys and values
//
// A record's key or value is null (nil bytes on the wire, a tombstone for a
// table) when its KeyNull or ValueNull flag is set; Key or Value then holds
// the zero value. For a type that has nil — a pointer, map, slice,
// interface, function or channel type — nil is null too: Forwarder sets
// the flag on a record whose key or value is nil, so every operator
// downstream (aggregations and joins that drop null values, tables that
// delete on them, sinks that write them as nil bytes) treats a nil value
// and a null one alike, and a null value reaches user functions as nil.
// Types without nil (strings, numbers, structs) are null only by the flag.

// Nillable reports whether T has nil, which then stands for null.
func Nillable[T any]() bool {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface,
		reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	}
	return false
}

// NilCheck tells whether values of T are nil. Its zero value works out on
// first use whether T has nil; for types without it the check is a single
// comparison.
type NilCheck[T any] uint8

const (
	nilUnknown = iota
	nilNever
	nilPossible
)

// IsNil reports whether *v is nil.
func (c *NilCheck[T]) IsNil(v *T) bool {
	switch *c {
	case nilNever:
		return false
	case nilUnknown:
		if !Nillable[T]() {
			*c = nilNever
			return false
		}
		*c = nilPossible
	}
	// Every type with nil starts with a machine word that is zero exactly
	// when the value is nil: the pointer of pointers, maps, channels and
	// functions, the data pointer of slices (a nil slice compares equal to
	// nil by it), the type word of interfaces.
	return *(*unsafe.Pointer)(unsafe.Pointer(v)) == nil
}
