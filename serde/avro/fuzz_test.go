// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/eddy-streams/eddy/serde"
)

// The seed corpora of these targets live in testdata/fuzz/<FuzzName>/.
// Run one with: go test -run '^$' -fuzz '^FuzzAvro$' -fuzztime 30s ./serde/avro

const fuzzSchema = `{"type":"record","name":"Doc","namespace":"fz","fields":[
	{"name":"id","type":"string"},
	{"name":"n","type":"long"},
	{"name":"i","type":"int"},
	{"name":"f","type":"double"},
	{"name":"ok","type":"boolean"},
	{"name":"raw","type":"bytes"},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"attrs","type":{"type":"map","values":"long"}},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B","C"]}},
	{"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},
	{"name":"kids","type":{"type":"array","items":{"type":"record","name":"Kid","fields":[
		{"name":"name","type":"string"},{"name":"age","type":"int"}]}}}]}`

type fuzzKid struct {
	Name string `avro:"name"`
	Age  int32  `avro:"age"`
}

type fuzzRec struct {
	ID    string           `avro:"id"`
	N     int64            `avro:"n"`
	I     int32            `avro:"i"`
	F     float64          `avro:"f"`
	OK    bool             `avro:"ok"`
	Raw   []byte           `avro:"raw"`
	Tags  []string         `avro:"tags"`
	Attrs map[string]int64 `avro:"attrs"`
	Note  *string          `avro:"note"`
	Kind  string           `avro:"kind"`
	Hash  [4]byte          `avro:"hash"`
	Kids  []fuzzKid        `avro:"kids"`
}

// fuzzRoundTrip checks that data that decodes re-encodes to bytes that
// decode to an equal value. (The input itself need not come back: Avro
// allows several block layouts and non-minimal varints, and Go maps encode
// in random order.)
func fuzzRoundTrip[T any](t *testing.T, s serde.Serde[T], data []byte, eq func(a, b T) bool) {
	v, err := s.Deserialize(topic, data)
	if err != nil {
		var se *serde.Error
		if !errors.As(err, &se) || se.Serde != "Avro" || se.Topic != topic {
			t.Fatalf("error %v is not an Avro *serde.Error naming the topic", err)
		}
		return
	}
	b, err := s.Serialize(topic, v)
	if err != nil {
		t.Fatalf("Serialize(%+v): %v", v, err)
	}
	w, err := s.Deserialize(topic, b)
	if err != nil || !eq(v, w) {
		t.Fatalf("round trip of %x: %+v != %+v (%v)", data, v, w, err)
	}
}

// sameRec is reflect.DeepEqual, except that it compares F by its bits, so
// NaN equals itself.
func sameRec(a, b fuzzRec) bool {
	if math.Float64bits(a.F) != math.Float64bits(b.F) {
		return false
	}
	a.F, b.F = 0, 0
	return reflect.DeepEqual(a, b)
}

func FuzzAvro(f *testing.F) {
	s := mustNew[fuzzRec](f, fuzzSchema)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, s, data, sameRec) })
}

func FuzzAvroGeneric(f *testing.F) {
	s := mustNew[map[string]any](f, fuzzSchema)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := s.Deserialize(topic, data); err != nil {
			var se *serde.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *serde.Error", err)
			}
		}
	})
}

// FuzzAvroEvolution reads data as written by userV1 through userV2.
func FuzzAvroEvolution(f *testing.F) {
	s := mustNew[userV2T](f, userV2, WriterSchema(userV1))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, s, data, func(a, b userV2T) bool { return reflect.DeepEqual(a, b) })
	})
}

// FuzzRegistry reads records in the Confluent wire format through a
// registry (franz-go's in-memory srfake) that knows ids 1 (userV1) and 2
// (userV2); any other id is unknown.
func FuzzRegistry(f *testing.F) {
	reg := srfake.New()
	f.Cleanup(reg.Close)
	reg.SeedSchema("users-value", 1, 1, sr.Schema{Schema: userV1})
	reg.SeedSchema("users-value", 2, 2, sr.Schema{Schema: userV2})
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		f.Fatal(err)
	}
	s, err := Registry[userV2T](cl, userV2)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0, 0, 0, 0, 1, 6, 'a', 'n', 'n', 0x96, 0x01})
	f.Add([]byte{0, 0, 0, 0, 2, 6, 'a', 'n', 'n', 0x96, 0x01, 2, 2, 'e', 0x3c})
	f.Add([]byte{0, 0, 0, 0, 3, 0})
	f.Add([]byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, s, data, func(a, b userV2T) bool { return reflect.DeepEqual(a, b) })
	})
}
