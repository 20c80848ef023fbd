// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"strings"
	"testing"
)

// Fuzz targets for the metadata a task database keeps next to its data
// (see layout.go): store registrations, committed changelog offsets and
// window/session store retention state. Each value is read back by Open,
// so garbage must be an error (which Open reports as damage), never a
// panic, and whatever decodes must encode to the same bytes. The seed
// corpora live in testdata/fuzz/<FuzzName>/; run one with
//
//	go test -run '^$' -fuzz '^FuzzStoreRecord$' -fuzztime 30s ./state/pebble

func FuzzStoreRecord(f *testing.F) {
	for _, r := range []storeRecord{
		{kind: kindKeyValue, id: 1},
		{kind: kindWindow, id: 2, interval: 60_000},
		{kind: kindSession, id: 1<<32 - 2, interval: 1},
	} {
		f.Add(r.encode())
	}
	f.Add([]byte{kindKeyValue, 0, 0, 0, 0})                           // id 0
	f.Add([]byte{kindWindow, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0})     // interval 0
	f.Add([]byte{kindSession, 0, 0, 0, 3, 0xff, 0, 0, 0, 0, 0, 0, 0}) // negative interval
	f.Add([]byte{kindKeyValue, 0, 0, 1})
	f.Add([]byte{9, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeStoreRecord("st", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "state/pebble: corrupt registration of store \"st\"") {
				t.Fatalf("decodeStoreRecord(%x) error %q does not name the store", data, err)
			}
			if r != (storeRecord{}) {
				t.Fatalf("decodeStoreRecord(%x) failed but returned %+v", data, r)
			}
			return
		}
		if r.id == 0 {
			t.Fatalf("decodeStoreRecord(%x) accepted id 0", data)
		}
		switch r.kind {
		case kindKeyValue:
			if r.interval != 0 {
				t.Fatalf("decodeStoreRecord(%x) = %+v: a key-value store with an interval", data, r)
			}
		case kindWindow, kindSession:
			if r.interval <= 0 {
				t.Fatalf("decodeStoreRecord(%x) = %+v: interval not positive", data, r)
			}
		default:
			t.Fatalf("decodeStoreRecord(%x) accepted kind %d", data, r.kind)
		}
		if got := r.encode(); !bytes.Equal(got, data) {
			t.Fatalf("decodeStoreRecord(%x) = %+v, which encodes to %x", data, r, got)
		}
	})
}

func FuzzOffset(f *testing.F) {
	for _, off := range []int64{0, 1, 9, 1 << 40, -1} {
		f.Add(encodeOffset(off))
	}
	f.Add([]byte("short"))
	f.Add([]byte{})
	f.Add(make([]byte, 9))
	f.Fuzz(func(t *testing.T, data []byte) {
		off, err := decodeOffset("changelog-0", data)
		if err != nil {
			if len(data) == 8 {
				t.Fatalf("decodeOffset(%x) of 8 bytes failed: %v", data, err)
			}
			if !strings.Contains(err.Error(), `corrupt offset of "changelog-0"`) {
				t.Fatalf("decodeOffset(%x) error %q does not name the changelog", data, err)
			}
			return
		}
		if len(data) != 8 {
			t.Fatalf("decodeOffset(%x) accepted %d bytes", data, len(data))
		}
		if got := encodeOffset(off); !bytes.Equal(got, data) {
			t.Fatalf("decodeOffset(%x) = %d, which encodes to %x", data, off, got)
		}
	})
}

func FuzzWindowMeta(f *testing.F) {
	for _, m := range []windowMeta{{}, {observed: 1_700_000_000_000, seq: 7}, {observed: -1 << 63, seq: 1<<32 - 1}} {
		f.Add(m.encode())
	}
	f.Add([]byte{1, 2, 3})
	f.Add(make([]byte, 13))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeWindowMeta(data)
		if err != nil {
			if len(data) == 12 {
				t.Fatalf("decodeWindowMeta(%x) of 12 bytes failed: %v", data, err)
			}
			if !strings.HasPrefix(err.Error(), "state/pebble: corrupt window store state") {
				t.Fatalf("decodeWindowMeta(%x) error %q", data, err)
			}
			return
		}
		if len(data) != 12 {
			t.Fatalf("decodeWindowMeta(%x) accepted %d bytes", data, len(data))
		}
		if got := m.encode(); !bytes.Equal(got, data) {
			t.Fatalf("decodeWindowMeta(%x) = %+v, which encodes to %x", data, m, got)
		}
	})
}
