// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"fmt"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

func runKeyValue(t *testing.T, cfg Config) {
	t.Run("GetPutDelete", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		equal(t, s.Name(), "kv")
		v, err := s.Get([]byte("a"))
		noErr(t, err)
		equal(t, v, []byte(nil), "missing key")

		in := []byte("one")
		noErr(t, s.Put([]byte("a"), in))
		in[0] = 'X' // the store keeps its own copy
		v, err = s.Get([]byte("a"))
		noErr(t, err)
		equal(t, v, []byte("one"))
		v[0] = 'Y' // the caller owns what Get returns
		v, _ = s.Get([]byte("a"))
		equal(t, v, []byte("one"))

		noErr(t, s.Put([]byte("a"), []byte("two")))
		v, _ = s.Get([]byte("a"))
		equal(t, v, []byte("two"), "overwrite")

		noErr(t, s.Put([]byte("empty"), []byte{}))
		v, _ = s.Get([]byte("empty"))
		equal(t, v, []byte{}, "an empty value is not a missing one")

		noErr(t, s.Delete([]byte("a")))
		v, _ = s.Get([]byte("a"))
		equal(t, v, []byte(nil), "deleted")
		noErr(t, s.Delete([]byte("never")))

		noErr(t, s.Put([]byte("b"), []byte("x")))
		noErr(t, s.Put([]byte("b"), nil))
		v, _ = s.Get([]byte("b"))
		equal(t, v, []byte(nil), "nil put deletes")

		noErr(t, s.Put([]byte{}, []byte("empty key")))
		v, _ = s.Get(nil)
		equal(t, v, []byte("empty key"), "empty key")
	})

	t.Run("Ranges", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		// Inserted out of order; byte order is a, a\x00, ab, b, c, \xff.
		for _, k := range []string{"c", "a\x00", "\xff", "b", "ab", "a"} {
			noErr(t, s.Put([]byte(k), []byte("v"+k)))
		}
		keys := func(kvs []state.KeyValue) []string {
			out := []string{}
			for _, kv := range kvs {
				out = append(out, string(kv.Key))
				equal(t, kv.Value, []byte("v"+string(kv.Key)))
			}
			return out
		}
		check := func(name string, got []state.KeyValue, err error, want ...string) {
			t.Helper()
			noErr(t, err)
			if want == nil {
				want = []string{}
			}
			equal(t, keys(got), want, name)
		}
		b := func(s string) []byte { return []byte(s) }
		got, err := collect(s.All(), cloneKV)
		check("all", got, err, "a", "a\x00", "ab", "b", "c", "\xff")
		got, err = collect(s.Range(b("a\x00"), b("b")), cloneKV)
		check("inclusive range", got, err, "a\x00", "ab", "b")
		got, err = collect(s.Range(b("aa"), b("bb")), cloneKV)
		check("range between keys", got, err, "ab", "b")
		got, err = collect(s.Range(nil, b("ab")), cloneKV)
		check("open start", got, err, "a", "a\x00", "ab")
		got, err = collect(s.Range(b("b"), nil), cloneKV)
		check("open end", got, err, "b", "c", "\xff")
		got, err = collect(s.Range(nil, nil), cloneKV)
		check("open both", got, err, "a", "a\x00", "ab", "b", "c", "\xff")
		got, err = collect(s.Range(b("c"), b("a")), cloneKV)
		check("from > to", got, err)
		got, err = collect(s.Range(b("b"), b("b")), cloneKV)
		check("single key", got, err, "b")
		got, err = collect(s.ReverseRange(b("a\x00"), b("c")), cloneKV)
		check("reverse", got, err, "c", "b", "ab", "a\x00")
		got, err = collect(s.ReverseRange(nil, nil), cloneKV)
		check("reverse all", got, err, "\xff", "c", "b", "ab", "a\x00", "a")
		got, err = collect(s.ReverseRange(nil, b("a\x00")), cloneKV)
		check("reverse open start", got, err, "a\x00", "a")
		got, err = collect(s.PrefixScan(b("a")), cloneKV)
		check("prefix", got, err, "a", "a\x00", "ab")
		got, err = collect(s.PrefixScan(b("a\x00")), cloneKV)
		check("prefix with zero byte", got, err, "a\x00")
		got, err = collect(s.PrefixScan(nil), cloneKV)
		check("empty prefix", got, err, "a", "a\x00", "ab", "b", "c", "\xff")
		got, err = collect(s.PrefixScan(b("\xff")), cloneKV)
		check("prefix 0xff", got, err, "\xff")
		got, err = collect(s.PrefixScan(b("zz")), cloneKV)
		check("no match", got, err)
	})

	t.Run("PrefixOfFFBytes", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		other := e.kv("kv2") // stores must not see each other's keys
		for _, k := range []string{"\xfe\xff", "\xff", "\xff\xff", "\xff\xff\x00", "\xff\xff\xff\xff", "\xff\xfe"} {
			noErr(t, s.Put([]byte(k), []byte("v")))
			noErr(t, other.Put([]byte(k), []byte("w")))
		}
		got, err := collect(s.PrefixScan([]byte("\xff\xff")), cloneKV)
		noErr(t, err)
		equal(t, got, []state.KeyValue{
			{Key: []byte("\xff\xff"), Value: []byte("v")},
			{Key: []byte("\xff\xff\x00"), Value: []byte("v")},
			{Key: []byte("\xff\xff\xff\xff"), Value: []byte("v")},
		})
		got, err = collect(s.Range([]byte("\xff\xff"), nil), cloneKV)
		noErr(t, err)
		equal(t, len(got), 3, "open range at the end of the key space")
	})

	t.Run("StoreIsolation", func(t *testing.T) {
		e := newEnv(t, cfg)
		// Store names that are prefixes of each other.
		a, ab := e.kv("a"), e.kv("ab")
		noErr(t, a.Put([]byte("k"), []byte("a")))
		noErr(t, ab.Put([]byte("k"), []byte("ab")))
		noErr(t, ab.Put([]byte("z"), []byte("ab")))
		v, _ := a.Get([]byte("k"))
		equal(t, v, []byte("a"))
		got, err := collect(a.All(), cloneKV)
		noErr(t, err)
		equal(t, got, []state.KeyValue{{Key: []byte("k"), Value: []byte("a")}})
		got, err = collect(a.ReverseRange(nil, nil), cloneKV)
		noErr(t, err)
		equal(t, len(got), 1)
		same, err := e.b.KeyValue("a")
		noErr(t, err)
		v, _ = same.Get([]byte("k"))
		equal(t, v, []byte("a"), "opening an open store returns it")
		_, err = e.b.Window("a", state.WindowOptions{Retention: 10})
		if err == nil {
			t.Fatal("opening a key-value store as a window store succeeded")
		}
	})

	t.Run("BreakEarly", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		for i := range 10 {
			noErr(t, s.Put(fmt.Appendf(nil, "%02d", i), []byte("v")))
		}
		n := 0
		for _, err := range s.All() {
			noErr(t, err)
			n++
			if n == 3 {
				break
			}
		}
		equal(t, n, 3)
		for _, err := range s.ReverseRange(nil, nil) {
			noErr(t, err)
			break
		}
		func() {
			defer func() { _ = recover() }()
			for range s.PrefixScan([]byte("0")) {
				panic(errStop)
			}
		}()
		// Every loop has released its resources.
		noErr(t, e.b.Commit(nil))
	})

	t.Run("WritesInsideLoop", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		for i := range 100 {
			noErr(t, s.Put(fmt.Appendf(nil, "%03d", i), []byte("old")))
		}
		// The loop sees a snapshot: deleting what it visits, overwriting
		// and inserting keys ahead of it does not change what it yields.
		var seen []string
		for kv, err := range s.All() {
			noErr(t, err)
			seen = append(seen, string(kv.Key))
			equal(t, kv.Value, []byte("old"), "value of %s", kv.Key)
			noErr(t, s.Delete(kv.Key))
			noErr(t, s.Put(append(cloneBytes(kv.Key), '+'), []byte("new")))
			noErr(t, s.Put([]byte("099"), []byte("new")))
			v, err := s.Get(append(cloneBytes(kv.Key), '+'))
			noErr(t, err)
			equal(t, v, []byte("new"), "read-your-writes inside a loop")
			isErr(t, e.b.Commit(nil), state.ErrInLoop)
		}
		equal(t, len(seen), 100)
		got, err := collect(s.All(), cloneKV)
		noErr(t, err)
		equal(t, len(got), 101)
		equal(t, string(got[0].Key), "000+")
		equal(t, string(got[100].Key), "099+")
		n, err := s.ApproximateNumEntries()
		noErr(t, err)
		equal(t, n, int64(101))
	})

	t.Run("ApproximateNumEntries", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		n, err := s.ApproximateNumEntries()
		noErr(t, err)
		equal(t, n, int64(0))
		for i := range 1000 {
			noErr(t, s.Put(fmt.Appendf(nil, "%04d", i), []byte("v")))
		}
		for i := range 100 {
			noErr(t, s.Delete(fmt.Appendf(nil, "%04d", i)))
		}
		noErr(t, e.b.Commit(nil))
		for i := range 50 {
			noErr(t, s.Put(fmt.Appendf(nil, "x%04d", i), []byte("v")))
		}
		n, err = s.ApproximateNumEntries()
		noErr(t, err)
		if n < 475 || n > 1425 { // an estimate within 50%
			t.Fatalf("ApproximateNumEntries = %d, want about 950", n)
		}
	})

	t.Run("Closed", func(t *testing.T) {
		e := newEnv(t, cfg)
		s := e.kv("kv")
		w := e.window("w", state.WindowOptions{Retention: 10})
		noErr(t, e.b.Close())
		noErr(t, e.b.Close()) // idempotent
		_, err := s.Get([]byte("a"))
		isErr(t, err, state.ErrClosed)
		isErr(t, s.Put([]byte("a"), []byte("b")), state.ErrClosed)
		_, err = collect(s.All(), cloneKV)
		isErr(t, err, state.ErrClosed)
		isErr(t, w.Put([]byte("a"), 1, []byte("b")), state.ErrClosed)
		_, err = collect(w.All(), cloneWE)
		isErr(t, err, state.ErrClosed)
		_, err = e.b.KeyValue("kv")
		isErr(t, err, state.ErrClosed)
		isErr(t, e.b.Commit(nil), state.ErrClosed)
		e.b = nil
	})
}
