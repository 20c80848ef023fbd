// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"testing"
)

// The session encoding orders entries exactly as (key bytes, end, start),
// and decodes back to what was encoded.
func TestSessionEncodingOrderAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	type session struct {
		key        []byte
		start, end int64
	}
	random := func() session {
		tp := randTuple(rng)
		return session{tp.key, tp.start, randTuple(rng).start}
	}
	for range 20000 {
		a, b := random(), random()
		ea, eb := AppendSession(nil, a.key, a.start, a.end), AppendSession(nil, b.key, b.start, b.end)
		want := cmp.Or(bytes.Compare(a.key, b.key), cmp.Compare(a.end, b.end), cmp.Compare(a.start, b.start))
		if got := bytes.Compare(ea, eb); got != want {
			t.Fatalf("order of %+v vs %+v: encoding says %d, want %d", a, b, got, want)
		}
		key, start, end, _, err := DecodeSession(ea, nil)
		if err != nil || !bytes.Equal(key, a.key) || start != a.start || end != a.end {
			t.Fatalf("round trip of %+v: %q %d %d %v", a, key, start, end, err)
		}
		if s, e, err := SessionTimes(ea); err != nil || s != a.start || e != a.end {
			t.Fatalf("SessionTimes of %+v: %d %d %v", a, s, e, err)
		}
		// [AppendSessionFrom(k, e), AppendKeyEnd(k)) holds exactly k's sessions ending at or after e.
		in := bytes.Compare(ea, AppendSessionFrom(nil, b.key, b.end)) >= 0 && bytes.Compare(ea, AppendKeyEnd(nil, b.key)) < 0
		if in != (bytes.Equal(a.key, b.key) && a.end >= b.end) {
			t.Fatalf("bounds of %q from end %d wrong for session %+v", b.key, b.end, a)
		}
	}
	if _, _, _, _, err := DecodeSession([]byte("short"), nil); err == nil {
		t.Fatal("decoded a corrupt key")
	}
	if _, _, _, _, err := DecodeSession(append([]byte("k\x00\x02"), make([]byte, 16)...), nil); err == nil {
		t.Fatal("decoded a key without terminator")
	}
}
