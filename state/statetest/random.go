// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

// runRandomized applies random operations, commits, aborts and (for
// persistent backends) reopens to a key-value and a window store, and checks
// every read against a simple model.
func runRandomized(t *testing.T, cfg Config) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runRandomSeed(t, cfg, seed) })
	}
}

func runRandomSeed(t *testing.T, cfg Config, seed uint64) {
	const (
		steps     = 3000
		retention = 200
	)
	wopts := state.WindowOptions{Retention: retention, SegmentInterval: 60}
	rng := rand.New(rand.NewPCG(seed, 11))
	e := newEnv(t, cfg)

	type wkey struct {
		key   string
		start int64
	}
	type world struct {
		kv       map[string]string
		win      map[wkey]string
		observed int64
	}
	clone := func(w world) world {
		return world{kv: maps.Clone(w.kv), win: maps.Clone(w.win), observed: w.observed}
	}
	cur := world{kv: map[string]string{}, win: map[wkey]string{}, observed: state.MinTime}
	committed := clone(cur)
	live := func(start int64) bool {
		return cur.observed == state.MinTime || start > cur.observed-retention
	}
	randKey := func() string {
		// Short keys over a small alphabet collide and prefix each other.
		n := rng.IntN(3)
		var sb strings.Builder
		for range n + 1 {
			sb.WriteByte("a\x00\xff"[rng.IntN(3)])
		}
		return sb.String()
	}

	kv, w := e.kv("kv"), e.window("w", wopts)
	clock := int64(0)
	for step := range steps {
		switch op := rng.IntN(100); {
		case op < 30:
			k, v := randKey(), fmt.Sprint(step)
			noErr(t, kv.Put([]byte(k), []byte(v)))
			cur.kv[k] = v
		case op < 38:
			k := randKey()
			noErr(t, kv.Delete([]byte(k)))
			delete(cur.kv, k)
		case op < 60:
			clock += int64(rng.IntN(20))
			start := clock - int64(rng.IntN(300))
			k, v := randKey(), fmt.Sprint(step)
			var value []byte
			if rng.IntN(5) > 0 {
				value = []byte(v)
			}
			noErr(t, w.Put([]byte(k), start, value))
			if live(start) {
				cur.observed = max(cur.observed, start)
				if value == nil {
					delete(cur.win, wkey{k, start})
				} else {
					cur.win[wkey{k, start}] = v
				}
			}
		case op < 70:
			from, to := randKey(), randKey()
			if rng.IntN(4) == 0 {
				from = ""
			}
			var keys []string
			for k := range cur.kv {
				if k >= from && k <= to {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			var want []string
			for _, k := range keys {
				want = append(want, k+"="+cur.kv[k])
			}
			var fromB []byte
			if from != "" {
				fromB = []byte(from)
			}
			seq := kv.Range(fromB, []byte(to))
			if rng.IntN(2) == 0 {
				seq = kv.ReverseRange(fromB, []byte(to))
				slices.Reverse(want)
			}
			var got []string
			for e, err := range seq {
				noErr(t, err)
				got = append(got, string(e.Key)+"="+string(e.Value))
			}
			equal(t, got, want, "step %d: range [%q, %q]", step, from, to)
		case op < 78:
			var keys []wkey
			for k := range cur.win {
				if live(k.start) {
					keys = append(keys, k)
				}
			}
			slices.SortFunc(keys, func(a, b wkey) int {
				if c := strings.Compare(a.key, b.key); c != 0 {
					return c
				}
				return cmp.Compare(a.start, b.start)
			})
			var want []string
			for _, k := range keys {
				want = append(want, fmt.Sprintf("%q@%d=%s", k.key, k.start, cur.win[k]))
			}
			var got []string
			for e, err := range w.All() {
				noErr(t, err)
				got = append(got, fmt.Sprintf("%q@%d=%s", e.Key, e.WindowStart, e.Value))
			}
			equal(t, got, want, "step %d: window All", step)
			equal(t, w.ObservedTime(), cur.observed, "step %d: observed time", step)
			for k, v := range cur.win {
				if !live(k.start) {
					continue
				}
				got, err := w.Fetch([]byte(k.key), k.start)
				noErr(t, err)
				equal(t, string(got), v, "step %d: fetch", step)
				break
			}
		case op < 88:
			noErr(t, e.b.Commit(map[string]int64{"c-0": int64(step)}))
			committed = clone(cur)
		case op < 99:
			noErr(t, e.b.Abort())
			cur = clone(committed)
		default:
			if !cfg.Persistent {
				continue
			}
			e.reopen()
			kv, w = e.kv("kv"), e.window("w", wopts)
			cur = clone(committed)
		}
	}
	n, err := kv.ApproximateNumEntries()
	noErr(t, err)
	equal(t, n, int64(len(cur.kv)))
}
