// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/eddy-streams/eddy/serde"
)

// The internal formats of the foreign-key table–table join (KIP-213), in
// Kafka Streams' layouts: the subscription and response records, the keys
// of the subscription store and the hash of the left value.

// FKInstruction tells the right side of a foreign-key join what to do with
// a subscription (Kafka Streams' SubscriptionWrapper.Instruction).
type FKInstruction byte

// The instructions, with Kafka Streams' byte values.
const (
	// FKDeleteNoPropagate removes the subscription and sends nothing: the
	// left row moved to another foreign key, whose subscription answers.
	FKDeleteNoPropagate FKInstruction = 0
	// FKDeleteAndPropagate removes the subscription and answers with no
	// right value: the left row was deleted (or lost its foreign key).
	FKDeleteAndPropagate FKInstruction = 1
	// FKPropagateNullIfNoValue stores the subscription and answers with the
	// right row, or with no value when there is none (a changed foreign
	// key, or any change in a left join).
	FKPropagateNullIfNoValue FKInstruction = 2
	// FKPropagateOnlyIfValue stores the subscription and answers only if
	// the right row exists (a new left row of an inner join).
	FKPropagateOnlyIfValue FKInstruction = 3
)

// String returns Kafka Streams' name of the instruction.
func (i FKInstruction) String() string {
	switch i {
	case FKDeleteNoPropagate:
		return "DELETE_KEY_NO_PROPAGATE"
	case FKDeleteAndPropagate:
		return "DELETE_KEY_AND_PROPAGATE"
	case FKPropagateNullIfNoValue:
		return "PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE"
	case FKPropagateOnlyIfValue:
		return "PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE"
	}
	return fmt.Sprintf("FKInstruction(%d)", byte(i))
}

// FKHash is the 128-bit murmur3 hash of a serialized left value (Kafka
// Streams' long[2]); Null marks the hash of a deleted value.
type FKHash struct {
	H1, H2 uint64
	Null   bool
}

// HashValue hashes a serialized left value as Kafka Streams does:
// Murmur3.hash128 with its default seed, 104729.
func HashValue(b []byte) FKHash {
	h1, h2 := murmur3x64128(b, fkHashSeed)
	return FKHash{H1: h1, H2: h2}
}

const fkHashSeed = 104729

// murmur3x64128 is MurmurHash3's x64 128-bit variant (Austin Appleby's
// public-domain algorithm): 16-byte little-endian blocks, then the tail,
// then the finalizer.
func murmur3x64128(data []byte, seed uint32) (uint64, uint64) {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	h1, h2 := uint64(seed), uint64(seed)
	n := len(data)
	blocks := n / 16
	for i := range blocks {
		k1 := binary.LittleEndian.Uint64(data[i*16:])
		k2 := binary.LittleEndian.Uint64(data[i*16+8:])
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}
	tail := data[blocks*16:]
	var k1, k2 uint64
	for i := len(tail) - 1; i >= 8; i-- {
		k2 ^= uint64(tail[i]) << (8 * (i - 8))
	}
	if len(tail) > 8 {
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
	}
	for i := min(len(tail), 8) - 1; i >= 0; i-- {
		k1 ^= uint64(tail[i]) << (8 * i)
	}
	if len(tail) > 0 {
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1, h2 = fmix64(h1), fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// FKSubscription is a subscription record's value: a left row's key,
// partition and value hash, sent to the partition of its foreign key
// (Kafka Streams' SubscriptionWrapper, version 1).
type FKSubscription[K any] struct {
	Hash        FKHash
	Instruction FKInstruction
	PK          K
	// Partition is the left row's partition, where the response goes.
	Partition int32
}

const (
	fkSubscriptionVersion = 1
	fkResponseVersion     = 0
	fkNullHashBit         = 0x80
)

// FKSubscriptionSerde writes subscriptions in Kafka Streams' layout:
//
//	{1 bit hash is null}{7 bits version = 1}{instruction}{16-byte hash, unless null}{primary key}{4-byte partition}
//
// with the primary key serialized for PKTopic (Kafka Streams'
// <app>-<subscription topic>-pk pseudo topic).
type FKSubscriptionSerde[K any] struct {
	PK      serde.Serde[K]
	PKTopic string
}

// Serialize implements serde.Serde.
func (s FKSubscriptionSerde[K]) Serialize(_ string, v FKSubscription[K]) ([]byte, error) {
	pk, err := s.PK.Serialize(s.PKTopic, v.PK)
	if err != nil {
		return nil, fmt.Errorf("serialize primary key: %w", err)
	}
	b := make([]byte, 0, 2+16+len(pk)+4)
	if v.Hash.Null {
		b = append(b, fkSubscriptionVersion|fkNullHashBit, byte(v.Instruction))
	} else {
		b = append(b, fkSubscriptionVersion, byte(v.Instruction))
		b = binary.BigEndian.AppendUint64(b, v.Hash.H1)
		b = binary.BigEndian.AppendUint64(b, v.Hash.H2)
	}
	b = append(b, pk...)
	return binary.BigEndian.AppendUint32(b, uint32(v.Partition)), nil
}

// Deserialize implements serde.Serde. It reads versions 0 (no partition:
// Partition is -1) and 1.
func (s FKSubscriptionSerde[K]) Deserialize(_ string, b []byte) (FKSubscription[K], error) {
	var v FKSubscription[K]
	if len(b) < 2 {
		return v, errors.New("subscription: truncated")
	}
	version := b[0] &^ fkNullHashBit
	if version > fkSubscriptionVersion {
		return v, fmt.Errorf("subscription: unsupported version %d", version)
	}
	v.Instruction = FKInstruction(b[1])
	if v.Instruction > FKPropagateOnlyIfValue {
		return v, fmt.Errorf("subscription: unknown instruction %d", b[1])
	}
	rest := b[2:]
	if b[0]&fkNullHashBit != 0 {
		v.Hash.Null = true
	} else {
		if len(rest) < 16 {
			return v, errors.New("subscription: truncated hash")
		}
		v.Hash.H1, v.Hash.H2 = binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])
		rest = rest[16:]
	}
	v.Partition = -1
	if version > 0 {
		if len(rest) < 4 {
			return v, errors.New("subscription: truncated partition")
		}
		v.Partition = int32(binary.BigEndian.Uint32(rest[len(rest)-4:]))
		rest = rest[:len(rest)-4]
	}
	pk, err := s.PK.Deserialize(s.PKTopic, rest)
	if err != nil {
		return v, fmt.Errorf("subscription: primary key: %w", err)
	}
	v.PK = pk
	return v, nil
}

