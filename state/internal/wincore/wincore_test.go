// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import (
	"bytes"
	"cmp"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

type tuple struct {
	key   []byte
	start int64
	seq   uint32
}

func compareTuples(a, b tuple) int {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

func randTuple(rng *rand.Rand) tuple {
	key := make([]byte, rng.IntN(4))
	for i := range key {
		key[i] = []byte{0, 1, 0xFE, 0xFF, 'a'}[rng.IntN(5)]
	}
	starts := []int64{math.MinInt64, -1, 0, 1, 255, 256, math.MaxInt64}
	return tuple{key, starts[rng.IntN(len(starts))], uint32(rng.IntN(3))}
}

// The encoding orders entries exactly as (key bytes, start, seq), and decodes
// back to what was encoded.
func TestEncodingOrderAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		a, b := randTuple(rng), randTuple(rng)
		ea, eb := AppendEntry(nil, a.key, a.start, a.seq), AppendEntry(nil, b.key, b.start, b.seq)
		if got, want := bytes.Compare(ea, eb), compareTuples(a, b); got != want {
			t.Fatalf("order of %+v vs %+v: encoding says %d, want %d", a, b, got, want)
		}
		key, start, seq, _, err := DecodeEntry(ea, nil)
		if err != nil || !bytes.Equal(key, a.key) || start != a.start || seq != a.seq {
			t.Fatalf("round trip of %+v: %q %d %d %v", a, key, start, seq, err)
		}
		// Bounds: [AppendKeyPrefix(k), AppendKeyEnd(k)) holds exactly k's entries.
		inKey := bytes.Compare(ea, AppendKeyPrefix(nil, b.key)) >= 0 && bytes.Compare(ea, AppendKeyEnd(nil, b.key)) < 0
		if inKey != bytes.Equal(a.key, b.key) {
			t.Fatalf("key bounds of %q wrong for entry %+v", b.key, a)
		}
		inWindow := bytes.Compare(ea, AppendEntry(nil, b.key, b.start, 0)) >= 0 && bytes.Compare(ea, AppendTimeEnd(nil, b.key, b.start)) < 0
		if inWindow != (bytes.Equal(a.key, b.key) && a.start == b.start) {
			t.Fatalf("window bounds of %+v wrong for entry %+v", b, a)
		}
	}
	if _, _, _, _, err := DecodeEntry([]byte("short"), nil); err == nil {
		t.Fatal("decoded a corrupt key")
	}
}

func TestPrefixEnd(t *testing.T) {
	for in, want := range map[string]string{"a": "b", "a\xff": "b", "a\xff\xff": "b", "\x00": "\x01", "ab": "ac"} {
		if got := PrefixEnd([]byte(in)); string(got) != want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", in, got, want)
		}
	}
	if PrefixEnd([]byte("\xff\xff")) != nil || PrefixEnd(nil) != nil {
		t.Error("PrefixEnd of all-0xFF must be nil")
	}
}

func TestClock(t *testing.T) {
	c := NewClock(state.WindowOptions{Retention: 100, SegmentInterval: 30})
	if c.Expired(math.MinInt64) {
		t.Fatal("a store without writes expires nothing")
	}
	if _, _, ok := c.Clip(0, 10); ok {
		t.Fatal("an empty store has no live range")
	}
	c.Advance(250)
	// Kafka Streams' boundary: a time exactly Retention behind the observed
	// time has expired.
	if c.LiveFrom() != 151 || !c.Expired(150) || c.Expired(151) {
		t.Fatalf("LiveFrom = %d", c.LiveFrom())
	}
	if c.Segment(-1) != -1 || c.Segment(-30) != -1 || c.Segment(-31) != -2 || c.Segment(29) != 0 || c.Segment(30) != 1 {
		t.Fatal("Segment does not floor")
	}
	if c.MinLiveSegment() != 5 {
		t.Fatalf("MinLiveSegment = %d", c.MinLiveSegment())
	}
	if lo, hi, ok := c.Clip(math.MinInt64, math.MaxInt64); !ok || lo != 151 || hi != 250 {
		t.Fatalf("Clip = %d, %d, %v", lo, hi, ok)
	}
	if _, _, ok := c.Clip(150, 150); ok {
		t.Fatal("Clip keeps the expired time 150")
	}
	c.Advance(279) // 179, the last time of segment 5, expires
	if c.MinLiveSegment() != 6 {
		t.Fatalf("MinLiveSegment = %d", c.MinLiveSegment())
	}
	c = NewClock(state.WindowOptions{Retention: math.MaxInt64})
	c.Advance(-5)
	if c.LiveFrom() != math.MinInt64 {
		t.Fatal("LiveFrom must saturate")
	}
}

func TestAdvanceSeq(t *testing.T) {
	for _, c := range []struct{ counter, seq, want uint32 }{
		{0, 7, 7},
		{0, state.MaxSeq, state.MaxSeq},
		{5, 6, 6},
		{5, 1000, 1000},
		{5, 5, 5},
		{5, 4, 5},
		{5, 1, 5},
		{1000, 3, 1000},
		// Across the wrap from MaxSeq to 1 (and to 0, as Kafka Streams wraps).
		{state.MaxSeq, 1, 1},
		{state.MaxSeq, 0, 0},
		{state.MaxSeq - 10, 3, 3},
		{3, state.MaxSeq - 10, 3},
		{state.MaxSeq, state.MaxSeq - 1, state.MaxSeq},
		// Half the space or more ahead is behind.
		{5, 5 + 1<<30, 5},
		{5, 4 + 1<<30, 4 + 1<<30},
	} {
		if got := AdvanceSeq(c.counter, c.seq); got != c.want {
			t.Errorf("AdvanceSeq(%d, %d) = %d, want %d", c.counter, c.seq, got, c.want)
		}
	}
	if got := state.NextSeq(state.MaxSeq); got != 1 {
		t.Errorf("NextSeq(MaxSeq) = %d, want 1", got)
	}
	if got := state.NextSeq(0); got != 1 {
		t.Errorf("NextSeq(0) = %d, want 1", got)
	}
	if got := state.NextSeq(41); got != 42 {
		t.Errorf("NextSeq(41) = %d, want 42", got)
	}
}
