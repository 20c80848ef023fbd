// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
)

func stamped(ts int64, v string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(ts)), v...)
}

// openGlobal opens store "g" through the global stores' backend and fills
// it with n keys k0000… (timestamp i, value v<i>).
func openGlobal(t *testing.T, n int) (*engine.GlobalStores, state.Backend, state.KeyValueStore) {
	t.Helper()
	gs := engine.NewGlobalStores()
	be := gs.Wrap(memory.New())
	w, err := be.KeyValue("g")
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, w.Put(fmt.Appendf(nil, "k%04d", i), stamped(int64(i), fmt.Sprint("v", i))))
	}
	require.NoError(t, be.Commit(map[string]int64{"topic/0": int64(n)}))
	return gs, be, w
}

func keysOf(t *testing.T, seq func(func(state.KeyValue, error) bool)) []string {
	t.Helper()
	var out []string
	for kv, err := range seq {
		require.NoError(t, err)
		out = append(out, string(kv.Key))
	}
	return out
}

func keyRange(from, to int, step int) []string {
	var out []string
	for i := from; i != to+step; i += step {
		out = append(out, fmt.Sprintf("k%04d", i))
	}
	return out
}

// Range loops over a global store read it in chunks, each under the lock,
// and see every key once, in order, across chunk boundaries.
func TestGlobalStoreChunkedIteration(t *testing.T) {
	const n = 1000 // several chunks
	gs, _, _ := openGlobal(t, n)
	g, ok := gs.Store("g")
	require.True(t, ok)
	ro := g.Timestamped()
	assert.Equal(t, keyRange(0, n-1, 1), keysOf(t, ro.All()))
	assert.Equal(t, keyRange(100, 700, 1), keysOf(t, ro.Range([]byte("k0100"), []byte("k0700"))))
	assert.Equal(t, keyRange(700, 100, -1), keysOf(t, ro.ReverseRange([]byte("k0100"), []byte("k0700"))))
	assert.Equal(t, keyRange(n-1, 0, -1), keysOf(t, ro.ReverseRange(nil, nil)))
	assert.Equal(t, keyRange(0, 999, 1)[0:1000], keysOf(t, ro.PrefixScan([]byte("k0"))))
	assert.Equal(t, keyRange(500, 599, 1), keysOf(t, ro.PrefixScan([]byte("k05"))))
	// Breaking out early, and nesting loops, are fine.
	count := 0
	for range ro.All() {
		for range ro.Range([]byte("k0000"), []byte("k0300")) {
			count++
		}
		break
	}
	assert.Equal(t, 301, count)

	v, ts, found, err := g.GetTimestamped([]byte("k0042"))
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "v42", string(v))
	assert.Equal(t, int64(42), ts)
	plain, err := g.Plain().Get([]byte("k0042"))
	require.NoError(t, err)
	assert.Equal(t, "v42", string(plain))
	for kv, err := range g.Plain().Range([]byte("k0007"), []byte("k0007")) {
		require.NoError(t, err)
		assert.Equal(t, "v7", string(kv.Value))
	}
	assert.ErrorIs(t, ro.Put([]byte("x"), []byte("y")), engine.ErrReadOnly)
	assert.ErrorIs(t, g.Plain().Delete([]byte("k0001")), engine.ErrReadOnly)
}

// Tasks read while the global task writes and commits, from other
// goroutines (run with -race).
func TestGlobalStoreConcurrentReaders(t *testing.T) {
	gs, be, w := openGlobal(t, 300)
	g, _ := gs.Store("g")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _, _, err := g.GetTimestamped([]byte("k0010"))
				assert.NoError(t, err)
				n := 0
				for _, err := range g.Timestamped().All() {
					assert.NoError(t, err)
					n++
				}
				assert.GreaterOrEqual(t, n, 300)
			}
		})
	}
	for i := range 2000 {
		require.NoError(t, w.Put(fmt.Appendf(nil, "k%04d", 300+i%500), stamped(1, "x")))
		if i%100 == 0 {
			require.NoError(t, be.Commit(nil))
		}
	}
	close(stop)
	wg.Wait()
	offs, err := be.Offsets()
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"topic/0": 300}, offs)

	// Closing the global backend unregisters its stores.
	require.NoError(t, be.Close())
	_, ok := gs.Store("g")
	assert.False(t, ok)
	_, err = be.KeyValue("g")
	assert.Error(t, err)
}

func TestGlobalTaskID(t *testing.T) {
	assert.Equal(t, "3_global", engine.TaskID{Subtopology: 3, Partition: engine.GlobalPartition}.String())
	assert.Equal(t, "3_0", engine.TaskID{Subtopology: 3}.String())
}
