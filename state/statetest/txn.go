// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"fmt"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func runTransactions(t *testing.T, cfg Config) {
	wopts := state.WindowOptions{Retention: 100, SegmentInterval: 50}

	t.Run("AbortRestoresLastCommit", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		w := e.window("w", wopts)
		noErr(t, s.Put([]byte("keep"), []byte("1")))
		noErr(t, s.Put([]byte("change"), []byte("1")))
		noErr(t, s.Put([]byte("delete"), []byte("1")))
		noErr(t, w.Put([]byte("k"), 10, []byte("w10")))
		noErr(t, w.Put([]byte("k"), 60, []byte("w60")))
		noErr(t, e.b.Commit(map[string]int64{"changelog-0": 5}))

		noErr(t, s.Put([]byte("change"), []byte("2")))
		noErr(t, s.Delete([]byte("delete")))
		noErr(t, s.Put([]byte("new"), []byte("2")))
		noErr(t, w.Put([]byte("k"), 60, []byte("changed")))
		noErr(t, w.Put([]byte("k"), 10, nil))
		noErr(t, w.Put([]byte("k"), 500, []byte("expires the rest"))) // drops segments
		late := e.kv("late")                                          // opened after the commit
		noErr(t, late.Put([]byte("x"), []byte("y")))
		v, _ := s.Get([]byte("change"))
		equal(t, v, []byte("2"), "read-your-writes")
		equal(t, w.ObservedTime(), int64(500))

		noErr(t, e.b.Abort())
		got, err := collect(s.All(), cloneKV)
		noErr(t, err)
		equal(t, got, []state.KeyValue{
			{Key: []byte("change"), Value: []byte("1")},
			{Key: []byte("delete"), Value: []byte("1")},
			{Key: []byte("keep"), Value: []byte("1")},
		})
		wgot, err := collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, wgot, []state.WindowEntry{we("k", 10, "w10"), we("k", 60, "w60")})
		equal(t, w.ObservedTime(), int64(60))
		v, _ = late.Get([]byte("x"))
		equal(t, v, []byte(nil))
		offs, err := e.b.Offsets()
		noErr(t, err)
		equal(t, offs, map[string]int64{"changelog-0": 5})

		// The stores stay usable, and Abort twice is harmless.
		noErr(t, e.b.Abort())
		noErr(t, s.Put([]byte("after"), []byte("3")))
		noErr(t, w.Put([]byte("k"), 70, []byte("w70")))
		noErr(t, e.b.Commit(nil))
		noErr(t, e.b.Abort())
		v, _ = s.Get([]byte("after"))
		equal(t, v, []byte("3"))
		v, _ = w.Fetch([]byte("k"), 70)
		equal(t, v, []byte("w70"))
	})

	t.Run("AbortRestoresSequence", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("dup", state.WindowOptions{Retention: 100, SegmentInterval: 50, RetainDuplicates: true})
		r := restorer(t, w)
		noErr(t, w.Put([]byte("k"), 10, []byte("a")))
		noErr(t, e.b.Commit(nil))
		noErr(t, r.RestorePut([]byte("k"), 10, 40, []byte("restored")))
		noErr(t, w.Put([]byte("k"), 10, []byte("put")))
		equal(t, r.LastSeq(), uint32(41))
		noErr(t, e.b.Abort())
		equal(t, r.LastSeq(), uint32(1))
		noErr(t, w.Put([]byte("k"), 10, []byte("b")))
		equal(t, r.LastSeq(), uint32(2))
		got, err := collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 10, "a"), we("k", 10, "b")})
	})

	t.Run("Offsets", func(t *testing.T) {
		e := newEnv(t, cfg)
		offs, err := e.b.Offsets()
		noErr(t, err)
		equal(t, len(offs), 0)
		noErr(t, e.b.Commit(map[string]int64{"a-0": 1, "b-0": 7}))
		noErr(t, e.b.Commit(map[string]int64{"a-0": 3}))
		noErr(t, e.b.Commit(nil))
		offs, err = e.b.Offsets()
		noErr(t, err)
		equal(t, offs, map[string]int64{"a-0": 3, "b-0": 7}, "commits merge offsets")
		offs["a-0"] = 100 // a copy
		offs, _ = e.b.Offsets()
		equal(t, offs["a-0"], int64(3))
	})

	t.Run("RepeatedCycles", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		w := e.window("w", wopts)
		want := map[string]string{}
		for cycle := range 50 {
			for i := range 20 {
				k := fmt.Sprintf("%02d", (cycle*7+i)%40)
				v := fmt.Sprintf("c%d", cycle)
				noErr(t, s.Put([]byte(k), []byte(v)))
				noErr(t, w.Put([]byte(k), int64(cycle*10), []byte(v)))
				if cycle%3 != 2 {
					want[k] = v
				}
			}
			if cycle%3 == 2 {
				noErr(t, e.b.Abort())
			} else {
				noErr(t, e.b.Commit(map[string]int64{"c": int64(cycle)}))
			}
		}
		got, err := collect(s.All(), cloneKV)
		noErr(t, err)
		equal(t, len(got), len(want))
		for _, kv := range got {
			equal(t, string(kv.Value), want[string(kv.Key)], "key %s", kv.Key)
		}
		equal(t, w.ObservedTime(), int64(490))
	})
}

