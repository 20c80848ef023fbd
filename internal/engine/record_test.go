// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
)

// Arena.Copy keeps nil nil and empty empty, copies the bytes (the source
// can change afterwards), and gives each copy no spare capacity, so that
// appending to one cannot overwrite the next; short and long slices alike.
func TestArenaCopy(t *testing.T) {
	var a engine.Arena
	assert.Nil(t, a.Copy(nil))
	empty := a.Copy([]byte{})
	assert.NotNil(t, empty)
	assert.Empty(t, empty)

	long := bytes.Repeat([]byte("L"), 1000)
	inputs := [][]byte{[]byte("word"), {0, 0, 0, 0, 0, 0, 0, 7}, long, []byte("x"), bytes.Repeat([]byte("m"), 200)}
	var copies [][]byte
	for range 50 { // several chunks
		for _, in := range inputs {
			src := bytes.Clone(in)
			c := a.Copy(src)
			require.Equal(t, in, c)
			assert.Equal(t, len(c), cap(c))
			src[0] ^= 0xff // the copy does not follow its source
			require.Equal(t, in, c)
			copies = append(copies, c)
		}
	}
	for i := range copies {
		_ = append(copies[i], '!') // may not reach into the next copy
	}
	for i, c := range copies {
		assert.Equal(t, inputs[i%len(inputs)], c, "copy %d", i)
	}
}

// RawRecord.Assign makes a record equal to its source, whichever fields it
// keeps: a nil key or value stays nil, an empty one empty, and a field
// changes when only its length or capacity does.
func TestRawRecordAssign(t *testing.T) {
	buf := []byte("keyvalue")
	hdrs := []engine.Header{{Key: "h", Value: []byte("v")}}
	srcs := []engine.RawRecord{
		{Topic: "a", Partition: 1, Offset: 2, Key: buf[:3], Value: buf[3:], Timestamp: 3, Headers: hdrs},
		{Topic: "a", Partition: 1, Offset: 3, Key: buf[:3], Value: buf[3:], Timestamp: 4, Headers: hdrs},
		{Topic: "a", Partition: 0, Offset: 4, Key: buf[:3:3], Value: buf[3:5], Timestamp: 5},
		{Topic: "b", Key: nil, Value: []byte{}, Headers: []engine.Header{}},
		{Topic: "b", Key: []byte{}, Value: nil, Headers: nil},
		{},
	}
	var r engine.RawRecord
	for i, src := range srcs {
		r.Assign(src)
		assert.Equal(t, src, r, "record %d", i)
		assert.True(t, unsafe.SliceData(r.Key) == unsafe.SliceData(src.Key) && cap(r.Key) == cap(src.Key), "record %d key", i)
		assert.True(t, unsafe.SliceData(r.Value) == unsafe.SliceData(src.Value) && cap(r.Value) == cap(src.Value), "record %d value", i)
		assert.Equal(t, src.Key == nil, r.Key == nil, "record %d key", i)
		assert.Equal(t, src.Value == nil, r.Value == nil, "record %d value", i)
		assert.Equal(t, src.Headers == nil, r.Headers == nil, "record %d headers", i)
	}
}
