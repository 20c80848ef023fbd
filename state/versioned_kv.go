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
//	0x00                      → ts8 observed time ‖ ts8 earliest expiry hint
//	0x01 ‖ lk ‖ ts8 validFrom → 0x01 ‖ value, or 0x00 for a tombstone
//	0x02 ‖ ts8 expiry ‖ lk ‖ ts8 validFrom → empty: the version may be
//	                            dropped once expiry <= observed time - retention
//	0x03 ‖ lk                 → ts8 validFrom ‖ the latest version's entry
//
// A version's validTo is the next version's timestamp. Its expiry is its
// validTo, or for a latest version that is a tombstone its own timestamp; a
// latest version with a value never expires. The latest version is also
// kept under 0x03, so that writes in timestamp order and reads of the
// latest version, or as of a time it was already valid, take point reads
// only; other reads and writes iterate over the key's versions.
func NewVersionedKeyValueStore(kv KeyValueStore, opts VersionedOptions) (VersionedKeyValueStore, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: versioned store %q: %w", kv.Name(), err)
	}
	return &versionedKV{kv: kv, retention: opts.HistoryRetention, nextExpiry: MinTime}, nil
}

// versionedKV is a VersionedKeyValueStore over a byte-level store.
type versionedKV struct {
	kv        KeyValueStore
	retention int64
	// nextExpiry is at most the smallest expiry in the index (MinTime:
	// unknown). expire scans the index only once the cutoff has passed it
	// by expireSlack, so that a scan (an iterator) drops a batch of
	// versions rather than one per write; expired versions are invisible
	// to reads until then. It is kept in the store with the observed
	// time, so an Abort restores it with the index, and loaded by each Put.
	nextExpiry int64
}

// expireSlack is how far, in milliseconds of observed time, the cutoff
// passes the earliest expiry before expire drops expired versions: half
// the history retention, as Kafka Streams' versioned stores drop whole
// segments of history at a time.
func (s *versionedKV) expireSlack() int64 { return s.retention / 2 }

const (
	vkMeta    = 0x00
	vkVersion = 0x01
	vkExpiry  = 0x02
	vkLatest  = 0x03
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

func latestKey(prefix []byte) []byte {
	b := bytes.Clone(prefix)
	b[0] = vkLatest
	return b
}

// latest reads key's latest version from its 0x03 entry.
func (s *versionedKV) latest(prefix []byte) (version, error) {
	b, err := s.kv.Get(latestKey(prefix))
	if err != nil || b == nil {
		return version{}, err
	}
	if len(b) < 9 {
		return version{}, fmt.Errorf("state: versioned store %q: corrupt latest version entry", s.Name())
	}
	return s.decode(b[:8], b[8:])
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
	observed, _, err := s.meta()
	return observed, err
}

// meta reads the observed time and the earliest expiry hint.
func (s *versionedKV) meta() (observed, nextExpiry int64, err error) {
	b, err := s.kv.Get(vkMetaKey)
	if err != nil || b == nil {
		return MinTime, MinTime, err
	}
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("state: versioned store %q: corrupt observed time of %d bytes", s.Name(), len(b))
	}
	return readTS(b), readTS(b[8:]), nil
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
	latest, err := s.latest(versionPrefix(key))
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
	latest, err := s.latest(prefix)
	if err != nil || !latest.ok {
		return VersionedRecord{}, false, err
	}
	if latest.from <= asOf {
		// The latest version answers for any time after it, even beyond
		// the history: it never expires.
		if latest.value == nil {
			return VersionedRecord{}, false, nil
		}
		return VersionedRecord{Value: latest.value, Timestamp: latest.from, ValidTo: VersionIsLatest}, true, nil
	}
	if asOf < s.cutoff(observed) {
		return VersionedRecord{}, false, nil // beyond the history
	}
	// Walk back from the latest version to the one valid at asOf; the
	// version walked before it is its successor.
	next := latest
	for e, err := range s.kv.ReverseRange(versionKey(prefix, math.MinInt64), versionKey(prefix, latest.from-1)) {
		if err != nil {
			return VersionedRecord{}, false, err
		}
		v, err := s.decode(e.Key, e.Value)
		if err != nil {
			return VersionedRecord{}, false, err
		}
		if v.from > asOf {
			next = v
			continue
		}
		if v.value == nil {
			return VersionedRecord{}, false, nil
		}
		return VersionedRecord{Value: v.value, Timestamp: v.from, ValidTo: next.from}, true, nil
	}
	return VersionedRecord{}, false, nil
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
		s.nextExpiry = min(s.nextExpiry, expiry)
		return s.kv.Put(expiryKey(prefix, expiry, from), []byte{})
	}
	return nil
}

func (s *versionedKV) Put(key, value []byte, ts int64) (int64, error) {
	observed, hint, err := s.meta()
	if err != nil {
		return 0, err
	}
	if ts < s.cutoff(observed) {
		return VersionNotPut, nil
	}
	s.nextExpiry = hint
	oldObserved := observed
	if ts > observed || observed == MinTime {
		observed = ts
	}
	to, err := s.put(key, value, ts, observed)
	if err != nil {
		return 0, err
	}
	if observed != oldObserved || s.nextExpiry != hint {
		if err := s.kv.Put(vkMetaKey, appendTS(appendTS(make([]byte, 0, 16), observed), s.nextExpiry)); err != nil {
			return 0, err
		}
	}
	return to, nil
}

// put writes the version once Put has checked ts against the history.
func (s *versionedKV) put(key, value []byte, ts, observed int64) (int64, error) {
	prefix := versionPrefix(key)
	latest, err := s.latest(prefix)
	if err != nil {
		return 0, err
	}
	// prev is the version at or before ts, next the one after it.
	var prev, next version
	if !latest.ok || latest.from <= ts {
		prev = latest // in order: no iteration
	} else {
		if prev, err = s.floor(prefix, ts); err != nil {
			return 0, err
		}
		if next, err = s.ceil(prefix, ts); err != nil {
			return 0, err
		}
	}
	stored := make([]byte, 8, 8+1+len(value))
	binary.BigEndian.PutUint64(stored, uint64(ts)^(1<<63))
	if value == nil {
		stored = append(stored, 0)
	} else {
		stored = append(append(stored, 1), value...)
	}
	if err := s.kv.Put(versionKey(prefix, ts), stored[8:]); err != nil {
		return 0, err
	}
	if !next.ok {
		if err := s.kv.Put(latestKey(prefix), stored); err != nil {
			return 0, err
		}
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
	if slack := s.expireSlack(); s.nextExpiry != MinTime &&
		(s.nextExpiry > math.MaxInt64-slack || cutoff < s.nextExpiry+slack) {
		return nil
	}
	s.nextExpiry = noExpiry
	var drop [][]byte
	for e, err := range s.kv.PrefixScan([]byte{vkExpiry}) {
		if err != nil {
			return err
		}
		if len(e.Key) < 1+8+8 {
			return fmt.Errorf("state: versioned store %q: corrupt expiry entry", s.Name())
		}
		if exp := readTS(e.Key[1:9]); exp > cutoff {
			s.nextExpiry = exp
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
		if bytes.Equal(k[1:9], k[len(k)-8:]) {
			// Expiry = validFrom: a latest version that is a tombstone.
			if err := s.kv.Delete(latestKey(vk[:len(vk)-8])); err != nil {
				return err
			}
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
