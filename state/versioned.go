// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"errors"
	"math"
)

// VersionedRecord is one version of a key's value in a versioned store: the
// value that was valid from Timestamp (inclusive) to ValidTo (exclusive).
type VersionedRecord struct {
	Value []byte
	// Timestamp is the version's timestamp: the time from which it is valid.
	Timestamp int64
	// ValidTo is the timestamp of the next version of the key, or
	// VersionIsLatest if this is the latest version.
	ValidTo int64
}

// Put results of a versioned store besides a timestamp: the validTo of the
// version written.
const (
	// VersionIsLatest is the ValidTo of the latest version of a key, and
	// what Put returns when the value it wrote is the key's latest version
	// (Kafka Streams' PUT_RETURN_CODE_VALID_TO_UNDEFINED).
	VersionIsLatest int64 = math.MaxInt64
	// VersionNotPut is what Put returns when the timestamp was older than
	// the history retention allows, so nothing was written (Kafka Streams'
	// PUT_RETURN_CODE_NOT_PUT).
	VersionNotPut int64 = math.MinInt64
)

// VersionedKeyValueStore keeps, per key, every version of its value written
// within a history retention, as Kafka Streams' versioned key-value stores
// (KIP-889) do.
//
// Versions are ordered by timestamp, not by arrival: the latest version is
// the one with the largest timestamp, and a version written out of order
// (older than the key's latest) takes its place in the history. A version is
// valid from its timestamp until the next version's; a tombstone (a nil
// value) is a version too, during which the key has no value.
//
// The store's observed time is the largest timestamp put so far. A put or
// delete with a timestamp older than observedTime - HistoryRetention is not
// applied; GetAsOf for such a time finds only a latest version that was
// already valid then. Older versions are dropped as observed time advances,
// except each key's latest version, which never expires.
type VersionedKeyValueStore interface {
	// Name is the store's name, unique within a topology.
	Name() string
	// Put writes value as the version of key valid from ts; a nil value is
	// a tombstone. A version with timestamp ts already present is replaced.
	// It returns the version's validTo: VersionIsLatest if it is the key's
	// latest version, the next version's timestamp otherwise, or
	// VersionNotPut if ts is older than the history retention allows.
	Put(key, value []byte, ts int64) (validTo int64, err error)
	// Delete writes a tombstone version of key at ts and returns the version
	// that was valid at ts before it (found false if none). Like Put it does
	// nothing, and reports nothing found, for a ts older than the history
	// retention allows.
	Delete(key []byte, ts int64) (old VersionedRecord, found bool, err error)
	// Get returns the latest version of key; found is false if key has none
	// or its latest version is a tombstone. The value is owned by the caller.
	Get(key []byte) (rec VersionedRecord, found bool, err error)
	// GetAsOf returns the version of key valid at asOf (Timestamp <= asOf <
	// ValidTo). found is false if there is none, if it is a tombstone, or
	// if asOf is older than the history retention and the latest version
	// was not yet valid at asOf.
	GetAsOf(key []byte, asOf int64) (rec VersionedRecord, found bool, err error)
	// HistoryRetention is the store's history retention in milliseconds.
	HistoryRetention() int64
	// ObservedTime is the largest timestamp put so far, or MinTime.
	ObservedTime() (int64, error)
}

// VersionedOptions configure a versioned key-value store.
type VersionedOptions struct {
	// HistoryRetention is how long, in milliseconds of observed time, old
	// versions are kept: GetAsOf answers for any time at or after
	// observedTime - HistoryRetention. It is also the grace period of
	// writes: older puts are not applied. Must not be negative; zero keeps
	// only each key's latest version and rejects out-of-order writes.
	HistoryRetention int64
}

// Validate reports whether the options are usable.
func (o VersionedOptions) Validate() error {
	if o.HistoryRetention < 0 {
		return errors.New("state: versioned store history retention must not be negative")
	}
	return nil
}

// VersionedBackend is a Backend that opens versioned key-value stores. Both
// of Eddy's backends implement it.
type VersionedBackend interface {
	Backend
	// Versioned opens the versioned key-value store name. Its versions are
	// kept in the key-value store of that name, so a backend holds either a
	// key-value or a versioned store under one name, not both.
	Versioned(name string, opts VersionedOptions) (VersionedKeyValueStore, error)
}
