// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

// AdvanceSeq returns the sequence counter of a store that retains
// duplicates after an entry with sequence number seq was restored into it:
// seq if it follows counter, else counter. Sequence numbers wrap around
// (see state.NextSeq), so "follows" is serial-number arithmetic modulo
// 2^31: seq follows counter if it is less than 2^30 steps ahead of it.
// Replaying older records, which are behind the counter, leaves it where it
// is; restoring a changelog in order leaves it at its latest record, even
// across a wrap. A counter of 0 (nothing put or restored yet) takes any
// seq.
func AdvanceSeq(counter, seq uint32) uint32 {
	if counter == 0 {
		return seq
	}
	if d := (seq - counter) & (1<<31 - 1); d != 0 && d < 1<<30 {
		return seq
	}
	return counter
}
