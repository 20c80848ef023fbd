// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Input record ids are 0..records-1. Record id belongs to group key
// id % keys and has index id / keys within its group, so a group's inputs
// are indexes 0..n-1 and a bitmap of n bits says which were counted.

// groupKey is the key an input id is grouped by: the repartition key.
func groupKey(id int64, keys int) string { return fmt.Sprintf("g%04d", id%int64(keys)) }

// groupOf parses the group number back out of a group key.
func groupOf(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "g")
	g, err := strconv.Atoi(rest)
	if !ok || err != nil || g < 0 || groupKey(int64(g), g+1) != key {
		return 0, false
	}
	return g, true
}

// expectedInGroup is how many of the ids 0..records-1 fall in group g.
func expectedInGroup(g, keys int, records int64) int64 {
	if int64(g) >= records {
		return 0
	}
	return (records-int64(g)-1)/int64(keys) + 1
}

// Tally is the aggregate the chaos topology keeps per group key: a count,
// as in a counting application, plus which inputs were counted, so that a
// verifier can tell a lost input from a duplicated one even when they
// cancel out in the count.
type Tally struct {
	// Count is the number of inputs applied, duplicates included.
	Count int64
	// Last is the id of the input applied last.
	Last int64
	// Seen has bit i set once the input with index i was applied.
	Seen []byte
	// Dups lists the index of an input once for every application after
	// its first: empty unless an input was counted twice.
	Dups []uint32
}

// Add returns the tally with input id (of a group with keys groups)
// applied. It never modifies t, whose slices the caller may still hold.
func (t Tally) Add(id int64, keys int) Tally {
	idx := id / int64(keys)
	out := Tally{Count: t.Count + 1, Last: id, Dups: t.Dups}
	n := max(len(t.Seen), int(idx/8)+1)
	out.Seen = make([]byte, n)
	copy(out.Seen, t.Seen)
	if out.Seen[idx/8]&(1<<(idx%8)) != 0 {
		out.Dups = append(slices.Clip(t.Dups), uint32(idx))
	} else {
		out.Seen[idx/8] |= 1 << (idx % 8)
	}
	return out
}

// Has reports whether input index idx was applied.
func (t Tally) Has(idx int64) bool {
	return idx >= 0 && idx/8 < int64(len(t.Seen)) && t.Seen[idx/8]&(1<<(idx%8)) != 0
}

// Bits is the number of distinct inputs applied.
func (t Tally) Bits() int64 {
	var n int64
	for _, b := range t.Seen {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

// Equal reports whether two tallies are identical.
func (t Tally) Equal(o Tally) bool {
	return t.Count == o.Count && t.Last == o.Last && bytes.Equal(t.Seen, o.Seen) && slices.Equal(t.Dups, o.Dups)
}

// tallySerde encodes a Tally as count, last (int64 big-endian), the bitmap
// length (uint32) and bitmap, the number of duplicates (uint32) and each
// duplicate index (uint32).
type tallySerde struct{}

// Serialize implements serde.Serde.
func (tallySerde) Serialize(_ string, t Tally) ([]byte, error) {
	b := make([]byte, 0, 24+len(t.Seen)+4*len(t.Dups))
	b = binary.BigEndian.AppendUint64(b, uint64(t.Count))
	b = binary.BigEndian.AppendUint64(b, uint64(t.Last))
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Seen)))
	b = append(b, t.Seen...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Dups)))
	for _, d := range t.Dups {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b, nil
}

var errTallyFormat = errors.New("malformed tally")

// Deserialize implements serde.Serde. It copies what it keeps.
func (tallySerde) Deserialize(_ string, b []byte) (Tally, error) {
	var t Tally
	if len(b) < 20 {
		return t, errTallyFormat
	}
	t.Count = int64(binary.BigEndian.Uint64(b))
	t.Last = int64(binary.BigEndian.Uint64(b[8:]))
	n := binary.BigEndian.Uint32(b[16:])
	b = b[20:]
	if uint64(len(b)) < uint64(n)+4 {
		return t, errTallyFormat
	}
	t.Seen = bytes.Clone(b[:n])
	b = b[n:]
	d := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(len(b)) != 4*uint64(d) {
		return t, errTallyFormat
	}
	if d > 0 {
		t.Dups = make([]uint32, d)
		for i := range t.Dups {
			t.Dups[i] = binary.BigEndian.Uint32(b[4*i:])
		}
	}
	return t, nil
}
