// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package state defines Eddy's state stores: byte-level key-value, window and
// session stores, the per-task [Backend] that opens them and commits their
// writes atomically with changelog offsets, and typed views over them.
//
// Two backends implement the same interfaces: package state/memory (tests,
// small state) and package state/pebble (persistent, Pebble v2). Package
// state/statetest holds the conformance suite both must pass.
//
// Keys are ordered by their serialized bytes (lexicographically, as Kafka
// Streams' stores order them). Ranges are inclusive of both ends, like Kafka
// Streams' range(from, to); a nil bound is open.
//
// Iteration uses iter.Seq2 and cannot leak: resources are released when the
// range loop ends, whether by exhaustion, break or panic. Key and value slices
// yielded by an iterator are valid only until the loop body returns; copy them
// to keep them. An iterator that fails yields a final (zero, err) pair.
//
// A range loop reads a snapshot: it sees the store as it was when the loop
// started. The loop body may write to the store (for example, delete the
// entries it visits); those writes are visible to Get and to loops started
// later, but not to the running loop. Commit, Abort and Close fail with
// [ErrInLoop] while a loop is running.
//
// A backend and its stores belong to one task and are not safe for
// concurrent use.
package state

import (
	"errors"
	"iter"
)

// KeyValue is one entry of a key-value store.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// KeyValueStore is a sorted byte-level key-value store.
//
// A nil value passed to Put deletes the key, matching Kafka's tombstones.
type KeyValueStore interface {
	// Name is the store's name, unique within a topology.
	Name() string
	// Get returns the value for key, or nil if absent. The returned slice is
	// owned by the caller.
	Get(key []byte) ([]byte, error)
	// Put writes value under key; a nil value deletes the key.
	Put(key, value []byte) error
	// Delete removes key.
	Delete(key []byte) error
	// Range iterates keys in [from, to] in ascending order; nil bounds are open.
	Range(from, to []byte) iter.Seq2[KeyValue, error]
	// ReverseRange iterates keys in [from, to] in descending order.
	ReverseRange(from, to []byte) iter.Seq2[KeyValue, error]
	// PrefixScan iterates keys that start with prefix in ascending order.
	PrefixScan(prefix []byte) iter.Seq2[KeyValue, error]
	// All iterates every key in ascending order.
	All() iter.Seq2[KeyValue, error]
	// ApproximateNumEntries estimates the number of keys.
	ApproximateNumEntries() (int64, error)
}

// WindowEntry is one entry of a window store.
type WindowEntry struct {
	Key         []byte
	WindowStart int64
	Value       []byte
}

// WindowStore stores values per (key, window start).
//
// Entries are ordered by key bytes, then window start. Retention is driven by
// observed time: every Put advances the store's observed time to at least the
// window start, and windows that start at or before observedTime - Retention
// are expired (no longer returned, and eventually deleted), as in Kafka
// Streams' window stores. A Put of an already expired window is ignored.
type WindowStore interface {
	// Name is the store's name, unique within a topology.
	Name() string
	// Put writes value for (key, windowStart); a nil value deletes it.
	// In a store that retains duplicates every Put adds an entry, and nil
	// values are ignored.
	Put(key []byte, windowStart int64, value []byte) error
	// Fetch returns the value for (key, windowStart), or nil if absent or expired.
	Fetch(key []byte, windowStart int64) ([]byte, error)
	// FetchRange iterates key's windows whose start lies in [from, to], by
	// ascending start.
	FetchRange(key []byte, from, to int64) iter.Seq2[WindowEntry, error]
	// BackwardFetchRange is FetchRange by descending start.
	BackwardFetchRange(key []byte, from, to int64) iter.Seq2[WindowEntry, error]
	// FetchKeyRange iterates windows of keys in [keyFrom, keyTo] (nil bounds
	// open) whose start lies in [from, to], ordered by key then start.
	FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[WindowEntry, error]
	// All iterates every unexpired entry ordered by key then start.
	All() iter.Seq2[WindowEntry, error]
	// ObservedTime is the largest window start put so far, or MinTime.
	ObservedTime() int64
}

