// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/window"
)

// Test serdes, byte-compatible with Kafka's String and Long serdes.
var (
	stringSerde = serde.Funcs[string]{
		Ser: func(_ string, v string) ([]byte, error) { return []byte(v), nil },
		De:  func(_ string, b []byte) (string, error) { return string(b), nil },
	}
	int64Serde = serde.Funcs[int64]{
		Ser: func(_ string, v int64) ([]byte, error) { return binary.BigEndian.AppendUint64(nil, uint64(v)), nil },
		De: func(_ string, b []byte) (int64, error) {
			if len(b) != 8 {
				return 0, errors.New("int64: need 8 bytes")
			}
			return int64(binary.BigEndian.Uint64(b)), nil
		},
	}
)

func TestKeyValueView(t *testing.T) {
	b := memory.New()
	s, _ := b.KeyValue("counts")
	v := state.NewKeyValueView(s, "app-counts-changelog", stringSerde, int64Serde)
	for i, k := range []string{"b", "a", "c", "ab"} {
		if err := v.Put(k, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got, ok, err := v.Get("c"); err != nil || !ok || got != 2 {
		t.Fatalf("Get = %d %v %v", got, ok, err)
	}
	if _, ok, err := v.Get("zz"); err != nil || ok {
		t.Fatalf("Get of a missing key: %v %v", ok, err)
	}
	raw, _ := s.Get([]byte("a"))
	if len(raw) != 8 || raw[7] != 1 {
		t.Fatalf("stored bytes %x", raw)
	}
	collect := func(seq func(func(record.KeyValue[string, int64], error) bool)) []string {
		var out []string
		for kv, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, kv.Key)
		}
		return out
	}
	from, to := "ab", "b"
	if got := collect(v.Range(&from, &to)); len(got) != 2 || got[0] != "ab" || got[1] != "b" {
		t.Fatalf("Range = %q", got)
	}
	if got := collect(v.ReverseRange(nil, &from)); len(got) != 2 || got[0] != "ab" || got[1] != "a" {
		t.Fatalf("ReverseRange = %q", got)
	}
	if got := collect(v.PrefixScan("a", stringSerde)); len(got) != 2 {
		t.Fatalf("PrefixScan = %q", got)
	}
	if got := collect(v.All()); len(got) != 4 {
		t.Fatalf("All = %q", got)
	}
	if err := v.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if n, _ := v.ApproximateNumEntries(); n != 3 {
		t.Fatalf("count %d", n)
	}
	// Undecodable bytes end the iteration with an error.
	_ = s.Put([]byte("bad"), []byte("x"))
	var gotErr error
	for _, err := range v.All() {
		if err != nil {
			gotErr = err
		}
	}
	if gotErr == nil {
		t.Fatal("no error for a corrupt value")
	}
	if _, _, err := v.Get("bad"); err == nil {
		t.Fatal("no error for a corrupt value")
	}
}

func TestTimestamped(t *testing.T) {
	enc := state.EncodeTimestamped([]byte("x"), -2, []byte("val"))
	if string(enc) != "x\xff\xff\xff\xff\xff\xff\xff\xfeval" {
		t.Fatalf("encoding %q", enc)
	}
	ts, val, err := state.DecodeTimestamped(enc[1:])
	if err != nil || ts != -2 || string(val) != "val" {
		t.Fatalf("decode %d %q %v", ts, val, err)
	}
	if _, _, err := state.DecodeTimestamped([]byte{1, 2}); !errors.Is(err, state.ErrShortTimestamped) {
		t.Fatalf("short input: %v", err)
	}
	if ts, val, err := state.DecodeTimestamped(make([]byte, 8)); err != nil || ts != 0 || len(val) != 0 {
		t.Fatal("empty value")
	}

	b := memory.New()
	s, _ := b.KeyValue("agg")
	v := state.NewTimestampedKeyValueView(s, "t", stringSerde, int64Serde)
	if err := v.Put("k", state.ValueAndTimestamp[int64]{Value: 5, Timestamp: time.UnixMilli(1000)}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := v.Get("k")
	if err != nil || !ok || got != (state.ValueAndTimestamp[int64]{Value: 5, Timestamp: time.UnixMilli(1000)}) {
		t.Fatalf("Get = %+v %v %v", got, ok, err)
	}
	raw, _ := s.Get([]byte("k"))
	if want := state.EncodeTimestamped(nil, 1000, binary.BigEndian.AppendUint64(nil, 5)); string(raw) != string(want) {
		t.Fatalf("stored %x, want %x", raw, want)
	}
}

func TestWindowView(t *testing.T) {
	b := memory.New()
	s, _ := b.Window("w", state.WindowOptions{Retention: 1000})
	v := state.NewWindowView(s, "t", 100*time.Millisecond, stringSerde, int64Serde)
	for _, e := range []struct {
		k     string
		start int64
	}{{"b", 0}, {"a", 100}, {"a", 0}, {"b", 200}} {
		if err := v.Put(e.k, time.UnixMilli(e.start), e.start+1); err != nil {
			t.Fatal(err)
		}
	}
	if got, ok, err := v.Fetch("a", time.UnixMilli(100)); err != nil || !ok || got != 101 {
		t.Fatalf("Fetch = %d %v %v", got, ok, err)
	}
	if _, ok, _ := v.Fetch("a", time.UnixMilli(200)); ok {
		t.Fatal("Fetch of a missing window")
	}
	type row = record.KeyValue[window.Windowed[string], int64]
	collect := func(seq func(func(row, error) bool)) []row {
		var out []row
		for r, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	got := collect(v.FetchRange("a", time.UnixMilli(0), time.UnixMilli(100)))
	if len(got) != 2 || got[1].Key != window.Of("a", time.UnixMilli(100), time.UnixMilli(200)) || got[1].Value != 101 {
		t.Fatalf("FetchRange = %+v", got)
	}
	got = collect(v.BackwardFetchRange("b", time.UnixMilli(0), time.UnixMilli(1000)))
	if len(got) != 2 || got[0].Key != window.Of("b", time.UnixMilli(200), time.UnixMilli(300)) {
		t.Fatalf("BackwardFetchRange = %+v", got)
	}
	kb := "b"
	got = collect(v.FetchKeyRange(&kb, nil, time.UnixMilli(0), time.UnixMilli(1000)))
	if len(got) != 2 || got[0].Key.Key != "b" {
		t.Fatalf("FetchKeyRange = %+v", got)
	}
	got = collect(v.All())
	if len(got) != 4 || got[0].Key != window.Of("a", time.UnixMilli(0), time.UnixMilli(100)) || got[3].Key != window.Of("b", time.UnixMilli(200), time.UnixMilli(300)) {
		t.Fatalf("All = %+v", got)
	}
	if at, ok := v.ObservedTime(); !ok || at.UnixMilli() != 200 {
		t.Fatal("ObservedTime")
	}

	// End is clamped at the end of time.
	tv := state.NewTimestampedWindowView(s, "t", 100*time.Millisecond, stringSerde, int64Serde)
	if err := tv.Put("z", time.UnixMilli(math.MaxInt64-10), state.ValueAndTimestamp[int64]{Value: 1, Timestamp: time.UnixMilli(7)}); err != nil {
		t.Fatal(err)
	}
	for r, err := range tv.FetchRange("z", time.UnixMilli(0), time.UnixMilli(math.MaxInt64)) {
		if err != nil || r.Key.Window.End().UnixMilli() != math.MaxInt64 || r.Value.Timestamp.UnixMilli() != 7 {
			t.Fatalf("timestamped window entry %+v %v", r, err)
		}
	}
}
