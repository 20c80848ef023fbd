// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"bytes"
	"testing"
)

// logSlabs.record copies key ‖ suffix and value, keeps nil a nil value
// (tombstone) and an empty value empty, and gives key and value no spare
// capacity, so that appending to one cannot overwrite the other; short
// and long records alike. Records from one slab share no bytes.
func TestChangelogRecord(t *testing.T) {
	long := bytes.Repeat([]byte("x"), inlineLogBytes)
	var slabs logSlabs
	type made struct {
		r          *RawRecord
		key, value []byte
	}
	var all []made
	for _, tc := range []struct {
		name               string
		key, suffix, value []byte
		wantKey            []byte
	}{
		{"small", []byte("word"), nil, []byte{0, 0, 0, 0, 0, 0, 0, 7}, []byte("word")},
		{"inline", []byte("a-somewhat-longer-key"), nil, []byte("and its value"), []byte("a-somewhat-longer-key")},
		{"suffix", []byte("k"), []byte{1, 2}, []byte("v"), []byte{'k', 1, 2}},
		{"tombstone", []byte("k"), nil, nil, []byte("k")},
		{"empty value", []byte("k"), nil, []byte{}, []byte("k")},
		{"no key", nil, nil, []byte("v"), nil},
		{"long", long, []byte{9}, long, append(append([]byte(nil), long...), 9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := bytes.Clone(tc.key)
			value := bytes.Clone(tc.value)
			if tc.value != nil && value == nil {
				value = []byte{}
			}
			r := slabs.record("log", 3, key, tc.suffix, value, 42)
			if r.Topic != "log" || r.Partition != 3 || r.Timestamp != 42 || r.Offset != 0 || r.Headers != nil {
				t.Fatalf("record %+v", r)
			}
			if !bytes.Equal(r.Key, tc.wantKey) || (r.Key == nil) != (tc.wantKey == nil) {
				t.Fatalf("key %q, want %q", r.Key, tc.wantKey)
			}
			if !bytes.Equal(r.Value, tc.value) || (r.Value == nil) != (tc.value == nil) {
				t.Fatalf("value %q (nil %v), want %q (nil %v)", r.Value, r.Value == nil, tc.value, tc.value == nil)
			}
			// The caller's buffers are its own again.
			for i := range key {
				key[i] = '!'
			}
			for i := range value {
				value[i] = '!'
			}
			if !bytes.Equal(r.Key, tc.wantKey) || !bytes.Equal(r.Value, tc.value) {
				t.Fatalf("record changed with the caller's buffers: key %q value %q", r.Key, r.Value)
			}
			if cap(r.Key) != len(r.Key) || cap(r.Value) != len(r.Value) {
				t.Fatalf("key cap %d len %d, value cap %d len %d: want no spare capacity", cap(r.Key), len(r.Key), cap(r.Value), len(r.Value))
			}
			all = append(all, made{r, tc.wantKey, tc.value})
		})
	}
	for range 2 * logSlab { // past the first slabs
		all = append(all, made{slabs.record("log", 0, []byte("kk"), nil, []byte("vv"), 0), []byte("kk"), []byte("vv")})
	}
	for _, m := range all {
		if !bytes.Equal(m.r.Key, m.key) || !bytes.Equal(m.r.Value, m.value) {
			t.Fatalf("record %+v changed: want key %q value %q", m.r, m.key, m.value)
		}
	}
}

// For a collector that copies what it keeps, every changelog record is the
// same one, in one buffer, rewritten for each write: no allocation per
// record once the buffer fits.
func TestChangelogRecordReused(t *testing.T) {
	slabs := logSlabs{reuse: true}
	r1 := slabs.record("log", 1, []byte("key"), []byte{7}, []byte("value"), 5)
	if string(r1.Key) != "key\x07" || string(r1.Value) != "value" || r1.Partition != 1 || r1.Timestamp != 5 {
		t.Fatalf("record %+v", r1)
	}
	if cap(r1.Key) != len(r1.Key) || cap(r1.Value) != len(r1.Value) {
		t.Fatal("spare capacity")
	}
	r2 := slabs.record("log", 0, []byte("k"), nil, nil, 6)
	if r2 != r1 || string(r2.Key) != "k" || r2.Value != nil {
		t.Fatalf("second record %+v (same record: %v)", r2, r2 == r1)
	}
	if r3 := slabs.record("log", 0, nil, nil, []byte{}, 0); r3.Key != nil || r3.Value == nil {
		t.Fatalf("null key, empty value: %+v", r3)
	}
	if n := testing.AllocsPerRun(100, func() { slabs.record("log", 0, []byte("word"), nil, []byte("12345678"), 0) }); n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
	long := bytes.Repeat([]byte("x"), maxReusedLog+1)
	if r := slabs.record("log", 0, long, nil, long, 0); !bytes.Equal(r.Key, long) || !bytes.Equal(r.Value, long) {
		t.Fatal("long record")
	}
	if r := slabs.record("log", 0, []byte("a"), nil, []byte("b"), 0); string(r.Key) != "a" || cap(slabs.buf) > maxReusedLog {
		t.Fatalf("after a long record: key %q, buffer of %d kept", r.Key, cap(slabs.buf))
	}
}
