// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package partition maps record keys to partitions exactly as Kafka's Java
// producer does for keyed records, so Eddy and Java applications agree on
// which partition holds a key and can share co-partitioned topics.
package partition

import "fmt"

// Murmur2 returns the 32-bit MurmurHash2 of b with the seed Kafka uses,
// 0x9747b28c. The result equals Java's
// org.apache.kafka.common.utils.Utils.murmur2(b), bit for bit.
func Murmur2(b []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
	)
	h := uint32(seed) ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h = h*m ^ k
		b = b[4:]
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// ForKey returns the partition of a record with the serialized key among
// numPartitions partitions: the murmur2 hash with its sign bit cleared,
// modulo numPartitions, as Java's BuiltInPartitioner.partitionForKey
// computes it. Windowed keys are partitioned by their inner key bytes.
// ForKey panics if numPartitions is not positive.
func ForKey(key []byte, numPartitions int32) int32 {
	if numPartitions <= 0 {
		panic(fmt.Sprintf("partition: ForKey: partition count must be positive, got %d", numPartitions))
	}
	return (Murmur2(key) & 0x7fffffff) % numPartitions
}