// MinTime is the observed time of a window store that has seen no writes.
const MinTime int64 = -1 << 63

// WindowRestorer is implemented by window stores that can write an entry
// under a given sequence number. The engine uses it to restore window
// stores from their changelog, whose keys are key ‖ 8-byte window start ‖
// 4-byte sequence number, and to log the entries of stores that retain
// duplicates under the sequence number the store holds them with. Restored
// entries keep their sequence number, so replaying a changelog record that
// the store already holds overwrites that entry instead of adding a
// duplicate, as Kafka Streams' RocksDB window store does when it restores
// the changelog key bytes as they are.
//
// Both backends' window stores implement it. A store that does not is
// restored with Put, which in a store that retains duplicates adds every
// replayed record again.
type WindowRestorer interface {
	// RestorePut writes value for exactly the entry (key, windowStart, seq),
	// overwriting it if present; a nil value deletes that entry. Like Put
	// it ignores expired windows.
	//
	// In a store that retains duplicates RestorePut also advances the
	// store's sequence counter (LastSeq) to seq if seq follows it, even if
	// the window is expired, so that later Puts do not reuse a restored
	// sequence number; replaying older records leaves the counter where it
	// is. Sequence numbers wrap around (see NextSeq), so seq follows the
	// counter if it is less than 2^30 steps ahead of it modulo 2^31 (or if
	// the counter is 0): restoring a changelog in order leaves the counter
	// at its latest record even across a wrap. A nil value does not advance
	// the observed time, just as Put ignores nil values in such a store.
	//
	// In a store that does not retain duplicates seq is ignored (its
	// entries all have sequence number 0) and RestorePut is Put.
	RestorePut(key []byte, windowStart int64, seq uint32, value []byte) error
	// LastSeq is the store's sequence counter: the sequence number of its
	// latest entry (by Put or RestorePut), 0 before the first, and always 0
	// in a store that does not retain duplicates. The next Put uses
	// NextSeq(LastSeq()). Persistent backends commit the counter with the
	// store's data, so it survives a restart.
	LastSeq() uint32
}

// MaxSeq is the largest sequence number a store that retains duplicates
// assigns: sequence numbers run 1, 2, …, MaxSeq and then wrap around to 1,
// positive 31-bit numbers as in Kafka Streams' changelogs.
const MaxSeq uint32 = 1<<31 - 1

// NextSeq returns the sequence number that follows seq.
func NextSeq(seq uint32) uint32 { return seq%MaxSeq + 1 }

// WindowOptions configure a window store.
type WindowOptions struct {
	// Retention is how long, in milliseconds of observed time, a window is
	// kept after its start. Must be > 0.
	Retention int64
	// SegmentInterval is the width, in milliseconds, of the segments expired
	// as a whole. Zero picks max(Retention/2, 60000), as Kafka Streams does.
	SegmentInterval int64
	// RetainDuplicates keeps every Put as its own entry (stream-stream joins).
	RetainDuplicates bool
}

// Validate reports whether the options are usable.
func (o WindowOptions) Validate() error {
	if o.Retention <= 0 {
		return errors.New("state: window store retention must be positive")
	}
	if o.SegmentInterval < 0 {
		return errors.New("state: window store segment interval must not be negative")
	}
	return nil
}

// Segment returns the effective segment interval.
func (o WindowOptions) Segment() int64 {
	if o.SegmentInterval > 0 {
		return o.SegmentInterval
	}
	return max(o.Retention/2, 60_000)
}

// SessionEntry is one session of a session store: the aggregate of key over
// the session [Start, End], both ends inclusive.
type SessionEntry struct {
	Key   []byte
	Start int64
	End   int64
	Value []byte
}

