// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

// runVersionedRandomized applies random puts and deletes (in and out of
// order, some older than the history retention), commits, aborts and (for
// persistent backends) reopens to a versioned store, and checks Put's
// result and every read against a model of Kafka Streams' versioned store
// semantics.
func runVersionedRandomized(t *testing.T, cfg Config) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runVersionedRandomSeed(t, cfg, seed) })
	}
}

// vmodel is the model: versions per key sorted by timestamp (nil value:
// tombstone) and the observed time.
type vmodel struct {
	versions map[string][]vmVersion
	observed int64
}

type vmVersion struct {
	ts    int64
	value *string
}

func (m vmodel) clone() vmodel {
	c := vmodel{versions: map[string][]vmVersion{}, observed: m.observed}
	for k, vs := range m.versions {
		c.versions[k] = slices.Clone(vs)
	}
	return c
}

func (m vmodel) cutoff(retention int64) int64 {
	if m.observed == state.MinTime {
		return state.MinTime
	}
	return m.observed - retention
}

// put returns what the store's Put must: validTo or VersionNotPut.
func (m *vmodel) put(retention int64, key string, value *string, ts int64) int64 {
	if ts < m.cutoff(retention) {
		return state.VersionNotPut
	}
	if m.observed == state.MinTime || ts > m.observed {
		m.observed = ts
	}
	vs := m.versions[key]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ts >= ts })
	if i < len(vs) && vs[i].ts == ts {
		vs[i].value = value
	} else {
		vs = slices.Insert(vs, i, vmVersion{ts, value})
	}
	m.versions[key] = vs
	if i+1 < len(vs) {
		return vs[i+1].ts
	}
	return state.VersionIsLatest
}

// asOf returns the record GetAsOf must return.
func (m vmodel) asOf(retention int64, key string, asOf int64) (state.VersionedRecord, bool) {
	vs := m.versions[key]
	if len(vs) == 0 {
		return state.VersionedRecord{}, false
	}
	if latest := vs[len(vs)-1]; latest.ts <= asOf {
		if latest.value == nil {
			return state.VersionedRecord{}, false
		}
		return state.VersionedRecord{Value: []byte(*latest.value), Timestamp: latest.ts, ValidTo: state.VersionIsLatest}, true
	}
	if asOf < m.cutoff(retention) {
		return state.VersionedRecord{}, false
	}
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ts > asOf })
	if i == 0 || vs[i-1].value == nil {
		return state.VersionedRecord{}, false
	}
	return state.VersionedRecord{Value: []byte(*vs[i-1].value), Timestamp: vs[i-1].ts, ValidTo: vs[i].ts}, true
}

func runVersionedRandomSeed(t *testing.T, cfg Config, seed uint64) {
	const (
		steps     = 3000
		retention = 100
	)
	rng := rand.New(rand.NewPCG(seed, 23))
	e := newEnv(t, cfg)
	open := func() state.VersionedKeyValueStore {
		vb, ok := e.b.(state.VersionedBackend)
		if !ok {
			t.Fatalf("backend %T does not implement state.VersionedBackend", e.b)
		}
		v, err := vb.Versioned("v", state.VersionedOptions{HistoryRetention: retention})
		noErr(t, err)
		return v
	}
	v := open()
	cur := vmodel{versions: map[string][]vmVersion{}, observed: state.MinTime}
	committed := cur.clone()
	randKey := func() string {
		n := rng.IntN(3)
		var sb strings.Builder
		for range n + 1 {
			sb.WriteByte("a\x00\xff"[rng.IntN(3)])
		}
		return sb.String()
	}
	clock := int64(1000)
	randTime := func() int64 {
		switch p := rng.IntN(100); {
		case p < 60:
			clock += rng.Int64N(5)
			return clock
		case p < 90:
			return clock - rng.Int64N(retention) // out of order, within the history
		default:
			return clock - retention - rng.Int64N(3*retention) // mostly beyond it
		}
	}
	show := func(r state.VersionedRecord, found bool) string {
		if !found {
			return "<none>"
		}
		return fmt.Sprintf("%q [%d,%d)", r.Value, r.Timestamp, r.ValidTo)
	}
	check := func(step int) {
		t.Helper()
		for range 4 {
			k := randKey()
			// A random time, and the bounds: the history's cutoff and
			// each version's timestamp.
			ats := []int64{randTime()}
			if c := cur.cutoff(retention); c != state.MinTime {
				ats = append(ats, c-1, c, c+1)
			}
			for _, vv := range cur.versions[k] {
				ats = append(ats, vv.ts-1, vv.ts)
			}
			for _, at := range ats {
				r, found, err := v.GetAsOf([]byte(k), at)
				noErr(t, err)
				wr, wfound := cur.asOf(retention, k, at)
				if got, want := show(r, found), show(wr, wfound); got != want {
					t.Fatalf("seed %d step %d: GetAsOf(%q, %d) = %s, want %s", seed, step, k, at, got, want)
				}
			}
			r, found, err := v.Get([]byte(k))
			noErr(t, err)
			wr, wfound := cur.asOf(retention, k, 1<<62)
			if got, want := show(r, found), show(wr, wfound); got != want {
				t.Fatalf("seed %d step %d: Get(%q) = %s, want %s", seed, step, k, got, want)
			}
		}
		obs, err := v.ObservedTime()
		noErr(t, err)
		if obs != cur.observed {
			t.Fatalf("seed %d step %d: observed time %d, want %d", seed, step, obs, cur.observed)
		}
	}
	for step := range steps {
		switch p := rng.IntN(100); {
		case p < 60:
			k, ts := randKey(), randTime()
			val := fmt.Sprintf("v%d", step)
			to, err := v.Put([]byte(k), []byte(val), ts)
			noErr(t, err)
			if want := cur.put(retention, k, &val, ts); to != want {
				t.Fatalf("seed %d step %d: Put(%q, %d) = %d, want %d", seed, step, k, ts, to, want)
			}
		case p < 75:
			k, ts := randKey(), randTime()
			old, found, err := v.Delete([]byte(k), ts)
			noErr(t, err)
			wold, wfound := state.VersionedRecord{}, false
			if ts >= cur.cutoff(retention) {
				wold, wfound = cur.asOf(retention, k, ts)
			}
			cur.put(retention, k, nil, ts)
			if got, want := show(old, found), show(wold, wfound); got != want {
				t.Fatalf("seed %d step %d: Delete(%q, %d) = %s, want %s", seed, step, k, ts, got, want)
			}
		case p < 85:
			noErr(t, e.b.Commit(nil))
			committed = cur.clone()
		case p < 92:
			noErr(t, e.b.Abort())
			cur = committed.clone()
			if clock > cur.observed && cur.observed != state.MinTime {
				clock = cur.observed
			}
		case cfg.Persistent && p < 94:
			noErr(t, e.b.Commit(nil))
			committed = cur.clone()
			e.reopen()
			v = open()
		}
		check(step)
	}
}
