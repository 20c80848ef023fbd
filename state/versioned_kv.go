// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// NewVersionedKeyValueStore returns a versioned store that keeps its
// versions in kv, a store it owns from then on. Backends use it to implement
// VersionedBackend; every write goes through kv, so the backend's Commit and
// Abort cover the versioned store as they cover kv.
//
// Layout of kv (ts8 is a timestamp as 8 big-endian bytes with the sign bit
// flipped, so that byte order is time order; lk is uvarint(len(key)) ‖ key):
//
//	0x00                      → ts8 observed time
//	0x01 ‖ lk ‖ ts8 validFrom → 0x01 ‖ value, or 0x00 for a tombstone
//	0x02 ‖ ts8 expiry ‖ lk ‖ ts8 validFrom → empty: the version may be
//	                            dropped once expiry <= observed time - retention
//
// A version's validTo is the next version's timestamp. Its expiry is its
// validTo, or for a latest version that is a tombstone its own timestamp; a
// latest version with a value never expires.
func NewVersionedKeyValueStore(kv KeyValueStore, opts VersionedOptions) (VersionedKeyValueStore, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: versioned store %q: %w", kv.Name(), err)
	}
	return &versionedKV{kv: kv, retention: opts.HistoryRetention}, nil
}

// versionedKV is a VersionedKeyValueStore over a byte-level store.
type versionedKV struct {
	kv        KeyValueStore
	retention int64
}

const (
	vkMeta    = 0x00
	vkVersion = 0x01
	vkExpiry  = 0x02
	noExpiry  = math.MaxInt64
)

var vkMetaKey = []byte{vkMeta}

func appendTS(b []byte, ts int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ts)^(1<<63))
}

