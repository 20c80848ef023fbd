// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func se(key string, start, end int64, value string) state.SessionEntry {
	return state.SessionEntry{Key: []byte(key), Start: start, End: end, Value: []byte(value)}
}

func cloneSE(e state.SessionEntry) state.SessionEntry {
	return state.SessionEntry{Key: cloneBytes(e.Key), Start: e.Start, End: e.End, Value: cloneBytes(e.Value)}
}

func (e *env) session(name string, opts state.SessionOptions) state.SessionStore {
	e.t.Helper()
	s, err := e.b.Session(name, opts)
	noErr(e.t, err)
	return s
}

func showSessions(es []state.SessionEntry) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%q[%d,%d]=%s", e.Key, e.Start, e.End, show(e.Value))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func equalSessions(t testing.TB, got, want []state.SessionEntry, msg string, args ...any) {
	t.Helper()
	if g, w := showSessions(got), showSessions(want); g != w {
		t.Fatalf("%s:\ngot  %s\nwant %s", fmt.Sprintf(msg, args...), g, w)
	}
}

func sessions(t testing.TB, seq iter.Seq2[state.SessionEntry, error]) []state.SessionEntry {
	t.Helper()
	got, err := collect(seq, cloneSE)
	noErr(t, err)
	return got
}

func runSession(t *testing.T, cfg Config) {
	// A long retention: nothing expires in the tests that don't test it.
	opts := state.SessionOptions{Retention: 1_000_000, SegmentInterval: 50}

	t.Run("PutFetch", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", opts)
		equal(t, s.Name(), "s")
		equal(t, s.ObservedTime(), state.MinTime)
		v, err := s.FetchSession([]byte("k"), 0, 0)
		noErr(t, err)
		equal(t, v, []byte(nil))
		noErr(t, s.Put([]byte("k"), 0, 10, []byte("a")))
		noErr(t, s.Put([]byte("k"), 20, 20, []byte("b")))
		noErr(t, s.Put([]byte("j"), 0, 10, []byte("c")))
		equal(t, s.ObservedTime(), int64(20))
		v, _ = s.FetchSession([]byte("k"), 0, 10)
		equal(t, v, []byte("a"))
		v, _ = s.FetchSession([]byte("k"), 20, 20)
		equal(t, v, []byte("b"))
		v, _ = s.FetchSession([]byte("k"), 0, 11)
		equal(t, v, []byte(nil), "the end is part of the session's identity")
		v, _ = s.FetchSession([]byte("k"), 1, 10)
		equal(t, v, []byte(nil), "the start is part of the session's identity")
		noErr(t, s.Put([]byte("k"), 0, 10, []byte("a2")))
		v, _ = s.FetchSession([]byte("k"), 0, 10)
		equal(t, v, []byte("a2"), "overwrite")
		noErr(t, s.Put([]byte("k"), 0, 10, nil))
		v, _ = s.FetchSession([]byte("k"), 0, 10)
		equal(t, v, []byte(nil), "nil put removes")
		v, _ = s.FetchSession([]byte("j"), 0, 10)
		equal(t, v, []byte("c"))
		noErr(t, s.Put([]byte("e"), 5, 5, []byte{}))
		v, _ = s.FetchSession([]byte("e"), 5, 5)
		equal(t, v, []byte{}, "empty value")
		if err := s.Put([]byte("k"), 11, 10, []byte("x")); err == nil {
			t.Fatal("a session starting after its end was accepted")
		}
		same, err := e.b.Session("s", opts)
		noErr(t, err)
		equal(t, same.ObservedTime(), int64(20))
		if _, err := e.b.Session("s", state.SessionOptions{Retention: 5}); err == nil {
			t.Fatal("reopening with other options succeeded")
		}
		if _, err := e.b.KeyValue("s"); err == nil {
			t.Fatal("opening a session store as a key-value store succeeded")
		}
		if _, err := e.b.Window("s", state.WindowOptions{Retention: 10}); err == nil {
			t.Fatal("opening a session store as a window store succeeded")
		}
		e.kv("kv")
		e.window("w", state.WindowOptions{Retention: 10})
		if _, err := e.b.Session("kv", opts); err == nil {
			t.Fatal("opening a key-value store as a session store succeeded")
		}
		if _, err := e.b.Session("w", opts); err == nil {
			t.Fatal("opening a window store as a session store succeeded")
		}
		if _, err := e.b.Session("bad", state.SessionOptions{}); err == nil {
			t.Fatal("zero retention accepted")
		}
		if _, err := e.b.Session("bad", state.SessionOptions{Retention: 1, SegmentInterval: -1}); err == nil {
			t.Fatal("negative segment interval accepted")
		}
	})

	t.Run("FindSessions", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", opts)
		// Sessions spread over segments of 50ms of session end, put out of
		// order; a neighbouring key, and keys that prefix "k".
		for _, w := range [][2]int64{{100, 150}, {0, 0}, {30, 45}, {10, 20}, {40, 45}, {46, 49}} {
			v := fmt.Sprintf("%d-%d", w[0], w[1])
			noErr(t, s.Put([]byte("k"), w[0], w[1], []byte(v)))
			noErr(t, s.Put([]byte("j"), w[0], w[1], []byte("j"+v)))
			noErr(t, s.Put([]byte("k\x00"), w[0], w[1], []byte("x"+v)))
		}
		noErr(t, s.Put([]byte(""), 10, 20, []byte("empty")))
		all := []state.SessionEntry{
			se("k", 0, 0, "0-0"), se("k", 10, 20, "10-20"), se("k", 30, 45, "30-45"),
			se("k", 40, 45, "40-45"), se("k", 46, 49, "46-49"), se("k", 100, 150, "100-150"),
		}
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), math.MinInt64, math.MaxInt64)), all, "all of k, by end then start")
		equalSessions(t, sessions(t, s.Fetch([]byte("k"))), all, "Fetch")
		// Sessions overlapping [20, 30]: end >= 20 and start <= 30.
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 20, 30)), all[1:3], "overlapping [20,30]")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 21, 29)), nil, "the gap between two sessions")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 0, 0)), all[:1], "a point session")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 45, 45)), all[2:4], "touching ends and starts")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 50, 99)), nil, "nothing")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 120, 130)), all[5:], "inside a session")
		equalSessions(t, sessions(t, s.BackwardFindSessions([]byte("k"), 20, 1000)),
			[]state.SessionEntry{all[5], all[4], all[3], all[2], all[1]}, "backward")
		equalSessions(t, sessions(t, s.FindSessions([]byte("none"), 0, 1000)), nil, "absent key")
		equalSessions(t, sessions(t, s.FindSessions([]byte(""), 0, 1000)), []state.SessionEntry{se("", 10, 20, "empty")}, "empty key")
		got := sessions(t, s.BackwardFindSessions([]byte("k\x00"), 0, 40))
		equalSessions(t, got, []state.SessionEntry{se("k\x00", 40, 45, "x40-45"), se("k\x00", 30, 45, "x30-45"), se("k\x00", 10, 20, "x10-20"), se("k\x00", 0, 0, "x0-0")}, "backward, 0x00 in the key")
		n := 0
		for _, err := range s.BackwardFindSessions([]byte("k"), 0, 1000) {
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
		s := e.session("s", opts)
		keys := []string{"b", "a", "a\x00", "ab", "a\xff", ""}
		ws := [][2]int64{{200, 250}, {5, 5}, {100, 120}, {110, 120}}
		for _, w := range ws {
			for _, k := range keys {
				noErr(t, s.Put([]byte(k), w[0], w[1], fmt.Appendf(nil, "%s@%d-%d", k, w[0], w[1])))
			}
		}
		var want []state.SessionEntry
		for _, k := range []string{"", "a", "a\x00", "ab", "a\xff", "b"} {
			for _, w := range [][2]int64{{5, 5}, {100, 120}, {110, 120}, {200, 250}} {
				want = append(want, se(k, w[0], w[1], fmt.Sprintf("%s@%d-%d", k, w[0], w[1])))
			}
		}
		equalSessions(t, sessions(t, s.All()), want, "All is ordered by key, then end, then start")
		equalSessions(t, sessions(t, s.FetchKeyRange(nil, nil)), want, "FetchKeyRange(nil, nil)")
		equalSessions(t, sessions(t, s.FetchKeyRange([]byte("a"), []byte("a"))), want[4:8], "a key that prefixes others")
		equalSessions(t, sessions(t, s.FindSessionsKeyRange([]byte("a\x00"), []byte("ab"), 120, 110)),
			[]state.SessionEntry{want[9], want[10], want[13], want[14]}, "key range and time range")
		equalSessions(t, sessions(t, s.FindSessionsKeyRange(nil, []byte("a"), 6, 1000)),
			[]state.SessionEntry{want[1], want[2], want[3], want[5], want[6], want[7]}, "open lower key bound")
		equalSessions(t, sessions(t, s.FindSessionsKeyRange([]byte("ab"), nil, 0, 5)),
			[]state.SessionEntry{want[12], want[16], want[20]}, "open upper key bound")
		equalSessions(t, sessions(t, s.FetchKeyRange([]byte("b"), []byte("a"))), nil, "keyFrom > keyTo")
	})

	t.Run("NegativeTimes", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", opts)
		for _, w := range [][2]int64{{-250, -200}, {0, 0}, {-1, -1}, {-5, 50}} {
			noErr(t, s.Put([]byte("k"), w[0], w[1], fmt.Appendf(nil, "%d", w[0])))
		}
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), -300, 100)),
			[]state.SessionEntry{se("k", -250, -200, "-250"), se("k", -1, -1, "-1"), se("k", 0, 0, "0"), se("k", -5, 50, "-5")}, "negative")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), -1, -1)),
			[]state.SessionEntry{se("k", -1, -1, "-1"), se("k", -5, 50, "-5")}, "around -1")
	})

	t.Run("Retention", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", state.SessionOptions{Retention: 100, SegmentInterval: 50})
		for _, end := range []int64{0, 60, 120} {
			noErr(t, s.Put([]byte("k"), end-5, end, fmt.Appendf(nil, "%d", end)))
		}
		equalSessions(t, sessions(t, s.Fetch([]byte("k"))),
			[]state.SessionEntry{se("k", 55, 60, "60"), se("k", 115, 120, "120")}, "session ending at 0 expired at observed time 120")
		noErr(t, s.Put([]byte("k"), 0, 200, []byte("long")))
		equal(t, s.ObservedTime(), int64(200))
		// Live sessions end after 200-100 = 100, as in Kafka Streams.
		for end, want := range map[int64][]byte{0: nil, 60: nil, 120: []byte("120")} {
			v, err := s.FetchSession([]byte("k"), end-5, end)
			noErr(t, err)
			equal(t, v, want, "fetch session ending at %d", end)
		}
		v, _ := s.FetchSession([]byte("k"), 0, 200)
		equal(t, v, []byte("long"), "a session that starts long before the live range but ends in it")
		noErr(t, s.Put([]byte("k"), 90, 99, []byte("late")))
		v, _ = s.FetchSession([]byte("k"), 90, 99)
		equal(t, v, []byte(nil), "a put of an expired session is ignored")
		noErr(t, s.Put([]byte("k"), 100, 100, []byte("100")))
		v, _ = s.FetchSession([]byte("k"), 100, 100)
		equal(t, v, []byte(nil), "a session ending exactly Retention before the observed time has expired")
		noErr(t, s.Put([]byte("k"), 101, 101, []byte("101")))
		v, _ = s.FetchSession([]byte("k"), 101, 101)
		equal(t, v, []byte("101"), "the oldest live session")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), math.MinInt64, 101)),
			[]state.SessionEntry{se("k", 101, 101, "101"), se("k", 0, 200, "long")}, "find")
		noErr(t, s.Put([]byte("j"), 150, 150, []byte("j150")))
		equalSessions(t, sessions(t, s.All()), []state.SessionEntry{
			se("j", 150, 150, "j150"), se("k", 101, 101, "101"), se("k", 115, 120, "120"), se("k", 0, 200, "long"),
		}, "All")
		// Observed time 250: j's live session now ends exactly at 250-100
		// and is no longer found.
		noErr(t, s.Put([]byte("z"), 250, 250, []byte("z250")))
		equalSessions(t, sessions(t, s.FindSessions([]byte("j"), 100, 300)), nil, "session ending at the boundary")
		v, _ = s.FetchSession([]byte("j"), 150, 150)
		equal(t, v, []byte(nil), "fetch session ending at the boundary")
		equalSessions(t, sessions(t, s.FindSessions([]byte("k"), 100, 300)), []state.SessionEntry{se("k", 0, 200, "long")}, "after the boundary")
		// Jump far ahead: everything expires.
		noErr(t, s.Put([]byte("z"), 10_000, 10_000, []byte("z")))
		equalSessions(t, sessions(t, s.All()), []state.SessionEntry{se("z", 10_000, 10_000, "z")}, "after a jump")
		noErr(t, e.b.Commit(nil))
		equal(t, len(sessions(t, s.All())), 1)
	})

	t.Run("WritesInsideLoop", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", state.SessionOptions{Retention: 100, SegmentInterval: 50})
		for i := range 10 {
			noErr(t, s.Put([]byte("k"), int64(i*10), int64(i*10+5), []byte("old")))
		}
		n := 0
		for entry, err := range s.FindSessions([]byte("k"), 0, 1000) {
			noErr(t, err)
			equal(t, entry.Value, []byte("old"))
			n++
			// What the session aggregation does: remove merged sessions
			// and put the merged one.
			noErr(t, s.Put([]byte("k"), entry.Start, entry.End, nil))
			noErr(t, s.Put([]byte("k"), entry.Start, entry.End+1, []byte("new")))
			isErr(t, e.b.Commit(nil), state.ErrInLoop)
		}
		equal(t, n, 10)
		n = 0
		for entry, err := range s.All() {
			noErr(t, err)
			n++
			// Expires every segment the loop is reading.
			noErr(t, s.Put([]byte("z"), 10_000, 10_000, []byte("z")))
			equal(t, entry.Value, []byte("new"))
		}
		equal(t, n, 10)
		equalSessions(t, sessions(t, s.All()), []state.SessionEntry{se("z", 10_000, 10_000, "z")}, "after the loops")
	})

	t.Run("AbortRestoresLastCommit", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", state.SessionOptions{Retention: 100, SegmentInterval: 50})
		noErr(t, s.Put([]byte("k"), 0, 10, []byte("s10")))
		noErr(t, s.Put([]byte("k"), 50, 60, []byte("s60")))
		noErr(t, e.b.Commit(map[string]int64{"changelog-0": 5}))

		noErr(t, s.Put([]byte("k"), 50, 60, []byte("changed")))
		noErr(t, s.Put([]byte("k"), 0, 10, nil))
		noErr(t, s.Put([]byte("k"), 490, 500, []byte("expires the rest"))) // drops segments
		late := e.session("late", opts)                                    // opened after the commit
		noErr(t, late.Put([]byte("x"), 1, 1, []byte("y")))
		equal(t, s.ObservedTime(), int64(500))

		noErr(t, e.b.Abort())
		equalSessions(t, sessions(t, s.All()), []state.SessionEntry{se("k", 0, 10, "s10"), se("k", 50, 60, "s60")}, "after abort")
		equal(t, s.ObservedTime(), int64(60))
		v, _ := late.FetchSession([]byte("x"), 1, 1)
		equal(t, v, []byte(nil))
		noErr(t, e.b.Abort())
		noErr(t, s.Put([]byte("k"), 70, 70, []byte("s70")))
		noErr(t, e.b.Commit(nil))
		noErr(t, e.b.Abort())
		v, _ = s.FetchSession([]byte("k"), 70, 70)
		equal(t, v, []byte("s70"))
	})

	t.Run("Persistence", func(t *testing.T) {
		if !cfg.Persistent {
			t.Skip("backend is not persistent")
		}
		sopts := state.SessionOptions{Retention: 100, SegmentInterval: 50}
		e := newEnv(t, cfg)
		s := e.session("s", sopts)
		noErr(t, s.Put([]byte("k"), 0, 10, []byte("s10")))
		noErr(t, s.Put([]byte("k"), 100, 120, []byte("s120")))
		noErr(t, e.b.Commit(map[string]int64{"t-0": 42}))
		noErr(t, s.Put([]byte("k"), 100, 120, nil))
		noErr(t, s.Put([]byte("k"), 900, 900, []byte("uncommitted")))
		e.reopen()
		s = e.session("s", sopts)
		equal(t, s.ObservedTime(), int64(120), "observed time survives")
		equalSessions(t, sessions(t, s.All()), []state.SessionEntry{se("k", 100, 120, "s120")}, "committed state, session ending at 10 still expired")
		noErr(t, s.Put([]byte("k"), 1000, 1000, []byte("s1000")))
		noErr(t, e.b.Commit(nil))
		e.reopen()
		equalSessions(t, sessions(t, e.session("s", sopts).All()), []state.SessionEntry{se("k", 1000, 1000, "s1000")}, "retention after a reopen")
		e.reopen()
		if _, err := e.b.Session("s", state.SessionOptions{Retention: 100, SegmentInterval: 10}); err == nil {
			t.Fatal("changing the segment interval of a session store succeeded")
		}
		if _, err := e.b.Window("s", state.WindowOptions{Retention: 100, SegmentInterval: 50}); err == nil {
			t.Fatal("reopening a session store as a window store succeeded")
		}
		e.session("s", state.SessionOptions{Retention: 500, SegmentInterval: 50}) // retention may change
	})

	t.Run("Closed", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.session("s", opts)
		noErr(t, e.b.Close())
		isErr(t, s.Put([]byte("a"), 1, 1, []byte("b")), state.ErrClosed)
		_, err := s.FetchSession([]byte("a"), 1, 1)
		isErr(t, err, state.ErrClosed)
		_, err = collect(s.All(), cloneSE)
		isErr(t, err, state.ErrClosed)
		_, err = collect(s.FindSessions([]byte("a"), 0, 1), cloneSE)
		isErr(t, err, state.ErrClosed)
		_, err = e.b.Session("s", opts)
		isErr(t, err, state.ErrClosed)
		e.b = nil
	})

	t.Run("Randomized", func(t *testing.T) {
		for seed := range uint64(4) {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runSessionRandom(t, cfg, seed) })
		}
	})
}