func runPersistence(t *testing.T, cfg Config) {
	wopts := state.WindowOptions{Retention: 100, SegmentInterval: 50}
	dupOpts := state.WindowOptions{Retention: 100, SegmentInterval: 50, RetainDuplicates: true}

	t.Run("ReopenAfterCommit", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		w := e.window("w", wopts)
		d := e.window("dup", dupOpts)
		noErr(t, s.Put([]byte("a"), []byte("1")))
		noErr(t, w.Put([]byte("k"), 10, []byte("w10")))
		noErr(t, w.Put([]byte("k"), 120, []byte("w120")))
		noErr(t, d.Put([]byte("k"), 10, []byte("d1")))
		noErr(t, e.b.Commit(map[string]int64{"t-0": 42}))
		e.reopen()
		offs, err := e.b.Offsets()
		noErr(t, err)
		equal(t, offs, map[string]int64{"t-0": 42})
		s, w, d = e.kv("kv"), e.window("w", wopts), e.window("dup", dupOpts)
		v, _ := s.Get([]byte("a"))
		equal(t, v, []byte("1"))
		equal(t, w.ObservedTime(), int64(120), "observed time survives")
		v, _ = w.Fetch([]byte("k"), 10)
		equal(t, v, []byte(nil), "still expired")
		v, _ = w.Fetch([]byte("k"), 120)
		equal(t, v, []byte("w120"))
		// Sequence numbers continue: a new duplicate does not overwrite.
		noErr(t, d.Put([]byte("k"), 10, []byte("d2")))
		got, err := collect(d.FetchRange([]byte("k"), 0, 100), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 10, "d1"), we("k", 10, "d2")})
		// Retention keeps working after a reopen.
		noErr(t, w.Put([]byte("k"), 1000, []byte("w1000")))
		noErr(t, e.b.Commit(nil))
		e.reopen()
		wgot, err := collect(e.window("w", wopts).All(), cloneWE)
		noErr(t, err)
		equal(t, wgot, []state.WindowEntry{we("k", 1000, "w1000")})
	})

	t.Run("RestoredSequenceSurvivesReopen", func(t *testing.T) {
		e := newEnv(t, cfg)
		d := e.window("dup", dupOpts)
		r := restorer(t, d)
		noErr(t, r.RestorePut([]byte("k"), 10, 7, []byte("r7")))
		noErr(t, r.RestorePut([]byte("k"), 10, 3, []byte("r3")))
		noErr(t, e.b.Commit(map[string]int64{"t-0": 2}))
		e.reopen()
		d = e.window("dup", dupOpts)
		r = restorer(t, d)
		equal(t, r.LastSeq(), uint32(7))
		// A new duplicate neither overwrites a restored entry nor reuses
		// its number.
		noErr(t, d.Put([]byte("k"), 10, []byte("p8")))
		equal(t, r.LastSeq(), uint32(8))
		// Replaying the records the store holds (a restore from an older
		// offset) adds nothing.
		noErr(t, r.RestorePut([]byte("k"), 10, 7, []byte("r7")))
		noErr(t, r.RestorePut([]byte("k"), 10, 3, []byte("r3")))
		noErr(t, r.RestorePut([]byte("k"), 10, 8, []byte("p8")))
		want := []state.WindowEntry{we("k", 10, "r3"), we("k", 10, "r7"), we("k", 10, "p8")}
		got, err := collect(d.FetchRange([]byte("k"), 0, 100), cloneWE)
		noErr(t, err)
		equal(t, got, want)
		noErr(t, e.b.Commit(nil))
		// An uncommitted counter is not.
		noErr(t, r.RestorePut([]byte("k"), 10, 50, []byte("uncommitted")))
		e.reopen()
		d = e.window("dup", dupOpts)
		r = restorer(t, d)
		equal(t, r.LastSeq(), uint32(8))
		got, err = collect(d.FetchRange([]byte("k"), 0, 100), cloneWE)
		noErr(t, err)
		equal(t, got, want)
	})

	t.Run("ReopenDropsUncommitted", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		w := e.window("w", wopts)
		noErr(t, s.Put([]byte("a"), []byte("committed")))
		noErr(t, w.Put([]byte("k"), 10, []byte("committed")))
		noErr(t, e.b.Commit(map[string]int64{"t-0": 1}))
		noErr(t, s.Put([]byte("a"), []byte("uncommitted")))
		noErr(t, s.Put([]byte("b"), []byte("uncommitted")))
		noErr(t, w.Put([]byte("k"), 10, nil))
		noErr(t, w.Put([]byte("k"), 900, []byte("uncommitted")))
		e.reopen()
		s, w = e.kv("kv"), e.window("w", wopts)
		got, err := collect(s.All(), cloneKV)
		noErr(t, err)
		equal(t, got, []state.KeyValue{{Key: []byte("a"), Value: []byte("committed")}})
		wgot, err := collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, wgot, []state.WindowEntry{we("k", 10, "committed")})
		equal(t, w.ObservedTime(), int64(10))
		offs, _ := e.b.Offsets()
		equal(t, offs, map[string]int64{"t-0": 1})
	})

	t.Run("StoreIdentityIsStable", func(t *testing.T) {
		e := newEnv(t, cfg)
		// Open order differs between runs; names, not order, identify stores.
		noErr(t, e.kv("first").Put([]byte("k"), []byte("first")))
		noErr(t, e.kv("second").Put([]byte("k"), []byte("second")))
		noErr(t, e.b.Commit(nil))
		e.reopen()
		v, _ := e.kv("second").Get([]byte("k"))
		equal(t, v, []byte("second"))
		v, _ = e.kv("first").Get([]byte("k"))
		equal(t, v, []byte("first"))
		if _, err := e.b.Window("first", wopts); err == nil {
			t.Fatal("reopening a key-value store as a window store succeeded")
		}
		e.window("w", wopts)
		noErr(t, e.b.Commit(nil))
		e.reopen()
		if _, err := e.b.Window("w", state.WindowOptions{Retention: 100, SegmentInterval: 10}); err == nil {
			t.Fatal("changing the segment interval of a window store succeeded")
		}
		// Retention may change.
		e.window("w", state.WindowOptions{Retention: 500, SegmentInterval: 50})
	})
}