// SessionStore stores one value per (key, session start, session end), as
// Kafka Streams' SessionStore does for session-windowed aggregations.
//
// Sessions of one key are ordered by end, then start; iterations over
// several keys are ordered by key bytes, then end, then start. Retention is
// driven by observed time, the largest session end put so far: sessions
// that end at or before observedTime - Retention are expired (no longer
// returned, and eventually deleted), as in Kafka Streams' session stores,
// and a Put of an expired session is ignored.
// Segments are keyed by session end.
type SessionStore interface {
	// Name is the store's name, unique within a topology.
	Name() string
	// Put writes value for the session (key, start, end); a nil value
	// removes the session. It fails if start > end.
	Put(key []byte, start, end int64, value []byte) error
	// FetchSession returns the value of the session (key, start, end), or
	// nil if absent or expired.
	FetchSession(key []byte, start, end int64) ([]byte, error)
	// FindSessions iterates key's sessions that overlap the time range
	// [earliestSessionEnd, latestSessionStart]: those with
	// end >= earliestSessionEnd and start <= latestSessionStart, ordered by
	// end, then start.
	FindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[SessionEntry, error]
	// BackwardFindSessions is FindSessions in descending order.
	BackwardFindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[SessionEntry, error]
	// FindSessionsKeyRange is FindSessions over the keys in [keyFrom,
	// keyTo] (nil bounds open), ordered by key, then end, then start.
	FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[SessionEntry, error]
	// Fetch iterates every unexpired session of key, ordered by end, then start.
	Fetch(key []byte) iter.Seq2[SessionEntry, error]
	// FetchKeyRange iterates every unexpired session of the keys in
	// [keyFrom, keyTo] (nil bounds open), ordered by key, then end, then start.
	FetchKeyRange(keyFrom, keyTo []byte) iter.Seq2[SessionEntry, error]
	// All iterates every unexpired session ordered by key, then end, then start.
	All() iter.Seq2[SessionEntry, error]
	// ObservedTime is the largest session end put so far, or MinTime.
	ObservedTime() int64
}

// SessionOptions configure a session store.
type SessionOptions struct {
	// Retention is how long, in milliseconds of observed time, a session is
	// kept after its end. Must be > 0.
	Retention int64
	// SegmentInterval is the width, in milliseconds of session end, of the
	// segments expired as a whole. Zero picks max(Retention/2, 60000), as
	// Kafka Streams does.
	SegmentInterval int64
}

// Validate reports whether the options are usable.
func (o SessionOptions) Validate() error {
	if o.Retention <= 0 {
		return errors.New("state: session store retention must be positive")
	}
	if o.SegmentInterval < 0 {
		return errors.New("state: session store segment interval must not be negative")
	}
	return nil
}

// Segment returns the effective segment interval.
func (o SessionOptions) Segment() int64 {
	if o.SegmentInterval > 0 {
		return o.SegmentInterval
	}
	return max(o.Retention/2, 60_000)
}

// Backend holds the stores of one task and commits their writes.
//
// Writes made through the backend's stores are visible to reads immediately
// (read-your-writes) but become durable only on Commit, together with the
// changelog offsets passed to it, in one atomic step. Abort discards every
// write since the last Commit. This is the basis of exactly-once processing
// without wiping state after a crash.
type Backend interface {
	// KeyValue opens (or returns the already open) key-value store name.
	KeyValue(name string) (KeyValueStore, error)
	// Window opens (or returns the already open) window store name.
	Window(name string, opts WindowOptions) (WindowStore, error)
	// Session opens (or returns the already open) session store name.
	Session(name string, opts SessionOptions) (SessionStore, error)
	// Commit makes all writes since the last Commit durable together with
	// offsets: changelog topic-partition key -> next offset to restore from.
	// The offsets are merged into those recorded before: keys not in offsets
	// keep their previous value.
	Commit(offsets map[string]int64) error
	// Abort discards all writes since the last Commit.
	Abort() error
	// Offsets returns the changelog offsets recorded by Commit so far
	// (including commits of earlier processes for persistent backends).
	Offsets() (map[string]int64, error)
	// Close releases the backend. Uncommitted writes are discarded.
	Close() error
}

// ErrClosed is returned by operations on a closed store or backend.
var ErrClosed = errors.New("state: closed")

// ErrInLoop is returned by Commit, Abort and Close when called while a range
// loop over one of the backend's stores is still running.
var ErrInLoop = errors.New("state: commit, abort or close inside a range loop")
