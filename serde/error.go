// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"fmt"
	"strconv"
)

// Error reports a failed Serialize or Deserialize call of a serde of this
// package. Use errors.As to inspect it.
type Error struct {
	Serde string // name of the serde, such as "Int64", "JSON" or "Avro"
	Op    string // "serialize" or "deserialize"
	Topic string // topic passed to the failed call
	Err   error  // underlying cause
}

// Error formats the failure as
// `serde: Int64 deserialize (topic "orders"): want 8 bytes, got 3`.
func (e *Error) Error() string {
	return "serde: " + e.Serde + " " + e.Op + " (topic " + strconv.Quote(e.Topic) + "): " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

const (
	opSer = "serialize"
	opDe  = "deserialize"
)

func serErr(name, topic string, err error) error {
	return &Error{Serde: name, Op: opSer, Topic: topic, Err: err}
}

func deErr(name, topic string, err error) error {
	return &Error{Serde: name, Op: opDe, Topic: topic, Err: err}
}

// sizeErr reports input of the wrong length to a fixed-size deserializer.
func sizeErr(name, topic string, want, got int) error {
	return deErr(name, topic, fmt.Errorf("want %d bytes, got %d", want, got))
}
