// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/eddy-streams/eddy/serde"
)

// benchSerde measures Serialize, AppendSerialize into a reused buffer, and
// Deserialize of v.
func benchSerde[T any](b *testing.B, s serde.Serde[T], v T) {
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
	b.Run("AppendSerialize", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		a := s.(serde.Appender[T])
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

func BenchmarkNew(b *testing.B) {
	benchSerde(b, mustNew[userV2T](b, userV2), userV2T{Name: "ann", Visits: 75, Age: 30})
}

// BenchmarkRegistry measures the per-record cost once ids are cached: the
// header and two map lookups on top of BenchmarkNew.
func BenchmarkRegistry(b *testing.B) {
	reg := srfake.New()
	defer reg.Close()
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		b.Fatal(err)
	}
	s, err := Registry[userV2T](cl, userV2, AutoRegister())
	if err != nil {
		b.Fatal(err)
	}
	benchSerde(b, s, userV2T{Name: "ann", Visits: 75, Age: 30})
}
