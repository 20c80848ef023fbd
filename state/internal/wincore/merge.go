// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import "bytes"

// Cursor is a position in one segment's entries, in ascending order.
type Cursor interface {
	// Valid reports whether the cursor is on an entry.
	Valid() bool
	// Entry returns the within-segment encoding of the current entry.
	Entry() []byte
}

// Min returns the index of the valid cursor with the smallest entry, or -1
// if none is valid. Segments never hold the same (key, start, seq), so there
// are no ties. Stores have few live segments, so a linear scan beats a heap.
func Min[C Cursor](cs []C) int {
	best := -1
	var bestKey []byte
	for i, c := range cs {
		if !c.Valid() {
			continue
		}
		if k := c.Entry(); best < 0 || bytes.Compare(k, bestKey) < 0 {
			best, bestKey = i, k
		}
	}
	return best
}