// runSessionRandom applies random puts, removals, commits, aborts and (for
// persistent backends) reopens to a session store and checks every read
// against a simple model.
func runSessionRandom(t *testing.T, cfg Config, seed uint64) {
	const (
		steps     = 2000
		retention = 200
	)
	sopts := state.SessionOptions{Retention: retention, SegmentInterval: 60}
	rng := rand.New(rand.NewPCG(seed, 23))
	e := newEnv(t, cfg)

	type skey struct {
		key        string
		start, end int64
	}
	type world struct {
		m        map[skey]string
		observed int64
	}
	clone := func(w world) world { return world{m: maps.Clone(w.m), observed: w.observed} }
	cur := world{m: map[skey]string{}, observed: state.MinTime}
	committed := clone(cur)
	live := func(end int64) bool {
		return cur.observed == state.MinTime || end > cur.observed-retention
	}
	randKey := func() string {
		n := rng.IntN(3)
		var sb strings.Builder
		for range n + 1 {
			sb.WriteByte("a\x00\xff"[rng.IntN(3)])
		}
		return sb.String()
	}
	model := func(keep func(skey) bool) []state.SessionEntry {
		var out []state.SessionEntry
		for k, v := range cur.m {
			if live(k.end) && keep(k) {
				out = append(out, se(k.key, k.start, k.end, v))
			}
		}
		slices.SortFunc(out, func(a, b state.SessionEntry) int {
			return cmp.Or(strings.Compare(string(a.Key), string(b.Key)), cmp.Compare(a.End, b.End), cmp.Compare(a.Start, b.Start))
		})
		return out
	}

	s := e.session("s", sopts)
	clock := int64(0)
	for step := range steps {
		switch op := rng.IntN(100); {
		case op < 40:
			clock += int64(rng.IntN(15))
			end := clock - int64(rng.IntN(250))
			start := end - int64(rng.IntN(40))
			k := randKey()
			var value []byte
			if rng.IntN(4) > 0 {
				value = fmt.Appendf(nil, "%d", step)
			} else if rng.IntN(2) == 0 {
				// Remove an existing session, if there is one.
				for sk := range cur.m {
					k, start, end = sk.key, sk.start, sk.end
					break
				}
			}
			noErr(t, s.Put([]byte(k), start, end, value))
			if live(end) {
				cur.observed = max(cur.observed, end)
				if value == nil {
					delete(cur.m, skey{k, start, end})
				} else {
					cur.m[skey{k, start, end}] = string(value)
				}
			}
		case op < 55:
			k := randKey()
			earliestEnd := clock - int64(rng.IntN(300))
			latestStart := earliestEnd + int64(rng.IntN(100)) - 20
			want := model(func(sk skey) bool { return sk.key == k && sk.end >= earliestEnd && sk.start <= latestStart })
			if rng.IntN(2) == 0 {
				equalSessions(t, sessions(t, s.FindSessions([]byte(k), earliestEnd, latestStart)), want,
					"step %d: find %q [%d, %d]", step, k, earliestEnd, latestStart)
			} else {
				slices.Reverse(want)
				equalSessions(t, sessions(t, s.BackwardFindSessions([]byte(k), earliestEnd, latestStart)), want,
					"step %d: backward find %q [%d, %d]", step, k, earliestEnd, latestStart)
			}
		case op < 65:
			from, to := randKey(), randKey()
			if rng.IntN(4) == 0 {
				from = ""
			}
			earliestEnd := clock - int64(rng.IntN(300))
			latestStart := earliestEnd + int64(rng.IntN(100))
			want := model(func(sk skey) bool {
				return sk.key >= from && sk.key <= to && sk.end >= earliestEnd && sk.start <= latestStart
			})
			var fromB []byte
			if from != "" {
				fromB = []byte(from)
			}
			equalSessions(t, sessions(t, s.FindSessionsKeyRange(fromB, []byte(to), earliestEnd, latestStart)), want,
				"step %d: key range [%q, %q] x [%d, %d]", step, from, to, earliestEnd, latestStart)
		case op < 72:
			equalSessions(t, sessions(t, s.All()), model(func(skey) bool { return true }), "step %d: All", step)
			equal(t, s.ObservedTime(), cur.observed, "step %d: observed time", step)
			for sk, v := range cur.m {
				got, err := s.FetchSession([]byte(sk.key), sk.start, sk.end)
				noErr(t, err)
				if live(sk.end) {
					equal(t, string(got), v, "step %d: fetch session", step)
				} else {
					equal(t, got, []byte(nil), "step %d: fetch expired session", step)
				}
				break
			}
		case op < 85:
			noErr(t, e.b.Commit(map[string]int64{"c-0": int64(step)}))
			committed = clone(cur)
		case op < 98:
			noErr(t, e.b.Abort())
			cur = clone(committed)
		default:
			if !cfg.Persistent {
				continue
			}
			e.reopen()
			s = e.session("s", sopts)
			cur = clone(committed)
		}
	}
	equalSessions(t, sessions(t, s.All()), model(func(skey) bool { return true }), "final All")
}
