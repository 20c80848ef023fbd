// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"testing"
	"time"

	"github.com/eddy-streams/eddy/window"
)

// benchSerde measures Serialize, Append and AppendSerialize into a reused
// buffer, and Deserialize of v.
func benchSerde[T any](b *testing.B, s Serde[T], v T) {
	data, err := s.Serialize(topic, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Serialize", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := s.Serialize(topic, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			var err error
			if buf, err = Append(s, buf[:0], topic, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendSerialize", func(b *testing.B) { // Appender asserted once
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		a := s.(Appender[T])
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			var err error
			if buf, err = a.AppendSerialize(buf[:0], topic, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Deserialize", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := s.Deserialize(topic, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkString(b *testing.B) { benchSerde(b, String(), "the quick brown fox jumps over") }

func BenchmarkStringInvalidUTF8(b *testing.B) {
	data := []byte("the quick \xff brown fox \xed\xa0\x80 jumps")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = String().Deserialize(topic, data)
	}
}

func BenchmarkInt64(b *testing.B) { benchSerde(b, Int64(), 1700000000000) }

func BenchmarkJSON(b *testing.B) {
	benchSerde(b, JSON[order](), order{ID: "o-12345", Qty: 3, Price: 19.99, Tags: map[string]string{"src": "web"}})
}

func BenchmarkTimeWindowed(b *testing.B) {
	benchSerde(b, TimeWindowed(String(), 60_000*time.Millisecond), window.Of("user-42", time.UnixMilli(1700000000000), time.UnixMilli(1700000060000)))
}
