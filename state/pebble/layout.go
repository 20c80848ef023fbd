// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"encoding/binary"
	"fmt"

	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// Key layout of a task database.
//
// Every store gets a stable 4-byte id (big-endian, from 1) the first time it
// is opened; its keys are the id followed by the store's own key:
//
//	key-value store:  id ‖ key
//	window store:     id ‖ segment (8 bytes) ‖ escaped key ‖ 0x00 0x01 ‖ start (8) ‖ seq (4)
//	session store:    id ‖ segment (8 bytes) ‖ escaped key ‖ 0x00 0x01 ‖ end (8) ‖ start (8)
//
// (see package wincore for the window encoding). Id 0 is the metadata space:
//
//	0 ‖ 's' ‖ store name      -> kind (1 byte) ‖ id (4) [‖ segment interval (8) for window and session stores]
//	0 ‖ 'o' ‖ changelog key   -> next offset (8 bytes)
//	0 ‖ 'w' ‖ id              -> observed time (8) ‖ sequence number (4, 0 for session stores)
//
// Offsets and window state are written in the same batch as the data they
// describe, so they always match it after a crash.

const (
	idLen = 4

	tagStore  = 's'
	tagOffset = 'o'
	tagWindow = 'w'

	kindKeyValue byte = 1
	kindWindow   byte = 2
	kindSession  byte = 3
)

var metaPrefix = []byte{0, 0, 0, 0}

func storePrefix(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

func metaKey(tag byte, name []byte) []byte {
	k := append(append([]byte(nil), metaPrefix...), tag)
	return append(k, name...)
}

// storeRecord is a store's registration.
type storeRecord struct {
	kind     byte
	id       uint32
	interval int64 // window stores: segment interval the layout depends on
}

func (r storeRecord) encode() []byte {
	b := append([]byte{r.kind}, storePrefix(r.id)...)
	if r.kind == kindWindow || r.kind == kindSession {
		b = binary.BigEndian.AppendUint64(b, uint64(r.interval))
	}
	return b
}

// decodeStoreRecord decodes the registration of store name. Besides a wrong
// length or kind it rejects what register never writes and the layout
// cannot use: id 0 (the metadata space) and a segment interval that is not
// positive.
func decodeStoreRecord(name string, b []byte) (storeRecord, error) {
	if len(b) < 1+idLen {
		return storeRecord{}, fmt.Errorf("state/pebble: corrupt registration of store %q", name)
	}
	r := storeRecord{kind: b[0], id: binary.BigEndian.Uint32(b[1:])}
	switch {
	case r.kind == kindKeyValue && len(b) == 1+idLen:
	case (r.kind == kindWindow || r.kind == kindSession) && len(b) == 1+idLen+8:
		r.interval = int64(binary.BigEndian.Uint64(b[1+idLen:]))
		if r.interval <= 0 {
			return storeRecord{}, fmt.Errorf("state/pebble: corrupt registration of store %q: segment interval %d", name, r.interval)
		}
	default:
		return storeRecord{}, fmt.Errorf("state/pebble: corrupt registration of store %q", name)
	}
	if r.id == 0 {
		return storeRecord{}, fmt.Errorf("state/pebble: corrupt registration of store %q: id 0 is the metadata space", name)
	}
	return r, nil
}

// encodeOffset encodes a committed changelog offset, the value of a
// 0 ‖ 'o' ‖ changelog key entry.
func encodeOffset(off int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(off)) }

// decodeOffset decodes the committed offset of changelog key.
func decodeOffset(key string, b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("state/pebble: corrupt offset of %q", key)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func kindName(k byte) string {
	switch k {
	case kindWindow:
		return "window"
	case kindSession:
		return "session"
	}
	return "key-value"
}

// windowMeta is the persisted part of a window store's retention state.
type windowMeta struct {
	observed int64
	seq      uint32
}

func (m windowMeta) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(m.observed))
	return binary.BigEndian.AppendUint32(b, m.seq)
}

func decodeWindowMeta(b []byte) (windowMeta, error) {
	if len(b) != 12 {
		return windowMeta{}, fmt.Errorf("state/pebble: corrupt window store state")
	}
	return windowMeta{observed: int64(binary.BigEndian.Uint64(b)), seq: binary.BigEndian.Uint32(b[8:])}, nil
}

// segmentKey appends the prefix of segment seg of a window store.
func segmentKey(dst, prefix []byte, seg int64) []byte {
	return wincore.AppendInt64(append(dst, prefix...), seg)
}
