// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state/memory"
)

// cacheWriter writes each input record to a cached key-value store and
// keeps what the cache flushes.
type cacheWriter struct {
	t       *engine.Task
	s       *engine.KVStore
	flushed []string
}

func (w *cacheWriter) Init(t *engine.Task) error {
	s, err := t.KeyValue("kv")
	if err != nil {
		return err
	}
	w.t, w.s = t, s
	s.OnFlush(func(f engine.Flushed) error {
		old := "-"
		if f.Old != nil {
			old = string(f.Old)
		}
		nw := "-"
		if f.New != nil {
			nw = string(f.New)
		}
		// The record context is the one of the record that last wrote
		// the key.
		w.flushed = append(w.flushed, fmt.Sprintf("%s:%s->%s@%d/o%d", f.Key, old, nw, f.NewTS, t.RecordContext().Offset))
		return nil
	})
	return nil
}

func (w *cacheWriter) ProcessRaw(r *engine.RawRecord) error {
	return w.s.PutTimestamped(r.Key, r.Value, r.Timestamp)
}

func newCachedTask(t *testing.T, cache *engine.Cache) (*engine.Task, *cacheWriter, *nopCollector) {
	t.Helper()
	w := &cacheWriter{}
	coll := &nopCollector{}
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Partition: 0},
		Spec: &engine.Spec{
			Stores: []engine.StoreSpec{{Name: "kv", Kind: engine.KeyValueKind, Logged: true, Cached: true}},
			Nodes: []engine.NodeSpec{{ID: 0, Name: "src", Topics: []string{"in"},
				New: func(*engine.Task) (any, error) { return w, nil }}},
		},
		Backend: memory.New(), Collector: coll, Cache: cache,
	})
	require.NoError(t, err)
	t.Cleanup(func() { task.Close() })
	return task, w, coll
}

func put(t *testing.T, task *engine.Task, off int64, k, v string, ts int64) {
	t.Helper()
	var vb []byte
	if v != "" {
		vb = []byte(v)
	}
	require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Offset: off, Key: []byte(k), Value: vb, Timestamp: ts}))
}

func changelog(c *nopCollector) []string {
	var out []string
	for _, r := range c.sent {
		out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Timestamp))
	}
	c.sent = nil
	return out
}

// Writes of a key between two flushes reach the store, the changelog and
// downstream once, with the last write's value, timestamp and record
// context, in the order the keys were last written; reads see them first.
func TestCacheDeduplicatesUntilFlush(t *testing.T) {
	cache := engine.NewCache(1 << 20)
	task, w, coll := newCachedTask(t, cache)
	put(t, task, 0, "a", "1", 10)
	put(t, task, 1, "b", "1", 11)
	put(t, task, 2, "a", "2", 12)
	put(t, task, 3, "a", "3", 13)

	s, err := task.KeyValue("kv")
	require.NoError(t, err)
	v, ts, found, err := s.GetTimestamped([]byte("a"))
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "3", string(v))
	assert.Equal(t, int64(13), ts)
	assert.Empty(t, coll.sent, "nothing logged before the flush")
	assert.Empty(t, w.flushed)
	assert.Nil(t, mustGet(t, task, "a"), "the store itself is written at the flush")

	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"b:-->1@11/o1", "a:-->3@13/o3"}, w.flushed, "b was last written before a")
	assert.Equal(t, []string{"b=1@11", "a=3@13"}, changelog(coll))
	assert.NotNil(t, mustGet(t, task, "a"))

	// The old value is what the store held: the last flushed one.
	put(t, task, 4, "a", "4", 14)
	put(t, task, 5, "b", "", 15) // delete
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"a:3->4@14/o4", "b:1->-@15/o5"}, w.flushed[2:])
	assert.Equal(t, []string{"a=4@14", "b=@15"}, changelog(coll))
	assert.Greater(t, cache.Hits.Load(), int64(0))

	// A flush with nothing changed writes nothing.
	require.NoError(t, task.Flush())
	assert.Len(t, w.flushed, 4)
	assert.Empty(t, coll.sent)
}

// A key written and deleted between two flushes, never in the store, is
// neither written to the store, nor logged, nor forwarded, as in Kafka
// Streams' caching stores; a delete of a key the store holds still is.
func TestCacheSkipsDeleteOfAbsentKey(t *testing.T) {
	task, w, coll := newCachedTask(t, engine.NewCache(1<<20))
	put(t, task, 0, "a", "1", 10)
	put(t, task, 1, "a", "", 11) // written, then deleted: never flushed
	put(t, task, 2, "b", "", 12) // a delete of a key never written
	put(t, task, 3, "c", "1", 13)
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"c:-->1@13/o3"}, w.flushed)
	assert.Equal(t, []string{"c=1@13"}, changelog(coll))

	put(t, task, 4, "c", "", 14)
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"c:1->-@14/o4"}, w.flushed[1:], "the store held c")
	assert.Equal(t, []string{"c=@14"}, changelog(coll))
}

