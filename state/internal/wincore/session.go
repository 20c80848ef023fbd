// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import "github.com/eddy-streams/eddy/state"

// Session entry keys, after the store's own prefix, are laid out as
//
//	segment (8 bytes) ‖ escaped key ‖ 0x00 0x01 ‖ end (8 bytes) ‖ start (8 bytes)
//
// with the same order-preserving integers and key escaping as window
// entries. Segments are numbered by session end, so the sessions of one key
// sort by end, then start, across segments too; within a segment, entries
// sort by key, then end, then start.

// sessionSuffixLen is the length of end and start after the key.
const sessionSuffixLen = 8 + 8

// NewSessionClock returns the retention clock of a session store with opts
// that has seen no writes. Its times are session ends.
func NewSessionClock(opts state.SessionOptions) Clock {
	return Clock{Retention: opts.Retention, Interval: opts.Segment(), Observed: state.MinTime}
}

// AppendSession appends the within-segment encoding of session (key, start,
// end).
func AppendSession(dst, key []byte, start, end int64) []byte {
	dst = AppendKeyPrefix(dst, key)
	dst = AppendInt64(dst, end)
	return AppendInt64(dst, start)
}

// AppendSessionFrom appends the smallest within-segment encoding of key's
// sessions that end at or after end.
func AppendSessionFrom(dst, key []byte, end int64) []byte {
	dst = AppendKeyPrefix(dst, key)
	return AppendInt64(dst, end)
}

// DecodeSession decodes a within-segment session key. The returned key
// aliases b unless it contains 0x00 bytes, in which case it is unescaped
// into scratch, which is returned for reuse.
func DecodeSession(b, scratch []byte) (key []byte, start, end int64, newScratch []byte, err error) {
	key, scratch, err = decodeKey(b, sessionSuffixLen, scratch)
	if err != nil {
		return nil, 0, 0, scratch, err
	}
	start, end, _ = SessionTimes(b)
	return key, start, end, scratch, nil
}

// SessionTimes returns the start and end of a within-segment session key
// without decoding its key.
func SessionTimes(b []byte) (start, end int64, err error) {
	if len(b) < 2+sessionSuffixLen {
		return 0, 0, ErrCorrupt
	}
	tail := b[len(b)-sessionSuffixLen:]
	return Int64(tail[8:]), Int64(tail), nil
}
