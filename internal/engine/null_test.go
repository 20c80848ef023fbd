// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// checkNil compares NilCheck with Go's own nil comparison.
func checkNil[T comparable](t *testing.T, name string, v T, want bool) {
	t.Helper()
	var c NilCheck[T]
	assert.Equal(t, want, c.IsNil(&v), name)
	assert.Equal(t, want, c.IsNil(&v), name+" (cached)")
}

func TestNilCheck(t *testing.T) {
	x := 1
	var nilPtr *int
	checkNil(t, "nil pointer", nilPtr, true)
	checkNil(t, "pointer", &x, false)
	var nilIface any
	checkNil(t, "nil interface", nilIface, true)
	checkNil(t, "interface holding a nil pointer", any(nilPtr), false)
	checkNil(t, "interface holding zero", any(0), false)
	var nilErr error
	checkNil(t, "nil error", nilErr, true)
	var nilCh chan int
	checkNil(t, "nil channel", nilCh, true)
	checkNil(t, "channel", make(chan int), false)
	checkNil(t, "nil unsafe.Pointer", unsafe.Pointer(nil), true)
	checkNil(t, "string", "", false)
	checkNil(t, "int", 0, false)
	checkNil(t, "struct", struct{ P *int }{}, false)

	// Slices, maps and functions are not comparable: check them by hand.
	var c NilCheck[[]byte]
	var nilSlice []byte
	empty := []byte{}
	assert.True(t, c.IsNil(&nilSlice))
	assert.False(t, c.IsNil(&empty), "an empty slice is a value")
	sub := []byte("abc")[:0]
	assert.False(t, c.IsNil(&sub))
	var m NilCheck[map[string]int]
	var nilMap map[string]int
	emptyMap := map[string]int{}
	assert.True(t, m.IsNil(&nilMap))
	assert.False(t, m.IsNil(&emptyMap))
	var f NilCheck[func()]
	var nilFn func()
	fn := func() {}
	assert.True(t, f.IsNil(&nilFn))
	assert.False(t, f.IsNil(&fn))
}

// Forward marks nil keys and values null and leaves other records alone.
func TestForwarderMarksNil(t *testing.T) {
	var got []Record[*int, []byte]
	var f Forwarder[*int, []byte]
	f.AddChild(processorFunc[*int, []byte](func(r Record[*int, []byte]) error { got = append(got, r); return nil }))
	x := 1
	assert.NoError(t, f.Forward(Record[*int, []byte]{Key: &x, Value: []byte{}}))
	assert.NoError(t, f.Forward(Record[*int, []byte]{Value: []byte("v")}))
	assert.NoError(t, f.ForwardTo(0, Record[*int, []byte]{Key: &x}))
	assert.Equal(t, []bool{false, true, false}, []bool{got[0].KeyNull, got[1].KeyNull, got[2].KeyNull})
	assert.Equal(t, []bool{false, false, true}, []bool{got[0].ValueNull, got[1].ValueNull, got[2].ValueNull})
}

type processorFunc[K, V any] func(Record[K, V]) error

func (p processorFunc[K, V]) Process(r Record[K, V]) error { return p(r) }

func BenchmarkForwardNonNillable(b *testing.B) {
	var f Forwarder[string, int64]
	f.AddChild(processorFunc[string, int64](func(Record[string, int64]) error { return nil }))
	r := Record[string, int64]{Key: "k", Value: 1}
	for b.Loop() {
		_ = f.Forward(r)
	}
}

func BenchmarkForwardNillable(b *testing.B) {
	var f Forwarder[[]byte, *int]
	f.AddChild(processorFunc[[]byte, *int](func(Record[[]byte, *int]) error { return nil }))
	x := 1
	r := Record[[]byte, *int]{Key: []byte("k"), Value: &x}
	for b.Loop() {
		_ = f.Forward(r)
	}
}
