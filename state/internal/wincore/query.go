// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import (
	"bytes"
	"math"

	"github.com/eddy-streams/eddy/state"
)

// Query is a range query over the entries of a segmented store, what tells
// window stores (E = state.WindowEntry) from session stores
// (E = state.SessionEntry) to the scans the backends share between them.
// A backend clips Times to the live times [lo, hi], visits the segments
// that hold them, and within each segment the encoded entries of one key
// (KeyBounds, KeyEntry) or of a key range (KeyRange, Entry).
type Query[E any] interface {
	// Times is the range of segment times (window starts, session ends)
	// that may hold selected entries, before clipping to the live times.
	Times() (from, to int64)
	// KeyBounds returns the bounds [first, last) within a segment of key's
	// entries with times in [lo, hi]: first is appended to a copy of
	// prefix, last to prefix itself.
	KeyBounds(prefix, key []byte, lo, hi int64) (first, last []byte)
	// KeyEntry returns the entry of key with value whose within-segment
	// encoding is enc, one of those within KeyBounds; ok is false if the
	// query does not select it. A backend that reads values lazily passes
	// nil and sets the value of a selected entry with WithValue.
	KeyEntry(key, enc, value []byte) (e E, ok bool, err error)
	// Entry decodes the entry with value whose within-segment encoding is
	// enc, given the live times [lo, hi]; ok is false if the query does not
	// select it. Its key aliases enc or scratch, as DecodeEntry's does.
	Entry(enc, value, scratch []byte, lo, hi int64) (e E, ok bool, newScratch []byte, err error)
	// WithValue returns e with value v.
	WithValue(e E, v []byte) E
}

// KeyRange returns the bounds [lower, upper) within a segment of the
// entries of the keys in [keyFrom, keyTo], nil bounds open, appended to
// copies of prefix. upper is nil if keyTo is.
func KeyRange(prefix, keyFrom, keyTo []byte) (lower, upper []byte) {
	lower = bytes.Clone(prefix)
	if keyFrom != nil {
		lower = AppendKeyPrefix(lower, keyFrom)
	}
	if keyTo != nil {
		upper = AppendKeyEnd(bytes.Clone(prefix), keyTo)
	}
	return lower, upper
}

// WindowQuery selects the window entries that start in [From, To].
type WindowQuery struct{ From, To int64 }

var _ Query[state.WindowEntry] = WindowQuery{}

// Times returns [From, To].
func (q WindowQuery) Times() (from, to int64) { return q.From, q.To }

// KeyBounds bounds key's entries that start in [lo, hi].
func (WindowQuery) KeyBounds(prefix, key []byte, lo, hi int64) (first, last []byte) {
	return AppendEntry(bytes.Clone(prefix), key, lo, 0), AppendTimeEnd(prefix, key, hi)
}

// KeyEntry selects every entry within KeyBounds.
func (WindowQuery) KeyEntry(key, enc, value []byte) (state.WindowEntry, bool, error) {
	start, err := EntryStart(enc)
	return state.WindowEntry{Key: key, WindowStart: start, Value: value}, err == nil, err
}

// Entry selects the entries that start in [lo, hi].
func (WindowQuery) Entry(enc, value, scratch []byte, lo, hi int64) (state.WindowEntry, bool, []byte, error) {
	key, start, _, scratch, err := DecodeEntry(enc, scratch)
	return state.WindowEntry{Key: key, WindowStart: start, Value: value}, start >= lo && start <= hi, scratch, err
}

// WithValue returns e with value v.
func (WindowQuery) WithValue(e state.WindowEntry, v []byte) state.WindowEntry {
	e.Value = v
	return e
}

// SessionQuery selects the sessions that overlap [EarliestEnd,
// LatestStart]: those that end at or after EarliestEnd and start at or
// before LatestStart.
type SessionQuery struct{ EarliestEnd, LatestStart int64 }

var _ Query[state.SessionEntry] = SessionQuery{}

// Times returns the session ends from EarliestEnd on.
func (q SessionQuery) Times() (from, to int64) { return q.EarliestEnd, math.MaxInt64 }

// KeyBounds bounds key's sessions that end at or after lo.
func (SessionQuery) KeyBounds(prefix, key []byte, lo, _ int64) (first, last []byte) {
	return AppendSessionFrom(bytes.Clone(prefix), key, lo), AppendKeyEnd(prefix, key)
}

// KeyEntry selects the sessions that start at or before LatestStart.
func (q SessionQuery) KeyEntry(key, enc, value []byte) (state.SessionEntry, bool, error) {
	start, end, err := SessionTimes(enc)
	return state.SessionEntry{Key: key, Start: start, End: end, Value: value}, err == nil && start <= q.LatestStart, err
}

// Entry selects the sessions that end at or after lo and start at or
// before LatestStart.
func (q SessionQuery) Entry(enc, value, scratch []byte, lo, _ int64) (state.SessionEntry, bool, []byte, error) {
	key, start, end, scratch, err := DecodeSession(enc, scratch)
	return state.SessionEntry{Key: key, Start: start, End: end, Value: value}, end >= lo && start <= q.LatestStart, scratch, err
}

// WithValue returns e with value v.
func (SessionQuery) WithValue(e state.SessionEntry, v []byte) state.SessionEntry {
	e.Value = v
	return e
}
