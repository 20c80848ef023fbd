// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state_test

import (
	"encoding/binary"
	"testing"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
)

// BenchmarkVersioned compares a versioned store with a plain key-value
// store of the same backend, 10,000 keys, 100-byte values, a commit every
// 1,000 writes, timestamps advancing 1 ms per write and a history retention
// of 5,000 ms (so versions expire as they are written), Pebble with a 64 MiB
// block cache:
//
//	go test -run '^$' -bench Versioned ./state/
//
// kv-get-put: a plain table's update (read the old row, write the new);
// versioned-put: a versioned table's update, keys in turn, in timestamp
// order; get-latest / get-as-of: reads of keys in a scattered order (as
// of a time within the history, before the key's latest version).
func BenchmarkVersioned(b *testing.B) {
	cache, err := pebble.NewCache(64 << 20)
	if err != nil {
		b.Fatal(err)
	}
	defer cache.Close()
	backends := map[string]func(b *testing.B) state.VersionedBackend{
		"memory": func(*testing.B) state.VersionedBackend { return memory.New() },
		"pebble": func(b *testing.B) state.VersionedBackend {
			be, err := pebble.Open(b.TempDir(), pebble.Options{Cache: cache})
			if err != nil {
				b.Fatal(err)
			}
			return be
		},
	}
	const keys = 10_000
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("key-"), uint64(i%keys)) }
	value := make([]byte, 100)
	for _, name := range []string{"memory", "pebble"} {
		b.Run(name+"/kv-get-put", func(b *testing.B) {
			be := backends[name](b)
			defer be.Close()
			kv, err := be.KeyValue("kv")
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				if _, err := kv.Get(key(i)); err != nil {
					b.Fatal(err)
				}
				if err := kv.Put(key(i), value); err != nil {
					b.Fatal(err)
				}
				if i++; i%1000 == 0 {
					if err := be.Commit(nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/versioned-put", func(b *testing.B) {
			be := backends[name](b)
			defer be.Close()
			v, err := be.Versioned("v", state.VersionedOptions{HistoryRetention: 5000})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				if _, err := v.Put(key(i), value, int64(i)); err != nil {
					b.Fatal(err)
				}
				if i++; i%1000 == 0 {
					if err := be.Commit(nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/get", func(b *testing.B) {
			be := backends[name](b)
			defer be.Close()
			kv, err := be.KeyValue("kv")
			if err != nil {
				b.Fatal(err)
			}
			v, err := be.Versioned("v", state.VersionedOptions{HistoryRetention: 50_000})
			if err != nil {
				b.Fatal(err)
			}
			for i := range 3 * keys {
				if err := kv.Put(key(i), value); err != nil {
					b.Fatal(err)
				}
				if _, err := v.Put(key(i), value, int64(i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := be.Commit(nil); err != nil {
				b.Fatal(err)
			}
			b.Run("kv-get", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i += 7919
					if _, err := kv.Get(key(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("versioned-get-latest", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i += 7919
					if _, _, err := v.Get(key(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("versioned-get-as-of", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i += 7919
					if _, found, err := v.GetAsOf(key(i), int64(keys+i%keys+keys/2)); err != nil || !found {
						b.Fatal(err, found)
					}
				}
			})
		})
	}
}