func readTS(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// versionPrefix is 0x01 ‖ lk.
func versionPrefix(key []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(key)+8)
	b = append(b, vkVersion)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

func versionKey(prefix []byte, ts int64) []byte {
	return appendTS(bytes.Clone(prefix), ts)
}

func expiryKey(prefix []byte, expiry, validFrom int64) []byte {
	b := make([]byte, 0, 1+8+len(prefix)-1+8)
	b = append(b, vkExpiry)
	b = appendTS(b, expiry)
	b = append(b, prefix[1:]...)
	return appendTS(b, validFrom)
}

// version is a stored version read back.
type version struct {
	from  int64
	value []byte // nil: tombstone
	ok    bool
}

func (s *versionedKV) Name() string { return s.kv.Name() }

func (s *versionedKV) HistoryRetention() int64 { return s.retention }

func (s *versionedKV) ObservedTime() (int64, error) {
	b, err := s.kv.Get(vkMetaKey)
	if err != nil || b == nil {
		return MinTime, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("state: versioned store %q: corrupt observed time of %d bytes", s.Name(), len(b))
	}
	return readTS(b), nil
}

// cutoff is the oldest time the history answers for: observed - retention.
func (s *versionedKV) cutoff(observed int64) int64 {
	if observed == MinTime {
		return MinTime
	}
	if observed < MinTime+s.retention {
		return MinTime
	}
	return observed - s.retention
}

// decode reads a stored version value.
func (s *versionedKV) decode(k, v []byte) (version, error) {
	if len(v) < 1 || len(k) < 8 {
		return version{}, fmt.Errorf("state: versioned store %q: corrupt version entry", s.Name())
	}
	out := version{from: readTS(k[len(k)-8:]), ok: true}
	if v[0] == 1 {
		out.value = bytes.Clone(v[1:])
		if out.value == nil {
			out.value = []byte{}
		}
	}
	return out, nil
}

// floor returns key's version with the largest timestamp <= ts.
func (s *versionedKV) floor(prefix []byte, ts int64) (version, error) {
	for e, err := range s.kv.ReverseRange(versionKey(prefix, math.MinInt64), versionKey(prefix, ts)) {
		if err != nil {
			return version{}, err
		}
		return s.decode(e.Key, e.Value)
	}
	return version{}, nil
}

// ceil returns key's version with the smallest timestamp > ts.
func (s *versionedKV) ceil(prefix []byte, ts int64) (version, error) {
	if ts == math.MaxInt64 {
		return version{}, nil
	}
	for e, err := range s.kv.Range(versionKey(prefix, ts+1), versionKey(prefix, math.MaxInt64)) {
		if err != nil {
			return version{}, err
		}
		return s.decode(e.Key, e.Value)
	}
	return version{}, nil
}

func (s *versionedKV) Get(key []byte) (VersionedRecord, bool, error) {
	latest, err := s.floor(versionPrefix(key), math.MaxInt64)
	if err != nil || !latest.ok || latest.value == nil {
		return VersionedRecord{}, false, err
	}
	return VersionedRecord{Value: latest.value, Timestamp: latest.from, ValidTo: VersionIsLatest}, true, nil
}

func (s *versionedKV) GetAsOf(key []byte, asOf int64) (VersionedRecord, bool, error) {
	prefix := versionPrefix(key)
	observed, err := s.ObservedTime()
	if err != nil {
		return VersionedRecord{}, false, err
	}
	if asOf < s.cutoff(observed) {
		// Beyond the history: only a latest version already valid at asOf
		// answers, as the latest version never expires.
		latest, err := s.floor(prefix, math.MaxInt64)
		if err != nil || !latest.ok || latest.value == nil || latest.from > asOf {
			return VersionedRecord{}, false, err
		}
		return VersionedRecord{Value: latest.value, Timestamp: latest.from, ValidTo: VersionIsLatest}, true, nil
	}
	v, err := s.floor(prefix, asOf)
	if err != nil || !v.ok || v.value == nil {
		return VersionedRecord{}, false, err
	}
	next, err := s.ceil(prefix, asOf)
	if err != nil {
		return VersionedRecord{}, false, err
	}
	to := VersionIsLatest
	if next.ok {
		to = next.from
	}
	return VersionedRecord{Value: v.value, Timestamp: v.from, ValidTo: to}, true, nil
}

// expiryOf is a version's expiry given whether it is a tombstone and its
// successor.
func expiryOf(tombstone bool, from int64, next version) int64 {
	switch {
	case next.ok:
		return next.from
	case tombstone:
		return from
	default:
		return noExpiry
	}
}

// setExpiry moves a version's expiry index entry from old to expiry.
func (s *versionedKV) setExpiry(prefix []byte, from, old, expiry int64) error {
	if old == expiry {
		return nil
	}
	if old != noExpiry {
		if err := s.kv.Delete(expiryKey(prefix, old, from)); err != nil {
			return err
		}
	}
	if expiry != noExpiry {
		return s.kv.Put(expiryKey(prefix, expiry, from), []byte{})
	}
	return nil
}

func (s *versionedKV) Put(key, value []byte, ts int64) (int64, error) {
	observed, err := s.ObservedTime()
	if err != nil {
		return 0, err
	}
	if ts < s.cutoff(observed) {
		return VersionNotPut, nil
	}
	if ts > observed || observed == MinTime {
		observed = ts
		if err := s.kv.Put(vkMetaKey, appendTS(nil, observed)); err != nil {
			return 0, err
		}
	}
	prefix := versionPrefix(key)
	prev, err := s.floor(prefix, ts)
	if err != nil {
		return 0, err
	}
	next, err := s.ceil(prefix, ts)
	if err != nil {
		return 0, err
	}
	stored := []byte{0}
	if value != nil {
		stored = append(make([]byte, 0, 1+len(value)), 1)
		stored = append(stored, value...)
	}
	if err := s.kv.Put(versionKey(prefix, ts), stored); err != nil {
		return 0, err
	}
	newExpiry := expiryOf(value == nil, ts, next)
	switch {
	case prev.ok && prev.from == ts:
		// Replaces the version with the same timestamp.
		if err := s.setExpiry(prefix, ts, expiryOf(prev.value == nil, ts, next), newExpiry); err != nil {
			return 0, err
		}
	default:
		if err := s.setExpiry(prefix, ts, noExpiry, newExpiry); err != nil {
			return 0, err
		}
		if prev.ok {
			// The previous version now ends at ts.
			if err := s.setExpiry(prefix, prev.from, expiryOf(prev.value == nil, prev.from, next), ts); err != nil {
				return 0, err
			}
		}
	}
	if err := s.expire(s.cutoff(observed)); err != nil {
		return 0, err
	}
	if next.ok {
		return next.from, nil
	}
	return VersionIsLatest, nil
}

// expire drops the versions whose expiry is at or before cutoff: no GetAsOf
// at or after cutoff can return them.
func (s *versionedKV) expire(cutoff int64) error {
	if cutoff == MinTime {
		return nil
	}
	var drop [][]byte
	for e, err := range s.kv.PrefixScan([]byte{vkExpiry}) {
		if err != nil {
			return err
		}
		if len(e.Key) < 1+8+8 {
			return fmt.Errorf("state: versioned store %q: corrupt expiry entry", s.Name())
		}
		if readTS(e.Key[1:9]) > cutoff {
			break // entries are ordered by expiry
		}
		drop = append(drop, bytes.Clone(e.Key))
	}
	for _, k := range drop {
		// 0x02 ‖ ts8 expiry ‖ lk ‖ ts8 validFrom → 0x01 ‖ lk ‖ ts8 validFrom.
		vk := append([]byte{vkVersion}, k[9:]...)
		if err := s.kv.Delete(vk); err != nil {
			return err
		}
		if err := s.kv.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *versionedKV) Delete(key []byte, ts int64) (VersionedRecord, bool, error) {
	observed, err := s.ObservedTime()
	if err != nil {
		return VersionedRecord{}, false, err
	}
	if ts < s.cutoff(observed) {
		return VersionedRecord{}, false, nil
	}
	old, found, err := s.GetAsOf(key, ts)
	if err != nil {
		return VersionedRecord{}, false, err
	}
	if _, err := s.Put(key, nil, ts); err != nil {
		return VersionedRecord{}, false, err
	}
	return old, found, nil
}
