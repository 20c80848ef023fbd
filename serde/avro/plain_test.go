// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	havro "github.com/hamba/avro/v2"

	"github.com/eddy-streams/eddy/serde"
)

const topic = "users"

const userV1 = `{"type":"record","name":"User","namespace":"ex","fields":[
	{"name":"name","type":"string"},
	{"name":"visits","type":"long"}]}`

const userV2 = `{"type":"record","name":"User","namespace":"ex","fields":[
	{"name":"name","type":"string"},
	{"name":"visits","type":"long"},
	{"name":"email","type":["null","string"],"default":null},
	{"name":"age","type":"int","default":-1}]}`

type userV1T struct {
	Name   string `avro:"name"`
	Visits int64  `avro:"visits"`
}

type userV2T struct {
	Name   string  `avro:"name"`
	Visits int64   `avro:"visits"`
	Email  *string `avro:"email"`
	Age    int32   `avro:"age"`
}

func mustNew[T any](t testing.TB, schema string, opts ...Option) serde.Serde[T] {
	t.Helper()
	s, err := New[T](schema, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkCodec checks that s encodes v to want with Serialize and
// AppendSerialize, and decodes want back to v.
func checkCodec[T any](t *testing.T, name string, s serde.Serde[T], v T, want []byte, eq func(a, b T) bool) {
	t.Helper()
	got, err := s.Serialize(topic, v)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: Serialize(%v) = %x, %v; want %x", name, v, got, err, want)
	}
	app, err := s.(serde.Appender[T]).AppendSerialize([]byte("prefix"), topic, v)
	if wantApp := append([]byte("prefix"), want...); err != nil || !bytes.Equal(app, wantApp) {
		t.Errorf("%s: AppendSerialize(%v) = %x, %v; want %x", name, v, app, err, wantApp)
	}
	back, err := s.Deserialize(topic, want)
	if err != nil || !eq(v, back) {
		t.Errorf("%s: Deserialize(%x) = %v, %v; want %v", name, want, back, err, v)
	}
}

func equal[T comparable](a, b T) bool { return a == b }

// wantSerdeError fails the test unless err is a *serde.Error of the Avro
// serde for topic whose text contains every one of parts.
func wantSerdeError(t *testing.T, what string, err error, op, topic string, parts ...string) {
	t.Helper()
	var se *serde.Error
	if !errors.As(err, &se) || se.Serde != "Avro" || se.Op != op || se.Topic != topic {
		t.Errorf("%s: error = %v; want a *serde.Error of Avro %s on topic %q", what, err, op, topic)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

func TestPlainBytes(t *testing.T) {
	s := mustNew[userV1T](t, userV1)
	// Avro binary: string = zig-zag varint length + UTF-8, long = zig-zag varint.
	want := []byte{0x06, 'a', 'n', 'n', 0x96, 0x01} // "ann", 75
	checkCodec(t, "Avro", s, userV1T{Name: "ann", Visits: 75}, want, equal)
}

func TestPlainEvolution(t *testing.T) {
	v1 := mustNew[userV1T](t, userV1)
	old, err := v1.Serialize(topic, userV1T{Name: "bob", Visits: 7})
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustNew[userV2T](t, userV2, WriterSchema(userV1))
	got, err := v2.Deserialize(topic, old)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "bob" || got.Visits != 7 || got.Email != nil || got.Age != -1 {
		t.Errorf("v1 bytes read as v2 = %+v; want defaults for email and age", got)
	}
	// Serialize writes with the writer schema, keeping the topic in v1.
	email := "bob@example.com"
	b, err := v2.Serialize(topic, userV2T{Name: "bob", Visits: 7, Email: &email, Age: 40})
	if err != nil || !bytes.Equal(b, old) {
		t.Errorf("Serialize with writer schema = %x, %v; want v1 bytes %x", b, err, old)
	}

	// Without the writer schema the v1 bytes are too short for v2.
	if _, err := mustNew[userV2T](t, userV2).Deserialize(topic, old); err == nil {
		t.Error("v1 bytes decoded by v2 without writer schema: want error")
	}
}

// Two versions of one named record live side by side: each schema has its
// own cache, so neither overwrites the other.
func TestPlainNoGlobalCache(t *testing.T) {
	v2 := mustNew[userV2T](t, userV2)
	v1 := mustNew[userV1T](t, userV1)
	b, err := v2.Serialize(topic, userV2T{Name: "c", Visits: 1, Age: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Deserialize(topic, b); err != nil || got.Age != 5 {
		t.Errorf("v2 round trip = %+v, %v", got, err)
	}
	if _, err := v1.Deserialize(topic, b); err == nil {
		t.Error("v2 bytes read by v1: want trailing-bytes error")
	}
	if havro.DefaultSchemaCache.Get("ex.User") != nil {
		t.Error("ex.User leaked into hamba's global schema cache")
	}
}

func TestPlainConstructionErrors(t *testing.T) {
	for name, c := range map[string]struct {
		schema string
		opts   []Option
		want   string
	}{
		"invalid schema":        {`{"type":"record","name":"X"}`, nil, "parse schema"},
		"not json":              {`{`, nil, "parse schema"},
		"invalid writer schema": {userV2, []Option{WriterSchema(`{"type":"nope"}`)}, "parse writer schema"},
		"incompatible writer": {userV1, []Option{WriterSchema(`{"type":"record","name":"User","namespace":"ex",
			"fields":[{"name":"name","type":"long"},{"name":"visits","type":"long"}]}`)}, "cannot be read"},
		"missing reader default": {userV2, []Option{WriterSchema(`{"type":"record","name":"User","namespace":"ex",
			"fields":[{"name":"name","type":"string"}]}`)}, "cannot be read"},
		"registry option": {userV1, []Option{AutoRegister(), Key()}, "avro.AutoRegister, avro.Key applies only to avro.Registry"},
	} {
		_, err := New[userV2T](c.schema, c.opts...)
		if err == nil || !strings.HasPrefix(err.Error(), "avro.New: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v; want an avro.New error mentioning %q", name, err, c.want)
		}
	}
}

func TestPlainStrictDecode(t *testing.T) {
	s := mustNew[userV1T](t, userV1)
	good, _ := s.Serialize(topic, userV1T{Name: "ann", Visits: 75})
	for name, in := range map[string][]byte{
		"empty":             {},
		"cut in string":     good[:2],
		"cut before long":   good[:4],
		"cut inside varint": good[:5],
		"trailing byte":     append(bytes.Clone(good), 0),
		"negative length":   {0x01},
	} {
		_, err := s.Deserialize(topic, in)
		wantSerdeError(t, name, err, "deserialize", topic)
	}
	_, err := s.Deserialize(topic, good[:4])
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated input: error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestPlainSerializeError(t *testing.T) {
	s := mustNew[map[string]any](t, userV1)
	b, err := s.(serde.Appender[map[string]any]).AppendSerialize([]byte("keep"), topic, map[string]any{"name": 5})
	wantSerdeError(t, "wrong field type", err, "serialize", topic)
	if string(b) != "keep" {
		t.Errorf("AppendSerialize on error returned %q; want dst unchanged", b)
	}
}

func TestPlainMaxByteSliceSize(t *testing.T) {
	const schema = `"string"`
	big := strings.Repeat("x", 2<<20) // above hamba's 1 MiB default
	def := mustNew[string](t, schema)
	b, err := def.Serialize(topic, big)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := def.Deserialize(topic, b); err != nil || got != big {
		t.Errorf("2 MiB string with default limit: %v", err)
	}
	small := mustNew[string](t, schema, Config(havro.Config{MaxByteSliceSize: 1024}))
	if _, err := small.Deserialize(topic, b); err == nil {
		t.Error("2 MiB string with a 1 KiB limit: want error")
	}
	// A corrupt length must not allocate beyond the limit.
	if _, err := def.Deserialize(topic, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("huge string length: want error")
	}
}

func TestPlainEmptyEncodingIsNotNull(t *testing.T) {
	s := mustNew[struct{}](t, `{"type":"record","name":"Empty","fields":[]}`)
	b, err := s.Serialize(topic, struct{}{})
	if err != nil || b == nil || len(b) != 0 {
		t.Errorf("Serialize(empty record) = %#v, %v; want a non-nil empty slice", b, err)
	}
}

func TestPlainGeneric(t *testing.T) {
	s := mustNew[map[string]any](t, userV1)
	b, err := s.Serialize(topic, map[string]any{"name": "ann", "visits": int64(75)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Deserialize(topic, b)
	if err != nil || got["name"] != "ann" || got["visits"] != int64(75) {
		t.Errorf("generic round trip = %v, %v", got, err)
	}
}

func TestPlainConcurrent(t *testing.T) {
	s := mustNew[userV2T](t, userV2)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				v := userV2T{Name: strings.Repeat("n", g+i%7), Visits: int64(i), Age: int32(g)}
				b, err := s.Serialize(topic, v)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := s.Deserialize(topic, b)
				if err != nil || got.Name != v.Name || got.Visits != v.Visits || got.Age != v.Age {
					t.Errorf("round trip %+v = %+v, %v", v, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