// FKResponse is a response record's value: the right row for one
// subscriber, with the hash of the left value the subscription was made
// for (Kafka Streams' SubscriptionResponseWrapper, version 0).
type FKResponse[VO any] struct {
	Hash FKHash
	// Value is the right row; HasValue false means there is none.
	Value    VO
	HasValue bool
	// Partition is the left row's partition (not serialized: the sink
	// writes the record to it).
	Partition int32
}

// FKResponseSerde writes responses in Kafka Streams' layout:
//
//	{1 bit hash is null}{7 bits version = 0}{16-byte hash, unless null}{right value, absent if null}
//
// the right value serialized with Value for the response topic.
type FKResponseSerde[VO any] struct {
	Value serde.Serde[VO]
}

// Serialize implements serde.Serde.
func (s FKResponseSerde[VO]) Serialize(topic string, v FKResponse[VO]) ([]byte, error) {
	var val []byte
	if v.HasValue {
		var err error
		if val, err = s.Value.Serialize(topic, v.Value); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, 1+16+len(val))
	if v.Hash.Null {
		b = append(b, fkResponseVersion|fkNullHashBit)
	} else {
		b = append(b, fkResponseVersion)
		b = binary.BigEndian.AppendUint64(b, v.Hash.H1)
		b = binary.BigEndian.AppendUint64(b, v.Hash.H2)
	}
	return append(b, val...), nil
}

// Deserialize implements serde.Serde. As in Kafka Streams, a right value
// that serializes to no bytes reads back as no value.
func (s FKResponseSerde[VO]) Deserialize(topic string, b []byte) (FKResponse[VO], error) {
	var v FKResponse[VO]
	if len(b) < 1 {
		return v, errors.New("subscription response: truncated")
	}
	if version := b[0] &^ fkNullHashBit; version != fkResponseVersion {
		return v, fmt.Errorf("subscription response: unsupported version %d", version)
	}
	rest := b[1:]
	if b[0]&fkNullHashBit != 0 {
		v.Hash.Null = true
	} else {
		if len(rest) < 16 {
			return v, errors.New("subscription response: truncated hash")
		}
		v.Hash.H1, v.Hash.H2 = binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])
		rest = rest[16:]
	}
	v.Partition = -1
	if len(rest) > 0 {
		val, err := s.Value.Deserialize(topic, rest)
		if err != nil {
			return v, fmt.Errorf("subscription response: value: %w", err)
		}
		v.Value, v.HasValue = val, true
	}
	return v, nil
}

// fkPrefix is the subscription store's key prefix of a foreign key:
// 4-byte big-endian length ‖ serialized foreign key (Kafka Streams'
// CombinedKeySchema).
func fkPrefix(dst, fk []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(fk)))
	return append(dst, fk...)
}

// fkCombinedKey is the subscription store's key: fkPrefix ‖ serialized
// primary key.
func fkCombinedKey(fk, pk []byte) []byte {
	return append(fkPrefix(make([]byte, 0, 4+len(fk)+len(pk)), fk), pk...)
}
