// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"fmt"
	"math"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func we(key string, start int64, value string) state.WindowEntry {
	return state.WindowEntry{Key: []byte(key), WindowStart: start, Value: []byte(value)}
}

func runWindow(t *testing.T, cfg Config) {
	// A long retention: nothing expires in the tests that don't test it.
	opts := state.WindowOptions{Retention: 1_000_000, SegmentInterval: 100}

	t.Run("PutFetch", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", opts)
		equal(t, w.Name(), "w")
		equal(t, w.ObservedTime(), state.MinTime)
		v, err := w.Fetch([]byte("k"), 0)
		noErr(t, err)
		equal(t, v, []byte(nil))
		noErr(t, w.Put([]byte("k"), 10, []byte("a")))
		noErr(t, w.Put([]byte("k"), 250, []byte("b")))
		noErr(t, w.Put([]byte("j"), 10, []byte("c")))
		equal(t, w.ObservedTime(), int64(250))
		v, _ = w.Fetch([]byte("k"), 10)
		equal(t, v, []byte("a"))
		v, _ = w.Fetch([]byte("k"), 250)
		equal(t, v, []byte("b"))
		v, _ = w.Fetch([]byte("k"), 11)
		equal(t, v, []byte(nil))
		noErr(t, w.Put([]byte("k"), 10, []byte("a2")))
		v, _ = w.Fetch([]byte("k"), 10)
		equal(t, v, []byte("a2"), "overwrite")
		noErr(t, w.Put([]byte("k"), 10, nil))
		v, _ = w.Fetch([]byte("k"), 10)
		equal(t, v, []byte(nil), "nil put deletes")
		v, _ = w.Fetch([]byte("j"), 10)
		equal(t, v, []byte("c"))
		noErr(t, w.Put([]byte("e"), 5, []byte{}))
		v, _ = w.Fetch([]byte("e"), 5)
		equal(t, v, []byte{}, "empty value")
		same, err := e.b.Window("w", opts)
		noErr(t, err)
		equal(t, same.ObservedTime(), int64(250))
		if _, err := e.b.Window("w", state.WindowOptions{Retention: 5}); err == nil {
			t.Fatal("reopening with other options succeeded")
		}
		if _, err := e.b.KeyValue("w"); err == nil {
			t.Fatal("opening a window store as a key-value store succeeded")
		}
		if _, err := e.b.Window("bad", state.WindowOptions{}); err == nil {
			t.Fatal("zero retention accepted")
		}
	})

	t.Run("FetchRange", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", opts)
		// Spread over segments [0,100), [100,200), ... with gaps.
		for _, ts := range []int64{520, 0, 99, 100, 350, 999} {
			noErr(t, w.Put([]byte("k"), ts, fmt.Appendf(nil, "k%d", ts)))
			noErr(t, w.Put([]byte("j"), ts, fmt.Appendf(nil, "j%d", ts)))
			noErr(t, w.Put([]byte("k\x00"), ts, fmt.Appendf(nil, "x%d", ts)))
		}
		got, err := collect(w.FetchRange([]byte("k"), 99, 520), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 99, "k99"), we("k", 100, "k100"), we("k", 350, "k350"), we("k", 520, "k520")})
		got, err = collect(w.BackwardFetchRange([]byte("k"), 99, 520), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 520, "k520"), we("k", 350, "k350"), we("k", 100, "k100"), we("k", 99, "k99")})
		got, err = collect(w.FetchRange([]byte("k"), math.MinInt64, math.MaxInt64), cloneWE)
		noErr(t, err)
		equal(t, len(got), 6)
		got, err = collect(w.FetchRange([]byte("k"), 101, 349), cloneWE)
		noErr(t, err)
		equal(t, len(got), 0)
		got, err = collect(w.FetchRange([]byte("none"), 0, 1000), cloneWE)
		noErr(t, err)
		equal(t, len(got), 0)
		got, err = collect(w.BackwardFetchRange([]byte("k\x00"), 0, 100), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k\x00", 100, "x100"), we("k\x00", 99, "x99"), we("k\x00", 0, "x0")})
		n := 0
		for _, err := range w.BackwardFetchRange([]byte("k"), 0, 1000) {
			noErr(t, err)
			n++
			if n == 2 {
				break
			}
		}
		noErr(t, e.b.Commit(nil))
	})

	t.Run("KeyRangeAndAll", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", opts)
		// Keys that are prefixes of each other, in several segments.
		keys := []string{"b", "a", "a\x00", "ab", "a\xff", ""}
		for _, ts := range []int64{250, 5, 120} {
			for _, k := range keys {
				noErr(t, w.Put([]byte(k), ts, []byte(k+"@"+fmt.Sprint(ts))))
			}
		}
		got, err := collect(w.All(), cloneWE)
		noErr(t, err)
		var want []state.WindowEntry
		for _, k := range []string{"", "a", "a\x00", "ab", "a\xff", "b"} {
			for _, ts := range []int64{5, 120, 250} {
				want = append(want, we(k, ts, k+"@"+fmt.Sprint(ts)))
			}
		}
		equal(t, got, want, "All is ordered by key, then start")
		got, err = collect(w.FetchKeyRange([]byte("a"), []byte("a"), 0, 1000), cloneWE)
		noErr(t, err)
		equal(t, got, want[3:6], "a key that prefixes others")
		got, err = collect(w.FetchKeyRange([]byte("a\x00"), []byte("ab"), 100, 250), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{want[7], want[8], want[10], want[11]})
		got, err = collect(w.FetchKeyRange(nil, []byte("a"), 6, 1000), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{want[1], want[2], want[4], want[5]})
		got, err = collect(w.FetchKeyRange([]byte("ab"), nil, 0, 5), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{want[9], want[12], want[15]})
		got, err = collect(w.FetchKeyRange([]byte("b"), []byte("a"), 0, 1000), cloneWE)
		noErr(t, err)
		equal(t, len(got), 0, "keyFrom > keyTo")
		for _, ts := range []int64{5, 120, 250} {
			v, _ := w.Fetch([]byte("a"), ts)
			equal(t, v, []byte("a@"+fmt.Sprint(ts)))
			v, _ = w.Fetch([]byte(""), ts)
			equal(t, v, []byte("@"+fmt.Sprint(ts)))
		}
		got, err = collect(w.FetchRange([]byte("a"), 0, 1000), cloneWE)
		noErr(t, err)
		equal(t, got, want[3:6])
	})

	t.Run("NegativeTimes", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", opts)
		for _, ts := range []int64{-250, 0, -1, 50} {
			noErr(t, w.Put([]byte("k"), ts, fmt.Appendf(nil, "%d", ts)))
		}
		got, err := collect(w.FetchRange([]byte("k"), -300, 100), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", -250, "-250"), we("k", -1, "-1"), we("k", 0, "0"), we("k", 50, "50")})
	})

	t.Run("Retention", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", state.WindowOptions{Retention: 100, SegmentInterval: 50})
		for _, ts := range []int64{0, 60, 120} {
			noErr(t, w.Put([]byte("k"), ts, fmt.Appendf(nil, "%d", ts)))
		}
		got, err := collect(w.FetchRange([]byte("k"), 0, 1000), cloneWE)
		noErr(t, err)
		equal(t, len(got), 2, "window 0 expired at observed time 120")
		noErr(t, w.Put([]byte("k"), 200, []byte("200")))
		equal(t, w.ObservedTime(), int64(200))
		// Live windows start after 200-100 = 100, as in Kafka Streams.
		for ts, want := range map[int64][]byte{0: nil, 60: nil, 120: []byte("120"), 200: []byte("200")} {
			v, err := w.Fetch([]byte("k"), ts)
			noErr(t, err)
			equal(t, v, want, "fetch %d", ts)
		}
		noErr(t, w.Put([]byte("k"), 99, []byte("late")))
		v, _ := w.Fetch([]byte("k"), 99)
		equal(t, v, []byte(nil), "a put of an expired window is ignored")
		noErr(t, w.Put([]byte("k"), 100, []byte("100")))
		v, _ = w.Fetch([]byte("k"), 100)
		equal(t, v, []byte(nil), "a window starting exactly Retention before the observed time has expired")
		noErr(t, w.Put([]byte("k"), 101, []byte("101")))
		v, _ = w.Fetch([]byte("k"), 101)
		equal(t, v, []byte("101"), "the oldest live window")
		noErr(t, w.Put([]byte("j"), 150, []byte("j150")))
		got, err = collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("j", 150, "j150"), we("k", 101, "101"), we("k", 120, "120"), we("k", 200, "200")})
		got, err = collect(w.BackwardFetchRange([]byte("k"), math.MinInt64, math.MaxInt64), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 200, "200"), we("k", 120, "120"), we("k", 101, "101")})
		got, err = collect(w.FetchRange([]byte("k"), 100, 101), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 101, "101")}, "FetchRange from the expired start 100")
		// Observed time 250: j's live window now starts exactly at 250-100
		// and is no longer found.
		noErr(t, w.Put([]byte("z"), 250, []byte("z250")))
		got, err = collect(w.FetchRange([]byte("j"), 0, 300), cloneWE)
		noErr(t, err)
		equal(t, len(got), 0, "window starting at the boundary")
		v, _ = w.Fetch([]byte("j"), 150)
		equal(t, v, []byte(nil), "fetch window starting at the boundary")
		// Jump far ahead: everything expires.
		noErr(t, w.Put([]byte("z"), 10_000, []byte("z")))
		got, err = collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("z", 10_000, "z")})
		noErr(t, e.b.Commit(nil))
		got, err = collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, len(got), 1)
	})

	t.Run("RetainDuplicates", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", state.WindowOptions{Retention: 1000, SegmentInterval: 100, RetainDuplicates: true})
		for i, v := range []string{"first", "second", "third"} {
			noErr(t, w.Put([]byte("k"), 10, []byte(v)))
			noErr(t, w.Put([]byte("k"), 110+int64(i), []byte(v)))
		}
		noErr(t, w.Put([]byte("k"), 10, nil)) // ignored
		got, err := collect(w.FetchRange([]byte("k"), 10, 10), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 10, "first"), we("k", 10, "second"), we("k", 10, "third")})
		v, err := w.Fetch([]byte("k"), 10)
		noErr(t, err)
		equal(t, v, []byte("first"))
		got, err = collect(w.BackwardFetchRange([]byte("k"), 0, 111), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 111, "second"), we("k", 110, "first"), we("k", 10, "third"), we("k", 10, "second"), we("k", 10, "first")})
		got, err = collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, len(got), 6)
	})

	t.Run("RestorePut", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", state.WindowOptions{Retention: 1000, SegmentInterval: 100, RetainDuplicates: true})
		r := restorer(t, w)
		equal(t, r.LastSeq(), uint32(0))
		fetch := func(key string, start int64) []state.WindowEntry {
			t.Helper()
			got, err := collect(w.FetchRange([]byte(key), start, start), cloneWE)
			noErr(t, err)
			return got
		}
		k := []byte("k")
		noErr(t, r.RestorePut(k, 10, 5, []byte("a")))
		noErr(t, r.RestorePut(k, 10, 3, []byte("b")))
		equal(t, r.LastSeq(), uint32(5), "an older sequence number does not move the counter back")
		// Replaying the same records changes nothing.
		noErr(t, r.RestorePut(k, 10, 5, []byte("a")))
		noErr(t, r.RestorePut(k, 10, 3, []byte("b")))
		equal(t, fetch("k", 10), []state.WindowEntry{we("k", 10, "b"), we("k", 10, "a")}, "ordered by sequence number, each once")
		v, err := w.Fetch(k, 10)
		noErr(t, err)
		equal(t, v, []byte("b"))
		equal(t, w.ObservedTime(), int64(10))
		noErr(t, r.RestorePut(k, 10, 5, []byte("a2")))
		equal(t, fetch("k", 10), []state.WindowEntry{we("k", 10, "b"), we("k", 10, "a2")}, "same sequence number overwrites")

		// Put carries on after the restored numbers.
		noErr(t, w.Put(k, 10, []byte("c")))
		equal(t, r.LastSeq(), uint32(6))
		equal(t, fetch("k", 10), []state.WindowEntry{we("k", 10, "b"), we("k", 10, "a2"), we("k", 10, "c")})
		noErr(t, r.RestorePut(k, 10, 6, []byte("c")))
		equal(t, len(fetch("k", 10)), 3, "restoring what Put wrote")

		// A nil value deletes exactly that entry and does not advance the
		// observed time, but does advance the counter.
		noErr(t, r.RestorePut(k, 10, 3, nil))
		equal(t, fetch("k", 10), []state.WindowEntry{we("k", 10, "a2"), we("k", 10, "c")})
		noErr(t, r.RestorePut(k, 500, 7, nil))
		equal(t, w.ObservedTime(), int64(10))
		equal(t, r.LastSeq(), uint32(7))
		noErr(t, r.RestorePut([]byte("j"), 20, 8, []byte("j")))
		equal(t, w.ObservedTime(), int64(20))
		equal(t, fetch("j", 20), []state.WindowEntry{we("j", 20, "j")})

		// Expired windows are ignored, but their numbers are used up.
		noErr(t, r.RestorePut([]byte("z"), 2000, 9, []byte("z")))
		noErr(t, r.RestorePut(k, 10, 10, []byte("late")))
		equal(t, r.LastSeq(), uint32(10))
		got, err := collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("z", 2000, "z")})

		// Numbers 2^30 or more ahead count as behind (see
		// state.WindowRestorer).
		noErr(t, r.RestorePut(k, 2000, state.MaxSeq, []byte("max")))
		equal(t, r.LastSeq(), uint32(10))
		noErr(t, r.RestorePut(k, 2000, 1<<30, []byte("half")))
		equal(t, r.LastSeq(), uint32(1<<30))
		noErr(t, r.RestorePut(k, 2000, state.MaxSeq, []byte("max")))
		equal(t, r.LastSeq(), state.MaxSeq)
		// The counter wraps around from MaxSeq to 1, as Put does.
		noErr(t, w.Put(k, 2000, []byte("wrapped")))
		equal(t, r.LastSeq(), uint32(1))
		noErr(t, r.RestorePut(k, 2000, state.MaxSeq-1, []byte("before max")))
		equal(t, r.LastSeq(), uint32(1), "behind, across the wrap")
		noErr(t, r.RestorePut(k, 2000, 2, []byte("after wrap")))
		equal(t, r.LastSeq(), uint32(2))
		equal(t, fetch("k", 2000), []state.WindowEntry{
			we("k", 2000, "wrapped"), we("k", 2000, "after wrap"), we("k", 2000, "half"), we("k", 2000, "before max"), we("k", 2000, "max"),
		})
	})

	t.Run("RestorePutWithoutDuplicates", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", state.WindowOptions{Retention: 1000, SegmentInterval: 100})
		r := restorer(t, w)
		k := []byte("k")
		// Sequence numbers are ignored: one entry per window, as Put.
		noErr(t, r.RestorePut(k, 10, 0, []byte("a")))
		noErr(t, r.RestorePut(k, 10, 7, []byte("b")))
		got, err := collect(w.FetchRange(k, 0, 100), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("k", 10, "b")})
		v, err := w.Fetch(k, 10)
		noErr(t, err)
		equal(t, v, []byte("b"))
		equal(t, r.LastSeq(), uint32(0))
		noErr(t, r.RestorePut(k, 10, 3, nil))
		v, err = w.Fetch(k, 10)
		noErr(t, err)
		equal(t, v, []byte(nil), "nil deletes")
		noErr(t, w.Put(k, 20, []byte("c")))
		equal(t, r.LastSeq(), uint32(0))
	})

	t.Run("WritesInsideLoop", func(t *testing.T) {
		e := newEnv(t, cfg)
		w := e.window("w", state.WindowOptions{Retention: 100, SegmentInterval: 50})
		for i := range 10 {
			noErr(t, w.Put([]byte("k"), int64(i*10), []byte("old")))
		}
		n := 0
		for entry, err := range w.FetchRange([]byte("k"), 0, 1000) {
			noErr(t, err)
			equal(t, entry.Value, []byte("old"))
			n++
			noErr(t, w.Put([]byte("k"), entry.WindowStart, nil))
			noErr(t, w.Put([]byte("k"), entry.WindowStart+5, []byte("new")))
		}
		equal(t, n, 10)
		n = 0
		for entry, err := range w.All() {
			noErr(t, err)
			n++
			// Expires every segment the loop is reading.
			noErr(t, w.Put([]byte("z"), 10_000, []byte("z")))
			equal(t, entry.Value, []byte("new"))
		}
		equal(t, n, 10)
		got, err := collect(w.All(), cloneWE)
		noErr(t, err)
		equal(t, got, []state.WindowEntry{we("z", 10_000, "z")})
	})
}

// restorer returns w as a state.WindowRestorer, or skips the test if the
// backend's window stores do not implement it.
func restorer(t *testing.T, w state.WindowStore) state.WindowRestorer {
	t.Helper()
	r, ok := w.(state.WindowRestorer)
	if !ok {
		t.Skipf("window store %T does not implement state.WindowRestorer", w)
	}
	return r
}
