// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// The serdes in this file produce exactly the bytes of the Java serdes in
// org.apache.kafka.common.serialization. Each is a zero-size value, so
// calling a constructor per use costs nothing.

// String returns the serde of Java's StringSerializer and StringDeserializer
// with their default UTF-8 encoding.
//
// Serialize writes the bytes of v unchanged; a Go string holding invalid
// UTF-8 is written as is. Deserialize never fails: it decodes like Java's
// new String(bytes, UTF_8), which replaces each maximal invalid subsequence
// with U+FFFD, so an Eddy application and a Java one see the same text. Valid
// input, the common case, is only copied.
func String() Serde[string] { return stringSerde{} }

type stringSerde struct{}

func (stringSerde) Serialize(_ string, v string) ([]byte, error) { return []byte(v), nil }

func (stringSerde) AppendSerialize(dst []byte, _ string, v string) ([]byte, error) {
	return nonNil(append(dst, v...)), nil
}

func (stringSerde) Deserialize(_ string, data []byte) (string, error) {
	return decodeUTF8(data), nil
}

// Bytes returns the serde of Java's ByteArraySerializer and
// ByteArrayDeserializer: the bytes are the value.
//
// Serialize returns v itself without copying, so v must not be modified
// until the record has been produced. Deserialize returns a copy of data,
// so the result stays valid when the framework reuses its record buffers.
func Bytes() Serde[[]byte] { return bytesSerde{} }

type bytesSerde struct{}

func (bytesSerde) Serialize(_ string, v []byte) ([]byte, error) { return v, nil }

func (bytesSerde) AppendSerialize(dst []byte, _ string, v []byte) ([]byte, error) {
	return nonNil(append(dst, v...)), nil
}

func (bytesSerde) Deserialize(_ string, data []byte) ([]byte, error) {
	return nonNil(bytes.Clone(data)), nil
}

// Int64 returns the serde of Java's LongSerializer and LongDeserializer:
// 8 bytes, big-endian two's complement.
func Int64() Serde[int64] { return int64Serde{} }

type int64Serde struct{}

func (s int64Serde) Serialize(topic string, v int64) ([]byte, error) {
	return s.AppendSerialize(make([]byte, 0, 8), topic, v)
}

func (int64Serde) AppendSerialize(dst []byte, _ string, v int64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, uint64(v)), nil
}

func (int64Serde) Deserialize(topic string, data []byte) (int64, error) {
	if len(data) != 8 {
		return 0, sizeErr("Int64", topic, 8, len(data))
	}
	return int64(binary.BigEndian.Uint64(data)), nil
}

// Int32 returns the serde of Java's IntegerSerializer and
// IntegerDeserializer: 4 bytes, big-endian two's complement.
func Int32() Serde[int32] { return int32Serde{} }

type int32Serde struct{}

func (s int32Serde) Serialize(topic string, v int32) ([]byte, error) {
	return s.AppendSerialize(make([]byte, 0, 4), topic, v)
}

func (int32Serde) AppendSerialize(dst []byte, _ string, v int32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(dst, uint32(v)), nil
}

func (int32Serde) Deserialize(topic string, data []byte) (int32, error) {
	if len(data) != 4 {
		return 0, sizeErr("Int32", topic, 4, len(data))
	}
	return int32(binary.BigEndian.Uint32(data)), nil
}

// Int16 returns the serde of Java's ShortSerializer and ShortDeserializer:
// 2 bytes, big-endian two's complement.
func Int16() Serde[int16] { return int16Serde{} }

type int16Serde struct{}

func (s int16Serde) Serialize(topic string, v int16) ([]byte, error) {
	return s.AppendSerialize(make([]byte, 0, 2), topic, v)
}

func (int16Serde) AppendSerialize(dst []byte, _ string, v int16) ([]byte, error) {
	return binary.BigEndian.AppendUint16(dst, uint16(v)), nil
}

func (int16Serde) Deserialize(topic string, data []byte) (int16, error) {
	if len(data) != 2 {
		return 0, sizeErr("Int16", topic, 2, len(data))
	}
	return int16(binary.BigEndian.Uint16(data)), nil
}

// Float64 returns the serde of Java's DoubleSerializer and
// DoubleDeserializer: the 8 bytes of the IEEE-754 binary64 value,
// big-endian. NaN payloads and the sign of zero are preserved, as Java's
// Double.doubleToRawLongBits does.
func Float64() Serde[float64] { return float64Serde{} }

type float64Serde struct{}

func (s float64Serde) Serialize(topic string, v float64) ([]byte, error) {
	return s.AppendSerialize(make([]byte, 0, 8), topic, v)
}

func (float64Serde) AppendSerialize(dst []byte, _ string, v float64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v)), nil
}

func (float64Serde) Deserialize(topic string, data []byte) (float64, error) {
	if len(data) != 8 {
		return 0, sizeErr("Float64", topic, 8, len(data))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(data)), nil
}

// Float32 returns the serde of Java's FloatSerializer and FloatDeserializer:
// the 4 bytes of the IEEE-754 binary32 value, big-endian, bits preserved as
// by Java's Float.floatToRawIntBits.
func Float32() Serde[float32] { return float32Serde{} }

type float32Serde struct{}

func (s float32Serde) Serialize(topic string, v float32) ([]byte, error) {
	return s.AppendSerialize(make([]byte, 0, 4), topic, v)
}

func (float32Serde) AppendSerialize(dst []byte, _ string, v float32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v)), nil
}

func (float32Serde) Deserialize(topic string, data []byte) (float32, error) {
	if len(data) != 4 {
		return 0, sizeErr("Float32", topic, 4, len(data))
	}
	return math.Float32frombits(binary.BigEndian.Uint32(data)), nil
}

// Bool returns the serde of Java's BooleanSerializer and
// BooleanDeserializer: one byte, 0x01 for true and 0x00 for false.
// Deserialize rejects any other byte, as Java does.
func Bool() Serde[bool] { return boolSerde{} }

type boolSerde struct{}

func (boolSerde) Serialize(_ string, v bool) ([]byte, error) {
	if v {
		return []byte{1}, nil
	}
	return []byte{0}, nil
}

func (boolSerde) AppendSerialize(dst []byte, _ string, v bool) ([]byte, error) {
	if v {
		return append(dst, 1), nil
	}
	return append(dst, 0), nil
}

func (boolSerde) Deserialize(topic string, data []byte) (bool, error) {
	if len(data) != 1 {
		return false, sizeErr("Bool", topic, 1, len(data))
	}
	switch data[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, deErr("Bool", topic, fmt.Errorf("want byte 0x00 or 0x01, got %#02x", data[0]))
}
