// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package wincore

import (
	"encoding/binary"
	"errors"
)

// Entry keys, after the store's own prefix, are laid out as
//
//	segment (8 bytes) ‖ escaped key ‖ 0x00 0x01 ‖ start (8 bytes) ‖ seq (4 bytes BE)
//
// Integers are big-endian with the sign bit flipped, so negative times sort
// before positive ones. The key is escaped (each 0x00 byte becomes 0x00 0xFF)
// and terminated by 0x00 0x01. That encoding keeps keys in their byte order,
// and no encoded key is a prefix of another, so within a segment entries sort
// by key, then start, then sequence number, and keys that are prefixes of
// other keys never collide. The memory backend stores the part after the
// segment in a per-segment tree; Pebble stores the whole.

// SegmentLen is the encoded length of a segment id.
const SegmentLen = 8

// suffixLen is the length of start and sequence number after the key.
const suffixLen = 8 + 4

const signBit = 1 << 63

// AppendInt64 appends t as 8 order-preserving bytes.
func AppendInt64(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^signBit)
}

// Int64 decodes what AppendInt64 wrote.
func Int64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ signBit) }

// AppendKeyPrefix appends the escaped, terminated form of key: the prefix
// shared by all entries of key within a segment.
func AppendKeyPrefix(dst, key []byte) []byte {
	for _, c := range key {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, c)
		}
	}
	return append(dst, 0, 1)
}

// AppendKeyEnd appends the smallest encoding greater than every entry of key
// within a segment (and smaller than the entries of any greater key).
func AppendKeyEnd(dst, key []byte) []byte {
	dst = AppendKeyPrefix(dst, key)
	dst[len(dst)-1] = 2
	return dst
}

// AppendEntry appends the within-segment encoding of (key, start, seq).
func AppendEntry(dst, key []byte, start int64, seq uint32) []byte {
	dst = AppendKeyPrefix(dst, key)
	dst = AppendInt64(dst, start)
	return binary.BigEndian.AppendUint32(dst, seq)
}

// AppendTimeEnd appends the key prefix and start time of (key, start)
// followed by 0xFF, which sorts after every sequence number of that window.
func AppendTimeEnd(dst, key []byte, start int64) []byte {
	dst = AppendKeyPrefix(dst, key)
	dst = AppendInt64(dst, start)
	return append(dst, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
}

// ErrCorrupt reports an entry key that does not follow the layout.
var ErrCorrupt = errors.New("state: corrupt window store key")

// DecodeEntry decodes a within-segment entry key. The returned key aliases b
// unless it contains 0x00 bytes, in which case it is unescaped into scratch,
// which is returned for reuse.
func DecodeEntry(b, scratch []byte) (key []byte, start int64, seq uint32, newScratch []byte, err error) {
	key, scratch, err = decodeKey(b, suffixLen, scratch)
	if err != nil {
		return nil, 0, 0, scratch, err
	}
	tail := b[len(b)-suffixLen:]
	return key, Int64(tail), binary.BigEndian.Uint32(tail[8:]), scratch, nil
}

// decodeKey decodes the escaped, terminated key of an encoded entry that
// ends in suffix bytes of times. The returned key aliases b unless it
// contains 0x00 bytes, in which case it is unescaped into scratch, which is
// returned for reuse.
func decodeKey(b []byte, suffix int, scratch []byte) (key, newScratch []byte, err error) {
	if len(b) < 2+suffix {
		return nil, scratch, ErrCorrupt
	}
	encKey := b[:len(b)-suffix]
	if encKey[len(encKey)-2] != 0 || encKey[len(encKey)-1] != 1 {
		return nil, scratch, ErrCorrupt
	}
	encKey = encKey[:len(encKey)-2]
	key = encKey
	for i, c := range encKey {
		if c != 0 {
			continue
		}
		// Slow path: unescape.
		out := append(scratch[:0], encKey[:i]...)
		for j := i; j < len(encKey); j++ {
			c := encKey[j]
			if c == 0 {
				if j+1 >= len(encKey) || encKey[j+1] != 0xFF {
					return nil, scratch, ErrCorrupt
				}
				j++
			}
			out = append(out, c)
		}
		key, scratch = out, out
		break
	}
	return key[:len(key):len(key)], scratch, nil
}

// EntryStart returns the window start of a within-segment entry key without
// decoding its key.
func EntryStart(b []byte) (int64, error) {
	if len(b) < 2+suffixLen {
		return 0, ErrCorrupt
	}
	return Int64(b[len(b)-suffixLen:]), nil
}

// PrefixEnd returns the smallest byte string greater than every string that
// starts with prefix, or nil if there is none (prefix is empty or all 0xFF).
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, prefix)
			end[i]++
			return end
		}
	}
	return nil
}