// An aborted cycle's cached writes are dropped, like the store's.
func TestCacheAbortDropsWrites(t *testing.T) {
	task, w, coll := newCachedTask(t, engine.NewCache(1<<20))
	put(t, task, 0, "a", "1", 10)
	require.NoError(t, task.Flush())
	require.NoError(t, task.Commit(nil))
	put(t, task, 1, "a", "2", 11)
	require.NoError(t, task.Abort())
	s, _ := task.KeyValue("kv")
	v, _, _, err := s.GetTimestamped([]byte("a"))
	require.NoError(t, err)
	assert.Equal(t, "1", string(v))
	require.NoError(t, task.Flush())
	assert.Len(t, w.flushed, 1)
	assert.Equal(t, []string{"a=1@10"}, changelog(coll))
}

// A write that takes the cache over its size evicts the least recently
// used entry; a changed one is written out with every other change of its
// store first, in order.
func TestCacheEvictionFlushesTheStore(t *testing.T) {
	// Room for about three entries.
	task, w, _ := newCachedTask(t, engine.NewCache(3*100))
	put(t, task, 0, "a", "1", 10)
	put(t, task, 1, "b", "1", 11)
	put(t, task, 2, "c", "1", 12)
	assert.Empty(t, w.flushed)
	put(t, task, 3, "d", "1", 13)
	assert.Equal(t, []string{"a:-->1@10/o0", "b:-->1@11/o1", "c:-->1@12/o2", "d:-->1@13/o3"}, w.flushed,
		"evicting a flushed every change of the store, in order")
	put(t, task, 4, "d", "2", 14)
	require.NoError(t, task.Flush())
	assert.Equal(t, "d:1->2@14/o4", w.flushed[4])
}

// Without a cache (or a disabled one), writes go through at once.
func TestCacheDisabled(t *testing.T) {
	for _, c := range []*engine.Cache{nil, engine.NewCache(0)} {
		task, w, coll := newCachedTask(t, c)
		put(t, task, 0, "a", "1", 10)
		assert.Equal(t, []string{"a=1@10"}, changelog(coll))
		assert.NotNil(t, mustGet(t, task, "a"))
		require.NoError(t, task.Flush())
		assert.Empty(t, w.flushed, "the processor forwards itself when the store is not cached")
	}
}

func mustGet(t *testing.T, task *engine.Task, k string) []byte {
	t.Helper()
	s, err := task.KeyValue("kv")
	require.NoError(t, err)
	b, err := s.Store.Get([]byte(k))
	require.NoError(t, err)
	return b
}

// A change that fails downstream as the cache writes it out goes to the
// error handler like a processing error of the record that last wrote it.
func TestCacheFlushErrorGoesToTheErrorHandler(t *testing.T) {
	for i, h := range []engine.ErrorHandler{engine.FailOnError, engine.SkipOnError} {
		coll := &nopCollector{}
		task, err := engine.NewTask(engine.Config{
			AppID: "app", ID: engine.TaskID{Partition: 0},
			Spec: &engine.Spec{
				Stores: []engine.StoreSpec{{Name: "kv", Kind: engine.KeyValueKind, Cached: true}},
				Nodes: []engine.NodeSpec{{ID: 0, Name: "src", Topics: []string{"in"}, New: func(*engine.Task) (any, error) {
					w := &cacheWriter{}
					return &failingFlush{w}, nil
				}}},
			},
			Backend: memory.New(), Collector: coll, Cache: engine.NewCache(1 << 20), OnError: h,
		})
		require.NoError(t, err)
		put(t, task, 7, "a", "1", 10)
		err = task.Flush()
		if i == 0 { // Fail
			var re *engine.RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, int64(7), re.Offset, "the error names the record that last wrote the key")
			assert.Equal(t, "a", string(re.Key))
		} else {
			require.NoError(t, err)
			assert.Equal(t, int64(1), task.Metrics().Dropped()[engine.DropProcessing])
		}
		require.NoError(t, task.Close())
	}
}

// failingFlush is a cacheWriter whose downstream fails.
type failingFlush struct{ *cacheWriter }

func (f *failingFlush) Init(t *engine.Task) error {
	if err := f.cacheWriter.Init(t); err != nil {
		return err
	}
	f.s.OnFlush(func(engine.Flushed) error { return fmt.Errorf("downstream failed") })
	return nil
}
